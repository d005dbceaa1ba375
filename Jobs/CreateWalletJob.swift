import DfnsSDK
import DfnsWorker
import Foundation
import Logging

/// `create_wallet`: creates a Dfns wallet. Payload `{network, name?, tags?, externalId?}`; result: the wallet.
///
/// Dfns does not document wallet creation as idempotent, so the job makes it so: the wallet always carries an
/// `externalId` (the payload's, else one derived from the job id), and an attempt that follows one whose outcome is
/// unknown first looks the wallet up by it. When the lookup finds nothing, the job waits (spending no attempt) until
/// `settleWindow` has passed since that attempt ended: a request whose answer never arrived may still be creating the
/// wallet, and creating another meanwhile would duplicate it.
public struct CreateWalletJob: JobHandler {
    public let kind = "create_wallet"
    /// How long Dfns is assumed to take, at most, to finish a request whose client is gone. Default 30 s, the SDK's
    /// request timeout.
    public let settleWindow: Duration

    public init(settleWindow: Duration = .seconds(30)) {
        self.settleWindow = settleWindow
    }

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        let payload = try PayloadReader(job.payload)
        try payload.rejectUnknown(allowed: ["network", "name", "tags", "externalId"])
        let request = CreateWalletRequest(
            network: try payload.string("network", maxLength: 64, format: .alphanumericName),
            name: try payload.optionalString("name", maxLength: 200),
            tags: try payload.optionalStrings("tags"),
            externalId: try payload.optionalString("externalId") ?? job.derivedExternalId
        )
        if job.mayHaveRunBefore, let externalId = request.externalId,
            let existing = try await context.dfns.findWallet(externalId: externalId)
        {
            context.logger.info("wallet found by externalId after an attempt with unknown outcome", metadata: ["dfns.wallet_id": "\(existing.id)"])
            return .succeeded(result: existing.raw)
        }
        if let unknownAt = job.unknownOutcomeAt {
            let remaining = settleWindow - .seconds(Date().timeIntervalSince(unknownAt))
            if remaining > .zero {
                context.logger.info("wallet not found yet after an attempt with unknown outcome; deferring the creation", metadata: ["job.defer": "\(remaining)"])
                return .deferred(after: remaining)
            }
        }
        let wallet = try await context.dfns.call { try await $0.createWallet(request) }
        return .succeeded(result: wallet.raw)
    }
}
