import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

/// A binary and a schema that disagree on a money rule must never both touch jobs (issue 25, item 1): every command
/// that touches jobs refuses a schema older than it needs and one whose migrations ask for a newer binary, naming both
/// versions and touching no job; a worker already running when such a migration lands stops claiming.
@Suite("Binary and schema compatibility", .timeLimit(.minutes(3)))
struct SchemaCompatibilityTests {
    static let newest = SchemaMigrations.newest
    /// A version no binary knows yet.
    static let future = SchemaMigrations.newest + 1

    /// `state attempt` of the job, to show nothing touched it.
    static func untouched(_ database: TestDatabase.Handle, _ id: Int64) async throws -> Bool {
        try await database.column("SELECT state || ' ' || attempt || ' ' || (external_id IS NULL)::text FROM dfns_worker.jobs WHERE id = \(id)") == [
            "queued 0 true"
        ]
    }

    /// Runs every command that touches jobs against `database` (the simulator's credentials): each must exit 1 with
    /// `message` in its error output.
    static func expectEveryCommandRefused(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, job: Int64, saying message: String)
        async throws
    {
        let commands = [
            ["drain"], ["enqueue", "noop", "--payload", "{}"], ["status"], ["retry", "\(job)"], ["cancel", "\(job)"], ["prune"],
            ["console", "--http-port", "0"], ["run", "--http-port", "0"],
        ]
        try await WorkerCommand.withEnvironment(database, sim) { environment in
            for arguments in commands {
                // A daemon that wrongly started is stopped rather than left running.
                let daemon = ["console", "run"].contains(arguments[0])
                let output = try await WorkerCommand.run(arguments, environment: environment, stopAfter: daemon ? .seconds(8) : nil)
                #expect(output.status == 1 && output.stderr.contains(message), "\(arguments[0]): \(output.stdout) \(output.stderr)")
            }
        }
    }

    @Test("a schema older than the binary needs: every command exits 1 naming both versions, no job touched")
    func olderSchema() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds, schemaVersion: 6) { database in
                let id = Int64(try await database.column("SELECT dfns_worker.enqueue('create_wallet', '{\"network\":\"Ethereum\"}')::text").first!!)!
                try await Self.expectEveryCommandRefused(
                    database, sim, job: id,
                    saying: "schema is at version 6, older than this dfns-worker needs (\(Self.newest)): run `dfns-worker migrate`")
                #expect(try await Self.untouched(database, id))
                #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs") == ["1"])
                #expect(try await sim.stat("walletsCreated") == 0)
                // migrate is the way out.
                let migrated = try await WorkerCommand.run(["migrate"], environment: ["DATABASE_URL": database.urlString])
                #expect(migrated.status == 0, "\(migrated.stderr)")
                let status = try await WorkerCommand.run(["status"], environment: ["DATABASE_URL": database.urlString])
                #expect(status.status == 0, "\(status.stderr)")
            }
        }
    }

    @Test("a schema whose migration asks for a newer binary: every command exits 1 naming both versions, no job touched")
    func newerIncompatibleSchema() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Ethereum"}"#)
                try await database.execute(
                    "INSERT INTO dfns_worker.schema_migrations (version, name, oldest_binary) VALUES (\(Self.future), 'a future money rule', \(Self.future))"
                )
                try await Self.expectEveryCommandRefused(
                    database, sim, job: id,
                    saying:
                        "schema is at version \(Self.future), which needs a dfns-worker that knows schema version \(Self.future) or newer; this one knows up to \(Self.newest)"
                )
                let migrate = try await WorkerCommand.run(["migrate"], environment: ["DATABASE_URL": database.urlString])
                #expect(
                    migrate.status == 1 && migrate.stderr.contains("at version \(Self.future), newer than this dfns-worker knows (\(Self.newest))"),
                    "\(migrate.stderr)")
                #expect(try await database.column("SELECT state || ' ' || attempt FROM dfns_worker.jobs WHERE id = \(id)") == ["queued 0"])
                #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs") == ["1"])
                #expect(try await sim.stat("walletsCreated") == 0)
            }
        }
    }

    @Test("a newer schema that changed no money rule (a rolling upgrade's additive step) keeps older binaries working")
    func newerCompatibleSchema() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let id = try await database.store.enqueue(kind: "noop", payload: "{}")
                try await database.execute("INSERT INTO dfns_worker.schema_migrations (version, name) VALUES (\(Self.future), 'an additive step')")
                try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            }
        }
    }

    @Test("a worker already running when a migration asks for a newer binary claims nothing more and stops with the reason")
    func runningWorkerStops() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim)
                let first = try await database.store.enqueue(kind: "noop", payload: "{}")
                let running = Task { try await worker.run() }
                try await waitFor(.seconds(20)) { try await WorkerHarness.row(database, first).state == "succeeded" }
                // The migration and a job inserted after it, in one transaction: no claim can see one without the other.
                let second = Int64(
                    try await database.column(
                        """
                        WITH m AS (INSERT INTO dfns_worker.schema_migrations (version, name, oldest_binary) VALUES (\(Self.future), 'a future money rule', \(Self.future)))
                        SELECT dfns_worker.enqueue('noop', '{}')::text
                        """
                    ).first!!)!
                let outcome = await running.result
                switch outcome {
                case .failure(let error as WorkerError):
                    #expect(
                        error.code == .migration && error.message.contains("needs a dfns-worker that knows schema version \(Self.future)"), "\(error)"
                    )
                default:
                    Issue.record("the worker did not stop with the schema's refusal: \(outcome)")
                }
                #expect(!worker.health.isReady && worker.health.schemaRefusal != nil)
                #expect(try await database.column("SELECT state || ' ' || attempt FROM dfns_worker.jobs WHERE id = \(second)") == ["queued 0"])
                // The claim itself refuses, whoever calls it.
                await #expect(throws: (any Error).self) {
                    try await database.store.claim(queues: ["default"], kinds: ["noop"], limit: 10, workerId: "w", lease: .seconds(30))
                }
                #expect(try await database.column("SELECT state || ' ' || attempt FROM dfns_worker.jobs WHERE id = \(second)") == ["queued 0"])
            }
        }
    }
}
