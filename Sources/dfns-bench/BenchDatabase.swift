import ArgumentParser
import DfnsWorker
import Foundation
import Logging
import PostgresNIO

/// The database every queue benchmark starts from: `DATABASE_URL`, migrated for `kinds`, an empty jobs table.
enum BenchDatabase {
    static var logger: Logger {
        var logger = Logger(label: "dfns.bench")
        logger.logLevel = .error
        return logger
    }

    /// Runs `body` with a running pooled client over an emptied `dfns_worker.jobs`.
    static func withEmptyQueue<Result: Sendable>(
        kinds: [String], _ body: (JobStore, DatabaseURL) async throws -> Result
    ) async throws -> Result {
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw ValidationError("set DATABASE_URL") }
        let url = try DatabaseURL(text)
        let postgres = PostgresClient(configuration: url.clientConfiguration(maximumConnections: 8), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await postgres.run() }
            defer { group.cancelAll() }
            let store = JobStore(client: postgres, logger: logger)
            try await store.migrate(kinds: kinds)
            // TRUNCATE, not DELETE: dead tuples from earlier runs would slow the claims of later ones.
            try await postgres.query("TRUNCATE dfns_worker.jobs RESTART IDENTITY")
            return try await body(store, url)
        }
    }
}
