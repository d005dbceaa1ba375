import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

@Suite("Workers alive: each `run` keeps its row in dfns_worker.workers", .timeLimit(.minutes(2)))
struct WorkerRegistryTests {
    @Test("a running worker is listed with its host, pid and jobs in flight, and gone once it stops; stale rows are not listed")
    func aliveWhileRunning() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                try await database.execute(
                    """
                    INSERT INTO dfns_worker.workers (worker_id, host, pid, version, queues, concurrency, started_at, heartbeat_at)
                    VALUES ('killed-yesterday', 'old-host', 1, 'x', '{default}', 1, now() - interval '2 days', now() - interval '2 days'),
                           ('killed-a-minute-ago', 'old-host', 2, 'x', '{default}', 1, now() - interval '1 hour', now() - interval '1 minute')
                    """)
                for _ in 0..<2 { _ = try await database.store.enqueue(kind: "test_block", payload: "{}") }
                let worker = try WorkerHarness.worker(database, sim, configure: { $0.workerId = "registry-test" })
                let running = Task { try await worker.run() }
                var listed: [QueueStatus.Worker] = []
                try await Poll.until(.seconds(20), every: .milliseconds(100)) {
                    listed = try await database.store.workersAlive()
                    return listed.first?.inFlight == 2
                }
                #expect(listed.map(\.workerId) == ["registry-test"], "stale rows are not alive: \(listed)")
                #expect(listed.first?.host == ProcessInfo.processInfo.hostName)
                #expect(listed.first?.pid == Int(ProcessInfo.processInfo.processIdentifier))
                #expect(listed.first?.inFlight == 2)
                #expect(listed.first?.paused == nil && listed.first?.rateLimited == false)
                worker.requestStop()
                try await running.value
                #expect(
                    try await database.column("SELECT worker_id FROM dfns_worker.workers ORDER BY worker_id") == [
                        "killed-a-minute-ago", "killed-yesterday",
                    ])
                _ = try await Pruner(policy: RetentionPolicy(), store: database.store, logger: WorkerHarness.quietLogger).pruneOnce()
                #expect(try await database.column("SELECT worker_id FROM dfns_worker.workers") == ["killed-a-minute-ago"], "a day-old row is pruned")
            }
        }
    }
}
