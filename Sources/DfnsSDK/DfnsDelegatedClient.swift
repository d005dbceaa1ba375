import AsyncHTTPClient
import Logging
import NIOHTTP1

/// A Dfns client that holds no key: each signed write is split into an init, which returns the challenge for an
/// external signer (a KMS, an HSM, an end user's passkey), and a complete, which takes the signed challenge and
/// sends the request.
///
/// Every method of the API is a ``DfnsRequest`` from the catalogs (``DfnsWallets``, ``DfnsKeys``, ``DfnsPolicies``,
/// ``DfnsWebhooks``, ``DfnsNetworks``): reads go through ``send(_:)``; a signed write through
/// ``initUserAction(for:)`` and then ``complete(_:signedChallenge:)`` with the same request (its body is serialized
/// once, when it is built). Completes are not retried (the challenge is single-use); reads are retried under the
/// configured policy.
public final class DfnsDelegatedClient: Sendable {
    let transport: DfnsTransport

    /// - Parameters:
    ///   - configuration: where and how to reach Dfns.
    ///   - httpClient: the AsyncHTTPClient to send through; defaults to the process-wide shared client.
    ///   - logger: receives debug-level request logs (method, path template, status; never headers or bodies).
    public init(configuration: DfnsClientConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "dfns.sdk")) {
        self.transport = DfnsTransport(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    init(transport: DfnsTransport) {
        self.transport = transport
    }

    /// A client acting with `token` (e.g. an end user's, from ``DfnsClient/delegatedLogin(username:)``) whose requests
    /// wait on this client's rate limiter: one organisation's rate, whoever acts.
    public func acting(withToken token: String) -> DfnsDelegatedClient {
        DfnsDelegatedClient(transport: transport.acting(withToken: token))
    }

    // MARK: Any request

    /// Sends a request that needs no user action (reads, contract calls); retried under the policy when it is a read.
    /// - Throws: ``DfnsError`` with code `.validation` for a signed write: use ``initUserAction(for:)``.
    public func send<Response>(_ request: DfnsRequest<Response>) async throws -> Response {
        guard !request.isSigned else {
            throw DfnsError(
                code: .validation,
                message: "\(request.method.rawValue) \(request.path) needs a user action: use initUserAction(for:) and complete(_:signedChallenge:)")
        }
        guard request.method == .GET else {
            return try transport.decode(Response.self, from: try await transport.exchange(request))
        }
        return try await transport.retrying { _ in try transport.decode(Response.self, from: try await transport.exchange(request)) }
    }

    /// Every item of a list, fetched page by page as the sequence is iterated: `page` builds the request of a page
    /// from its token, e.g. `delegated.all { try DfnsKeys.listKeys(paginationToken: $0) }`.
    public func all<Item>(_ page: @escaping @Sendable (_ paginationToken: String?) throws -> DfnsRequest<Page<Item>>) -> PaginatedSequence<Item> {
        PaginatedSequence { [self] token in try await send(try page(token)) }
    }

    /// Starts a signed write: returns the challenge to sign for exactly this request.
    public func initUserAction<Response>(for request: DfnsRequest<Response>) async throws -> UserActionChallenge {
        try await initUserAction(request.method, request.path, body: request.body)
    }

    /// Finishes a signed write started with ``initUserAction(for:)``; pass the same request.
    public func complete<Response>(_ request: DfnsRequest<Response>, signedChallenge: SignedChallenge) async throws -> Response {
        try await complete(request, userAction: try await authorize(signedChallenge))
    }

    /// Sends a signed write with the single-use user-action token ``authorize(_:)`` returned for its signed challenge:
    /// for a caller that must tell Dfns refusing the signature (nothing sent) from the write's own answer.
    public func complete<Response>(_ request: DfnsRequest<Response>, userAction: String) async throws -> Response {
        let body = try await transport.exchange(request, userAction: userAction)
        return try transport.decode(Response.self, from: body, written: true)
    }

    // MARK: Wallets

    /// Starts `POST /wallets`: returns the challenge to sign.
    public func createWalletInit(_ request: CreateWalletRequest) async throws -> UserActionChallenge {
        try await initUserAction(for: DfnsWallets.createWallet(request))
    }

    /// Finishes `POST /wallets` with the signed challenge.
    public func createWalletComplete(_ request: CreateWalletRequest, signedChallenge: SignedChallenge) async throws -> Wallet {
        try await complete(DfnsWallets.createWallet(request), signedChallenge: signedChallenge)
    }

    /// `GET /wallets/{walletId}`.
    public func getWallet(id: String) async throws -> Wallet {
        try await send(DfnsWallets.getWallet(walletId: id))
    }

    /// One page of `GET /wallets`.
    /// - Parameters:
    ///   - limit: 1–500 items per page (Dfns default 50).
    ///   - paginationToken: the previous page's `nextPageToken`; nil for the first page.
    public func listWalletsPage(limit: Int? = nil, paginationToken: String? = nil) async throws -> Page<Wallet> {
        try await send(DfnsWallets.listWallets(limit: limit, paginationToken: paginationToken))
    }

    /// Every wallet, fetched page by page as the sequence is iterated.
    public func listWallets(pageSize: Int? = nil) -> PaginatedSequence<Wallet> {
        all { try DfnsWallets.listWallets(limit: pageSize, paginationToken: $0) }
    }

    /// Every wallet as Dfns returned it, page by page (see ``DfnsClient/listWalletsJSON(pageSize:)``).
    public func listWalletsJSON(pageSize: Int? = nil) -> PaginatedSequence<JSONValue> {
        all { try DfnsWallets.listWallets(limit: pageSize, paginationToken: $0).decoding(as: Page<JSONValue>.self) }
    }

    // MARK: Transfers

    /// Starts `POST /wallets/{walletId}/transfers`: validates the body, then returns the challenge to sign.
    public func createTransferInit(walletId: String, _ request: TransferRequest) async throws -> UserActionChallenge {
        try await initUserAction(for: DfnsWallets.transferAsset(walletId: walletId, request))
    }

    /// Finishes `POST /wallets/{walletId}/transfers` with the signed challenge.
    public func createTransferComplete(walletId: String, _ request: TransferRequest, signedChallenge: SignedChallenge) async throws -> Transfer {
        try await complete(DfnsWallets.transferAsset(walletId: walletId, request), signedChallenge: signedChallenge)
    }

    /// `GET /wallets/{walletId}/transfers/{transferId}`.
    public func getTransfer(walletId: String, transferId: String) async throws -> Transfer {
        try await send(DfnsWallets.getTransfer(walletId: walletId, transferId: transferId))
    }

    /// One page of `GET /wallets/{walletId}/transfers`.
    public func listTransfersPage(walletId: String, limit: Int? = nil, paginationToken: String? = nil) async throws -> Page<Transfer> {
        try await send(DfnsWallets.listTransfers(walletId: walletId, limit: limit, paginationToken: paginationToken))
    }

    /// Every transfer of a wallet, fetched page by page as the sequence is iterated.
    public func listTransfers(walletId: String, pageSize: Int? = nil) -> PaginatedSequence<Transfer> {
        all { try DfnsWallets.listTransfers(walletId: walletId, limit: pageSize, paginationToken: $0) }
    }

    /// Every transfer of a wallet as Dfns returned it, page by page.
    public func listTransfersJSON(walletId: String, pageSize: Int? = nil) -> PaginatedSequence<JSONValue> {
        all { try DfnsWallets.listTransfers(walletId: walletId, limit: pageSize, paginationToken: $0).decoding(as: Page<JSONValue>.self) }
    }

    /// Starts `PUT /wallets/{walletId}/transfers/{transferId}/abort` (signed, no body): returns the challenge to sign.
    public func abortTransferInit(walletId: String, transferId: String) async throws -> UserActionChallenge {
        try await initUserAction(for: DfnsWallets.abortTransfer(walletId: walletId, transferId: transferId))
    }

    /// Finishes the abort with the signed challenge; returns the transfer, `Failed` when Dfns aborted it.
    public func abortTransferComplete(walletId: String, transferId: String, signedChallenge: SignedChallenge) async throws -> Transfer {
        try await complete(DfnsWallets.abortTransfer(walletId: walletId, transferId: transferId), signedChallenge: signedChallenge)
    }

    // MARK: Building blocks

    /// `POST /auth/action/init` for any signed request about to be sent with exactly `body` (path without query). A
    /// request without a body (`nil`) is signed with the payload `""`, as the official SDKs do (dfns-sdk 1.0.4
    /// `_get_user_action_token`, dfns-sdk-go `createUserActionChallenge`).
    public func initUserAction(_ method: HTTPMethod, _ path: String, body: [UInt8]?) async throws -> UserActionChallenge {
        let initBody: [String: String] = [
            "userActionPayload": String(decoding: body ?? [], as: UTF8.self),
            "userActionHttpMethod": method.rawValue,
            "userActionHttpPath": path,
            "userActionServerKind": "Api",
        ]
        let response = try await transport.exchange(.POST, "/auth/action/init", body: try JSONCoding.encode(initBody))
        return try transport.decode(UserActionChallenge.self, from: response)
    }

    /// Finishes any signed request started with ``initUserAction(_:_:body:)``; returns the raw JSON response.
    public func completeUserAction(_ method: HTTPMethod, _ path: String, body: [UInt8]?, signedChallenge: SignedChallenge) async throws -> JSONValue {
        try await complete(DfnsRequest<JSONValue>(method, path, body: body, signed: true), signedChallenge: signedChallenge)
    }

    /// `POST /auth/action`: trades a signed challenge for a single-use user-action token (`X-DFNS-USERACTION`).
    public func authorize(_ signedChallenge: SignedChallenge) async throws -> String {
        let body = try await transport.exchange(.POST, "/auth/action", body: try JSONCoding.encode(signedChallenge))
        return try transport.decode(UserActionToken.self, from: body).userAction
    }
}

/// The answer of `POST /auth/action`, read with the SDK's parser like every answer on the signed-request path.
private struct UserActionToken: Decodable, JSONValueDecodable {
    let userAction: String

    init(json: JSONValue) throws {
        userAction = try json.requiredString("userAction")
    }
}
