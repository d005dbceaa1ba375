import DfnsSDK
import DfnsWorker
import Logging

/// `create_wallet`: creates a Dfns wallet. Payload `{network, name?, tags?, externalId?}`; result: the wallet.
///
/// Dfns does not document wallet creation as idempotent, so the job makes it so: the wallet always carries an
/// `externalId` (the payload's, else one derived from the job id), and an attempt that follows one whose outcome is
/// unknown first looks the wallet up by it.
public struct CreateWalletJob: JobHandler {
    public let kind = "create_wallet"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        let payload = try PayloadReader(job.payload)
        try payload.rejectUnknown(allowed: ["network", "name", "tags", "externalId"])
        let request = CreateWalletRequest(
            network: try payload.string("network", maxLength: 64, pattern: /[A-Za-z][A-Za-z0-9]*/),
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
        let wallet = try await context.dfns.call { try await $0.createWallet(request) }
        return .succeeded(result: wallet.raw)
    }
}
