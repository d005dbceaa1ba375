import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// The fleet's registry: this worker's row in `dfns_worker.workers`, and the workers alive.
extension JobStore {
    /// Writes this worker's row in `dfns_worker.workers` (``WorkerRegistry``).
    func heartbeat(
        workerId: String, host: String, pid: Int, version: String, queues: [String], concurrency: Int, _ beat: WorkerRegistry.Heartbeat
    ) async throws {
        try await bounded("the worker heartbeat") {
            try await self.execute(
                """
                INSERT INTO dfns_worker.workers AS w (worker_id, host, pid, version, queues, concurrency, in_flight, paused, rate_limited)
                VALUES (\(workerId), \(String(host.prefix(255))), \(pid), \(version), \(queues)::text[], \(concurrency), \(beat.inFlight),
                        \(beat.paused.map { StorableJSON.clean(String($0.prefix(500))) }), \(beat.rateLimited))
                ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now(), in_flight = excluded.in_flight, paused = excluded.paused,
                                                      rate_limited = excluded.rate_limited
                """)
        }
    }

    /// Deletes this worker's row: it stopped.
    func removeWorker(_ workerId: String) async throws {
        try await bounded("the worker removal") {
            try await self.execute("DELETE FROM dfns_worker.workers WHERE worker_id = \(workerId)")
        }
    }

    /// The workers whose heartbeat in `dfns_worker.workers` is recent (the last 30 seconds), for `status` (the
    /// 5-second sampling does not need them).
    public func workersAlive() async throws -> [QueueStatus.Worker] {
        try await bounded("the workers query") { [client, logger] in
            var workers: [QueueStatus.Worker] = []
            let rows = try await client.query(
                """
                SELECT worker_id, host, pid, started_at, heartbeat_at, in_flight, paused, rate_limited FROM dfns_worker.workers
                WHERE heartbeat_at > now() - make_interval(secs => \(QueueStatus.Worker.aliveWithin.seconds)) ORDER BY worker_id
                """, logger: logger)
            for try await (id, host, pid, started, heartbeat, inFlight, paused, rateLimited)
                in rows.decode((String, String, Int, Date, Date, Int, String?, Bool).self)
            {
                workers.append(
                    .init(
                        workerId: id, host: host, pid: pid, startedAt: started, heartbeatAt: heartbeat, inFlight: inFlight, paused: paused,
                        rateLimited: rateLimited
                    ))
            }
            return workers
        }
    }
}
