import DfnsSDK
import DfnsWorker

/// `broadcast_transaction`: signs and broadcasts a transaction from a wallet (`POST /wallets/{walletId}/transactions`:
/// an EVM call with `data`, a PSBT, a serialized transaction…). Payload: `walletId`, `waitFor` (`submitted`,
/// `broadcasted` or `confirmed`, the default) and the Dfns transaction body (`kind`, …, `externalId?`); result: the
/// transaction. Submitted once and followed as every ``FollowedOperation``.
public struct BroadcastTransactionJob: JobHandler {
    public let kind = "broadcast_transaction"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        if let walletId = job.submittedParent(noun: "transaction", parentName: "walletId") {
            return try await Operation(walletId: walletId, waitFor: WalletActivityProgress.submittedWaitFor(job.payload)).follow(
                job, payloadBody: .null, context: context)
        }
        let payload = try PayloadReader(job.payload)
        let walletId = try payload.string("walletId", maxLength: 64, format: .identifier)
        let waitFor = try WalletActivityProgress.waitFor(payload)
        let body = payload.remainder(excluding: ["walletId", "waitFor"])
        try BodyRules.transaction.check(body)
        return try await Operation(walletId: walletId, waitFor: waitFor).follow(job, payloadBody: body, context: context)
    }

    private struct Operation: FollowedOperation {
        let walletId: String
        let waitFor: WalletActivityProgress.WaitFor
        var noun: String { "transaction" }
        var parent: (name: String, id: String) { ("walletId", walletId) }

        func create(_ body: JSONValue) throws -> DfnsRequest<Transaction> { try DfnsWallets.signAndBroadcastTransaction(walletId: walletId, body) }
        func get(_ id: String) throws -> DfnsRequest<Transaction> { try DfnsWallets.getTransaction(walletId: walletId, transactionId: id) }
        func replacement(_ id: String) throws -> DfnsRequest<Transaction>? { try DfnsWallets.getTransaction(walletId: walletId, transactionId: id) }
        func page(_ token: String?) throws -> DfnsRequest<Page<JSONValue>> {
            try DfnsWallets.listTransactions(walletId: walletId, limit: 100, paginationToken: token).decoding(as: Page<JSONValue>.self)
        }
        func progress(of transaction: Transaction) -> OperationProgress { WalletActivityProgress.of(transaction, waitFor: waitFor) }
    }
}
