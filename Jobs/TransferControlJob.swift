import DfnsSDK
import DfnsWorker
import Foundation

/// `transfer_control`: aborts, cancels or speeds up the transfer (or transaction) an earlier `transfer` or
/// `broadcast_transaction` job made. Payload: `jobId` (that job's id) and `action` (`abort`: stop one still
/// `Executing`; `cancel`: replace a `Broadcasted` EVM one by a 0-value transaction with its nonce; `speedUp`: re-send a
/// `Broadcasted` EVM one with higher fees). Result: `{targetJobId, action, entity}` with the entity as Dfns returned it;
/// the controlled job gets an entry in its `controls` and, when waiting, records the new status at once.
///
/// An attempt after one that may have acted reads the entity first and succeeds without sending when the action shows
/// (aborted or cancelled: `Failed`; cancelled or sped up: a `replacementId`), so a lost answer never leads to a
/// second cancel or speed-up.
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
            throw JobFailure.invalidPayload("payload.jobId: job \(targetId) is a \(target.kind) job; only transfer and broadcast_transaction jobs can be controlled")
        }
        guard let entityId = target.entityId, let walletId = target.walletId else {
            throw JobFailure.nothingCreated(code: .notSubmitted, message: "job \(targetId) (\(target.state.rawValue)) has no \(Self.noun(target)) at Dfns yet: nothing to \(action.rawValue)")
        }
        let entity: JSONValue
        // An earlier attempt may have taken effect without its answer: look before acting again (a second speed-up
        // would broadcast a second replacement).
        if job.attempt > 1, let done = try await Self.alreadyDone(action, target, walletId: walletId, entityId: entityId, context: context) {
            entity = done
        } else {
            let request = try Self.request(action, target: target, walletId: walletId, entityId: entityId)
            entity = try await context.dfns.call { try await $0.send(request) }
        }
        var entry: [String: JSONValue] = [
            "jobId": .integer(job.id), "action": .string(action.rawValue), "at": .string(Date().formatted(.iso8601)),
        ]
        entry["status"] = entity["status"]
        entry["replacementId"] = entity["replacementId"]
        try await rows.recordControl(on: targetId, .object(entry))
        return .succeeded(result: ["targetJobId": .integer(targetId), "action": .string(action.rawValue), "entity": entity])
    }

    private static func noun(_ target: JobRow) -> String { target.kind == "transfer" ? "transfer" : "transaction" }

    /// The Dfns request of `action` on the target's entity, read as raw JSON (transfers and transactions alike).
    private static func request(_ action: Action, target: JobRow, walletId: String, entityId: String) throws -> DfnsRequest<JSONValue> {
        let transfer = target.kind == "transfer"
        switch action {
        case .abort:
            return transfer ? try DfnsWallets.abortTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
                : try DfnsWallets.abortTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        case .cancel:
            return transfer ? try DfnsWallets.cancelTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
                : try DfnsWallets.cancelTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        case .speedUp:
            return transfer ? try DfnsWallets.speedUpTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
                : try DfnsWallets.speedUpTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        }
    }

    /// The entity, when it already shows `action`; nil when the action is still to do.
    private static func alreadyDone(_ action: Action, _ target: JobRow, walletId: String, entityId: String, context: JobContext) async throws -> JSONValue? {
        let read = target.kind == "transfer"
            ? try DfnsWallets.getTransfer(walletId: walletId, transferId: entityId).decoding(as: JSONValue.self)
            : try DfnsWallets.getTransaction(walletId: walletId, transactionId: entityId).decoding(as: JSONValue.self)
        let current = try await context.dfns.call { try await $0.send(read) }
        return shows(action, current) ? current : nil
    }

    /// Whether the entity shows that `action` took effect: aborted or cancelled ones are `Failed`, and a cancel or a
    /// speed-up leaves a `replacementId`.
    private static func shows(_ action: Action, _ entity: JSONValue) -> Bool {
        switch action {
        case .abort: entity["status"] == "Failed"
        case .cancel: entity["status"] == "Failed" && entity["replacementId"]?.stringValue != nil
        case .speedUp: entity["replacementId"]?.stringValue != nil
        }
    }
}
