import DfnsWorker
import Foundation
import Logging
import PostgresNIO

/// A fresh PostgreSQL database per test, on the server `DATABASE_URL` points at (ops/test starts one).
public enum TestDatabase {
    /// A database of its own, migrated, with a running pooled client.
    public struct Handle: Sendable {
        public let url: DatabaseURL
        public let urlString: String
        public let store: JobStore

        /// Runs a query and returns the first column of each row as text.
        public func column(_ sql: String) async throws -> [String?] {
            var values: [String?] = []
            for try await value in try await store.client.query(PostgresQuery(unsafeSQL: sql)).decode(String?.self) {
                values.append(value)
            }
            return values
        }

        /// Runs a statement.
        public func execute(_ sql: String) async throws {
            try await store.client.query(PostgresQuery(unsafeSQL: sql))
        }

        /// Runs `body` with a store on a pool of its own configured as `dfns-worker run` configures its pool: the engine's
        /// deadline `statementTimeout`, and PostgreSQL's own limits below it (``JobStore/connectionOptions(statementTimeout:)``).
        @discardableResult
        public func withWorkerStore<Result: Sendable>(statementTimeout: Duration, _ body: @Sendable (JobStore) async throws -> Result) async throws
            -> Result
        {
            var configuration = url.clientConfiguration(maximumConnections: 4)
            configuration.options.additionalStartupParameters = JobStore.connectionOptions(statementTimeout: statementTimeout)
            let client = PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.quietLogger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                return try await body(JobStore(client: client, logger: TestDatabase.quietLogger, statementTimeout: statementTimeout))
            }
        }

        /// Runs `lock` (`LOCK TABLE …`, `SELECT … FOR UPDATE`) in a transaction of its own that then sleeps `seconds`,
        /// and returns once PostgreSQL shows it sleeping; the task ends with the transaction.
        public func holding(_ lock: String, seconds: Int) async throws -> Task<Void, any Error> {
            let sleep = "SELECT pg_sleep(\(seconds))"
            let holder = Task { [store] in
                try await store.client.withTransaction(logger: TestDatabase.quietLogger) { connection in
                    try await connection.query(PostgresQuery(unsafeSQL: lock), logger: TestDatabase.quietLogger)
                    try await connection.query(PostgresQuery(unsafeSQL: sleep), logger: TestDatabase.quietLogger)
                }
            }
            let started = try await Poll.until(.seconds(10), every: .milliseconds(20)) {
                try await column("SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND query = '\(sleep)'") == ["1"]
            }
            guard started else {
                holder.cancel()
                throw TestFailure("the lock holder did not start")
            }
            return holder
        }

        /// Runs `statements` in a transaction left open while `body` runs (another worker's lock, a `retry()` in
        /// progress), and ends it once `body` has.
        public func whileHolding<Result>(_ statements: [String], _ body: () async throws -> Result) async throws -> Result {
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let (held, heldSignal) = AsyncStream<Void>.makeStream()
            async let holder: Void = store.client.withTransaction(logger: TestDatabase.quietLogger) { connection in
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.quietLogger) }
                heldSignal.yield()
                for await _ in release { break }
            }
            for await _ in held { break }
            let result: Result
            do {
                result = try await body()
            } catch {
                releaseSignal.finish()
                try? await holder
                throw error
            }
            releaseSignal.finish()
            try await holder
            return result
        }
    }

    /// - Parameter schemaVersion: migrate only this far (upgrade tests); nil migrates to the newest version.
    public static func with<Result: Sendable>(
        kinds: [String],
        schemaVersion: Int? = nil,
        _ body: @Sendable (Handle) async throws -> Result
    ) async throws -> Result {
        guard let admin = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw TestFailure("DATABASE_URL is not set; run the tests through ops/test")
        }
        let logger = Self.quietLogger
        let adminURL = try DatabaseURL(admin)
        let name = "dfns_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await withClient(adminURL, logger: logger) { client in
            // A statement without rows: its row sequence is of no use once it has not thrown.
            _ = try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        let url = {
            var url = adminURL
            url.database = String(name)
            return url
        }()
        let urlString =
            "postgres://\(url.username)\(url.password.map { ":\($0)" } ?? "")@\(url.host):\(url.port)/\(name)?sslmode=\(url.sslMode.rawValue)\(url.sslRootCert.map { "&sslrootcert=\($0)" } ?? "")"
        do {
            let result = try await withClient(url, logger: logger) { client in
                let store = JobStore(client: client, logger: logger)
                try await store.migrate(kinds: kinds, through: schemaVersion)
                return try await body(Handle(url: url, urlString: urlString, store: store))
            }
            try? await dropDatabase(String(name), adminURL, logger)
            return result
        } catch {
            try? await dropDatabase(String(name), adminURL, logger)
            throw error
        }
    }

    fileprivate static let quietLogger: Logger = {
        var logger = Logger(label: "test.database")
        logger.logLevel = .critical
        return logger
    }()

    private static func dropDatabase(_ name: String, _ adminURL: DatabaseURL, _ logger: Logger) async throws {
        try await withClient(adminURL, logger: logger) { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }

    private static func withClient<Result: Sendable>(
        _ url: DatabaseURL, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: 10), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
