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
            #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.schema_migrations") == ["1"])
        }
    }

    @Test("plain INSERT and enqueue work; unique_key makes enqueue idempotent")
    func inserts() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let ids = try await database.column("INSERT INTO dfns_worker.jobs (kind, payload) VALUES ('create_wallet', '{\"network\":\"EthereumSepolia\"}') RETURNING id::text")
            #expect(ids.count == 1)
            let first = try await database.column("SELECT dfns_worker.enqueue('noop', '{}', now(), 'default', 5, 3, 'order-1')::text")
            let again = try await database.column("SELECT dfns_worker.enqueue('noop', '{\"other\":1}', now(), 'default', 5, 3, 'order-1')::text")
            #expect(first == again)
            #expect(try await database.column("SELECT priority || '/' || max_attempts || '/' || state FROM dfns_worker.jobs WHERE unique_key = 'order-1'") == ["5/3/queued"])
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

    @Test("an INSERT wakes a listening connection through NOTIFY")
    func notify() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let connection = try await PostgresConnection.connect(configuration: database.url.connectionConfiguration(), id: 1, logger: WorkerHarness.quietLogger)
            defer { Task { try? await connection.close() } }
            let payload = try await connection.listen(on: "dfns_worker_jobs") { notifications in
                try await database.execute("INSERT INTO dfns_worker.jobs (kind, payload, queue) SELECT 'noop', '{}', 'fast' FROM generate_series(1, 50)")
                var iterator = notifications.makeAsyncIterator()
                return try await iterator.next()?.payload
            }
            #expect(payload == "fast")
        }
    }
}
