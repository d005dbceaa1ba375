import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// What `status`, the metrics sampling and the console count.
extension JobStore {
    /// Counts of active jobs by queue, kind and state, finished ones of the last `finishedWithin` (none when nil), the
    /// age of the oldest due job, and how many jobs are stuck: their Dfns entity exists or may exist, and every
    /// attempt or poll has failed for longer than `stuckAfter`.
    ///
    /// Every statement reads a partial index (`jobs_active`, `jobs_finished`, `jobs_due`, `jobs_failing`), so the cost
    /// follows active and recently finished rows, not the table: the 5-second sampling of every worker passes nil.
    public func status(stuckAfter: Duration = WorkerConfiguration.defaultStuckAfter, finishedWithin: Duration? = nil) async throws -> QueueStatus {
        try await bounded("the queue status") { try await self.statusStatements(stuckAfter: stuckAfter, finishedWithin: finishedWithin) }
    }

    private func statusStatements(stuckAfter: Duration, finishedWithin: Duration?) async throws -> QueueStatus {
        var counts: [QueueStatus.Count] = []
        let rows = try await client.query(
            """
            SELECT queue, kind, state, count(*) FROM dfns_worker.jobs
            WHERE state IN ('queued', 'running', 'retrying', 'waiting', 'awaiting_signature')
            GROUP BY queue, kind, state
            UNION ALL
            SELECT queue, kind, state, count(*) FROM dfns_worker.jobs
            WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at > now() - make_interval(secs => \(finishedWithin?.seconds ?? 0))
              AND \(finishedWithin != nil)
            GROUP BY queue, kind, state
            ORDER BY 1, 2, 3
            """, logger: logger)
        for try await (queue, kind, state, count) in rows.decode((String, String, String, Int64).self) {
            counts.append(.init(queue: queue, kind: kind, state: JobState(rawValue: state), count: Int(count)))
        }
        var oldest: Double?
        let ages = try await client.query(
            """
            SELECT extract(epoch FROM now() - min(run_at))::float8 FROM dfns_worker.jobs
            WHERE state IN ('queued', 'retrying', 'waiting') AND run_at <= now()
            """, logger: logger)
        for try await age in ages.decode(Double?.self) { oldest = age }
        var stuck = 0
        let stuckRows = try await client.query(
            """
            SELECT count(*) FROM dfns_worker.jobs
            WHERE failing_since < now() - make_interval(secs => \(stuckAfter.seconds))
              AND state IN ('retrying', 'waiting') AND dfns_entity IN ('unknown', 'exists')
            """, logger: logger)
        for try await count in stuckRows.decode(Int64.self) { stuck = Int(count) }
        return QueueStatus(counts: counts, oldestDueAgeSeconds: oldest, stuckJobs: stuck, finishedWithinSeconds: finishedWithin?.seconds)
    }
}
