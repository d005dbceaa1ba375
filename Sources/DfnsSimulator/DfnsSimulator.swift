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
    let store: SimulatorStore
    private let verifiers: [String: PublicKeyVerifier]
    private let credentialIds: [String]

    /// - Throws: ``SimulatorConfigurationError`` when a credential's public key cannot be used.
    public init(configuration: SimulatorConfiguration) throws(SimulatorConfigurationError) {
        self.configuration = configuration
        var verifiers: [String: PublicKeyVerifier] = [:]
        for (credentialId, pem) in configuration.credentials {
            do {
                verifiers[credentialId] = try PublicKeyVerifier(publicKeyPEM: pem)
            } catch {
                throw SimulatorConfigurationError("credential \(credentialId): \(error.message)")
            }
        }
        self.verifiers = verifiers
        self.credentialIds = verifiers.keys.sorted()
        self.store = SimulatorStore(configuration: configuration)
    }

    /// The organisation id every token belongs to.
    public var organizationId: String { store.orgId }

    /// The Hummingbird application; run it (it is a `Service`) or put it in a `ServiceGroup`.
    /// - Parameter onServerRunning: called with the bound channel once listening (its local address has the port).
    public func application(
        logger: Logger = Logger(label: "dfns.simulator"),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dfns-simulator"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    // MARK: Routes

    private typealias Context = SimulatorRequestContext
    private typealias Handler = @Sendable (Principal, Request, Context, [UInt8]) async throws(APIError) -> Any

    private func router() -> Router<Context> {
        let router = Router(context: Context.self)
        router.post("/auth/action/init") { [self] request, context in
            await api(.actionInit, request, context, handler: initUserAction)
        }
        router.post("/auth/action") { [self] request, context in
            await api(.action, request, context, handler: completeUserAction)
        }
        router.post("/wallets") { [self] request, context in
            await api(.createWallet, request, context, signed: true, handler: createWallet)
        }
        router.get("/wallets") { [self] request, context in
            await api(.read, request, context, handler: listWallets)
        }
        router.get("/wallets/:walletId") { [self] request, context in
            await api(.read, request, context) { [store] principal, _, context, _ throws(APIError) in
                try store.wallet(context.parameters.get("walletId") ?? "", principal: principal)
            }
        }
        router.post("/wallets/:walletId/transfers") { [self] request, context in
            await api(.createTransfer, request, context, signed: true, handler: createTransfer)
        }
        router.get("/wallets/:walletId/transfers") { [self] request, context in
            await api(.read, request, context, handler: listTransfers)
        }
        router.get("/wallets/:walletId/transfers/:transferId") { [self] request, context in
            await api(.read, request, context) { [store, configuration] principal, _, context, _ throws(APIError) in
                let walletId = context.parameters.get("walletId") ?? ""
                let transfer = try store.transfer(context.parameters.get("transferId") ?? "", walletId: walletId, principal: principal)
                return transfer.json(at: Date(), step: configuration.transferStep)
            }
        }
        addControlPlane(to: router)
        return router
    }

    /// Authenticates, rate-limits, injects faults, checks the user action of signed writes, runs `handler` and
    /// answers its result as JSON (or its error in the Dfns envelope).
    private func api(
        _ endpoint: SimulatorEndpoint,
        _ request: Request,
        _ context: Context,
        signed: Bool = false,
        handler: @escaping Handler
    ) async -> Response {
        guard let principal = store.principal(bearer: Self.bearer(request)) else { return Self.error(APIError.unauthorized) }
        if let retryAfter = store.admit(endpoint) {
            return Self.error(APIError(429, "Rate limit exceeded", retryAfter: String(retryAfter)))
        }
        let faults = store.drawFaults(endpoint)
        let body: [UInt8]
        do {
            body = try await Self.body(of: request)
        } catch {
            return Self.error(error)
        }
        guard let proxyTimeout = faults.proxyTimeout else {
            return await process(faults, principal, request, context, body, signed: signed, handler: handler)
        }
        // A proxy in front of Dfns gives up first and answers 502, while the operation goes on (outside this request's
        // task, so the client's departure does not cancel it) and commits.
        let processing = Task { [self] in
            await process(faults, principal, request, context, body, signed: signed, handler: handler)
        }
        return await withCheckedContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (Response) -> Void = { response in
                if answered.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: response) }
            }
            Task { answer(await processing.value) }
            Task {
                try? await Task.sleep(for: proxyTimeout)
                answer(Response(status: .badGateway, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html><body><h1>502 Bad Gateway</h1></body></html>"))))
            }
        }
    }

    /// Everything after authentication and the rate limit: injected faults, the user action, the handler.
    private func process(
        _ faults: SimulatorStore.FaultDecision, _ principal: Principal, _ request: Request, _ context: Context, _ body: [UInt8],
        signed: Bool, handler: Handler
    ) async -> Response {
        if faults.latency > .zero { try? await Task.sleep(for: faults.latency) }
        if faults.rateLimited { return Self.error(APIError(429, "Rate limit exceeded", retryAfter: faults.retryAfter)) }
        if let status = faults.serverErrorStatus { return Self.error(APIError(status, "Internal server error (injected)")) }
        if faults.notFound { return Self.error(APIError(404, "not found (injected: briefly invisible to a replica)")) }
        do {
            if signed {
                let token = request.headers[Self.userActionHeader]
                try store.consumeUserAction(token, principal: principal, method: request.method.rawValue, path: request.uri.path, body: body)
            }
            var result = try await handler(principal, request, context, body)
            var status = HTTPResponse.Status.ok
            if let accepted = result as? Accepted {
                // A request a policy holds for approval is accepted with 202 and the entity as body.
                status = .accepted
                result = accepted.entity
            }
            if faults.loseResponse {
                // The operation is recorded; the client never learns it.
                try? await context.channel.close()
            }
            if faults.serverErrorAfterCommit {
                // A proxy in front of Dfns fails after the operation committed and answers for it.
                return Response(status: .badGateway, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html><body><h1>502 Bad Gateway</h1></body></html>")))
            }
            var bytes = Self.jsonBytes(result)
            if faults.garble {
                // The operation is recorded; the client gets a 2xx whose body is cut in half.
                bytes = Array(bytes.prefix(bytes.count / 2))
            }
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            return Self.error(error)
        }
    }

    /// A handler result answered HTTP 202: the entity exists and waits for a policy approval.
    private struct Accepted {
        let entity: Any
    }

    private func initUserAction(principal: Principal, request: Request, context: Context, body: [UInt8]) throws(APIError) -> Any {
        let input = try Self.decode(UserActionInitRequest.self, body)
        guard let payload = input.userActionPayload else { throw .badRequest("userActionPayload must be a string") }
        guard let method = input.userActionHttpMethod, ["POST", "PUT", "DELETE", "GET"].contains(method) else {
            throw .badRequest("userActionHttpMethod must be one of POST, PUT, DELETE, GET")
        }
        guard let path = input.userActionHttpPath, path.hasPrefix("/") else {
            throw .badRequest("userActionHttpPath must be a path starting with /")
        }
        if let kind = input.userActionServerKind, kind != "Api" { throw .badRequest("userActionServerKind must be Api") }
        let issued = store.issueChallenge(principal: principal, method: method, path: path, payload: payload)
        return UserActionChallengeResponse(challenge: issued.challenge, challengeIdentifier: issued.identifier, credentialIds: credentialIds)
    }

    private func completeUserAction(principal: Principal, request: Request, context: Context, body: [UInt8]) throws(APIError) -> Any {
        let input = try Self.decode(UserActionSignatureRequest.self, body)
        guard let identifier = input.challengeIdentifier, let expected = store.pendingChallenge(identifier, principal: principal) else {
            throw .challengeInvalid
        }
        guard let factor = input.firstFactor else { throw .badRequest("firstFactor is required") }
        guard factor.kind == "Key" else { throw .badRequest("firstFactor.kind must be Key") }
        guard let assertion = factor.credentialAssertion, let credentialId = assertion.credId,
            let clientDataText = assertion.clientData, let signatureText = assertion.signature
        else { throw .badRequest("firstFactor.credentialAssertion needs credId, clientData and signature strings") }
        guard let verifier = verifiers[credentialId] else { throw APIError(401, "credential \(credentialId) is not an active key credential of this user") }
        guard let clientData = Base64Text.decodeURL(clientDataText),
            let client = try? JSONDecoder().decode(ClientData.self, from: Data(clientData))
        else { throw .badRequest("clientData must be base64url-encoded JSON") }
        guard client.type == "key.get" else { throw .badRequest("clientData.type must be key.get") }
        guard client.challenge == expected else { throw .challengeInvalid }
        guard client.crossOrigin != true else { throw .badRequest("clientData.crossOrigin must be false") }
        guard let signature = Base64Text.decodeURL(signatureText),
            verifier.verify(signature: signature, message: clientData, acceptRawECDSA: configuration.acceptRawECDSA)
        else {
            store.recordSignatureFailure()
            throw APIError(401, "invalid signature")
        }
        return ["userAction": try store.consumeChallenge(identifier, principal: principal)]
    }

    private func createWallet(principal: Principal, request: Request, context: Context, body: [UInt8]) throws(APIError) -> Any {
        let object = try Self.object(body)
        guard let network = object["network"] as? String else { throw .badRequest("network is required and must be a string") }
        if let name = object["name"], !(name is String) { throw .badRequest("name must be a string") }
        if let externalId = object["externalId"], !(externalId is String) { throw .badRequest("externalId must be a string") }
        var tags: [String] = []
        if let value = object["tags"] {
            guard let strings = value as? [String] else { throw .badRequest("tags must be an array of strings") }
            tags = strings
        }
        return try store.createWallet(
            principal: principal, network: network, name: object["name"] as? String,
            externalId: object["externalId"] as? String, tags: tags
        )
    }

    private func listWallets(principal: Principal, request: Request, context: Context, body: [UInt8]) throws(APIError) -> Any {
        let (limit, cursor) = try Self.page(request)
        let page = store.listWallets(principal: principal, limit: limit, after: cursor)
        return WalletPage(items: page.items, nextPageToken: page.next.map(Self.pageToken))
    }

    private func createTransfer(principal: Principal, request: Request, context: Context, body: [UInt8]) throws(APIError) -> Any {
        let object = try Self.object(body)
        if let problem = TransferValidation.problem(in: object) { throw .badRequest(problem) }
        let walletId = context.parameters.get("walletId") ?? ""
        if store.isForbidden(walletId: walletId) {
            throw APIError(403, "\(principal.userId) is not authorized to perform operation (Wallets:Transfers:Create) on \(walletId)")
        }
        let creation = try store.createTransfer(
            principal: principal, walletId: walletId, body: SimulatorJSON.serialize(object, sorted: true),
            externalId: object["externalId"] as? String, destination: object["to"] as? String
        )
        let now = Date()
        switch creation {
        case .created(let transfer) where transfer.awaitsApproval(at: now):
            return Accepted(entity: transfer.json(at: now, step: configuration.transferStep))
        case .created(let transfer), .replayed(let transfer):
            return transfer.json(at: now, step: configuration.transferStep)
        }
    }

    private func listTransfers(principal: Principal, request: Request, context: Context, body: [UInt8]) throws(APIError) -> Any {
        let (limit, cursor) = try Self.page(request)
        let walletId = context.parameters.get("walletId") ?? ""
        let page = try store.listTransfers(walletId: walletId, principal: principal, limit: limit, after: cursor)
        let now = Date()
        var json = Self.pageJSON(page.items.map { $0.json(at: now, step: configuration.transferStep) }, next: page.next)
        json["walletId"] = walletId
        return json
    }

    // MARK: Control plane

    private func addControlPlane(to router: Router<Context>) {
        let group = router.group("/_sim")
        group.get("/health") { _, _ in Self.json(.ok, ["status": "ok"]) }
        group.get("/stats") { [store] _, _ in
            let stats = store.stats()
            let transfers = store.allTransfers()
            let walletExternalIds = store.allWallets().compactMap(\.externalId)
            return Self.json(.ok, [
                "requests": stats.requests, "unauthorized": stats.unauthorized, "rateLimited": stats.rateLimited,
                "injectedServerErrors": stats.injectedServerErrors, "injectedRateLimits": stats.injectedRateLimits,
                "lostResponses": stats.lostResponses, "serverErrorsAfterCommit": stats.serverErrorsAfterCommit,
                "garbledResponses": stats.garbledResponses, "injectedNotFound": stats.injectedNotFound,
                "signatureFailures": stats.signatureFailures,
                "walletsCreated": stats.walletCreates, "transfersCreated": stats.transferCreates,
                "transferReplays": stats.transferReplays, "conflicts": stats.conflicts,
                "transfersWithExternalId": transfers.count { $0.externalId != nil },
                "distinctTransferExternalIds": Set(transfers.compactMap(\.externalId)).count,
                "walletsWithExternalId": walletExternalIds.count,
                "distinctWalletExternalIds": Set(walletExternalIds).count,
                "requestsByEndpoint": Dictionary(uniqueKeysWithValues: stats.byEndpoint.map { ($0.key.rawValue, $0.value) }),
            ] as [String: Any])
        }
        group.get("/transfers") { [store, configuration] _, _ in
            let now = Date()
            return Self.json(.ok, ["items": store.allTransfers().map { $0.json(at: now, step: configuration.transferStep) }])
        }
        group.put("/faults") { [store] request, _ in
            do {
                let body = try await Self.body(of: request)
                let faults = try JSONDecoder().decode([String: FaultRule].self, from: Data(body))
                var plan: [SimulatorEndpoint: FaultRule] = [:]
                for (name, rule) in faults {
                    guard let endpoint = SimulatorEndpoint(rawValue: name) else {
                        throw APIError.badRequest("unknown endpoint \(name) (use \(SimulatorEndpoint.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    plan[endpoint] = rule
                }
                store.setFaults(plan)
                return Self.json(.ok, ["endpoints": plan.count])
            } catch {
                return Self.error(error)
            }
        }
        group.put("/revoked-tokens") { [store] request, _ in
            // A JSON array of bearer tokens to answer 401 from now on, as Dfns does once a token is revoked; [] restores.
            guard let tokens = SimulatorJSON.parse(try await Self.body(of: request)) as? [String] else {
                return Self.error(APIError.badRequest("the body must be a JSON array of bearer tokens"))
            }
            store.setRevokedBearers(Set(tokens))
            return Self.json(.ok, ["revoked": tokens.count])
        }
        group.put("/forbidden-wallets") { [store] request, _ in
            // A JSON array of wallet ids whose transfers are answered 403 (a permission scoped to other wallets).
            guard let ids = SimulatorJSON.parse(try await Self.body(of: request)) as? [String] else {
                return Self.error(APIError.badRequest("the body must be a JSON array of wallet ids"))
            }
            store.setForbiddenWallets(Set(ids))
            return Self.json(.ok, ["forbidden": ids.count])
        }
        group.post("/foreign-wallets") { [store] request, _ in
            // A wallet another application of the organisation made: {network, externalId?, name?, oddShape?}.
            do {
                let object = try Self.object(await Self.body(of: request))
                guard let network = object["network"] as? String, let principal = store.anyPrincipal else {
                    throw APIError.badRequest("network is required")
                }
                let wallet = try store.createWallet(
                    principal: principal, network: network, name: object["name"] as? String, externalId: object["externalId"] as? String,
                    tags: [], foreign: true, oddShape: object["oddShape"] as? Bool ?? false
                )
                return Self.json(.ok, wallet)
            } catch {
                return Self.error(error)
            }
        }
        group.post("/approvals/:transferId") { [store] request, context in
            let object = (try? Self.object(await Self.body(of: request))) ?? [:]
            let approve = object["approve"] as? Bool ?? true
            guard store.decideApproval(transferId: context.parameters.get("transferId") ?? "", approve: approve) else {
                return Self.error(APIError(404, "no transfer waiting for approval with that id"))
            }
            return Self.json(.ok, ["approved": approve])
        }
    }

    // MARK: Helpers

    private static let userActionHeader = HTTPField.Name("X-DFNS-USERACTION")!

    private static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return String(value.dropFirst(7))
    }

    private static func body(of request: Request) async throws(APIError) -> [UInt8] {
        do {
            var buffer = try await request.body.collect(upTo: 1 << 20)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw APIError(413, "request body too large or unreadable")
        }
    }

    private static func object(_ body: [UInt8]) throws(APIError) -> [String: Any] {
        guard let object = SimulatorJSON.parse(body) as? [String: Any] else { throw .badRequest("the body must be a JSON object") }
        return object
    }

    private static func page(_ request: Request) throws(APIError) -> (limit: Int, cursor: Int) {
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
    private static func formQuery(_ query: String) -> [String: String] {
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

    private static func pageJSON(_ items: [[String: Any]], next: Int?) -> [String: Any] {
        var json: [String: Any] = ["items": items]
        json["nextPageToken"] = next.map(pageToken)
        return json
    }

    /// Bytes that open every page token, so its standard base64 starts with `+/+/`.
    private static let pageTokenPrefix: [UInt8] = [0xFB, 0xFF, 0xBF]

    /// The opaque `nextPageToken` for a cursor: standard base64 with `+`, `/` and `=` padding, as Dfns's tokens are.
    private static func pageToken(_ cursor: Int) -> String {
        var bytes = pageTokenPrefix + Array("cursor:\(cursor)".utf8)
        while bytes.count % 3 != 1 { bytes.append(UInt8(ascii: "~")) }
        return Base64Text.standard(bytes)
    }

    private struct WalletPage: Encodable {
        let items: [SimulatedWallet]
        let nextPageToken: String?
    }

    /// Encodes `value` (an `Encodable`, or a JSONSerialization tree for dynamic shapes) as a JSON response.
    private static func json(_ status: HTTPResponse.Status, _ value: Any) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: jsonBytes(value))))
    }

    private static func jsonBytes(_ value: Any) -> [UInt8] {
        if let encodable = value as? any Encodable, let data = try? encoder.encode(encodable) { return Array(data) }
        return SimulatorJSON.serialize(value)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()

    /// Decodes a request body, naming the field of a type mismatch.
    private static func decode<Body: Decodable>(_ type: Body.Type, _ body: [UInt8]) throws(APIError) -> Body {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let DecodingError.typeMismatch(_, context) {
            throw .badRequest("\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch {
            throw .badRequest("the body must be a JSON object")
        }
    }

    private static func error(_ error: any Error) -> Response {
        let apiError = error as? APIError ?? APIError(500, "internal error")
        var envelope: [String: Any] = [
            "id": String(UInt64.random(in: 1_000_000_000_000_000_000...9_999_999_999_999_999_999)),
            "status": apiError.status,
            "message": apiError.message,
        ]
        if let details = apiError.details { envelope["details"] = details }
        var response = json(HTTPResponse.Status(code: apiError.status), ["error": envelope])
        if let retryAfter = apiError.retryAfter { response.headers[.retryAfter] = retryAfter }
        return response
    }
}
