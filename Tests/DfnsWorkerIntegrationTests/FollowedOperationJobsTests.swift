import DfnsJobs
import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

/// The three kinds that submit one Dfns operation and follow it — `transfer`, `broadcast_transaction`,
/// `generate_signature` — under the money-safety rules (`FollowedOperation`): each test runs for every kind against a
/// real PostgreSQL and the simulator over HTTP.
@Suite("Transfers, transactions and signatures as jobs", .timeLimit(.minutes(3)))
struct FollowedOperationJobsTests {
    /// One kind, as a test drives it.
    struct Kind: Sendable, CustomStringConvertible {
        let name: String
        /// The simulator's fault class of the creation.
        let faultEndpoint: String
        /// The `/_sim/stats` counter of entities made.
        let createdStat: String
        /// The status the job's result ends in.
        let doneStatus: String
        let payload: @Sendable (_ walletId: String, _ keyId: String) -> String
        var description: String { name }
    }

    static let address = "0x" + String(repeating: "cd", count: 20)
    static let kinds = [
        Kind(name: "transfer", faultEndpoint: "create-transfer", createdStat: "transfersCreated", doneStatus: "Confirmed") { wallet, _ in
            #"{"walletId":"\#(wallet)","kind":"Native","to":"\#(address)","amount":"1000"}"#
        },
        Kind(name: "broadcast_transaction", faultEndpoint: "write", createdStat: "transactionsCreated", doneStatus: "Confirmed") { wallet, _ in
            #"{"walletId":"\#(wallet)","kind":"Evm","to":"\#(address)","value":"1","data":"0xa9059cbb"}"#
        },
        Kind(name: "generate_signature", faultEndpoint: "write", createdStat: "signaturesCreated", doneStatus: "Signed") { _, key in
            #"{"keyId":"\#(key)","kind":"Hash","hash":"0x\#(String(repeating: "1f", count: 32))"}"#
        },
    ]

    /// A wallet and its key, made before any fault is armed.
    private func target(_ sim: SimulatorHarness.Running) async throws -> (wallet: String, key: String) {
        let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
        return (wallet.id, wallet.signingKey?.id ?? "")
    }

    /// A worker and a job of `kind` it has submitted in one drain (on a simulator whose stages outlast that drain).
    private func submitted(_ kind: Kind, _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running) async throws -> (worker: Worker, id: Int64)
    {
        let worker = try WorkerHarness.worker(database, sim)
        let (wallet, key) = try await target(sim)
        let id = try await database.store.enqueue(kind: kind.name, payload: kind.payload(wallet, key))
        _ = try await worker.drain()
        return (worker, id)
    }

    @Test("submitted, followed without spending attempts, and the entity stored when done", arguments: kinds)
    func lifecycle(kind: Kind) async throws {
        // Stages long enough that the first drain ends before the entity is done, however loaded the machine (1 s was
        // not, in a clean-clone CI run).
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(3))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (worker, id) = try await submitted(kind, database, sim)
                let waiting = try await WorkerHarness.row(database, id)
                #expect(waiting.state == "waiting" && waiting.attempt == 1, "\(waiting)")
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "succeeded" && row.attempt == 1, "\(row)")
                #expect(try await database.column("SELECT result->>'status' FROM dfns_worker.jobs WHERE id = \(id)") == [kind.doneStatus])
                #expect(
                    try await database.column("SELECT (result->>'externalId' = external_id)::text FROM dfns_worker.jobs WHERE id = \(id)") == [
                        "true"
                    ],
                    "sent with the job's derived externalId")
                #expect(try await sim.stat(kind.createdStat) == 1)
            }
        }
    }

    @Test(
        "once submitted, the job follows its checkpoint before reading its payload: a stricter payload check of a newer release strands nothing",
        arguments: kinds)
    func followedBeforeValidated(kind: Kind) async throws {
        // Stages of 3 s: the first drain ends before the entity is done, however loaded the machine.
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(3))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (worker, id) = try await submitted(kind, database, sim)
                #expect(try await WorkerHarness.row(database, id).state == "waiting")
                // What a newer release would refuse (here: the payload no longer names its wallet or key), forced past
                // the guard that keeps a submitted payload unchanged.
                try await database.execute("ALTER TABLE dfns_worker.jobs DISABLE TRIGGER jobs_guard_submitted")
                try await database.execute("UPDATE dfns_worker.jobs SET payload = payload - 'walletId' - 'keyId' WHERE id = \(id)")
                try await database.execute("ALTER TABLE dfns_worker.jobs ENABLE TRIGGER jobs_guard_submitted")
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "succeeded", "\(row)")
                #expect(try await sim.stat(kind.createdStat) == 1)
            }
        }
    }

    @Test("an answer lost after Dfns made the entity: the retry gets the same one back, never a second", arguments: kinds)
    func lostAnswer(kind: Kind) async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim, configureClient: { $0.retryPolicy = .none }) { $0.jobTimeout = .seconds(5) }
                let (wallet, key) = try await target(sim)
                try await sim.setFaultRules([kind.faultEndpoint: FaultRule(lostAfterCommitRate: 1)])
                let id = try await database.store.enqueue(kind: kind.name, payload: kind.payload(wallet, key), maxAttempts: 3)
                _ = try await worker.drain(maxJobs: 1)
                #expect(try await sim.stat(kind.createdStat) == 1, "the attempt reached Dfns and lost its answer")
                try await sim.setFaultRules([:])
                try await WorkerHarness.drainUntilTerminal(worker, database)
                #expect(try await WorkerHarness.row(database, id).state == "succeeded")
                #expect(try await sim.stat(kind.createdStat) == 1, "one entity for the job")
            }
        }
    }

    @Test("5xx on every attempt: the job looks the entity up and fails only once Dfns shows nothing was created", arguments: kinds)
    func attemptsExhausted(kind: Kind) async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.settlingWorker(database, sim)
                let (wallet, key) = try await target(sim)
                try await sim.setFaultRules([kind.faultEndpoint: FaultRule(serverErrorRate: 1)])
                let id = try await database.store.enqueue(kind: kind.name, payload: kind.payload(wallet, key), maxAttempts: 2)
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "failed" && row.code == "attempts_exhausted" && row.message?.contains("nothing was created") == true, "\(row)")
                #expect(try await database.column("SELECT dfns_entity FROM dfns_worker.jobs WHERE id = \(id)") == ["none"])
                #expect(try await sim.stat(kind.createdStat) == 0)
            }
        }
    }

    /// Killed: a worker claims the due poll and dies, nobody renews or finishes it, its lease expires and the job is
    /// rescued. Stopped: the job simply waits for the next worker.
    @Test(
        "a worker stopped or killed while following: another follows the same entity to the end, no attempt spent", arguments: kinds, [false, true])
    func handOver(kind: Kind, killed: Bool) async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .milliseconds(300))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (wallet, key) = try await target(sim)
                let id = try await database.store.enqueue(kind: kind.name, payload: kind.payload(wallet, key))
                _ = try await WorkerHarness.submittingWorker(database, sim).drain()
                #expect(try await WorkerHarness.row(database, id).state == "waiting")
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
                if killed {
                    let claimed = try await database.store.claim(
                        queues: ["default"], kinds: [kind.name], limit: 1, workerId: "killed", lease: .seconds(1))
                    #expect(claimed.map(\.id) == [id])
                }
                try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "succeeded" && row.attempt == 1, "\(row)")
                #expect(try await sim.stat(kind.createdStat) == 1, "followed, never submitted again")
            }
        }
    }

    @Test("a transaction a policy holds (HTTP 202) is followed through the approval to Confirmed")
    func transactionApproval() async throws {
        let configuration = SimulatorConfiguration(transferStep: .milliseconds(50), approvalFraction: 1, approvalDelay: .milliseconds(800))
        try await SimulatorHarness.withSimulator(configuration) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim)
                let (wallet, key) = try await target(sim)
                let id = try await database.store.enqueue(kind: "broadcast_transaction", payload: Self.kinds[1].payload(wallet, key))
                _ = try await worker.drain()
                #expect(
                    try await database.column("SELECT (result->>'approvalId' IS NOT NULL)::text FROM dfns_worker.jobs WHERE id = \(id)") == ["true"])
                try await WorkerHarness.drainUntilTerminal(worker, database)
                #expect(try await WorkerHarness.row(database, id).state == "succeeded")
                #expect(try await sim.stat("transactionsCreated") == 1)
            }
        }
    }

    @Test(
        "invalid payloads fail at once with invalid_payload naming the field, and never reach Dfns",
        arguments: [
            ("broadcast_transaction", #"{"walletId":"wa-1","to":"0x12"}"#, "payload.kind"),
            ("broadcast_transaction", #"{"walletId":"wa-1","kind":"Evm","to":"nope"}"#, "payload.to"),
            ("broadcast_transaction", #"{"walletId":"wa-1","kind":"Psbt"}"#, "payload.psbt"),
            ("broadcast_transaction", #"{"walletId":"wa-1","kind":"Evm","to":"0x12","waitFor":"soon"}"#, "payload.waitFor"),
            ("broadcast_transaction", #"{"kind":"Evm","to":"0x12"}"#, "payload.walletId"),
            ("generate_signature", #"{"keyId":"key-1","kind":"Hash","hash":"zz"}"#, "payload.hash"),
            ("generate_signature", #"{"keyId":"key-1","kind":"Eip712","types":{}}"#, "payload.domain"),
            ("generate_signature", #"{"keyId":"key-1","kind":"Hash","hash":"0x1f","externalId":7}"#, "payload.externalId"),
            ("generate_signature", #"{"kind":"Hash","hash":"0x1f"}"#, "payload.keyId"),
            // An empty externalId is no idempotency key; an unbounded one is not Dfns's (1 to 256, as for transfers).
            (
                "generate_signature", #"{"keyId":"key-1","kind":"Hash","hash":"0x1f","externalId":""}"#,
                "payload.externalId must be a string of 1 to 256"
            ),
            (
                "broadcast_transaction", #"{"walletId":"wa-1","kind":"Evm","to":"0x12","externalId":""}"#,
                "payload.externalId must be a string of 1 to 256"
            ),
            (
                "broadcast_transaction", #"{"walletId":"wa-1","kind":"Evm","to":"0x12","externalId":"\#(String(repeating: "x", count: 257))"}"#,
                "payload.externalId"
            ),
        ])
    func invalidPayloads(kind: String, payload: String, naming: String) async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let id = try await database.store.enqueue(kind: kind, payload: payload)
                _ = try await WorkerHarness.worker(database, sim).drain()
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "failed" && row.code == "invalid_payload" && row.message?.contains(naming) == true, "\(row)")
                #expect(try await sim.stat("requests") == 0, "nothing reached Dfns")
            }
        }
    }
}
