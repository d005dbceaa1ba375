import DfnsJobs
import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

/// `transfer_control` against a real PostgreSQL and the simulator: the action reaches Dfns once in effect, both rows
/// record it, and what cannot be controlled is refused with a clear error.
@Suite("Abort, cancel and speed-up as jobs", .timeLimit(.minutes(2)))
struct TransferControlTests {
    static let address = "0x" + String(repeating: "cd", count: 20)

    /// A submitted job of `kind`, waiting and not polled for an hour (only the control acts, unless it wakes the job),
    /// its entity moved to `stage` by the control plane (a minute per stage).
    static func submitted(
        _ kind: String, stage: TransferStatus, _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running
    ) async throws -> (job: Int64, entity: String) {
        let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
        let payload =
            kind == "transfer"
            ? #"{"walletId":"\#(wallet.id)","kind":"Native","to":"\#(address)","amount":"5"}"#
            : #"{"walletId":"\#(wallet.id)","kind":"Evm","to":"\#(address)","value":"5"}"#
        let id = try await database.store.enqueue(kind: kind, payload: payload)
        _ = try await WorkerHarness.worker(database, sim).drain()
        let entity = try #require(
            try await database.column(
                "SELECT coalesce(checkpoint->>'transferId', checkpoint->>'transactionId') FROM dfns_worker.jobs WHERE id = \(id)"
            ).first ?? nil)
        _ = try await sim.control(post: "transfers/\(entity)/advance", ["status": stage.rawValue])
        try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() + interval '1 hour' WHERE id = \(id)")
        return (id, entity)
    }

    static func control(_ database: TestDatabase.Handle, _ target: Int64, _ action: String) async throws -> Int64 {
        try await database.store.enqueue(kind: "transfer_control", payload: #"{"jobId":\#(target),"action":"\#(action)"}"#)
    }

    @Test("abort of an Executing transfer: the control succeeds, the transfer job records the entry and ends with Dfns's Failed")
    func abort() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, transfer) = try await Self.submitted("transfer", stage: .executing, database, sim)
                let control = try await Self.control(database, target, "abort")
                try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                #expect(try await WorkerHarness.row(database, control).state == "succeeded")
                #expect(
                    try await database.column(
                        "SELECT result->'entity'->>'id' || ' ' || (result->>'targetJobId') FROM dfns_worker.jobs WHERE id = \(control)") == [
                            "\(transfer) \(target)"
                        ])
                #expect(
                    try await database.column(
                        "SELECT (controls->0->>'jobId') || ' ' || (controls->0->>'action') || ' ' || (controls->0->>'status') FROM dfns_worker.jobs WHERE id = \(target)"
                    )
                        == ["\(control) abort Failed"])
                let row = try await WorkerHarness.row(database, target)
                #expect(
                    row.state == "failed" && row.code == "dfns_failed" && row.message?.contains("aborted") == true,
                    "woken at once, not an hour later: \(row)")
            }
        }
    }

    @Test("a target row another session holds does not hang the control past the statement deadline; the retry finds the abort done")
    func lockedTargetRow() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _) = try await Self.submitted("transfer", stage: .executing, database, sim)
                let control = try await Self.control(database, target, "abort")
                let holder = try await database.holding("SELECT id FROM dfns_worker.jobs WHERE id = \(target) FOR UPDATE", seconds: 15)
                let started = ContinuousClock.now
                try await database.withWorkerStore(statementTimeout: .seconds(1)) { store in
                    _ = try await WorkerHarness.worker(database, sim, store: store, configure: { $0.jobTimeout = .seconds(60) }).drain(maxJobs: 1)
                }
                #expect(started.duration(to: .now) < .seconds(10), "the control's write gave up at its deadline")
                let attempted = try await WorkerHarness.row(database, control)
                #expect(attempted.state == "retrying", "\(attempted)")
                try await holder.value
                try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                #expect(try await WorkerHarness.row(database, control).state == "succeeded")
                #expect(try await database.column("SELECT jsonb_array_length(controls)::text FROM dfns_worker.jobs WHERE id = \(target)") == ["1"])
            }
        }
    }

    @Test("speed-up of a Broadcasted transaction: Dfns answers with the replacement transaction, recorded on both rows")
    func speedUp() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _) = try await Self.submitted("broadcast_transaction", stage: .broadcasted, database, sim)
                let control = try await Self.control(database, target, "speedUp")
                _ = try await WorkerHarness.worker(database, sim).drain()
                #expect(try await WorkerHarness.row(database, control).state == "succeeded")
                // The answer is the replacement (dfns-sdk-python SpeedUpTransactionResponse is a TransactionRequest).
                let replacement = try await database.column("SELECT result->'entity'->>'id' FROM dfns_worker.jobs WHERE id = \(control)")
                #expect(replacement.first??.hasPrefix("tx-") == true)
                #expect(try await database.column("SELECT controls->0->>'replacementId' FROM dfns_worker.jobs WHERE id = \(target)") == replacement)
                #expect(try await sim.stat("replacements") == 1)
            }
        }
    }

    @Test("an answer lost after the abort took effect: the retry sees it done instead of failing on Dfns's refusal")
    func lostAnswer() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _) = try await Self.submitted("transfer", stage: .executing, database, sim)
                // Only the control is due, so the one-job drain below runs it.
                try await sim.setFaultRules(["transfer-action": FaultRule(lostAfterCommitRate: 1)])
                let control = try await Self.control(database, target, "abort")
                let worker = try WorkerHarness.worker(database, sim, configureClient: { $0.retryPolicy = .none }) { $0.jobTimeout = .seconds(5) }
                _ = try await worker.drain(maxJobs: 1)
                try await sim.setFaultRules([:])
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let row = try await WorkerHarness.row(database, control)
                #expect(row.state == "succeeded" && row.attempt >= 2, "a later attempt found the abort done: \(row)")
                #expect(try await database.column("SELECT result->'entity'->>'status' FROM dfns_worker.jobs WHERE id = \(control)") == ["Failed"])
            }
        }
    }

    @Test("a speed-up whose answer was lost is not sent again: the retry finds the replacement and keeps it")
    func speedUpLostAnswer() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, transfer) = try await Self.submitted("transfer", stage: .broadcasted, database, sim)
                let wallet = try #require(
                    try await database.column("SELECT checkpoint->>'walletId' FROM dfns_worker.jobs WHERE id = \(target)").first ?? nil)
                try await sim.setFaultRules(["transfer-action": FaultRule(lostAfterCommitRate: 1)])
                let control = try await Self.control(database, target, "speedUp")
                let worker = try WorkerHarness.worker(database, sim, configureClient: { $0.retryPolicy = .none }) { $0.jobTimeout = .seconds(5) }
                _ = try await worker.drain(maxJobs: 1)
                try await sim.setFaultRules([:])
                let first = try await sim.client().getTransfer(walletId: wallet, transferId: transfer).raw["replacementId"]?.stringValue
                #expect(first != nil, "the lost attempt sped the transfer up")
                // The transfer stays Broadcasted (a minute per stage): drain until the control alone is done.
                try await waitFor(.seconds(20)) {
                    _ = try await worker.drain()
                    return try await WorkerHarness.row(database, control).state == "succeeded"
                }
                #expect(
                    try await sim.client().getTransfer(walletId: wallet, transferId: transfer).raw["replacementId"]?.stringValue == first,
                    "one replacement transaction, not a second one")
            }
        }
    }

    @Test("a speed-up whose only attempt lost its answer, or a second control of the same transfer, looks first: one replacement")
    func lookBeforeActing() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _) = try await Self.submitted("transfer", stage: .broadcasted, database, sim)
                try await sim.setFaultRules(["transfer-action": FaultRule(lostAfterCommitRate: 1)])
                // max_attempts 1: the attempt count stops, so "attempt > 1" never says an earlier attempt may have acted.
                let control = try await database.store.enqueue(
                    kind: "transfer_control", payload: #"{"jobId":\#(target),"action":"speedUp"}"#, maxAttempts: 1)
                let worker = try WorkerHarness.worker(database, sim, configureClient: { $0.retryPolicy = .none }) { $0.jobTimeout = .seconds(5) }
                _ = try await worker.drain(maxJobs: 1)
                try await sim.setFaultRules([:])
                try await waitFor(.seconds(20)) {
                    _ = try await worker.drain()
                    return try await WorkerHarness.row(database, control).state == "succeeded"
                }
                #expect(
                    try await database.column(
                        "SELECT (result->>'found') || ' ' || (result->'entity'->>'replacementId') FROM dfns_worker.jobs WHERE id = \(control)"
                    ).first??.hasPrefix("true tx-") == true)
                // Someone enqueues the same speed-up again: it finds the replacement and sends nothing.
                let again = try await Self.control(database, target, "speedUp")
                try await waitFor(.seconds(20)) {
                    _ = try await worker.drain()
                    return try await WorkerHarness.row(database, again).state == "succeeded"
                }
                #expect(try await sim.stat("replacements") == 1, "one replacement transaction at Dfns")
            }
        }
    }

    @Test("after a send whose outcome is unknown, the control waits out the settle window before sending again")
    func settleBeforeSendingAgain() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _) = try await Self.submitted("transfer", stage: .broadcasted, database, sim)
                // A 502 before Dfns did anything: the worker cannot know that, so the speed-up may be in progress.
                try await sim.setFaultRules(["transfer-action": FaultRule(serverErrorRate: 1)])
                let control = try await Self.control(database, target, "speedUp")
                let worker = try WorkerHarness.settlingWorker(database, sim)
                _ = try await worker.drain(maxJobs: 1)
                let failedAt = ContinuousClock.now
                try await sim.setFaultRules([:])
                try await waitFor(.seconds(30)) {
                    _ = try await worker.drain()
                    return try await WorkerHarness.row(database, control).state == "succeeded"
                }
                #expect(failedAt.duration(to: .now) >= .seconds(4), "not sent again within the settle window (lease 3 s + timeout 2 s)")
                #expect(try await sim.stat("replacements") == 1)
            }
        }
    }

    /// A transfer job following a Broadcasted transfer (waiting for `confirmed`) and a control of it, run; returns the
    /// target job, its transfer and the replacement.
    static func replacedTransfer(
        _ action: String, _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running
    ) async throws -> (job: Int64, transfer: String, replacement: String) {
        let (target, transfer) = try await submitted("transfer", stage: .broadcasted, database, sim)
        let control = try await control(database, target, action)
        _ = try await WorkerHarness.submittingWorker(database, sim).drain()
        #expect(try await WorkerHarness.row(database, control).state == "succeeded")
        let replacement = try #require(
            try await database.column("SELECT controls->0->>'replacementId' FROM dfns_worker.jobs WHERE id = \(target)").first ?? nil)
        return (target, transfer, replacement)
    }

    /// Decides the race of `replacement` with its original now (as the simulator seeded it), then follows job `target`
    /// to its end.
    static func mine(_ replacement: String, following target: Int64, _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running) async throws {
        _ = try await sim.control(post: "transfers/\(replacement)/advance", ["status": "Confirmed"])
        try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(target)")
        try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
    }

    @Test("a cancelled transfer is final only once a transaction takes its nonce: the job waits, then fails; retry() may then send anew")
    func cancelFinalOnlyWhenMined() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _, replacement) = try await Self.replacedTransfer("cancel", database, sim)
                // The cancel was accepted, but the original may still be mined: the job keeps waiting, retry refused.
                _ = try await WorkerHarness.worker(database, sim).drain()
                #expect(try await WorkerHarness.row(database, target).state == "waiting")
                #expect(try await database.store.retry(target) == false)
                try await Self.mine(replacement, following: target, database, sim)
                let row = try await WorkerHarness.row(database, target)
                #expect(row.state == "failed" && row.code == "dfns_failed" && row.message?.contains("cancelled") == true, "\(row)")
                #expect(try await database.column("SELECT dfns_entity FROM dfns_worker.jobs WHERE id = \(target)") == ["failed"])
            }
        }
    }

    @Test("a sped-up transfer whose replacement is mined succeeded: the original shows Failed, the payment was made")
    func speedUpMinedIsSuccess() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _, replacement) = try await Self.replacedTransfer("speedUp", database, sim)
                try await Self.mine(replacement, following: target, database, sim)
                #expect(try await WorkerHarness.row(database, target).state == "succeeded")
                #expect(
                    try await database.column(
                        "SELECT (result->>'status') || ' ' || (result->'replacement'->>'id') || ' ' || (result->'replacement'->>'status') FROM dfns_worker.jobs WHERE id = \(target)"
                    )
                        == ["Failed \(replacement) Confirmed"])
            }
        }
    }

    @Test("the original mined before its cancel's replacement: the transfer job succeeds")
    func originalMinedFirst() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60), originalMinedFirstFraction: 1)) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, _, replacement) = try await Self.replacedTransfer("cancel", database, sim)
                try await Self.mine(replacement, following: target, database, sim)
                #expect(try await WorkerHarness.row(database, target).state == "succeeded")
                #expect(try await database.column("SELECT result->>'status' FROM dfns_worker.jobs WHERE id = \(target)") == ["Confirmed"])
            }
        }
    }

    @Test("a replacement made outside the worker and mined: the job fails dfns_replaced and retry() replays, never re-keys")
    func replacedOutsideTheWorker() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (target, transfer) = try await Self.submitted("transfer", stage: .broadcasted, database, sim)
                let wallet = try #require(
                    try await database.column("SELECT checkpoint->>'walletId' FROM dfns_worker.jobs WHERE id = \(target)").first ?? nil)
                let replacement = try await sim.client().send(
                    try DfnsWallets.speedUpTransfer(walletId: wallet, transferId: transfer).decoding(as: JSONValue.self))
                try await Self.mine(replacement["id"]?.stringValue ?? "", following: target, database, sim)
                let row = try await WorkerHarness.row(database, target)
                #expect(row.state == "failed" && row.code == "dfns_replaced", "\(row)")
                let externalId = try await database.column("SELECT external_id FROM dfns_worker.jobs WHERE id = \(target)")
                #expect(try await database.store.retry(target))
                #expect(
                    try await database.column("SELECT external_id || ' ' || dfns_entity FROM dfns_worker.jobs WHERE id = \(target)") == [
                        "\(externalId.first!!) exists"
                    ])
                try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                #expect(try await sim.stat("transfersCreated") == 1, "no second transfer")
            }
        }
    }

    @Test(
        "what cannot be controlled is refused with a clear error",
        arguments: [
            ("wallet", "abort", "invalid_payload", "only transfer and broadcast_transaction"),
            ("queued", "abort", "not_submitted", "nothing to abort"),
            ("missing", "abort", "invalid_payload", "there is no job"),
            ("queued", "rewind", "invalid_payload", "payload.action"),
        ])
    func refusals(target: String, action: String, code: String, naming: String) async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let targetId: Int64 =
                    switch target {
                    case "wallet":
                        try await database.store.enqueue(
                            kind: "create_wallet", payload: #"{"network":"Bitcoin"}"#, runAt: Date().addingTimeInterval(3600))
                    case "queued":
                        try await database.store.enqueue(
                            kind: "transfer", payload: #"{"walletId":"wa-1","kind":"Native","to":"x","amount":"1"}"#,
                            runAt: Date().addingTimeInterval(3600))
                    default: 999_999
                    }
                let control = try await Self.control(database, targetId, action)
                _ = try await WorkerHarness.worker(database, sim).drain()
                let row = try await WorkerHarness.row(database, control)
                #expect(row.state == "failed" && row.code == code && row.message?.contains(naming) == true, "\(row)")
                #expect(try await sim.stat("requests") == 0)
            }
        }
    }
}
