import DfnsSDK
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The application's backend: the page and its JSON API.
///
/// - Registration: the service account opens a delegated registration (`DfnsClient.delegatedRegistration`), the page
///   makes a passkey on the challenge, the backend completes it with the session's temporary token and one wallet
///   (`/auth/registration/enduser`), which also logs the user in.
/// - Login without a username: a login challenge any discoverable passkey answers, completed into the user's token.
/// - Writes the user signs: the backend starts them with the user's token (`initUserAction`), the page signs the
///   challenge with the passkey, the backend completes them (``PendingUserAction``).
/// - Jobs dfns-worker carries out for the user (``ParkedJobs``, with `DATABASE_URL`): the backend queues them on the
///   user's behalf, the worker parks each one with Dfns's challenge, the page signs it, the backend hands the
///   signature back with `dfns_worker.sign` and the worker completes the write.
///
/// Tokens stay in the server's sessions; the browser holds a random session id in an HttpOnly, SameSite=Strict cookie.
struct EndUserBackend: Sendable {
    /// The session cookie's name.
    static let cookieName = "end_user_session"
    /// The network of the wallets this example makes.
    static let walletNetwork = "EthereumSepolia"

    let serviceAccount: DfnsClient
    let authenticator: DfnsAuthenticator
    /// Passed to the login challenge (Dfns may need it for a login without a username); nil for the token's own.
    let orgId: String?
    /// The jobs the worker carries out for the users; nil without `DATABASE_URL` (the page says they are off).
    let jobs: ParkedJobs?
    let logger: Logger
    let sessions = EndUserSessions()

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Self.asset(PackageResources.index_html, type: "text/html; charset=utf-8") }
        router.get("/app.js") { _, _ in Self.asset(PackageResources.app_js, type: "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in Self.asset(PackageResources.app_css, type: "text/css; charset=utf-8") }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        let api = router.group("api").add(middleware: SameOriginGuard())
        api.get("session") { request, _ in try Response.json(state(sessions.with(sessionId(request)) { $0.user } ?? nil)) }
        api.post("registration") { request, context in try await startRegistration(request, context) }
        api.post("registration/complete") { request, context in try await completeRegistration(request, context) }
        api.post("login") { request, _ in try await startLogin(request) }
        api.post("login/complete") { request, context in try await completeLogin(request, context) }
        api.post("logout") { request, _ in await logout(request) }
        api.get("wallets") { request, _ in try await wallets(request) }
        api.post("wallets") { request, context in try await startWallet(request, context) }
        api.post("actions/:id") { request, context in try await sign(request, context) }
        registerParkedJobs(on: api)
    }

    // MARK: Registration

    private struct RegistrationForm: Decodable {
        let email: String
    }

    private func startRegistration(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let email = try await request.decode(as: RegistrationForm.self, context: context).email.trimmingCharacters(in: .whitespaces)
        guard (3...254).contains(email.count), email.contains("@"), !email.contains(where: \.isWhitespace) else {
            throw AppProblem(.badRequest, "enter an email address")
        }
        let challenge: RegistrationChallenge
        do {
            challenge = try await serviceAccount.delegatedRegistration(email: email)
        } catch let error as DfnsError {
            throw AppProblem(error, doing: "open a registration for \(email)")
        }
        let (id, isNew) = sessionOrNew(request)
        _ = sessions.with(id) { $0.registration = challenge }
        return try withCookie(try Response.json(BrowserChallenge.registration(challenge)), id, isNew)
    }

    private func completeRegistration(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let attestation = try await request.decode(as: BrowserAttestation.self, context: context)
        guard let id = sessionId(request), let challenge = sessions.with(id, { $0.registration }) ?? nil else {
            throw AppProblem(.conflict, "no registration is open in this browser: start again")
        }
        let registration: EndUserRegistration
        do {
            registration = try await authenticator.completeEndUserRegistration(
                challenge, firstFactor: try attestation.firstFactor(name: "Passkey"),
                wallets: [CreateWalletRequest(network: Self.walletNetwork, name: "First wallet")])
        } catch let error as DfnsError {
            throw AppProblem(error, doing: "register your passkey")
        }
        logger.info("end user registered", metadata: ["user.id": "\(registration.userId)"])
        return try signIn(
            request, replacing: id, EndUserSession.User(id: registration.userId, username: challenge.username, token: registration.token))
    }

    // MARK: Login and logout

    private func startLogin(_ request: Request) async throws -> Response {
        let challenge: UserActionChallenge
        do {
            challenge = try await authenticator.loginChallenge(orgId: orgId)
        } catch let error as DfnsError {
            throw AppProblem(error, doing: "start a login")
        }
        let (id, isNew) = sessionOrNew(request)
        _ = sessions.with(id) { $0.login = challenge }
        return try withCookie(try Response.json(BrowserChallenge.assertion(challenge)), id, isNew)
    }

    private func completeLogin(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let assertion = try await request.decode(as: BrowserAssertion.self, context: context)
        // Dfns spends a login challenge on its first answer, right or wrong: so does the app.
        guard let id = sessionId(request),
            let challenge = sessions.with(
                id,
                { session in
                    defer { session.login = nil }
                    return session.login
                }) ?? nil
        else { throw AppProblem(.conflict, "no login is waiting in this browser: start again") }
        guard let userId = assertion.userId else {
            throw AppProblem(.badRequest, "the passkey returned no user handle: use a passkey made for this site (a discoverable credential)")
        }
        let token: String
        do {
            token = try await authenticator.completeLogin(try assertion.signed(challenge))
        } catch let error as DfnsError {
            throw AppProblem(error, doing: "log you in")
        }
        // Dfns accepted the assertion, whose user handle it checks against the passkey's user: the id is theirs.
        let username = try? await serviceAccount.send(DfnsAuth.getUser(userId: userId))["username"]?.stringValue
        logger.info("end user logged in", metadata: ["user.id": "\(userId)"])
        return try signIn(request, replacing: id, EndUserSession.User(id: userId, username: username, token: token))
    }

    private func logout(_ request: Request) async -> Response {
        if let id = sessionId(request) {
            if let user = sessions.with(id, { $0.user }) ?? nil {
                do {
                    _ = try await authenticator.delegatedClient(token: user.token).send(DfnsAuth.logout())
                } catch {
                    logger.notice("Dfns did not end the login; forgetting it here anyway", metadata: ["error": "\(error)"])
                }
            }
            sessions.close(id)
        }
        var response = (try? Response.json(state(nil))) ?? Response(status: .ok)
        response.setCookie(cookie("", maxAge: 0))
        return response
    }

    // MARK: Wallets and the writes the user signs

    private struct WalletForm: Decodable {
        let name: String?
    }

    private func wallets(_ request: Request) async throws -> Response {
        let (id, user) = try signedIn(request)
        do {
            let page = try await authenticator.delegatedClient(token: user.token).listWalletsPage(limit: 100)
            let items = page.items.map { wallet in
                [
                    "id": wallet.id, "network": wallet.network, "name": wallet.name ?? "", "address": wallet.address ?? "",
                    "status": wallet.status ?? "",
                ]
            }
            return try Response.json(["items": items])
        } catch let error as DfnsError {
            throw expired(error, id) ?? AppProblem(error, doing: "list your wallets")
        }
    }

    private func startWallet(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let name = (try await request.decode(as: WalletForm.self, context: context).name ?? "").trimmingCharacters(in: .whitespaces)
        guard name.count <= 100 else { throw AppProblem(.badRequest, "a wallet name has at most 100 characters") }
        let create = try DfnsWallets.createWallet(CreateWalletRequest(network: Self.walletNetwork, name: name.isEmpty ? nil : name))
        return try await startAction(
            request, create,
            summary: name.isEmpty ? "create an \(Self.walletNetwork) wallet" : "create the \(Self.walletNetwork) wallet named \(name)"
        ) { $0.raw }
    }

    /// Starts `write` as the signed-in user and keeps it until the page posts its signature to `actions/{id}`.
    private func startAction<Output>(
        _ request: Request, _ write: DfnsRequest<Output>, summary: String, result: @escaping @Sendable (Output) -> JSONValue
    ) async throws -> Response {
        let (id, user) = try signedIn(request)
        let client = authenticator.delegatedClient(token: user.token)
        let challenge: UserActionChallenge
        do {
            challenge = try await client.initUserAction(for: write)
        } catch let error as DfnsError {
            throw expired(error, id) ?? AppProblem(error, doing: summary)
        }
        let actionId = EndUserSessions.randomId(bytes: 16)
        let pending = PendingUserAction(
            summary: summary, challenge: challenge, expiresAt: .now.advanced(by: PendingUserAction.lifetime),
            complete: { signed in result(try await client.complete(write, signedChallenge: signed)) })
        _ = sessions.with(id) { $0.actions[actionId] = pending }
        return try Response.json(["actionId": .string(actionId), "summary": .string(summary), "challenge": BrowserChallenge.assertion(challenge)])
    }

    /// Completes a pending write with the user's signature. It stays pending until Dfns accepts one (a refused
    /// signature may be followed by the right one); once done, its id answers 404.
    private func sign(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let assertion = try await request.decode(as: BrowserAssertion.self, context: context)
        let (id, user) = try signedIn(request)
        guard let actionId = context.parameters.get("id"), let pending = sessions.with(id, { $0.actions[actionId] }) ?? nil else {
            throw AppProblem(.notFound, "nothing waits for your signature under this id: it was signed already, expired, or never asked for")
        }
        let result: JSONValue
        do {
            result = try await pending.complete(try assertion.signed(pending.challenge))
        } catch let error as DfnsError {
            throw AppProblem(error, doing: pending.summary)
        }
        _ = sessions.with(id) { $0.actions[actionId] = nil }
        logger.info("user action signed", metadata: ["user.id": "\(user.id)", "action.id": "\(actionId)"])
        return try Response.json(["done": .string(pending.summary), "result": result])
    }

    // MARK: Sessions

    private struct SessionState: Encodable {
        let signedIn: Bool
        let userId: String?
        let username: String?
        /// Whether the jobs the worker carries out are on (the app has a database).
        let parkedJobs: Bool
    }

    private func state(_ user: EndUserSession.User?) -> SessionState {
        SessionState(signedIn: user != nil, userId: user?.id, username: user?.username, parkedJobs: jobs != nil)
    }

    private func sessionId(_ request: Request) -> String? {
        request.cookies[Self.cookieName]?.value
    }

    /// The request's session, or a new one (whose cookie the response must set).
    private func sessionOrNew(_ request: Request) -> (id: String, isNew: Bool) {
        if let id = sessionId(request), sessions.with(id, { _ in true }) == true { return (id, false) }
        return (sessions.open(), true)
    }

    /// The request's session and its user; 401 when nobody is logged in.
    func signedIn(_ request: Request) throws(AppProblem) -> (id: String, user: EndUserSession.User) {
        guard let id = sessionId(request), let user = sessions.with(id, { $0.user }) ?? nil else {
            throw AppProblem(.unauthorized, "log in first")
        }
        return (id, user)
    }

    /// A session for `user` under a new id (no id known before the login survives it), replacing `old`.
    private func signIn(_ request: Request, replacing old: String, _ user: EndUserSession.User) throws -> Response {
        sessions.close(old)
        let id = sessions.open()
        _ = sessions.with(id) { $0.user = user }
        return try withCookie(try Response.json(state(user)), id, true)
    }

    /// When Dfns no longer takes the user's token (401 outside a signature), the session forgets it.
    private func expired(_ error: DfnsError, _ id: String) -> AppProblem? {
        guard error.code == .unauthorized else { return nil }
        _ = sessions.with(id) { $0.user = nil }
        return AppProblem(.unauthorized, "your login expired: log in again")
    }

    private func withCookie(_ response: Response, _ id: String, _ isNew: Bool) throws -> Response {
        var response = response
        if isNew { response.setCookie(cookie(id, maxAge: Int(EndUserSessions.idleLifetime.components.seconds))) }
        return response
    }

    /// HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it); Secure is left to a
    /// deployment behind https (http://localhost is a secure context without it).
    private func cookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: Self.cookieName, value: value, maxAge: maxAge, path: "/", httpOnly: true, sameSite: .strict)
    }

    // MARK: The page

    private static func asset(_ bytes: [UInt8], type: String) -> Response {
        var headers = securityHeaders
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Only this app's own script, style and API; no framing; nothing cached.
    private static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .init("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]
}
