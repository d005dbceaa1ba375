import AsyncHTTPClient
import Logging
import NIOHTTP1

/// A Dfns client that signs user actions itself with a ``CredentialSigner``.
///
/// Every signed write runs init → sign client data → `/auth/action` → the request with `X-DFNS-USERACTION`, the
/// body serialized once. Everything the client sends shares one rate limiter; a 429 pauses all of it until
/// Retry-After. The client retries on its own only what is safe: reads, failures before the real request was sent
/// (init, action, a connection never made), and — unless ``DfnsClientConfiguration/writeReplay`` says
/// ``DfnsClientConfiguration/WriteReplay/unsentOnly`` — writes whose body carries an `externalId` (each retry with a
/// fresh challenge). Everything else surfaces as a ``DfnsError``.
public final class DfnsClient: Sendable {
    /// The signer-less client this one drives.
    public let delegated: DfnsDelegatedClient
    private let signer: any CredentialSigner

    /// - Parameters:
    ///   - configuration: where and how to reach Dfns.
    ///   - signer: the credential that signs user actions.
    ///   - httpClient: the AsyncHTTPClient to send through; defaults to the process-wide shared client.
    ///   - logger: receives debug-level request logs (never headers, bodies or keys).
    public init(
        configuration: DfnsClientConfiguration,
        signer: any CredentialSigner,
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "dfns.sdk")
    ) {
        self.delegated = DfnsDelegatedClient(configuration: configuration, httpClient: httpClient, logger: logger)
        self.signer = signer
    }

    private var transport: DfnsTransport { delegated.transport }

    /// True while a 429 holds every request of this client.
    public var isRateLimited: Bool { transport.limiter.isPaused }

    /// Total time requests have waited on the rate limiter.
    public var rateLimiterWait: Duration { transport.limiter.totalWait }

    // MARK: Any request

    /// Sends any request of the catalogs (``DfnsWallets``, ``DfnsKeys``, ``DfnsPolicies``, ``DfnsWebhooks``,
    /// ``DfnsNetworks``), signing it when it needs a user action:
    /// `try await client.send(DfnsWallets.tagWallet(walletId: id, tags: ["treasury"]))`.
    ///
    /// A signed write is repeated after it was sent only when ``DfnsRequest/isIdempotent`` (an `externalId` Dfns
    /// deduplicates) and ``DfnsClientConfiguration/writeReplay`` allows it; every other failure after sending surfaces
    /// as a ``DfnsError`` whose `outcomeUnknown` says whether it may have taken effect.
    public func send<Response>(_ request: DfnsRequest<Response>) async throws -> Response {
        guard request.isSigned else { return try await delegated.send(request) }
        return try transport.decode(Response.self, from: try await signedWrite(request), written: true)
    }

    /// Every item of a list, fetched page by page as the sequence is iterated:
    /// `for try await key in client.all({ try DfnsKeys.listKeys(paginationToken: $0) }) { … }`.
    public func all<Item>(_ page: @escaping @Sendable (_ paginationToken: String?) throws -> DfnsRequest<Page<Item>>) -> PaginatedSequence<Item> {
        delegated.all(page)
    }

    // MARK: Wallets

    /// `POST /wallets`. Not repeated after the request was sent: Dfns documents no idempotency for wallets, so a
    /// caller that saw `outcomeUnknown` should look the wallet up (by `externalId`) before creating it again.
    public func createWallet(_ request: CreateWalletRequest) async throws -> Wallet {
        try await send(DfnsWallets.createWallet(request))
    }

    /// `GET /wallets/{walletId}`.
    public func getWallet(id: String) async throws -> Wallet {
        try await delegated.getWallet(id: id)
    }

    /// One page of `GET /wallets`.
    public func listWalletsPage(limit: Int? = nil, paginationToken: String? = nil) async throws -> Page<Wallet> {
        try await delegated.listWalletsPage(limit: limit, paginationToken: paginationToken)
    }

    /// Every wallet, fetched page by page as the sequence is iterated.
    public func listWallets(pageSize: Int? = nil) -> PaginatedSequence<Wallet> {
        delegated.listWallets(pageSize: pageSize)
    }

    /// Every wallet as Dfns returned it, page by page: for searching an organisation whose wallets this SDK version
    /// may not all be able to read as ``Wallet``.
    public func listWalletsJSON(pageSize: Int? = nil) -> PaginatedSequence<JSONValue> {
        delegated.listWalletsJSON(pageSize: pageSize)
    }

    // MARK: Transfers

    /// `POST /wallets/{walletId}/transfers`, validated before anything is sent. With an `externalId` the whole
    /// flow is retried on transient failures: Dfns answers a replay with the transfer it already created.
    public func createTransfer(walletId: String, _ request: TransferRequest) async throws -> Transfer {
        try await send(DfnsWallets.transferAsset(walletId: walletId, request))
    }

    /// `GET /wallets/{walletId}/transfers/{transferId}`.
    public func getTransfer(walletId: String, transferId: String) async throws -> Transfer {
        try await delegated.getTransfer(walletId: walletId, transferId: transferId)
    }

    /// One page of `GET /wallets/{walletId}/transfers`.
    public func listTransfersPage(walletId: String, limit: Int? = nil, paginationToken: String? = nil) async throws -> Page<Transfer> {
        try await delegated.listTransfersPage(walletId: walletId, limit: limit, paginationToken: paginationToken)
    }

    /// Every transfer of a wallet, fetched page by page as the sequence is iterated.
    public func listTransfers(walletId: String, pageSize: Int? = nil) -> PaginatedSequence<Transfer> {
        delegated.listTransfers(walletId: walletId, pageSize: pageSize)
    }

    /// Every transfer of a wallet as Dfns returned it, page by page.
    public func listTransfersJSON(walletId: String, pageSize: Int? = nil) -> PaginatedSequence<JSONValue> {
        delegated.listTransfersJSON(walletId: walletId, pageSize: pageSize)
    }

    /// `PUT /wallets/{walletId}/transfers/{transferId}/abort`: stops a transfer still `Executing` (not signed yet); it
    /// becomes `Failed`. Signed without a body; never repeated by the SDK after it was sent.
    public func abortTransfer(walletId: String, transferId: String) async throws -> Transfer {
        try await send(DfnsWallets.abortTransfer(walletId: walletId, transferId: transferId))
    }

    // MARK: Any endpoint

    /// Sends a signed write to any endpoint and returns the raw JSON response, for operations the SDK does not model.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path as it is signed and sent, without the query.
    ///   - body: the JSON body; nil sends none and signs the payload `""` (abort, cancel, speed-up, webhook ping).
    ///   - repeatable: true only when a replay of this exact body cannot act twice (it carries an idempotency key).
    public func signedRequest(method: HTTPMethod, path: String, body: JSONValue? = nil, repeatable: Bool = false) async throws -> JSONValue {
        try await send(DfnsRequest<JSONValue>(method, path, body: body?.jsonBytes(), signed: true, idempotent: repeatable))
    }

    /// The query is sent, not signed: a user action signs the path alone (dfns-sdk 1.0.4 `HttpClient.request`).
    private func signedWrite<Response>(_ request: DfnsRequest<Response>) async throws -> [UInt8] {
        let origin = transport.configuration.appOrigin
        return try await transport.retrying { _ in
            // Failures up to here changed nothing on Dfns and are always safe to retry.
            let challenge = try await delegated.initUserAction(for: request)
            let signed = try await UserActionSigning.sign(challenge, with: signer, origin: origin)
            let token = try await delegated.authorize(signed)
            do {
                return try await transport.exchange(request, userAction: token)
            } catch let error as DfnsError where !error.outcomeUnknown && [.transport, .timeout].contains(error.code) {
                throw error  // The connection was never made: nothing was sent, a retry is safe.
            } catch {
                let replay = request.isIdempotent && transport.configuration.writeReplay == .idempotent
                throw replay ? error : DfnsTransport.Unrepeatable(error: error)
            }
        }
    }
}
