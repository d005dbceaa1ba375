import AsyncHTTPClient
import Logging
import NIOHTTP1

/// A Dfns client that holds no key: each signed write is split into `…Init`, which returns the challenge for an
/// external signer (a KMS, an HSM, an end user's passkey), and `…Complete`, which takes the signed challenge and
/// sends the request.
///
/// Pass ``Complete`` the same request you passed ``Init``: the body is serialized identically both times.
/// Completes are not retried (the challenge is single-use); reads are retried under the configured policy.
public final class DfnsDelegatedClient: Sendable {
    let transport: DfnsTransport

    /// - Parameters:
    ///   - configuration: where and how to reach Dfns.
    ///   - httpClient: the AsyncHTTPClient to send through; defaults to the process-wide shared client.
    ///   - logger: receives debug-level request logs (method, path template, status; never headers or bodies).
    public init(configuration: DfnsClientConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "dfns.sdk")) {
        self.transport = DfnsTransport(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    // MARK: Wallets

    /// Starts `POST /wallets`: returns the challenge to sign.
    public func createWalletInit(_ request: CreateWalletRequest) async throws -> UserActionChallenge {
        try await initUserAction(.POST, "/wallets", body: try JSONCoding.encode(request))
    }

    /// Finishes `POST /wallets` with the signed challenge.
    public func createWalletComplete(_ request: CreateWalletRequest, signedChallenge: SignedChallenge) async throws -> Wallet {
        let body = try await complete(.POST, "/wallets", body: try JSONCoding.encode(request), signedChallenge: signedChallenge)
        return try transport.decode(Wallet.self, from: body, written: true)
    }

    /// `GET /wallets/{walletId}`.
    public func getWallet(id: String) async throws -> Wallet {
        try await read(Wallet.self, "/wallets/\(try Self.pathSegment(id, "walletId"))")
    }

    /// One page of `GET /wallets`.
    /// - Parameter limit: 1–500 items per page (Dfns default 50).
    public func listWalletsPage(limit: Int? = nil, paginationToken: String? = nil) async throws -> Page<Wallet> {
        try await read(Page<Wallet>.self, "/wallets", query: Self.pageQuery(limit, paginationToken))
    }

    /// Every wallet, fetched page by page as the sequence is iterated.
    public func listWallets(pageSize: Int? = nil) -> PaginatedSequence<Wallet> {
        PaginatedSequence { [self] token in try await listWalletsPage(limit: pageSize, paginationToken: token) }
    }

    /// Every wallet as Dfns returned it, page by page (see ``DfnsClient/listWalletsJSON(pageSize:)``).
    public func listWalletsJSON(pageSize: Int? = nil) -> PaginatedSequence<JSONValue> {
        PaginatedSequence { [self] token in
            try await read(Page<JSONValue>.self, "/wallets", query: Self.pageQuery(pageSize, token))
        }
    }

    // MARK: Transfers

    /// Starts `POST /wallets/{walletId}/transfers`: validates the body, then returns the challenge to sign.
    public func createTransferInit(walletId: String, _ request: TransferRequest) async throws -> UserActionChallenge {
        let (path, body) = try Self.transferWrite(walletId: walletId, request)
        return try await initUserAction(.POST, path, body: body)
    }

    /// Finishes `POST /wallets/{walletId}/transfers` with the signed challenge.
    public func createTransferComplete(walletId: String, _ request: TransferRequest, signedChallenge: SignedChallenge) async throws -> Transfer {
        let (path, body) = try Self.transferWrite(walletId: walletId, request)
        return try transport.decode(Transfer.self, from: try await complete(.POST, path, body: body, signedChallenge: signedChallenge), written: true)
    }

    /// `GET /wallets/{walletId}/transfers/{transferId}`.
    public func getTransfer(walletId: String, transferId: String) async throws -> Transfer {
        let path = "/wallets/\(try Self.pathSegment(walletId, "walletId"))/transfers/\(try Self.pathSegment(transferId, "transferId"))"
        return try await read(Transfer.self, path)
    }

    /// One page of `GET /wallets/{walletId}/transfers`.
    public func listTransfersPage(walletId: String, limit: Int? = nil, paginationToken: String? = nil) async throws -> Page<Transfer> {
        let path = "/wallets/\(try Self.pathSegment(walletId, "walletId"))/transfers"
        return try await read(Page<Transfer>.self, path, query: Self.pageQuery(limit, paginationToken))
    }

    /// Every transfer of a wallet, fetched page by page as the sequence is iterated.
    public func listTransfers(walletId: String, pageSize: Int? = nil) -> PaginatedSequence<Transfer> {
        PaginatedSequence { [self] token in
            try await listTransfersPage(walletId: walletId, limit: pageSize, paginationToken: token)
        }
    }

    /// Every transfer of a wallet as Dfns returned it, page by page.
    public func listTransfersJSON(walletId: String, pageSize: Int? = nil) -> PaginatedSequence<JSONValue> {
        PaginatedSequence { [self] token in
            let path = "/wallets/\(try Self.pathSegment(walletId, "walletId"))/transfers"
            return try await read(Page<JSONValue>.self, path, query: Self.pageQuery(pageSize, token))
        }
    }

    /// Starts `PUT /wallets/{walletId}/transfers/{transferId}/abort` (signed, no body): returns the challenge to sign.
    public func abortTransferInit(walletId: String, transferId: String) async throws -> UserActionChallenge {
        try await initUserAction(.PUT, try Self.abortPath(walletId, transferId), body: nil)
    }

    /// Finishes the abort with the signed challenge; returns the transfer, `Failed` when Dfns aborted it.
    public func abortTransferComplete(walletId: String, transferId: String, signedChallenge: SignedChallenge) async throws -> Transfer {
        let response = try await complete(.PUT, try Self.abortPath(walletId, transferId), body: nil, signedChallenge: signedChallenge)
        return try transport.decode(Transfer.self, from: response, written: true)
    }

    static func abortPath(_ walletId: String, _ transferId: String) throws -> String {
        "/wallets/\(try pathSegment(walletId, "walletId"))/transfers/\(try pathSegment(transferId, "transferId"))/abort"
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

    /// `POST /auth/action` then the real request with the minted user action.
    func complete(_ method: HTTPMethod, _ path: String, body: [UInt8]?, signedChallenge: SignedChallenge) async throws -> [UInt8] {
        let token = try await authorize(signedChallenge)
        return try await transport.exchange(method, path, body: body, userAction: token)
    }

    /// Finishes any signed request started with ``initUserAction(_:_:body:)``; returns the raw JSON response.
    public func completeUserAction(_ method: HTTPMethod, _ path: String, body: [UInt8]?, signedChallenge: SignedChallenge) async throws -> JSONValue {
        try transport.decode(JSONValue.self, from: try await complete(method, path, body: body, signedChallenge: signedChallenge), written: true)
    }

    /// `POST /auth/action`: trades a signed challenge for a single-use user-action token (`X-DFNS-USERACTION`).
    public func authorize(_ signedChallenge: SignedChallenge) async throws -> String {
        struct ActionResponse: Decodable { let userAction: String }
        let body = try await transport.exchange(.POST, "/auth/action", body: try JSONCoding.encode(signedChallenge))
        return try transport.decode(ActionResponse.self, from: body).userAction
    }

    private func read<Value: Decodable>(_ type: Value.Type, _ path: String, query: [(String, String)] = []) async throws -> Value {
        try await transport.retrying { _ in
            try transport.decode(type, from: try await transport.exchange(.GET, path, query: query))
        }
    }

    /// The path and body bytes of a transfer create, validated, serialized once.
    static func transferWrite(walletId: String, _ request: TransferRequest) throws -> (String, [UInt8]) {
        try request.validate()
        return ("/wallets/\(try pathSegment(walletId, "walletId"))/transfers", try JSONCoding.encode(request))
    }

    /// Dfns ids are `[a-z0-9-]`; anything else would change the path that is signed.
    static func pathSegment(_ id: String, _ name: String) throws -> String {
        guard !id.isEmpty, id.count <= 64, id.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F }) else {
            throw DfnsError(code: .validation, message: "\(name) must be a Dfns id (letters, digits, - and _; 1 to 64 characters)")
        }
        return id
    }

    private static func pageQuery(_ limit: Int?, _ token: String?) -> [(String, String)] {
        var query: [(String, String)] = []
        if let limit { query.append(("limit", String(limit))) }
        if let token { query.append(("paginationToken", token)) }
        return query
    }
}
