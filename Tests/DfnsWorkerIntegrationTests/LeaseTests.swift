import DfnsTestSupport
import DfnsWorker
import Foundation
import PostgresNIO
import Testing

@Suite("Claims and leases", .timeLimit(.minutes(2)))
struct LeaseTests {
    @Test("concurrent claimers never get the same job")
    func disjointClaims() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            try await database.execute("INSERT INTO dfns_worker.jobs (kind, payload) SELECT 'noop', '{}' FROM generate_series(1, 600)")
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var ids: [Int64] = []
                        while true {
                            let batch = try await database.store.claim(
                                queues: ["default"], kinds: ["noop"], limit: 25, workerId: "w\(worker)", lease: .seconds(30))
                            if batch.isEmpty { return ids }
                            ids += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce([], +)
            }
            #expect(claimed.count == 600)
            #expect(Set(claimed).count == 600)
        }
    }

    @Test("claims honour queue, priority and run_at")
    func ordering() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let low = try await store.enqueue(kind: "noop", payload: "{}", priority: 0)
            let high = try await store.enqueue(kind: "noop", payload: "{}", priority: 9)
            _ = try await store.enqueue(kind: "noop", payload: "{}", runAt: Date().addingTimeInterval(3600), priority: 100)
            _ = try await store.enqueue(kind: "noop", payload: "{}", queue: "other", priority: 100)
            let claimed = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
            #expect(claimed.map(\.id).sorted() == [low, high].sorted())
            #expect(claimed.allSatisfy { $0.attempt == 1 && $0.claimedFrom == .queued })
        }
    }

    @Test("a claim over several queues takes the highest priority, then the oldest, of all of them, and no more than its limit")
    func orderingAcrossQueues() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let a1 = try await store.enqueue(kind: "noop", payload: "{}", runAt: Date().addingTimeInterval(-30), queue: "a", priority: 1)
            let a2 = try await store.enqueue(kind: "noop", payload: "{}", runAt: Date().addingTimeInterval(-20), queue: "a", priority: 1)
            let a3 = try await store.enqueue(kind: "noop", payload: "{}", runAt: Date().addingTimeInterval(-10), queue: "a", priority: 1)
            let b1 = try await store.enqueue(kind: "noop", payload: "{}", queue: "b", priority: 5)
            let b2 = try await store.enqueue(kind: "noop", payload: "{}", runAt: Date().addingTimeInterval(-60), queue: "b", priority: 0)
            _ = try await store.enqueue(kind: "noop", payload: "{}", queue: "c", priority: 9)
            let first = try await store.claim(queues: ["a", "b"], kinds: ["noop"], limit: 3, workerId: "w", lease: .seconds(30))
            #expect(Set(first.map(\.id)) == [b1, a1, a2])
            #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE state = 'running'") == ["3"])
            let rest = try await store.claim(queues: ["b", "a"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
            #expect(Set(rest.map(\.id)) == [a3, b2], "rows the first claim locked beyond its limit were left claimable")
        }
    }

    @Test("an expired lease is rescued, and the stale worker's write is refused")
    func staleWriteRefused() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let id = try await store.enqueue(kind: "noop", payload: "{}")
            let stale = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 1, workerId: "stale", lease: .seconds(1))
            #expect(stale.count == 1)
            try await Self.waitForExpiry(database, id)
            #expect(try await store.renewLeases([(id, UUID())], lease: .seconds(1)).isEmpty, "a wrong token renews nothing")
            #expect(try await store.rescueExpiredLeases() == [id])
            let row = try await WorkerHarness.row(database, id)
            #expect(row.state == "retrying" && row.code == "lease_expired" && row.attempt == 1)

            let fresh = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 1, workerId: "fresh", lease: .seconds(30))
            #expect(fresh.first?.attempt == 2 && fresh.first?.mayHaveRunBefore == true)
            // The stale worker finally reports: refused, the row is untouched.
            let policyless = try await finish(store, stale[0], state: .succeeded)
            #expect(policyless.isEmpty)
            #expect(try await store.state(of: id) == .running)
            #expect(try await finish(store, fresh[0], state: .succeeded) == [id])
            #expect(try await store.state(of: id) == .succeeded)
        }
    }

    @Test("a rescued job whose Dfns entity exists goes back to waiting, attempts unspent, even at max_attempts")
    func rescueKeepsFollowing() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let id = try await store.enqueue(kind: "noop", payload: "{}", maxAttempts: 1)
            try await database.execute("UPDATE dfns_worker.jobs SET state = 'waiting', attempt = 1, dfns_entity = 'exists' WHERE id = \(id)")
            let claimed = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 1, workerId: "dies", lease: .seconds(1))
            #expect(claimed.first?.attempt == 1 && claimed.first?.claimedFrom == .waiting)
            try await Self.waitForExpiry(database, id)
            #expect(try await store.rescueExpiredLeases() == [id])
            let row = try await WorkerHarness.row(database, id)
            #expect(row.state == "waiting" && row.attempt == 1 && row.code == "lease_expired", "\(row)")
            #expect(try await database.column("SELECT dfns_entity FROM dfns_worker.jobs WHERE id = \(id)") == ["exists"])
        }
    }

    @Test("heartbeats keep a lease alive past its duration")
    func heartbeat() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let id = try await store.enqueue(kind: "noop", payload: "{}")
            let job = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 1, workerId: "w", lease: .seconds(1))[0]
            for _ in 0..<3 {
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await store.renewLeases([(job.id, job.leaseToken)], lease: .seconds(1)) == [id])
            }
            #expect(try await store.rescueExpiredLeases().isEmpty)
        }
    }
    @Test("a statement PostgreSQL does not answer in time is given up with an error instead of waited for forever")
    func statementDeadline() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let id = try await database.store.enqueue(kind: "noop", payload: "{}")
            let job = try #require(
                try await database.store.claim(queues: ["default"], kinds: ["noop"], limit: 1, workerId: "w", lease: .seconds(30)).first)
            let bounded = JobStore(client: database.store.client, logger: WorkerHarness.quietLogger, statementTimeout: .milliseconds(500))
            // Another session holds the row for 4 s, so the renewal cannot be answered before then.
            let holder = try await database.holding("SELECT id FROM dfns_worker.jobs WHERE id = \(id) FOR UPDATE", seconds: 4)
            await #expect(throws: WorkerError.self) {
                try await bounded.renewLeases([(id, job.leaseToken)], lease: .seconds(30))
            }
            try await holder.value
            #expect(try await database.store.state(of: id) == .running, "the renewal given up on ran later: it only extended the lease")
        }
    }

    @Test("a claim given up at its deadline (jobs locked by a migration) is ended by PostgreSQL: no lease left behind, no attempt spent")
    func abandonedClaimLeavesNoLease() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let id = try await database.store.enqueue(kind: "noop", payload: "{}")
            // A migration's ACCESS EXCLUSIVE lock on jobs, held for 5 s: past the worker's deadline, then released.
            let holder = try await database.holding("LOCK TABLE dfns_worker.jobs IN ACCESS EXCLUSIVE MODE", seconds: 5)
            try await database.withWorkerStore(statementTimeout: .seconds(2)) { store in
                await #expect(throws: (any Error).self) {
                    try await store.claim(queues: ["default"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
                }
            }
            try await holder.value
            // A claim PostgreSQL failed to end would run now that the lock is gone: wait until no worker statement is active.
            try await Poll.until(.seconds(10)) {
                try await database.column(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dfns-worker' AND state = 'active'"
                ) == ["0"]
            }
            #expect(
                try await database.column(
                    "SELECT state || ' ' || attempt || ' ' || (lease_token IS NULL)::text FROM dfns_worker.jobs WHERE id = \(id)") == [
                        "queued 0 true"
                    ])
            #expect(
                try await database.column(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dfns-worker' AND state = 'active'"
                ) == ["0"])
        }
    }

    /// Waits until the lease of job `id` has expired by the database's clock, the one the rescue reads.
    private static func waitForExpiry(_ database: TestDatabase.Handle, _ id: Int64) async throws {
        try await waitFor(.seconds(10)) {
            try await database.column("SELECT (lease_expires_at < now())::text FROM dfns_worker.jobs WHERE id = \(id)") == ["true"]
        }
    }

    private func finish(_ store: JobStore, _ job: ClaimedJob, state: JobState) async throws -> Set<Int64> {
        try await store.finish([JobCompletion(job: job, state: state)])
    }
}
