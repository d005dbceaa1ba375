import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What every request to the console passes first, in one place:
///
/// - its `Host` must be one of the console's own names (``ConsoleConfiguration/allowedHosts``): a page of another site
///   that points its own name at 127.0.0.1 (DNS rebinding) reaches the port, but with its own name in `Host`, and gets
///   421 with nothing of the console;
/// - when the console listens beyond loopback (``ConsoleConfiguration/requiresSignIn``), every page but the sign-in
///   form and the stylesheet, script and icon it needs wants a signed-in operator: others are sent to sign in;
/// - a request that changes something (any method but GET and HEAD) must come from this site (no `Origin` of another
///   host); beyond signing in and out it must come from a signed-in operator of a console with operators, with the
///   session's CSRF token in its form. Signing out without a session is let through: it only clears the cookie.
struct ConsoleDoor<Context: RequestContext>: RouterMiddleware {
    let base: String
    let allowedHosts: Set<String>
    let requiresSignIn: Bool
    /// The operator of the request's valid session, if any (``Console``'s sessions).
    let signedIn: @Sendable (Request) -> ConsoleSession.Operator?
    /// Whether the console has operators at all; without, it is read-only.
    let takesActions: Bool
    /// The page refusing a request, saying why.
    let refuse: @Sendable (Request, String) -> Response

    /// The largest form the console reads.
    static var formLimit: Int { 16_384 }

    /// The one field of a form the door reads.
    private struct SignedForm: Decodable {
        let csrf: String
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let host = Self.host(of: request.head.authority), allowedHosts.contains(host) else {
            return Response(
                status: .misdirectedRequest, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: "This console answers to its own host names only (DFNS_CONSOLE_HOSTS).\n"))
            )
        }
        if request.method != .get, request.method != .head {
            return try await change(request, context: context, next: next)
        }
        if requiresSignIn, !isOpen(request.uri.path), signedIn(request) == nil {
            return Response(status: .seeOther, headers: [.location: "\(base)/login", .cacheControl: "no-store"])
        }
        return try await next(request, context)
    }

    /// A request that changes something: this site's origin, then (but to sign in or out) a signed-in operator and the
    /// session's CSRF token in the form, whose body is kept for the route.
    private func change(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let origin = request.headers[.origin], Self.authority(ofOrigin: origin) != request.head.authority {
            return refuse(request, "This request came from another site (\(origin)); the console only takes its own forms.")
        }
        let session = signedIn(request)
        let path = request.uri.path
        if path == "\(base)/login" || (path == "\(base)/logout" && session == nil) { return try await next(request, context) }
        guard takesActions else { return refuse(request, Console.readOnly) }
        guard let session else { return refuse(request, "Sign in with your operator token to act on jobs.") }
        var request = request
        let body = try? await request.collectBody(upTo: Self.formLimit)
        guard let form = body.flatMap({ try? URLEncodedFormDecoder().decode(SignedForm.self, from: String(buffer: $0)) }),
            session.accepts(csrf: form.csrf)
        else {
            return refuse(
                request, "The form is stale or did not come from this console (CSRF token missing or wrong). Reload the page and try again.")
        }
        return try await next(request, context)
    }

    /// The sign-in form and what it needs.
    private func isOpen(_ path: String) -> Bool {
        path == "\(base)/login" || path.hasPrefix("\(base)/assets/")
    }

    /// `host[:port]` of an `Origin` header, as the `Host` header of a request from that origin would read.
    static func authority(ofOrigin origin: String) -> String? {
        URLComponents(string: origin).map { ($0.host ?? "") + ($0.port.map { ":\($0)" } ?? "") }
    }

    /// The host of an authority (`host`, `host:port`, `[v6]:port`), lowercased; nil when there is none.
    static func host(of authority: String?) -> String? {
        guard let authority, !authority.isEmpty else { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            return authority[authority.index(after: authority.startIndex)..<close].lowercased()
        }
        return (authority.split(separator: ":", maxSplits: 1).first.map(String.init) ?? authority).lowercased()
    }
}
