import DfnsSDK
import DfnsWorker
import Foundation

/// `transfer_control`: aborts, cancels or speeds up the transfer (or transaction) an earlier `transfer` or
/// `broadcast_transaction` job made. Payload: `jobId` (that job's id) and `action` (`abort`: stop one still
/// `Executing`; `cancel`: replace a `Broadcasted` EVM one by a 0-value transaction with its nonce; `speedUp`: re-send a
/// `Broadcasted` EVM one with higher fees). Result: `{targetJobId, action, entity, found?}`: what Dfns answered (the
/// aborted entity; for a cancel or a speed-up the replacement transaction, as dfns-sdk-python's `CancelTransferResponse`
/// and `SpeedUpTransferResponse` are), or with `found: true` the entity already showing the action. The controlled job
/// gets an entry in its `controls` and, when waiting, records the new status at once.
///
/// None of these requests is idempotent at Dfns (no body, no externalId; docs/research/transfer-control.md), so every
/// attempt reads the entity first and sends nothing when the action shows (aborted: `Failed`; cancelled or sped up: a
/// `replacementId`). After an attempt whose answer was lost, a request may still be in progress at Dfns: the job
/// waits out the settle window before sending again, and with its attempts used up only looks.
public struct TransferControlJob: JobHandler {
    public let kind = "transfer_control"

    /// What the job may do to the entity.
    enum Action: String, CaseIterable {
        case abort, cancel, speedUp
    }

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        let payload = try PayloadReader(job.payload)
        try payload.rejectUnknown(allowed: ["jobId", "action"])
        guard case .integer(let targetId)? = job.payload["jobId"], targetId > 0 else {
            throw JobFailure.invalidPayload("payload.jobId must be the id of a transfer or broadcast_transaction job")
        }
        guard let action = Action(rawValue: try payload.string("action", maxLength: 16)) else {
            throw JobFailure.invalidPayload("payload.action must be one of \(Action.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let rows = context.jobs else { throw JobFailure(code: .internal, message: "transfer_control needs the engine's job rows") }
        guard let target = try await rows.job(targetId) else { throw JobFailure.invalidPayload("payload.jobId: there is no job \(targetId)") }
        guard target.kind == "transfer" || target.kind == "broadcast_transaction" else {
            throw JobFailure.invalidPayload(
                "payload.jobId: job \(targetId) is a \(target.kind) job; only transfer and broadcast_transaction jobs can be controlled")
        }
        guard let entityId = target.entityId, let walletId = target.walletId else {
            throw JobFailure.nothingCreated(
                code: .notSubmitted,
                message: "job \(targetId) (\(target.state.rawValue)) has no \(Self.noun(target)) at Dfns yet: nothing to \(action.rawValue)")
        }
        // Look before acting, every attempt: this job's earlier attempt, another control job or someone at Dfns may
        // have acted already, and a second cancel or speed-up would broadcast a second replacement.
        let current = try await Self.read(target, walletId: walletId, entityId: entityId, context: context)
        var entry: [String: JSONValue] = [
            "jobId": .integer(job.id), "action": .string(action.rawValue), "at": .string(Date().formatted(.iso8601)),
        ]
        var result: [String: JSONValue] = ["targetJobId": .integer(targetId), "action": .string(action.rawValue)]
        if Self.shows(action, current) {
            entry["status"] = current["status"]
            entry["replacementId"] = current["replacementId"]
            result["entity"] = current
            result["found"] = .bool(true)
        } else {
            if job.mayHaveRunBefore {
                // An earlier request may still be in progress at Dfns: not again before the settle window has passed.
                let age = job.unknownOutcomeAge ?? context.settleWindow
                if age < context.settleWindow { return .deferred(after: context.settleWindow - age) }
                if job.reconcileOnly {
                    throw JobFailure.nothingCreated(
                        code: .attemptsExhausted,
                        message:
                            "the attempts are used up (\(job.attempt) of \(job.maxAttempts)) and \(Self.noun(target)) \(entityId) shows no \(action.rawValue) "
                            + "\(age) after the last attempt whose outcome was unknown: nothing was done"
                    )
                }
            }
            let request = try Self.request(action, target: target, walletId: walletId, entityId: entityId)
            let answer = try await context.send(request)
            if action == .abort {
                entry["status"] = answer["status"]
            } else {
                entry["replacementId"] = answer["id"]
            }
            result["entity"] = answer
        }
        try await rows.recordControl(on: targetId, .object(entry))
        return .succeeded(result: JobResult(.object(result)), reference: DfnsReference(id: entityId, parentId: walletId))
    }

    private static func noun(_ target: JobRow) -> String { target.kind == "transfer" ? "transfer" : "transaction" }

    /// The Dfns request of `action` on the target's entity, read as raw JSON (transfers and transactions alike).
    private static func request(_ action: Action, target: JobRow, walletId: String, entityId: String) throws -> DfnsRequest<JSONValue> {
        let transfer = target.kind == "transfer"
        switch action {
        case .abort:
            return transfer
                ? try DfnsWallets.abortTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
                : try DfnsWallets.abortTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        case .cancel:
            return transfer
                ? try DfnsWallets.cancelTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
                : try DfnsWallets.cancelTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        case .speedUp:
            return transfer
                ? try DfnsWallets.speedUpTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
                : try DfnsWallets.speedUpTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        }
    }

    /// The target's entity as Dfns shows it now.
    private static func read(_ target: JobRow, walletId: String, entityId: String, context: JobContext) async throws -> JSONValue {
        let read =
            target.kind == "transfer"
            ? try DfnsWallets.getTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
            : try DfnsWallets.getTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        return try await context.dfns.call { try await $0.send(read) }
    }

    /// Whether the entity shows that `action` took effect: an aborted one is `Failed`; a cancel or a speed-up leaves a
    /// `replacementId` (the original may stay `Broadcasted` while the two race for the nonce).
    private static func shows(_ action: Action, _ entity: JSONValue) -> Bool {
        switch action {
        case .abort: entity["status"] == "Failed"
        case .cancel, .speedUp: entity["replacementId"]?.stringValue != nil
        }
    }
}

extension FailureCode {
    /// `transfer_control`: the job to act on has not made anything at Dfns yet.
    public static let notSubmitted: FailureCode = "not_submitted"
}
