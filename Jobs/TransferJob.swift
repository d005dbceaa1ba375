import DfnsSDK
import DfnsWorker

/// `transfer`: moves an asset out of a wallet. Payload: `walletId`, `waitFor` (`submitted`, `broadcasted` or
/// `confirmed`, the default) and the Dfns transfer body (`kind`, `to`, `amount`, …, `externalId?`); result: the
/// transfer.
///
/// Every attempt sends the same body with the same `externalId` (the payload's, else the job's derived one), so a
/// replay after a lost response returns the transfer Dfns already made (dfns-api §6; the official SDKs send the body
/// as given). Once the attempts are used up while the outcome is unknown, the job stops sending and looks the
/// transfer up by externalId instead. While Dfns reports a status short of `waitFor` the job waits and polls with
/// backoff, spending no attempts; `Failed` or `Rejected` fail the job with Dfns's reason.
public struct TransferJob: JobHandler {
    public let kind = "transfer"

    /// When to poll a submitted transfer again: 0.5 s, 1 s, 2 s … capped at 30 s, quick for fast chains and gentle
    /// on the rate limit for slow ones.
    static let polls = RetryPolicy(baseDelay: .milliseconds(500), maxDelay: .seconds(30), jitter: 0)

    /// How far a transfer must get for the job to succeed.
    enum WaitFor: String { case submitted, broadcasted, confirmed }

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        let payload = try PayloadReader(job.payload)
        let walletId = try payload.string("walletId", maxLength: 64, format: .identifier)
        let waitText = try payload.optionalString("waitFor") ?? WaitFor.confirmed.rawValue
        guard let waitFor = WaitFor(rawValue: waitText) else {
            throw JobFailure.invalidPayload("payload.waitFor must be submitted, broadcasted or confirmed")
        }
        // A counter from the row: clamped, so a hand-edited checkpoint cannot overflow the arithmetic below.
        var polls = 0
        if case .integer(let count)? = job.checkpoint?["polls"] { polls = Int(min(max(count, 0), 1_000_000)) }
        let transfer: Transfer
        if let transferId = job.checkpoint?["transferId"]?.stringValue {
            transfer = try await context.dfns.call { try await $0.getTransfer(walletId: walletId, transferId: transferId) }
        } else {
            var body = TransferRequest.raw(payload.remainder(excluding: ["walletId", "waitFor"]))
            do {
                try body.validate(strict: true)
            } catch let error as DfnsError {
                throw JobFailure.invalidPayload("payload.\(error.message)")
            }
            if body.externalId == nil { body = body.withExternalId(job.derivedExternalId) }
            let externalId = body.externalId ?? job.derivedExternalId
            if job.reconcileOnly {
                guard let found = try await reconcile(job, walletId: walletId, externalId: externalId, context: context) else {
                    return .deferred(after: context.settleWindow - (job.unknownOutcomeAge ?? .zero))
                }
                transfer = found
            } else {
                do {
                    transfer = try await context.dfns.call { [body] in try await $0.createTransfer(walletId: walletId, body) }
                } catch let error as DfnsError where error.code == .conflict {
                    // The externalId is bound to another body or wallet, so no transfer of this job's body exists.
                    throw JobFailure.nothingCreated(
                        code: .conflict,
                        message: "externalId \(externalId) is already used by transfer \(error.duplicateId ?? "?") with another body or wallet"
                    )
                }
            }
        }
        return try outcome(of: transfer, waitFor: waitFor, polls: polls)
    }

    /// The attempts ran out while Dfns may hold the transfer: look it up by externalId (sending nothing). Found, it is
    /// followed; not found within the settle window, nil (look again later); not found after it, nothing was created.
    private func reconcile(_ job: ClaimedJob, walletId: String, externalId: String, context: JobContext) async throws -> Transfer? {
        let found = try await context.dfns.call { client -> JSONValue? in
            for try await transfer in client.listTransfersJSON(walletId: walletId, pageSize: 100)
            where transfer["externalId"]?.stringValue == externalId {
                return transfer
            }
            return nil
        }
        if let found { return try Transfer(json: found) }
        let age = job.unknownOutcomeAge ?? context.settleWindow
        if age < context.settleWindow { return nil }
        throw JobFailure.nothingCreated(
            code: .attemptsExhausted,
            message: "the attempts are used up (\(job.attempt) of \(job.maxAttempts)) and wallet \(walletId) has no transfer with externalId "
                + "\(externalId) \(age) after the last attempt whose outcome was unknown: nothing was created"
        )
    }

    private func outcome(of transfer: Transfer, waitFor: WaitFor, polls: Int) throws -> JobOutcome {
        switch transfer.status {
        case .failed:
            throw JobFailure.rejectedByDfns(code: .dfnsFailed, message: "Dfns reports the transfer Failed: \(transfer.reason ?? "no reason given")", entity: transfer.raw)
        case .rejected:
            throw JobFailure.rejectedByDfns(code: .dfnsRejected, message: "Dfns reports the transfer Rejected: \(transfer.reason ?? "no reason given")", entity: transfer.raw)
        case .confirmed:
            return .succeeded(result: transfer.raw)
        case .broadcasted where waitFor != .confirmed:
            return .succeeded(result: transfer.raw)
        case _ where waitFor == .submitted:
            return .succeeded(result: transfer.raw)
        default:
            let checkpoint: JSONValue = .object([
                "transferId": .string(transfer.id), "walletId": .string(transfer.walletId), "polls": .integer(Int64(polls + 1)),
            ])
            let pollAfter = Self.polls.delay(afterAttempt: polls + 1)
            return .waiting(checkpoint: checkpoint, pollAfter: pollAfter, snapshot: transfer.raw)
        }
    }
}
