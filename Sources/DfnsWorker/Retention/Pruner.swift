import DfnsSDK
import Logging
import PostgresNIO
import ServiceLifecycle

/// Applies a ``RetentionPolicy``: deletes (or archives) finished jobs past their age and forgets old webhook events,
/// in batches of short transactions that touch finished rows only, so claims never wait on it.
///
/// Every `run` worker schedules it, but one worker of the database prunes at a time: the others find the advisory
/// lock taken and skip that round. `dfns-worker prune` runs one round (for cron).
public final class Pruner: Service, Sendable {
    /// What one round did.
    public struct Report: Sendable, Equatable {
        /// Jobs pruned (deleted or archived) by final state.
        public var pruned: [JobState: Int] = [:]
        /// Webhook events forgotten.
        public var webhookEvents = 0
        /// Seconds since the oldest finished job still in the table finished; nil when none is.
        public var oldestFinishedAgeSeconds: Double?
    }

    /// Key of the session advisory lock one pruning worker holds (`dfns_pru` in ASCII).
    static let advisoryLockKey: Int64 = 0x6466_6E73_5F70_7275

    private let policy: RetentionPolicy
    private let store: JobStore
    private let metrics: WorkerMetrics?
    private let logger: Logger

    public init(policy: RetentionPolicy, store: JobStore, metrics: WorkerMetrics? = nil, logger: Logger) {
        self.policy = policy
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Prunes every `policy.interval` until graceful shutdown. The first round comes after a random part of the
    /// interval: a fleet restarted together does not prune at once, and one restarted more often than the interval
    /// (every deploy) still prunes.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = self.policy.interval * Double.random(in: 0..<1)
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: delay)) != nil else { return }
                delay = self.policy.interval
                do {
                    if let report = try await self.pruneOnce() {
                        self.logger.info(
                            "pruned finished jobs",
                            metadata: [
                                "prune.succeeded": "\(report.pruned[.succeeded] ?? 0)", "prune.failed": "\(report.pruned[.failed] ?? 0)",
                                "prune.cancelled": "\(report.pruned[.cancelled] ?? 0)", "prune.webhook_events": "\(report.webhookEvents)",
                            ])
                    }
                } catch {
                    self.logger.warning("pruning failed; trying again next round", metadata: ["db.error": "\(String(reflecting: error))"])
                }
            }
        }
    }

    /// One round: every state's old rows in batches, then old webhook events. Returns nil when another worker is
    /// pruning (its advisory lock is held).
    public func pruneOnce() async throws -> Report? {
        let report = try await store.client.withConnection { connection -> Report? in
            guard try await self.lock(connection) else { return nil }
            do {
                let report = try await self.prune(on: connection)
                try await self.execute("the prune lock's release", "SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", on: connection)
                return report
            } catch {
                // The lock is the session's: released with the connection if the unlock cannot be sent.
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: self.logger)
                throw error
            }
        }
        if let report, let metrics {
            for (state, count) in report.pruned { metrics.jobsPruned(state: state, count: count) }
            metrics.setOldestFinishedAge(report.oldestFinishedAgeSeconds)
        }
        return report
    }

    private func lock(_ connection: PostgresConnection) async throws -> Bool {
        try await store.bounded("the prune lock") { [logger] in
            for try await locked in try await connection.query("SELECT pg_try_advisory_lock(\(Self.advisoryLockKey))", logger: logger).decode(
                Bool.self)
            {
                return locked
            }
            return false
        }
    }

    private func prune(on connection: PostgresConnection) async throws -> Report {
        var report = Report()
        let batch = max(1, min(policy.batchSize, 100_000))
        for (state, age) in policy.ages {
            var total = 0
            while !Task.isCancelled {
                let pruned = try await count(
                    connection,
                    """
                    SELECT dfns_worker.prune_jobs(\(state.rawValue), make_interval(secs => \(age.seconds)), \(batch)::int, \(policy.archive))
                    """)
                total += pruned
                if pruned < batch { break }
                try await Task.sleep(for: policy.pauseBetweenBatches)
            }
            report.pruned[state] = total
        }
        while !Task.isCancelled {
            let forgotten = try await count(
                connection,
                """
                SELECT dfns_worker.prune_webhook_events(make_interval(secs => \(policy.webhookEvents.seconds)), \(batch)::int)
                """)
            report.webhookEvents += forgotten
            if forgotten < batch { break }
            try await Task.sleep(for: policy.pauseBetweenBatches)
        }
        // Rows of workers killed without a goodbye (a live one writes every few seconds).
        try await execute(
            "the removal of dead workers' rows", "DELETE FROM dfns_worker.workers WHERE heartbeat_at < now() - interval '1 day'", on: connection)
        // Per-minute outcome counts: the console reads the last hour; two days leave yesterday to compare with.
        try await execute(
            "the removal of old outcome counts", "DELETE FROM dfns_worker.job_stats WHERE minute < now() - interval '2 days'", on: connection)
        // The first entry of jobs_finished, whatever the number of finished rows.
        report.oldestFinishedAgeSeconds = try await store.bounded("the oldest finished job") { [logger] in
            let rows = try await connection.query(
                """
                SELECT extract(epoch FROM now() - min(finished_at))::float8 FROM dfns_worker.jobs WHERE state IN ('succeeded', 'failed', 'cancelled')
                """, logger: logger)
            for try await age in rows.decode(Double?.self) { return age }
            return nil
        }
        return report
    }

    private func count(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> Int {
        try await store.bounded("a prune batch") { [logger] in
            for try await value in try await connection.query(query, logger: logger).decode(Int.self) { return value }
            return 0
        }
    }

    /// Runs a statement whose rows nobody needs under the store's deadline, on the connection holding the prune lock.
    private func execute(_ name: String, _ query: PostgresQuery, on connection: PostgresConnection) async throws {
        try await store.bounded(name) { [store] in try await store.execute(query, on: connection) }
    }
}
