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

    /// Runs `body` with a running pooled client over a `dfns_worker.jobs` that holds nothing but `finishedRows`
    /// succeeded jobs that finished 2 to 9 days ago (the big-table benchmarks), vacuumed and analysed.
    static func withEmptyQueue<Result: Sendable>(
        kinds: [String], finishedRows: Int = 0, _ body: (JobStore, DatabaseURL) async throws -> Result
    ) async throws -> Result {
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw ValidationError("set DATABASE_URL") }
        let url = try DatabaseURL(text)
        let postgres = PostgresClient(configuration: url.clientConfiguration(maximumConnections: 8), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await postgres.run() }
            defer { group.cancelAll() }
            let store = JobStore(client: postgres, logger: logger)
            try await store.migrate(kinds: kinds)
            try await prepare(postgres, finishedRows: finishedRows, kind: kinds[0])
            return try await body(store, url)
        }
    }

    /// Leaves exactly the filler rows: kept from an earlier run when there are `finishedRows` of them (filling
    /// 5 million rows takes a minute), made again otherwise.
    private static func prepare(_ postgres: PostgresClient, finishedRows: Int, kind: String) async throws {
        var fillers = 0
        if finishedRows > 0 {
            for try await count in try await postgres.query("SELECT count(*) FROM dfns_worker.jobs WHERE payload ? 'filler'").decode(Int.self) {
                fillers = count
            }
        }
        if fillers == finishedRows, finishedRows > 0 {
            try await postgres.query("DELETE FROM dfns_worker.jobs WHERE NOT payload ? 'filler'")
        } else {
            // TRUNCATE, not DELETE: dead tuples from earlier runs would slow the claims of later ones.
            try await postgres.query("TRUNCATE dfns_worker.jobs RESTART IDENTITY")
            if finishedRows > 0 {
                try await postgres.query(
                    """
                    INSERT INTO dfns_worker.jobs (kind, payload, state, attempt, result, started_at, finished_at)
                    SELECT \(kind), '{"filler":true}', 'succeeded', 1, '{"id":"wa-filler"}',
                           now() - interval '2 days' - i * interval '150 milliseconds', now() - interval '2 days' - i * interval '150 milliseconds'
                    FROM generate_series(1, \(finishedRows)) AS i
                    """)
            }
        }
        try await postgres.query("VACUUM ANALYZE dfns_worker.jobs")
    }
}
