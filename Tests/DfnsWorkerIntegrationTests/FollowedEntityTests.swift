import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Testing

/// The engine keeps the Dfns entity a job follows as the kind names it (`DfnsReference`), never reading the kind's
/// checkpoint: a kind it has never heard of, whose checkpoint keys are its own, is woken by a webhook event about
/// its entity, found by its id, and shown to other jobs as the built-in kinds are.
@Suite("The entity a job follows")
struct FollowedEntityTests {
    /// Follows the transfer its payload names, keeping it in a checkpoint key no other kind uses.
    struct PrivateFollowerJob: JobHandler {
        let kind = "private_follower"

        func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
            guard let transfer = job.payload["transfer"]?.stringValue, let wallet = job.payload["wallet"]?.stringValue else {
                throw JobFailure.invalidPayload("payload.transfer and payload.wallet are required")
            }
            let reference = DfnsReference(id: transfer, parentId: wallet)
            if job.checkpoint?["mine"] != nil { return .succeeded(result: JobResult(.object([:])), reference: reference) }
            return .waiting(checkpoint: .object(["mine": .string(transfer)]), pollAfter: .seconds(3600), snapshot: nil, reference: reference)
        }
    }

    @Test("a kind's own entity: woken by a webhook event naming it, found by it, shown to another job; its checkpoint read by no one")
    func privateCheckpoint() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds + ["private_follower"]) { database in
                let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
                let transfer = try await sim.client().createTransfer(
                    walletId: wallet.id, .native(to: "0x" + String(repeating: "ab", count: 20), amount: "1"))
                let id = try await database.store.enqueue(
                    kind: "private_follower", payload: #"{"transfer":"\#(transfer.id)","wallet":"\#(wallet.id)"}"#
                )
                let worker = try WorkerHarness.worker(database, sim, handlers: [PrivateFollowerJob()])
                _ = try await worker.drain()
                #expect(try await WorkerHarness.row(database, id).state == "waiting")
                #expect(
                    try await database.column("SELECT (run_at > now() + interval '50 minutes')::text FROM dfns_worker.jobs WHERE id = \(id)") == [
                        "true"
                    ])

                #expect(
                    try await database.store.receiveWebhookEvent(id: "whe-private", kind: "wallet.transfer.confirmed", entityId: transfer.id)
                        == .woke(1))
                #expect(try await database.column("SELECT (run_at <= now())::text FROM dfns_worker.jobs WHERE id = \(id)") == ["true"], "due at once")

                let row = try await database.store.job(id)
                #expect(row?.entityId == transfer.id && row?.walletId == wallet.id)
                #expect(try await database.column("SELECT id::text FROM dfns_worker.jobs WHERE dfns_id = '\(transfer.id)'") == ["\(id)"])
                #expect(try await database.column("SELECT id::text FROM dfns_worker.jobs WHERE dfns_parent_id = '\(wallet.id)'") == ["\(id)"])

                _ = try await worker.drain()
                #expect(try await WorkerHarness.row(database, id).state == "succeeded")
                #expect(try await database.column("SELECT dfns_id FROM dfns_worker.jobs WHERE id = \(id)") == [transfer.id], "kept once done")
            }
        }
    }
}
