import DfnsTestSupport
import DfnsWorker
import Foundation
import PostgresNIO
import Testing

@Suite("The SQL contract", .timeLimit(.minutes(2)))
struct SQLContractTests {
    @Test("migrate is idempotent and safe when several processes run it at once")
    func concurrentMigrate() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await database.store.migrate(kinds: WorkerHarness.kinds) } }
                return try await group.reduce([], +)
            }
            #expect(applied.isEmpty, "the schema was migrated by the harness already")
            #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.schema_migrations") == ["\(SchemaMigrations.newest)"])
            #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.installation") == ["1"])
        }
    }

    @Test("plain INSERT and enqueue work; unique_key makes enqueue idempotent")
    func inserts() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let ids = try await database.column(
                "INSERT INTO dfns_worker.jobs (kind, payload) VALUES ('create_wallet', '{\"network\":\"EthereumSepolia\"}') RETURNING id::text")
            #expect(ids.count == 1)
            let first = try await database.column("SELECT dfns_worker.enqueue('noop', '{}', now(), 'default', 5, 3, 'order-1')::text")
            let again = try await database.column("SELECT dfns_worker.enqueue('noop', '{\"other\":1}', now(), 'default', 5, 3, 'order-1')::text")
            #expect(first == again)
            #expect(
                try await database.column("SELECT priority || '/' || max_attempts || '/' || state FROM dfns_worker.jobs WHERE unique_key = 'order-1'")
                    == ["5/3/queued"])
            // Once cancelled, the key is free again.
            #expect(try await database.column("SELECT dfns_worker.cancel(\(first[0]!))::text") == ["true"])
            let third = try await database.column("SELECT dfns_worker.enqueue('noop', '{}', unique_key => 'order-1')::text")
            #expect(third != first)
        }
    }

    @Test(
        "the database refuses a payload that is not an object, or an unknown kind, with a clear message",
        arguments: [
            ("create_wallet", "'[1,2]'", "payload must be a JSON object, got array"),
            ("create_wallet", "'\"text\"'", "payload must be a JSON object, got string"),
            ("create_wallet", "'null'", "payload must be a JSON object, got null"),
            ("send_money", "'{}'", "unknown job kind \"send_money\""),
        ]
    )
    func refusals(kind: String, payload: String, message: String) async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let error = await #expect(throws: PSQLError.self) {
                try await database.execute("INSERT INTO dfns_worker.jobs (kind, payload) VALUES ('\(kind)', \(payload))")
            }
            #expect(error?.serverInfo?[.message]?.contains(message) == true, "\(String(describing: error?.serverInfo?[.message]))")
            let count = try await database.column("SELECT count(*)::text FROM dfns_worker.jobs")
            #expect(count == ["0"])
        }
    }

    @Test("cancel and retry move only the states they should")
    func cancelAndRetry() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let id = try await store.enqueue(kind: "noop", payload: "{}")
            #expect(try await store.retry(id) == false, "a queued job cannot be retried")
            #expect(try await store.cancel(id))
            #expect(try await store.state(of: id) == .cancelled)
            #expect(try await store.cancel(id) == false)
            #expect(try await store.retry(id))
            #expect(try await store.state(of: id) == .queued)
            #expect(try await database.column("SELECT requeues::text FROM dfns_worker.jobs WHERE id = \(id)") == ["1"])
            let running = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
            #expect(running.map(\.id) == [id])
            #expect(try await store.cancel(id) == false, "a running job is not cancelled under its worker")
            #expect(try await store.state(of: id) == .running)
        }
    }

    @Test("a unique_key names the job's Dfns operation: the same key, even on a new row after the first was pruned, derives the same externalId")
    func keyDerivedExternalId() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let installation = try await database.column("SELECT id FROM dfns_worker.installation").first!!
            let first = try await store.enqueue(kind: "noop", payload: "{}", uniqueKey: "invoice-42")
            let keyed = try await database.column("SELECT external_id FROM dfns_worker.jobs WHERE id = \(first)").first!!
            #expect(keyed.hasPrefix("dfns-worker-\(installation)-k-") && keyed.count == "dfns-worker-\(installation)-k-".count + 32, "\(keyed)")
            let claimed = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
            #expect(claimed.first?.derivedExternalId == keyed && claimed.first?.externalIdFromKey == true)
            // Done, then pruned by retention: the application enqueues the same key again (a replayed event).
            try await database.execute(
                "UPDATE dfns_worker.jobs SET state = 'succeeded', finished_at = now() - interval '30 days', lease_token = NULL WHERE id = \(first)")
            #expect(try await database.column("SELECT dfns_worker.prune_jobs('succeeded', interval '7 days', 100)::text") == ["1"])
            let again = try await store.enqueue(kind: "noop", payload: "{}", uniqueKey: "invoice-42")
            #expect(again != first)
            #expect(try await database.column("SELECT external_id FROM dfns_worker.jobs WHERE id = \(again)") == [keyed])
            // Another key, another externalId; a job without a key keeps the id-derived one, set at its first claim.
            let other = try await store.enqueue(kind: "noop", payload: "{}", uniqueKey: "invoice-43")
            #expect(try await database.column("SELECT external_id FROM dfns_worker.jobs WHERE id = \(other)") != [keyed])
            let plain = try await store.enqueue(kind: "noop", payload: "{}")
            let plainClaim = try await store.claim(queues: ["default"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
            #expect(
                plainClaim.first { $0.id == plain }.map { $0.derivedExternalId == "dfns-worker-\(installation)-\(plain)" && !$0.externalIdFromKey }
                    == true)
            // After Dfns's Failed verdict, retry() re-keys from the key, and the old entity's result goes with it.
            try await database.execute(
                """
                UPDATE dfns_worker.jobs SET state = 'failed', dfns_entity = 'failed', lease_token = NULL, result = '{"id":"xfr-old","status":"Failed"}'
                WHERE id = \(again)
                """)
            #expect(try await store.retry(again))
            #expect(
                try await database.column("SELECT external_id || ' ' || coalesce(dfns_id, '-') FROM dfns_worker.jobs WHERE id = \(again)") == [
                    "\(keyed)-r1 -"
                ])
        }
    }

    @Test("retrying a cancelled job whose unique_key another job took since is refused with the reason, not a database error")
    func retryWithReusedKey() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let cancelled = try await store.enqueue(kind: "noop", payload: "{}", uniqueKey: "order-7")
            #expect(try await store.cancel(cancelled))
            let successor = try await store.enqueue(kind: "noop", payload: "{}", uniqueKey: "order-7")
            #expect(try await store.act(.retry, on: cancelled, by: "test") == "its unique_key is used by job \(successor) (queued) now")
            #expect(try await store.retry(cancelled) == false)
            #expect(try await store.state(of: cancelled) == .cancelled)
            #expect(try await store.cancel(successor))
            #expect(try await store.act(.retry, on: cancelled, by: "test") == nil)
            #expect(try await store.state(of: cancelled) == .queued)
        }
    }

    @Test("cancel refuses, and says why, a job whose operation exists or may exist at Dfns; it frees nothing")
    func cancelRefusals() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let store = database.store
            let submitted = try await store.enqueue(kind: "noop", payload: "{}", uniqueKey: "k-1")
            let unknown = try await store.enqueue(kind: "noop", payload: "{}")
            try await database.execute(
                """
                UPDATE dfns_worker.jobs SET state = 'waiting', dfns_entity = 'exists', result = '{"id":"xfr-1","status":"Pending"}' WHERE id = \(submitted);
                """)
            try await database.execute("UPDATE dfns_worker.jobs SET state = 'retrying', dfns_entity = 'unknown' WHERE id = \(unknown)")
            #expect(try await store.cancel(submitted) == false)
            #expect(try await store.cancelRefusal(submitted)?.contains("submitted to Dfns (xfr-1, Pending)") == true)
            #expect(try await store.cancel(unknown) == false)
            #expect(try await store.cancelRefusal(unknown)?.contains("without a definite answer") == true)
            #expect(try await store.enqueue(kind: "noop", payload: "{}", uniqueKey: "k-1") == submitted, "the unique_key stays taken")
            let fresh = try await store.enqueue(kind: "noop", payload: "{}")
            #expect(try await store.cancelRefusal(fresh) == nil)
            #expect(try await store.cancel(fresh))
        }
    }

    @Test("a job's payload and kind cannot change once it may have reached Dfns, or while it runs")
    func payloadFrozen() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let id = try await database.store.enqueue(kind: "noop", payload: "{}")
            try await database.execute("UPDATE dfns_worker.jobs SET payload = '{\"a\":1}' WHERE id = \(id)")
            try await database.execute("UPDATE dfns_worker.jobs SET dfns_entity = 'unknown' WHERE id = \(id)")
            let error = await #expect(throws: PSQLError.self) {
                try await database.execute("UPDATE dfns_worker.jobs SET payload = '{\"a\":2}' WHERE id = \(id)")
            }
            #expect(error?.serverInfo?[.message]?.contains("may already have reached Dfns") == true)
            #expect(try await database.column("SELECT payload->>'a' FROM dfns_worker.jobs WHERE id = \(id)") == ["1"])
        }
    }

    @Test("upgrading from schema version 1 keeps every externalId a job may have used, and what was known of its entity")
    func upgradeFromVersion1() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds, schemaVersion: 1) { database in
            try await database.execute(
                """
                INSERT INTO dfns_worker.jobs (kind, payload, state, attempt, requeues, checkpoint, last_error) VALUES
                  ('noop', '{}', 'queued', 0, 0, NULL, NULL),
                  ('noop', '{}', 'waiting', 1, 0, '{"transferId":"xfr-1","polls":3}', NULL),
                  ('noop', '{}', 'retrying', 2, 1, '{"interrupted":true,"unknownOutcomeAt":1700000000}', '{"code":"transport"}'),
                  ('noop', '{}', 'failed', 1, 0, NULL, '{"code":"dfns_rejected"}'),
                  ('noop', '{}', 'failed', 1, 0, NULL, '{"code":"validation"}')
                """)
            #expect(try await database.store.migrate(kinds: WorkerHarness.kinds) == Array(2...SchemaMigrations.newest))
            let rows = try await database.column(
                """
                SELECT external_id || ' ' || dfns_entity || ' ' || coalesce(extract(epoch FROM outcome_unknown_at)::bigint::text, '-') || ' ' || coalesce(checkpoint::text, '-')
                FROM dfns_worker.jobs ORDER BY id
                """)
            #expect(
                rows == [
                    "dfns-worker-job-1 none - -",
                    #"dfns-worker-job-2 exists - {"polls": 3, "transferId": "xfr-1"}"#,
                    "dfns-worker-job-3-r1 unknown 1700000000 {}",
                    "dfns-worker-job-4 failed - -",
                    "dfns-worker-job-5 none - -",
                ])
            // New jobs get the installation's namespace.
            let id = try await database.store.enqueue(kind: "noop", payload: "{}")
            let claimed = try await database.store.claim(queues: ["default"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
            let installation = try await database.column("SELECT id FROM dfns_worker.installation").first ?? nil
            #expect(claimed.first { $0.id == id }?.derivedExternalId == "dfns-worker-\(installation ?? "?")-\(id)")
            #expect(claimed.first { $0.id == 1 }?.derivedExternalId == "dfns-worker-job-1")
        }
    }

    @Test("an INSERT wakes a listening connection through NOTIFY")
    func notify() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let connection = try await PostgresConnection.connect(
                configuration: database.url.connectionConfiguration(), id: 1, logger: WorkerHarness.quietLogger)
            defer { Task { try? await connection.close() } }
            let payload = try await connection.listen(on: "dfns_worker_jobs") { notifications in
                try await database.execute(
                    "INSERT INTO dfns_worker.jobs (kind, payload, queue) SELECT 'noop', '{}', 'fast' FROM generate_series(1, 50)")
                var iterator = notifications.makeAsyncIterator()
                return try await iterator.next()?.payload
            }
            #expect(payload == "fast")
        }
    }
}
