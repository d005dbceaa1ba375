import DfnsSDK
import DfnsWorker
import Foundation
import Logging

/// `create_wallet`: creates a Dfns wallet. Payload `{network, name?, tags?, externalId?}`; result: the wallet.
///
/// Dfns does not document wallet creation as idempotent, so the job makes it so: the wallet always carries an
/// `externalId` (the payload's, else the job's derived one), and an attempt that follows one whose outcome is
/// unknown first looks the wallet up by it (and by network: a wallet of another network with the same externalId is
/// not this job's). When the look-up finds nothing, the job waits, spending no attempt, until the settle window has
/// passed since that attempt ended (database clock): a request whose answer never arrived may still be creating the
/// wallet, and creating another meanwhile would duplicate it. Once its attempts are used up it only looks.
public struct CreateWalletJob: JobHandler {
    public let kind = "create_wallet"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        let payload = try PayloadReader(job.payload)
        try payload.rejectUnknown(allowed: ["network", "name", "tags", "externalId"])
        let externalId = try payload.optionalString("externalId") ?? job.derivedExternalId
        let request = CreateWalletRequest(
            network: try payload.string("network", maxLength: 64, format: .alphanumericName),
            name: try payload.optionalString("name", maxLength: 200),
            tags: try payload.optionalStrings("tags"),
            externalId: externalId
        )
        if job.mayHaveRunBefore {
            if let existing = try await findWallet(externalId: externalId, network: request.network, context: context) {
                context.logger.info(
                    "wallet found by externalId after an attempt with unknown outcome",
                    metadata: ["dfns.wallet_id": "\(existing["id"]?.stringValue ?? "")"])
                return .succeeded(result: JobResult(existing), reference: existing["id"]?.stringValue.map { DfnsReference(id: $0) })
            }
            let age = job.unknownOutcomeAge ?? context.settleWindow
            if age < context.settleWindow {
                let remaining = context.settleWindow - age
                context.logger.info(
                    "wallet not found yet after an attempt with unknown outcome; deferring the creation", metadata: ["job.defer": "\(remaining)"])
                return .deferred(after: remaining)
            }
            if job.reconcileOnly {
                throw JobFailure.nothingCreated(
                    code: .attemptsExhausted,
                    message: "the attempts are used up (\(job.attempt) of \(job.maxAttempts)) and Dfns holds no \(request.network) wallet with "
                        + "externalId \(externalId) \(age) after the last attempt whose outcome was unknown: nothing was created"
                )
            }
        }
        let wallet = try await context.send(DfnsWallets.createWallet(request))
        return .succeeded(result: JobResult(wallet), reference: DfnsReference(id: wallet.id))
    }

    /// The wallet of `network` carrying `externalId`, as Dfns returned it. Dfns cannot filter by externalId, so this
    /// pages through the organisation's wallets, reading each as raw JSON: a wallet of a shape this SDK does not know
    /// must not stop the search.
    private func findWallet(externalId: String, network: String, context: JobContext) async throws -> JSONValue? {
        try await context.dfns.call { client in
            for try await wallet in client.listWalletsJSON(pageSize: 500) where wallet["externalId"]?.stringValue == externalId {
                guard wallet["network"]?.stringValue == network, wallet["id"]?.stringValue != nil else {
                    context.logger.warning(
                        "a wallet of another network carries this job's externalId; not adopting it",
                        metadata: [
                            "dfns.wallet_id": "\(wallet["id"]?.stringValue ?? "?")", "dfns.network": "\(wallet["network"]?.stringValue ?? "?")",
                        ])
                    continue
                }
                return wallet
            }
            return nil
        }
    }
}
