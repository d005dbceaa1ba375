import DfnsWorker
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The operator console: server-rendered pages under ``base`` — the overview, the job list, one job — and the
/// operator actions (retry, cancel, run now) through `dfns_worker.operator_action`, the same rules as the CLI.
///
/// Every request passes ``ConsoleDoor`` first: it must name one of the console's own hosts (no DNS rebinding), and
/// when the console listens beyond loopback every page needs a signed-in operator. Acting needs a session signed in
/// with an operator's own token (``ConsoleSession``; the action is recorded under that operator's name) and the
/// session's CSRF token in the form, and the browser's `Origin`, when sent, must be this host. Served by `run` on its
/// HTTP endpoint and by `dfns-worker console`; both bind 127.0.0.1 unless told otherwise.
public struct Console: Sendable {
    /// The path the console is served under.
    public let base: String
    private let configuration: ConsoleConfiguration
    private let queries: ConsoleQueries
    private let pages: ConsolePages
    private let sessions: ConsoleSession?
    private let store: JobStore
    private let logger: Logger

    /// - Parameter store: a store on the console's own connection pool (see ``connectionOptions``), so pages never take
    ///   the worker's connections.
    public init(store: JobStore, configuration: ConsoleConfiguration, logger: Logger, base: String = "/console") throws {
        self.base = base
        self.configuration = configuration
        self.store = store
        self.logger = logger
        queries = ConsoleQueries(store: store, logger: logger)
        pages = try ConsolePages(base: base)
        sessions = configuration.operators.isEmpty ? nil : ConsoleSession(operators: configuration.operators, lifetime: configuration.sessionLifetime)
    }

    /// Startup parameters of the console's connections: a read that takes over 5 seconds is given up (a page must
    /// not hold locks or connections), and `pg_stat_activity` names the console.
    public static let connectionOptions: [(String, String)] = [("statement_timeout", "5s"), ("application_name", "dfns-worker console")]

    /// Adds the console's routes to `router`, behind its ``ConsoleDoor``.
    public func register(on router: Router<BasicRequestContext>) {
        let console = router.group(RouterPath(base)).add(
            middleware: ConsoleDoor(
                base: base, allowedHosts: configuration.allowedHosts, requiresSignIn: configuration.requiresSignIn, signedIn: signedIn,
                takesActions: sessions != nil, refuse: refused
            ))
        console.get { request, _ in await overview(request) }
        console.get("jobs") { request, _ in await jobs(request) }
        console.get("jobs/:id") { request, context in
            await job(request, id: context.parameters.get("id"), notice: request.uri.queryParameters.get("done").flatMap(Self.doneNotice))
        }
        console.post("jobs/:id/actions") { request, context in await act(request, id: context.parameters.get("id")) }
        console.get("login") { request, _ in
            guard sessions != nil else {
                return page(.notFound, pages.problem("Actions are off", frame: frame(request, "Sign in", problem: Self.readOnly)))
            }
            return page(.ok, pages.login(frame: frame(request, "Sign in")))
        }
        console.post("login") { request, _ in await login(request) }
        console.post("logout") { request, _ in await logout(request) }
        console.get("assets/console.css") { _, _ in asset(ConsoleTemplates.stylesheet, type: "text/css; charset=utf-8") }
        console.get("assets/console.js") { _, _ in asset(ConsoleTemplates.script, type: "text/javascript; charset=utf-8") }
        console.get("assets/icon.svg") { _, _ in asset(ConsoleTemplates.icon, type: "image/svg+xml") }
    }

    // MARK: Pages

    private func overview(_ request: Request) async -> Response {
        var frame = frame(request, "Overview", refresh: true)
        frame.section = .overview
        do {
            return page(.ok, pages.overview(try await queries.overview(), frame: frame))
        } catch {
            return unavailable(error, frame)
        }
    }

    private func jobs(_ request: Request) async -> Response {
        var frame = frame(request, "Jobs")
        frame.section = .jobs
        let parameters = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }) { first, _ in first }
        let filter: ConsoleJobFilter
        do {
            filter = try ConsoleJobFilter(parameters)
        } catch {
            frame.problem = "This list cannot be shown: \(error.description)."
            return page(.badRequest, pages.problem("Check the filters", frame: frame))
        }
        frame.searchText = filter.search ?? ""
        do {
            let found = try await queries.jobs(filter, limit: configuration.pageSize + 1)
            let choices = try await queries.choices()
            return page(
                .ok,
                pages.jobs(
                    Array(found.prefix(configuration.pageSize)), filter: filter, hasMore: found.count > configuration.pageSize, choices: choices,
                    frame: frame
                ))
        } catch {
            return unavailable(error, frame)
        }
    }

    private func job(_ request: Request, id text: String?, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) async
        -> Response
    {
        var frame = frame(request, "Job \(text ?? "")", refresh: problem == nil)
        frame.notice = notice
        frame.problem = problem
        guard let id = text.flatMap(Int64.init), id > 0 else {
            frame.problem = "A job id is a positive whole number."
            return page(.badRequest, pages.problem("No such job", frame: frame))
        }
        do {
            guard let detail = try await queries.job(id) else {
                frame.problem = "There is no job #\(id): it never existed or retention removed it."
                return page(.notFound, pages.problem("No such job", frame: frame))
            }
            return page(status, try pages.job(detail, frame: frame))
        } catch {
            return unavailable(error, frame)
        }
    }

    // MARK: Actions (the ConsoleDoor checked origin, session and CSRF token first)

    private struct ActionForm: Decodable {
        let action: String
    }

    private struct LoginForm: Decodable {
        let token: String
    }

    private func act(_ request: Request, id text: String?) async -> Response {
        guard let id = text.flatMap(Int64.init), id > 0 else { return page(.badRequest, pages.problem("No such job", frame: frame(request, "Job"))) }
        guard let signedIn = signedIn(request), let form: ActionForm = await decode(request) else {
            return await job(request, id: text, problem: "The form could not be read.", status: .badRequest)
        }
        guard let action = OperatorAction.named(form.action) else {
            return await job(request, id: text, problem: "There is no action “\(form.action)”.", status: .badRequest)
        }
        do {
            if let refusal = try await store.act(action, on: id, by: "console: \(signedIn.name)") {
                return await job(request, id: text, problem: "Not done: \(refusal).", status: .conflict)
            }
            logger.notice("operator action", metadata: ["job.id": "\(id)", "console.action": "\(action)", "console.operator": "\(signedIn.name)"])
            return redirect("\(base)/jobs/\(id)?done=\(action.rawValue)")
        } catch {
            return unavailable(error, frame(request, "Job \(id)"))
        }
    }

    private func login(_ request: Request) async -> Response {
        guard let sessions else {
            return page(.notFound, pages.problem("Actions are off", frame: frame(request, "Sign in", problem: Self.readOnly)))
        }
        guard let form: LoginForm = await decode(request), !form.token.isEmpty else {
            return page(.badRequest, pages.login(frame: frame(request, "Sign in", problem: "Give your operator token.")))
        }
        // The operator is whoever the token belongs to: a name typed in a form would let anyone sign actions as another.
        guard let name = sessions.operatorName(ofToken: form.token) else {
            // A pause makes guessing through the form slow; tokens are long (ConsoleConfiguration).
            try? await Task.sleep(for: .milliseconds(500))
            logger.warning("console sign-in refused: not an operator token")
            return page(.forbidden, pages.login(frame: frame(request, "Sign in", problem: "That is not an operator token.")))
        }
        logger.notice("console sign-in", metadata: ["console.operator": "\(name)"])
        return session(request, value: sessions.issue(name: name), maxAge: Int(configuration.sessionLifetime.components.seconds))
    }

    private func logout(_ request: Request) async -> Response {
        session(request, value: "", maxAge: 0)
    }

    /// A redirect to the overview setting the session cookie. Behind a TLS-terminating proxy the cookie is marked
    /// Secure (only ever sent over https); the header can only make the cookie stricter, so whoever sends it is believed.
    private func session(_ request: Request, value: String, maxAge: Int) -> Response {
        var response = redirect("\(base)/")
        response.setCookie(
            Cookie(
                name: ConsoleSession.cookieName, value: value, maxAge: maxAge, path: base,
                secure: request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https", httpOnly: true, sameSite: .strict
            ))
        return response
    }

    /// The operator of the request's valid session cookie, if any.
    @Sendable private func signedIn(_ request: Request) -> ConsoleSession.Operator? {
        request.cookies[ConsoleSession.cookieName].flatMap { sessions?.verify($0.value) }
    }

    // MARK: Responses

    private func frame(_ request: Request, _ title: String, refresh: Bool = false, problem: String? = nil) -> ConsolePages.Frame {
        ConsolePages.Frame(
            title: title, signedIn: signedIn(request), canSignIn: sessions != nil, refresh: refresh ? configuration.refreshSeconds : nil, notice: nil,
            problem: problem
        )
    }

    @Sendable private func refused(_ request: Request, _ message: String) -> Response {
        page(.forbidden, pages.problem("Not allowed", frame: frame(request, "Not allowed", problem: message)))
    }

    private func unavailable(_ error: any Error, _ frame: ConsolePages.Frame) -> Response {
        logger.error("console read failed", metadata: ["db.error": "\(String(reflecting: error))"])
        var frame = frame
        frame.refresh = nil
        frame.problem = "The database did not answer in time or refused the query; the worker's log has the details. Reload to try again."
        return page(.serviceUnavailable, pages.problem("Database unavailable", frame: frame))
    }

    private func decode<Form: Decodable>(_ request: Request) async -> Form? {
        guard let buffer = try? await request.body.collect(upTo: ConsoleDoor<BasicRequestContext>.formLimit) else { return nil }
        return try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: buffer))
    }

    private func page(_ status: HTTPResponse.Status, _ html: String) -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func redirect(_ location: String) -> Response {
        var headers = Self.securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    private func asset(_ text: String, type: String) -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// No script or style from anywhere else, no framing, nothing cached, no referrer to other sites. (`no-referrer`
    /// would make browsers send `Origin: null` with the console's own forms, which the origin check refuses.)
    private static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .init("Referrer-Policy")!: "same-origin",
        .init("X-Frame-Options")!: "DENY",
        .cacheControl: "no-store",
    ]

    static let readOnly = "This console is read-only: start it with DFNS_CONSOLE_TOKENS_FILE (or DFNS_CONSOLE_TOKEN) set to allow actions."

    private static func doneNotice(_ action: String) -> String? {
        OperatorAction.named(action).map { "Done: \(ConsolePages.actionLabel[$0]!.lowercased()). It is recorded on the job." }
    }
}
