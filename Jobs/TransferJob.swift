import DfnsSDK
import DfnsWorker

/// `transfer`: moves an asset out of a wallet. Payload: `walletId`, `waitFor` (`submitted`, `broadcasted` or
/// `confirmed`, the default) and the Dfns transfer body (`kind`, `to`, `amount`, …, `externalId?`), validated strictly
/// (an unknown field is refused: a typo must not move money differently); result: the transfer. Submitted once and
/// followed as every ``FollowedOperation``.
public struct TransferJob: JobHandler {
    public let kind = "transfer"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        if let walletId = job.submittedParent(noun: "transfer", parentName: "walletId") {
            return try await Operation(walletId: walletId, waitFor: WalletActivityProgress.submittedWaitFor(job.payload)).follow(
                job, payloadBody: .null, context: context)
        }
        let payload = try PayloadReader(job.payload)
        let walletId = try payload.string("walletId", maxLength: 64, format: .identifier)
        let waitFor = try WalletActivityProgress.waitFor(payload)
        let body = TransferRequest.raw(payload.remainder(excluding: ["walletId", "waitFor"]))
        do {
            try body.validate(strict: true)
        } catch let error as DfnsError {
            throw JobFailure.invalidPayload("payload.\(error.message)")
        }
        return try await Operation(walletId: walletId, waitFor: waitFor).follow(job, payloadBody: body.json, context: context)
    }

    private struct Operation: FollowedOperation {
        let walletId: String
        let waitFor: WalletActivityProgress.WaitFor
        var noun: String { "transfer" }
        var parent: (name: String, id: String) { ("walletId", walletId) }

        func create(_ body: JSONValue) throws -> DfnsRequest<Transfer> { try DfnsWallets.transferAsset(walletId: walletId, .raw(body), strict: true) }
        func get(_ id: String) throws -> DfnsRequest<Transfer> { try DfnsWallets.getTransfer(walletId: walletId, transferId: id) }
        func replacement(_ id: String) throws -> DfnsRequest<Transaction>? { try DfnsWallets.getTransaction(walletId: walletId, transactionId: id) }
        func page(_ token: String?) throws -> DfnsRequest<Page<JSONValue>> {
            try DfnsWallets.listTransfers(walletId: walletId, limit: 100, paginationToken: token).decoding(as: Page<JSONValue>.self)
        }
        func progress(of transfer: Transfer) -> OperationProgress { WalletActivityProgress.of(transfer, waitFor: waitFor) }
    }
}
