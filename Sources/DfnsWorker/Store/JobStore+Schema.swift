import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// The schema: migrations (``SchemaMigrations``) and the check every command makes before it touches a job.
extension JobStore {
    /// Applies pending migrations and records `kinds` as known. Safe when several processes migrate at once.
    /// - Parameter version: the newest version to apply (tests of upgrades); nil applies all.
    /// - Returns: the versions applied now (empty when up to date).
    @discardableResult
    public func migrate(kinds: [String], through version: Int? = nil) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await self.execute("SELECT pg_advisory_xact_lock(\(SchemaMigrations.advisoryLockKey))", on: connection)
            try await self.execute("CREATE SCHEMA IF NOT EXISTS dfns_worker", on: connection)
            try await self.execute(
                """
                CREATE TABLE IF NOT EXISTS dfns_worker.schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, on: connection)
            // The oldest binary allowed (SchemaMigrations.Migration.oldestBinary); the column came with version 7.
            try await self.execute("ALTER TABLE dfns_worker.schema_migrations ADD COLUMN IF NOT EXISTS oldest_binary integer", on: connection)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM dfns_worker.schema_migrations", logger: logger).decode(Int.self)
            {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > SchemaMigrations.newest {
                throw WorkerError(
                    .migration,
                    "the database schema is at version \(newest), newer than this dfns-worker knows (\(SchemaMigrations.newest)); upgrade the binary")
            }
            var now: [Int] = []
            for migration in SchemaMigrations.all where !applied.contains(migration.version) && migration.version <= (version ?? .max) {
                for statement in migration.statements {
                    try await self.execute(PostgresQuery(unsafeSQL: statement), on: connection)
                }
                try await self.execute(
                    """
                    INSERT INTO dfns_worker.schema_migrations (version, name, oldest_binary)
                    VALUES (\(migration.version), \(migration.name), \(migration.oldestBinary))
                    """, on: connection)
                now.append(migration.version)
            }
            try await self.execute(
                """
                INSERT INTO dfns_worker.job_kinds (kind) SELECT unnest(\(kinds)::text[]) ON CONFLICT DO NOTHING
                """, on: connection)
            return now
        }
    }

    /// Fails with a clear error, touching no job, unless the schema is one this binary may work on: migrated at least
    /// to ``SchemaMigrations/newest`` (an older one lacks what this binary relies on: run `migrate`), and no migration
    /// applied since asks for a newer binary (`oldest_binary`, recorded by migrations that change a money rule; a
    /// schema newer than this binary but compatible with it is a rolling upgrade in progress). Records `kinds`.
    ///
    /// Bounded by at least 30 s whatever ``statementTimeout``: a slow answer once at start-up is no reason to exit.
    public func checkSchema(kinds: [String]) async throws {
        try await StatementDeadline.run(max(statementTimeout, .seconds(30)), "the schema check") { [client, logger] in
            let rows = try await client.query(
                """
                SELECT to_regclass('dfns_worker.jobs') IS NOT NULL, to_regclass('dfns_worker.schema_migrations') IS NOT NULL
                """, logger: logger)
            for try await (jobs, migrations) in rows.decode((Bool, Bool).self) where !jobs || !migrations {
                throw WorkerError(.migration, "schema dfns_worker is missing: run `dfns-worker migrate` first")
            }
            var schema = 0
            for try await version in try await client.query("SELECT coalesce(max(version), 0) FROM dfns_worker.schema_migrations", logger: logger)
                .decode(Int.self)
            {
                schema = version
            }
            guard schema >= SchemaMigrations.newest else {
                throw WorkerError(
                    .migration,
                    "the database schema is at version \(schema), older than this dfns-worker needs (\(SchemaMigrations.newest)): run `dfns-worker migrate` (the workers already running keep working meanwhile)"
                )
            }
            for try await refusal in try await client.query("SELECT dfns_worker.binary_refusal(\(SchemaMigrations.newest)::integer)", logger: logger)
                .decode(String?.self)
            {
                if let refusal { throw WorkerError(.migration, refusal) }
            }
            try await self.execute("INSERT INTO dfns_worker.job_kinds (kind) SELECT unnest(\(kinds)::text[]) ON CONFLICT DO NOTHING")
        }
    }

    /// The newest schema version this binary knows, which is also the oldest it runs jobs on.
    public static var schemaVersion: Int { SchemaMigrations.newest }

    /// The refusal `dfns_worker.require_binary` raised in a claim, or nil for any other error.
    static func schemaRefusal(_ error: any Error) -> String? {
        guard let error = error as? PSQLError, error.serverInfo?[.sqlState] == "55000",
            let message = error.serverInfo?[.message], message.hasPrefix("dfns_worker: the database schema is at version")
        else { return nil }
        return String(message.dropFirst("dfns_worker: ".count))
    }
}
