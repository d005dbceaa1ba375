import DfnsTestSupport
import DfnsWorker
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite("Retention: finished jobs pruned on a schedule, one worker at a time, never in the way of claims", .timeLimit(.minutes(2)))
struct RetentionTests {
    static let logger = WorkerHarness.quietLogger

    /// Rows of every state, finished `hoursAgo` ago (active ones are not finished), tagged in the payload.
    static func insert(_ database: TestDatabase.Handle, state: String, hoursAgo: Int, count: Int = 1) async throws {
        let finished = ["succeeded", "failed", "cancelled"].contains(state) ? "now() - interval '\(hoursAgo) hours'" : "NULL"
        try await database.execute(
            """
            INSERT INTO dfns_worker.jobs (kind, payload, state, finished_at)
            SELECT 'noop', jsonb_build_object('tag', '\(state)-\(hoursAgo)h'), '\(state)', \(finished) FROM generate_series(1, \(count))
            """)
    }

    static func tags(_ database: TestDatabase.Handle, table: String = "jobs") async throws -> [String: Int] {
        var tags: [String: Int] = [:]
        for tag in try await database.column("SELECT payload->>'tag' FROM dfns_worker.\(table)") { tags[tag ?? "", default: 0] += 1 }
        return tags
    }

    static var policy: RetentionPolicy {
        var policy = RetentionPolicy()
        policy.succeeded = .seconds(24 * 3600)
        policy.failed = .seconds(72 * 3600)
        policy.cancelled = nil
        policy.batchSize = 7
        return policy
    }

    /// A pruner of `database` with `policy`.
    static func pruner(_ database: TestDatabase.Handle, _ policy: RetentionPolicy = Self.policy) -> Pruner {
        Pruner(policy: policy, store: database.store, logger: logger)
    }

    @Test("each final state is pruned past its own age, in batches; active, younger and kept-forever rows stay")
    func prunesByStateAndAge() async throws {
        try await WorkerHarness.withDatabase { database in
            try await Self.insert(database, state: "succeeded", hoursAgo: 48, count: 30)
            try await Self.insert(database, state: "succeeded", hoursAgo: 2, count: 3)
            try await Self.insert(database, state: "failed", hoursAgo: 48, count: 2)
            try await Self.insert(database, state: "failed", hoursAgo: 100, count: 4)
            try await Self.insert(database, state: "cancelled", hoursAgo: 1000, count: 2)
            for state in ["queued", "running", "retrying", "waiting"] { try await Self.insert(database, state: state, hoursAgo: 0) }
            try await database.execute(
                """
                INSERT INTO dfns_worker.webhook_events (id, kind, received_at) VALUES ('ev-old', 'transfer.confirmed', now() - interval '3 days'),
                                                                                  ('ev-new', 'transfer.confirmed', now() - interval '1 hour')
                """)
            let report = try #require(try await Self.pruner(database).pruneOnce())
            #expect(report.pruned == [.succeeded: 30, .failed: 4])
            #expect(report.webhookEvents == 1)
            #expect((report.oldestFinishedAgeSeconds ?? 0) > 999 * 3600)
            #expect(
                try await Self.tags(database) == [
                    "succeeded-2h": 3, "failed-48h": 2, "cancelled-1000h": 2, "queued-0h": 1, "running-0h": 1, "retrying-0h": 1, "waiting-0h": 1,
                ])
            #expect(try await database.column("SELECT id FROM dfns_worker.webhook_events") == ["ev-new"])
            #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs_archive") == ["0"], "deleted, not archived")
        }
    }

    @Test("with archiving, pruned rows move to jobs_archive whole")
    func archives() async throws {
        try await WorkerHarness.withDatabase { database in
            try await Self.insert(database, state: "succeeded", hoursAgo: 48, count: 10)
            try await Self.insert(database, state: "succeeded", hoursAgo: 1, count: 1)
            let before = try await database.column(
                "SELECT to_jsonb(j)::text FROM dfns_worker.jobs j WHERE finished_at < now() - interval '1 day' ORDER BY id")
            var policy = Self.policy
            policy.archive = true
            let report = try #require(try await Self.pruner(database, policy).pruneOnce())
            #expect(report.pruned[.succeeded] == 10)
            let archived = try await database.column("SELECT (to_jsonb(a) - 'archived_at')::text FROM dfns_worker.jobs_archive a ORDER BY id")
            #expect(archived == before)
            #expect(try await Self.tags(database) == ["succeeded-1h": 1])
        }
    }

    @Test("one worker prunes at a time; a row another transaction holds is skipped, not waited for")
    func oneAtATimeAndNeverWaits() async throws {
        try await WorkerHarness.withDatabase { database in
            try await Self.insert(database, state: "failed", hoursAgo: 100, count: 3)
            let pruner = Self.pruner(database)
            // Another worker pruning (it holds the lock): this round is skipped.
            try await database.whileHolding(["SELECT pg_advisory_xact_lock(\(0x6466_6E73_5F70_7275 as Int64))"]) {
                let skipped = try await pruner.pruneOnce()
                #expect(skipped == nil)
            }
            // A retry() of one old failed row in progress: the row is skipped and the round does not wait for it.
            try await database.whileHolding(["SELECT id FROM dfns_worker.jobs ORDER BY id LIMIT 1 FOR UPDATE"]) {
                let started = ContinuousClock.now
                let report = try #require(try await pruner.pruneOnce())
                // Waiting would last until the holder lets go, after this body: the statement deadline (30 s) at least.
                #expect(started.duration(to: .now) < .seconds(10))
                #expect(report.pruned[.failed] == 2, "the held row is skipped")
            }
            #expect(try await Self.tags(database) == ["failed-100h": 1])
        }
    }

    @Test("the scheduled pruner prunes every interval until it is stopped")
    func scheduled() async throws {
        try await WorkerHarness.withDatabase { database in
            var policy = Self.policy
            policy.interval = .milliseconds(100)
            let pruner = Self.pruner(database, policy)
            let running = Task { try await pruner.run() }
            defer { running.cancel() }
            for round in 1...3 {
                try await Self.insert(database, state: "succeeded", hoursAgo: 48, count: 5)
                try await Poll.until(.seconds(10)) { try await database.column("SELECT count(*)::text FROM dfns_worker.jobs") == ["0"] }
                #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs") == ["0"], "round \(round)")
            }
        }
    }

    @Test("status counts active jobs and those finished in its window; the sampling counts active jobs only")
    func statusIgnoresOldFinishedRows() async throws {
        try await WorkerHarness.withDatabase { database in
            try await Self.insert(database, state: "succeeded", hoursAgo: 48, count: 20)
            try await Self.insert(database, state: "succeeded", hoursAgo: 0, count: 2)
            try await Self.insert(database, state: "queued", hoursAgo: 0, count: 3)
            let recent = try await database.store.status(finishedWithin: .seconds(3600))
            #expect(recent.byState == [.succeeded: 2, .queued: 3])
            #expect(recent.finishedWithinSeconds == 3600)
            let sampled = try await database.store.status()
            #expect(sampled.byState == [.queued: 3], "the sampling counts active jobs only")
        }
    }

    @Test("`dfns-worker prune` prints what it pruned and refuses bad ages")
    func pruneCommand() async throws {
        try await WorkerHarness.withDatabase { database in
            try await Self.insert(database, state: "succeeded", hoursAgo: 48, count: 5)
            try await Self.insert(database, state: "cancelled", hoursAgo: 48, count: 1)
            let environment = ["DATABASE_URL": database.urlString]
            let pruned = try await WorkerCommand.run(
                ["prune", "--keep-succeeded", "1d", "--keep-cancelled", "forever", "--archive"], environment: environment)
            #expect(pruned.status == 0, "\(pruned.stderr)")
            #expect(pruned.stdout.contains("prune: archived succeeded 5, failed 0, cancelled 0"), "\(pruned.stdout)")
            #expect(try await Self.tags(database, table: "jobs_archive") == ["succeeded-48h": 5])
            let refused = try await WorkerCommand.run(["prune", "--keep-failed", "7 days"], environment: environment)
            #expect(refused.status != 0 && refused.stderr.contains("--keep-failed must be a number followed by s, m, h or d"), "\(refused.stderr)")
            let tooShort = try await WorkerCommand.run(["prune", "--keep-webhook-events", "2h"], environment: environment)
            #expect(tooShort.status != 0 && tooShort.stderr.contains("at least 1d"), "\(tooShort.stderr)")
        }
    }
}
