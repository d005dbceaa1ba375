import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local Dfns API that verifies real user-action signatures: wallets, transfers with idempotency and a status
/// lifecycle, the Dfns error envelope, a per-organisation rate limit and seeded fault injection.
///
/// It imports neither the SDK nor the worker, so a client agreeing with it proves something. A test-only control
/// plane lives under `/_sim/` (stats, faults, approvals, every transfer).
public final class DfnsSimulator: Sendable {
    public let configuration: SimulatorConfiguration
    // The state: a store per domain, each behind its own lock, none taken while another is held, and expensive work
    // (signature checks, JSON) outside them. Routes and middleware take the stores of their domain, so a new domain
    // brings its own store and leaves the others alone.
    let principalStore: PrincipalStore
    let accountStore: AccountStore
    let credentialStore: CredentialStore
    let authFlows: AuthFlowStore
    let identityProvider: IdentityProvider
    let rateBudget: RateBudget
    let faultInjector: FaultInjector
    let userActionStore: UserActionStore
    let walletStore: WalletStore
    let documents: DocumentStore
    let auditTrail: AuditTrail
    let emitter: WebhookEmitter
    let verifier: UserActionVerifier

    /// - Throws: ``SimulatorConfigurationError`` when a credential's public key cannot be used.
    public init(configuration: SimulatorConfiguration) throws(SimulatorConfigurationError) {
        self.configuration = configuration
        self.accountStore = AccountStore(seed: configuration.seed)
        self.credentialStore = CredentialStore(seed: configuration.seed)
        self.authFlows = AuthFlowStore(seed: configuration.seed)
        self.identityProvider = IdentityProvider(seed: configuration.seed)
        self.auditTrail = AuditTrail(seed: configuration.seed)
        self.verifier = UserActionVerifier(configuration: configuration, credentials: credentialStore)
        self.principalStore = PrincipalStore(configuration: configuration, accounts: accountStore)
        try credentialStore.seed(configuration, userId: principalStore.userId, orgId: principalStore.orgId)
        self.rateBudget = RateBudget(perMinute: configuration.rateLimitPerMinute)
        self.faultInjector = FaultInjector(configuration: configuration)
        self.userActionStore = UserActionStore(configuration: configuration)
        self.walletStore = WalletStore(configuration: configuration, faults: faultInjector)
        self.documents = DocumentStore(seed: configuration.seed)
        self.emitter = WebhookEmitter(wallets: walletStore, documents: documents, configuration: configuration)
    }

    deinit { emitter.stop() }

    /// The organisation id every token belongs to.
    public var organizationId: String { principalStore.orgId }

    /// The Hummingbird application; run it (it is a `Service`) or put it in a `ServiceGroup`.
    /// - Parameter onServerRunning: called with the bound channel once listening (its local address has the port).
    public func application(
        logger: Logger = Logger(label: "dfns.simulator"),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            responder: ProxyTimeoutResponder(inner: router().buildResponder(), injector: faultInjector),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dfns-simulator"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    // MARK: Routes

    private typealias Context = SimulatorRequestContext

    private func router() -> Router<Context> {
        let router = Router(context: Context.self)
        // Every Dfns request goes through the same pipeline, in Dfns's order: authentication (401), the organisation's
        // rate limit (429), injected faults, then for a signed write the user action (403/400). Errors anywhere are
        // answered in the Dfns envelope (``APIError``). Each part classifies the request with ``SimulatorEndpoint``.
        let api = router.group()
            .add(middleware: AuthenticationMiddleware(principals: principalStore))
            .add(middleware: RateLimitMiddleware(budget: rateBudget))
            .add(middleware: FaultMiddleware(injector: faultInjector))
            .add(middleware: UserActionMiddleware(userActions: userActionStore))
            .post("/auth/action/init", use: initUserAction)
            .post("/auth/action", use: completeUserAction)
            .post("/wallets", use: createWallet)
            .post("/wallets/:walletId/transfers", use: createTransfer)
            .get("/wallets", use: listWallets)
            .get("/wallets/:walletId", use: getWallet)
            .get("/wallets/:walletId/transfers", use: listTransfers)
            .get("/wallets/:walletId/transfers/:transferId", use: getTransfer)
        addWalletRoutes(to: api)
        addWalletKeyRoutes(to: api)
        addKeyRoutes(to: api)
        addPolicyRoutes(to: api)
        addWebhookRoutes(to: api)
        addNetworkRoutes(to: api)
        addFeeSponsorRoutes(to: api)
        addAgreementRoutes(to: api)
        addSignerRoutes(to: api)
        addStakingRoutes(to: api)
        addTenantRoutes(to: api)
        addVaultRoutes(to: api)
        addExchangeRoutes(to: api)
        addPayinRoutes(to: api)
        addSwapRoutes(to: api)
        addAllocationRoutes(to: api)
        addPayoutRoutes(to: api)
        addAddressWatchRoutes(to: api)
        addPermissionRoutes(to: api)
        addAccessTokenRoutes(to: api)
        addRegistrationRoutes(to: api)
        addLoginRoutes(to: api)
        addCredentialRoutes(to: api)
        addRecoveryRoutes(to: api)
        addFederatedLoginRoutes(to: api)
        addUserRoutes(to: api)
        addAuthUserGroupRoutes(to: api)
        addApplicationRoutes(to: api)
        addAuditLogRoutes(to: api)
        addControlPlane(to: router)
        return router
    }

    // MARK: Handlers

    @Sendable private func initUserAction(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        let principal = try context.caller()
        let input = try Self.decode(UserActionInitRequest.self, context.requestBody)
        guard let payload = input.userActionPayload else { throw .badRequest("userActionPayload must be a string") }
        guard let method = input.userActionHttpMethod, ["POST", "PUT", "DELETE", "GET"].contains(method) else {
            throw .badRequest("userActionHttpMethod must be one of POST, PUT, DELETE, GET")
        }
        guard let path = input.userActionHttpPath, path.hasPrefix("/") else {
            throw .badRequest("userActionHttpPath must be a path starting with /")
        }
        if let kind = input.userActionServerKind, kind != "Api" { throw .badRequest("userActionServerKind must be Api") }
        let issued = userActionStore.issueChallenge(principal: principal, method: method, path: path, payload: payload)
        let terms = verifier.terms(for: accountStore.signer(of: principal))
        return APIResponse(
            json: UserActionChallengeResponse(
                challenge: issued.challenge, challengeIdentifier: issued.identifier, credentials: terms.credentials,
                requiresSecondFactor: terms.requiresSecondFactor, relyingPartyId: verifier.relyingPartyId))
    }

    @Sendable private func completeUserAction(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        let principal = try context.caller()
        let input = try Self.decode(UserActionSignatureRequest.self, context.requestBody)
        guard let identifier = input.challengeIdentifier, let expected = userActionStore.pendingChallenge(identifier, principal: principal) else {
            throw .challengeInvalid
        }
        do {
            try verifier.verify(input, expected: expected, signer: accountStore.signer(of: principal))
        } catch let error where error.statusCode == 401 {
            userActionStore.recordSignatureFailure()
            throw error
        }
        let signed = try userActionStore.consumeChallenge(identifier, principal: principal)
        recordAuditLog(signed, input.firstFactor, principal: principal)
        return APIResponse(json: ["userAction": signed.token])
    }

    @Sendable private func createWallet(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        let principal = try context.caller()
        let object = try Self.object(context.requestBody)
        guard let network = object["network"] as? String else { throw .badRequest("network is required and must be a string") }
        if let name = object["name"], !(name is String) { throw .badRequest("name must be a string") }
        if let externalId = object["externalId"], !(externalId is String) { throw .badRequest("externalId must be a string") }
        var tags: [String] = []
        if let value = object["tags"] {
            guard let strings = value as? [String] else { throw .badRequest("tags must be an array of strings") }
            tags = strings
        }
        if let delay = object["delayDelegation"], SimulatorJSON.boolean(delay) == nil { throw .badRequest("delayDelegation must be a boolean") }
        if let validator = object["validatorId"], !(validator is String) { throw .badRequest("validatorId must be a string") }
        return APIResponse(
            json: try walletStore.createWallet(
                principal: principal, network: network, name: object["name"] as? String,
                externalId: object["externalId"] as? String, tags: tags, reusing: try existingSigningKey(object["signingKey"], principal: principal)
            ))
    }

    /// The key a new wallet reuses (`signingKey.id`, dfns-sdk 1.0.4 `CreateWalletRequest.signing_key`): one made
    /// through `/keys` or another wallet's; nil when the body asks for a new key.
    private func existingSigningKey(_ value: Any?, principal: Principal) throws(APIError) -> SimulatedWallet.SigningKey? {
        guard let value else { return nil }
        guard let signingKey = value as? [String: Any] else { throw .badRequest("signingKey must be an object") }
        guard let id = signingKey["id"] else { return nil }
        guard let keyId = id as? String else { throw .badRequest("signingKey.id must be a string") }
        let key = try Self.key(keyId, principal: principal, wallets: walletStore, documents: documents).json
        return .init(
            id: keyId, scheme: key["scheme"] as? String ?? "", curve: key["curve"] as? String ?? "", publicKey: key["publicKey"] as? String ?? "")
    }

    @Sendable private func getWallet(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        APIResponse(json: try walletStore.wallet(context.parameters.get("walletId") ?? "", principal: context.caller()))
    }

    @Sendable private func listWallets(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        let (limit, cursor) = try Self.page(request)
        let page = walletStore.listWallets(principal: try context.caller(), limit: limit, after: cursor)
        return APIResponse(json: WalletPage(items: page.items, nextPageToken: page.next.map(Self.pageToken)))
    }

    @Sendable private func createTransfer(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        let principal = try context.caller()
        let object = try Self.object(context.requestBody)
        if let problem = TransferValidation.problem(in: object) { throw .badRequest(problem) }
        let walletId = context.parameters.get("walletId") ?? ""
        if walletStore.isForbidden(walletId: walletId) {
            throw APIError(403, "\(principal.userId) is not authorized to perform operation (Wallets:Transfers:Create) on \(walletId)")
        }
        // The wallet is read here only for a sponsored transfer: every other one goes straight to the store.
        let sponsor =
            object["feeSponsorId"] == nil
            ? nil : try feeSponsorship(of: object, wallet: walletStore.wallet(walletId, principal: principal), principal: principal)
        let creation = try walletStore.createTransfer(
            principal: principal, walletId: walletId, body: SimulatorJSON.serialize(object, sorted: true),
            externalId: object["externalId"] as? String, destination: object["to"] as? String
        )
        if let sponsor, case .created(let transfer) = creation {
            recordSponsoredFee(sponsorId: sponsor, walletId: walletId, requestId: transfer.id, principal: principal)
        }
        return Self.created(creation, step: configuration.transferStep)
    }

    @Sendable private func getTransfer(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        let walletId = context.parameters.get("walletId") ?? ""
        let transfer = try walletStore.transfer(context.parameters.get("transferId") ?? "", walletId: walletId, principal: context.caller())
        return APIResponse(json: transfer.json(at: Date(), step: configuration.transferStep))
    }

    @Sendable private func listTransfers(_ request: Request, context: Context) throws(APIError) -> APIResponse {
        let (limit, cursor) = try Self.page(request)
        let walletId = context.parameters.get("walletId") ?? ""
        let page = try walletStore.listTransfers(walletId: walletId, principal: context.caller(), limit: limit, after: cursor)
        let now = Date()
        var json = Self.pageJSON(page.items.map { $0.json(at: now, step: configuration.transferStep) }, next: page.next)
        json["walletId"] = walletId
        return APIResponse(json: json)
    }

    // MARK: Helpers

    static func object(_ body: [UInt8]) throws(APIError) -> [String: Any] {
        guard let object = SimulatorJSON.parse(body) as? [String: Any] else { throw .badRequest("the body must be a JSON object") }
        return object
    }

    static func page(_ request: Request) throws(APIError) -> (limit: Int, cursor: Int) {
        let query = formQuery(request.uri.query ?? "")
        var limit = 50
        if let text = query["limit"] {
            guard let value = Int(text), (1...500).contains(value) else { throw .badRequest("limit must be an integer from 1 to 500") }
            limit = value
        }
        var cursor = 0
        if let token = query["paginationToken"] {
            guard let bytes = Base64Text.decodeStandard(token), bytes.starts(with: pageTokenPrefix),
                let text = String(bytes: bytes.dropFirst(pageTokenPrefix.count), encoding: .utf8), text.hasPrefix("cursor:"),
                let value = Int(text.dropFirst(7).prefix { $0 != "~" }), value >= 0
            else { throw .badRequest("paginationToken is not valid") }
            cursor = value
        }
        return (limit, cursor)
    }

    /// A query string decoded the way form-decoding servers (Node's `querystring` and `qs`) read it: `+` is a space,
    /// then percent-escapes. A client that leaves `+` raw in a base64 page token loses it here, as at Dfns.
    static func formQuery(_ query: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return values
    }

    static func pageJSON(_ items: [[String: Any]], next: Int?) -> [String: Any] {
        var json: [String: Any] = ["items": items]
        json["nextPageToken"] = next.map(pageToken)
        return json
    }

    /// Bytes that open every page token, so its standard base64 starts with `+/+/`.
    private static let pageTokenPrefix: [UInt8] = [0xFB, 0xFF, 0xBF]

    /// The opaque `nextPageToken` for a cursor: standard base64 with `+`, `/` and `=` padding, as Dfns's tokens are.
    static func pageToken(_ cursor: Int) -> String {
        var bytes = pageTokenPrefix + Array("cursor:\(cursor)".utf8)
        while bytes.count % 3 != 1 { bytes.append(UInt8(ascii: "~")) }
        return Base64Text.standard(bytes)
    }

    private struct WalletPage: Encodable {
        let items: [SimulatedWallet]
        let nextPageToken: String?
    }

    /// Decodes a request body, naming the field of a type mismatch.
    static func decode<Body: Decodable>(_ type: Body.Type, _ body: [UInt8]) throws(APIError) -> Body {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let DecodingError.typeMismatch(_, context) {
            throw .badRequest("\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch {
            throw .badRequest("the body must be a JSON object")
        }
    }
}
