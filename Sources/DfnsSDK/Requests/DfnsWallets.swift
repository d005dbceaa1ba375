import NIOHTTP1

/// The wallets API, one request per method of the official SDKs' wallets client (dfns-sdk 1.0.4
/// `generated/wallets/client.py`; same paths and signing in dfns-sdk-ts and dfns-sdk-go). Method names are the
/// official ones in camel case. Lists take `limit` (1–500) and `paginationToken`; read them whole with
/// ``DfnsClient/all(_:)``.
public enum DfnsWallets {
    private static func wallet(_ walletId: String) throws -> String { "/wallets/\(try RequestPath.segment(walletId, "walletId"))" }

    private static func child(_ walletId: String, _ collection: String, _ id: String, _ name: String) throws -> String {
        "\(try wallet(walletId))/\(collection)/\(try RequestPath.segment(id, name))"
    }

    /// A requester's action on a transfer or transaction: signed, without a body.
    private static func action<Entity>(_ method: HTTPMethod, _ action: String, walletId: String, _ collection: String, _ id: String) throws
        -> DfnsRequest<Entity>
    {
        .write(method, "\(try child(walletId, collection, id, collection == "transfers" ? "transferId" : "transactionId"))/\(action)", json: nil)
    }

    // MARK: Wallets

    /// `POST /wallets` (signed). Not deduplicated by Dfns: after an unknown outcome, look the wallet up by `externalId`.
    public static func createWallet(_ request: CreateWalletRequest) throws -> DfnsRequest<Wallet> {
        DfnsRequest(.POST, "/wallets", body: try JSONCoding.encode(request), signed: true)
    }

    /// `GET /wallets/{walletId}`.
    public static func getWallet(walletId: String) throws -> DfnsRequest<Wallet> { .read(try wallet(walletId)) }

    /// `GET /wallets`. `filters`: e.g. `owner`, `ownerUsername`.
    public static func listWallets(limit: Int? = nil, paginationToken: String? = nil, filters: [String: String] = [:]) throws -> DfnsRequest<
        Page<Wallet>
    > {
        .read("/wallets", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: filters))
    }

    /// `PUT /wallets/{walletId}` (signed): `name` and/or `externalId`.
    public static func updateWallet(walletId: String, name: String? = nil, externalId: String? = nil) throws -> DfnsRequest<Wallet> {
        var body: [String: JSONValue] = [:]
        if let name { body["name"] = .string(name) }
        if let externalId { body["externalId"] = .string(externalId) }
        guard !body.isEmpty else { throw DfnsError(code: .validation, message: "updateWallet needs a name or an externalId") }
        return .write(.PUT, try wallet(walletId), json: .object(body))
    }

    /// `POST /wallets/{walletId}/activate` (signed): activates a wallet on a network that needs it (e.g. a Canton party).
    public static func activateWallet(walletId: String, _ body: JSONValue = [:]) throws -> DfnsRequest<Transaction> {
        .write(.POST, "\(try wallet(walletId))/activate", json: try RequestPath.object(body, "activateWallet"))
    }

    /// `POST /wallets/import` (signed): a wallet from key shares encrypted for Dfns's signers (`name`, `curve`,
    /// `protocol`, `minSigners`, `encryptedKeyShares`, `network`, `externalId`).
    public static func importWallet(_ body: JSONValue) throws -> DfnsRequest<Wallet> {
        .write(
            .POST, "/wallets/import",
            json: try RequestPath.object(
                body, "importWallet", requiring: ["network", "curve", "protocol", "minSigners", "encryptedKeyShares"]
            ))
    }

    /// `PUT /wallets/{walletId}/tags` (signed).
    public static func tagWallet(walletId: String, tags: [String]) throws -> DfnsRequest<JSONValue> {
        .write(.PUT, "\(try wallet(walletId))/tags", json: ["tags": .array(tags.map(JSONValue.string))])
    }

    /// `DELETE /wallets/{walletId}/tags` (signed, with a body).
    public static func untagWallet(walletId: String, tags: [String]) throws -> DfnsRequest<JSONValue> {
        .write(.DELETE, "\(try wallet(walletId))/tags", json: ["tags": .array(tags.map(JSONValue.string))])
    }

    // MARK: The wallet's key (the TypeScript SDK's wallet-level methods; the Python and Go SDKs have them on DfnsKeys)

    /// `POST /wallets/{walletId}/delegate` (signed): hands the wallet's key to end user `userId`
    /// (`{walletId, status: Delegated}`); ``DfnsKeys/delegateKey(keyId:delegateTo:)`` on its key does the same.
    public static func delegateWallet(walletId: String, userId: String) throws -> DfnsRequest<JSONValue> {
        .write(.POST, "\(try wallet(walletId))/delegate", json: ["userId": .string(userId)])
    }

    /// `POST /wallets/{walletId}/export` (signed): the wallet key's shares encrypted to `encryptionKey`; Dfns enables
    /// export per organisation, elsewhere it answers 403.
    public static func exportWallet(walletId: String, encryptionKey: String, supportedSchemes: JSONValue) throws -> DfnsRequest<JSONValue> {
        .write(.POST, "\(try wallet(walletId))/export", json: ["encryptionKey": .string(encryptionKey), "supportedSchemes": supportedSchemes])
    }

    /// `POST /wallets/{walletId}/signatures` (signed): a signature by the wallet's key, as
    /// ``DfnsKeys/generateSignature(keyId:_:)`` (`kind` `Hash`, `Message`, `Transaction`, `Eip712`, …); deduplicated by
    /// `externalId`.
    public static func generateSignature(walletId: String, _ body: JSONValue) throws -> DfnsRequest<KeySignature> {
        .write(
            .POST, "\(try wallet(walletId))/signatures", json: try RequestPath.object(body, "generateSignature", requiring: ["kind"]),
            idempotent: true)
    }

    /// `GET /wallets/{walletId}/signatures/{signatureId}`.
    public static func getSignature(walletId: String, signatureId: String) throws -> DfnsRequest<KeySignature> {
        .read(try child(walletId, "signatures", signatureId, "signatureId"))
    }

    /// `GET /wallets/{walletId}/signatures`: the signatures requested through the wallet.
    public static func listSignatures(walletId: String, limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<Page<KeySignature>> {
        .read("\(try wallet(walletId))/signatures", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }

    // MARK: Bulk creation

    /// `POST /wallets/bulk-create` (signed): `count` wallets named `name` plus a number, made in the background, in the
    /// keystore `keystoreId` when given. Dfns sets the largest `count` it takes; the SDK refuses only less than one.
    public static func bulkCreateWallets(network: String, count: Int, name: String, tags: [String]? = nil, keystoreId: String? = nil) throws
        -> DfnsRequest<BulkWalletJob>
    {
        guard count >= 1 else { throw DfnsError(code: .validation, message: "count must be at least 1") }
        var body: [String: JSONValue] = ["network": .string(network), "count": .integer(Int64(count)), "name": .string(name)]
        if let tags { body["tags"] = .array(tags.map(JSONValue.string)) }
        if let keystoreId { body["keystoreId"] = .string(keystoreId) }
        return .write(.POST, "/wallets/bulk-create", json: .object(body))
    }

    /// `GET /wallets/bulk-create`. `status`: `Pending`, `InProgress`, `Completed`, `PartiallyCompleted`, `Failed`.
    public static func listBulkWalletJobs(limit: Int? = nil, paginationToken: String? = nil, status: String? = nil) throws -> DfnsRequest<
        Page<BulkWalletJob>
    > {
        .read(
            "/wallets/bulk-create",
            query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: status.map { ["status": $0] } ?? [:]))
    }

    /// `GET /wallets/bulk-create/{jobId}`.
    public static func getBulkWalletJob(jobId: String) throws -> DfnsRequest<BulkWalletJob> {
        .read("/wallets/bulk-create/\(try RequestPath.segment(jobId, "jobId"))")
    }

    /// `GET /wallets/bulk-create/{jobId}/wallets`.
    public static func listBulkWalletJobWallets(jobId: String, limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<Page<Wallet>>
    {
        .read(
            "/wallets/bulk-create/\(try RequestPath.segment(jobId, "jobId"))/wallets",
            query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }

    // MARK: Assets, NFTs, history

    /// `GET /wallets/{walletId}/assets`: `{walletId, network, assets: [...]}`; `netWorth` adds fiat values.
    public static func getWalletAssets(walletId: String, netWorth: Bool = false) throws -> DfnsRequest<JSONValue> {
        .read("\(try wallet(walletId))/assets", query: netWorth ? [("netWorth", "true")] : [])
    }

    /// `GET /wallets/{walletId}/nfts`: `{walletId, network, nfts: [...]}`.
    public static func getWalletNfts(walletId: String) throws -> DfnsRequest<JSONValue> { .read("\(try wallet(walletId))/nfts") }

    /// `GET /wallets/{walletId}/history`: blockchain events of the wallet. `filters`: `direction` (In, Out), `kind`,
    /// `contract`.
    public static func getWalletHistory(walletId: String, limit: Int? = nil, paginationToken: String? = nil, filters: [String: String] = [:]) throws
        -> DfnsRequest<Page<JSONValue>>
    {
        .read("\(try wallet(walletId))/history", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: filters))
    }

    /// `GET /wallets/all/history`: the organisation's blockchain events between two ISO 8601 times.
    public static func listOrgWalletHistory(startTime: String, endTime: String, limit: Int? = nil, paginationToken: String? = nil) throws
        -> DfnsRequest<Page<JSONValue>>
    {
        .read(
            "/wallets/all/history",
            query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: ["startTime": startTime, "endTime": endTime]))
    }

    // MARK: Transfers

    /// `POST /wallets/{walletId}/transfers` (signed), validated first (``TransferRequest/validate(strict:)``). Dfns
    /// answers a replay of the same `externalId` and body with the transfer it already made.
    public static func transferAsset(walletId: String, _ request: TransferRequest, strict: Bool = false) throws -> DfnsRequest<Transfer> {
        try request.validate(strict: strict)
        return DfnsRequest(
            .POST, "\(try wallet(walletId))/transfers", body: try JSONCoding.encode(request), signed: true, idempotent: request.externalId != nil)
    }

    /// `GET /wallets/{walletId}/transfers/{transferId}`.
    public static func getTransfer(walletId: String, transferId: String) throws -> DfnsRequest<Transfer> {
        .read(try child(walletId, "transfers", transferId, "transferId"))
    }

    /// `GET /wallets/{walletId}/transfers`.
    public static func listTransfers(walletId: String, limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<Page<Transfer>> {
        .read("\(try wallet(walletId))/transfers", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }

    /// `PUT …/transfers/{transferId}/abort` (signed, no body): stops a transfer still `Executing`; it becomes `Failed`.
    public static func abortTransfer(walletId: String, transferId: String) throws -> DfnsRequest<Transfer> {
        try action(.PUT, "abort", walletId: walletId, "transfers", transferId)
    }

    /// `POST …/transfers/{transferId}/cancel` (signed, no body): replaces a `Broadcasted` EVM transfer by a 0-value
    /// transaction with its nonce. Answers the replacement transaction (dfns-sdk-python `CancelTransferResponse` is a
    /// TransactionRequest), which the transfer then names in `replacementId`. Not guaranteed: the original may be mined
    /// first. Not idempotent: never repeat it without reading the transfer.
    public static func cancelTransfer(walletId: String, transferId: String) throws -> DfnsRequest<Transaction> {
        try action(.POST, "cancel", walletId: walletId, "transfers", transferId)
    }

    /// `POST …/transfers/{transferId}/speed-up` (signed, no body): re-sends a `Broadcasted` EVM transfer with higher fees.
    /// Answers the replacement transaction, as ``cancelTransfer(walletId:transferId:)`` does.
    public static func speedUpTransfer(walletId: String, transferId: String) throws -> DfnsRequest<Transaction> {
        try action(.POST, "speed-up", walletId: walletId, "transfers", transferId)
    }

    // MARK: Transactions

    /// `POST /wallets/{walletId}/transactions` (signed): signs and broadcasts a transaction given by `kind`
    /// (`Transaction`, `Evm`, `Eip1559`, `Psbt`, …). Deduplicated by `externalId` like transfers.
    public static func signAndBroadcastTransaction(walletId: String, _ body: JSONValue) throws -> DfnsRequest<Transaction> {
        .write(
            .POST, "\(try wallet(walletId))/transactions", json: try RequestPath.object(body, "signAndBroadcastTransaction", requiring: ["kind"]),
            idempotent: true)
    }

    /// `GET /wallets/{walletId}/transactions/{transactionId}`.
    public static func getTransaction(walletId: String, transactionId: String) throws -> DfnsRequest<Transaction> {
        .read(try child(walletId, "transactions", transactionId, "transactionId"))
    }

    /// `GET /wallets/{walletId}/transactions`.
    public static func listTransactions(walletId: String, limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<Page<Transaction>>
    {
        .read("\(try wallet(walletId))/transactions", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }

    /// `PUT …/transactions/{transactionId}/abort` (signed, no body).
    public static func abortTransaction(walletId: String, transactionId: String) throws -> DfnsRequest<Transaction> {
        try action(.PUT, "abort", walletId: walletId, "transactions", transactionId)
    }

    /// `POST …/transactions/{transactionId}/cancel` (signed, no body).
    public static func cancelTransaction(walletId: String, transactionId: String) throws -> DfnsRequest<Transaction> {
        try action(.POST, "cancel", walletId: walletId, "transactions", transactionId)
    }

    /// `POST …/transactions/{transactionId}/speed-up` (signed, no body).
    public static func speedUpTransaction(walletId: String, transactionId: String) throws -> DfnsRequest<Transaction> {
        try action(.POST, "speed-up", walletId: walletId, "transactions", transactionId)
    }

    // MARK: Offers

    /// `GET /wallets/{walletId}/offers`: incoming offers (e.g. Canton transfer offers) waiting for an answer.
    public static func listOffers(walletId: String, limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<Page<WalletOffer>> {
        .read("\(try wallet(walletId))/offers", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }

    /// `GET /wallets/{walletId}/offers/{offerId}`.
    public static func getOffer(walletId: String, offerId: String) throws -> DfnsRequest<WalletOffer> {
        .read(try child(walletId, "offers", offerId, "offerId"))
    }

    /// `PUT …/offers/{offerId}/accept` (signed, no body).
    public static func acceptOffer(walletId: String, offerId: String) throws -> DfnsRequest<WalletOffer> {
        .write(.PUT, "\(try child(walletId, "offers", offerId, "offerId"))/accept", json: nil)
    }

    /// `PUT …/offers/{offerId}/reject` (signed, no body).
    public static func rejectOffer(walletId: String, offerId: String) throws -> DfnsRequest<WalletOffer> {
        .write(.PUT, "\(try child(walletId, "offers", offerId, "offerId"))/reject", json: nil)
    }

    // MARK: Canton

    /// `POST /wallets/{walletId}/canton/ledger-api` (unsigned): a read-style request to the Canton Ledger API of the
    /// wallet's validator (`requestMethod` GET or POST, `resource`, optional `body`).
    public static func cantonLedgerApiProxy(walletId: String, requestMethod: String, resource: String, body: JSONValue? = nil) throws -> DfnsRequest<
        JSONValue
    > {
        guard requestMethod == "GET" || requestMethod == "POST" else {
            throw DfnsError(code: .validation, message: "requestMethod must be GET or POST")
        }
        var json: [String: JSONValue] = ["requestMethod": .string(requestMethod), "resource": .string(resource)]
        if let body { json["body"] = body }
        return .unsigned(.POST, "\(try wallet(walletId))/canton/ledger-api", json: .object(json))
    }

    /// The official SDK's deprecated name for ``cantonLedgerApiProxy(walletId:requestMethod:resource:body:)``.
    @available(*, deprecated, renamed: "cantonLedgerApiProxy(walletId:requestMethod:resource:body:)")
    public static func proxyARequestToTheCantonLedgerApi(walletId: String, requestMethod: String, resource: String, body: JSONValue? = nil) throws
        -> DfnsRequest<JSONValue>
    {
        try cantonLedgerApiProxy(walletId: walletId, requestMethod: requestMethod, resource: resource, body: body)
    }
}
