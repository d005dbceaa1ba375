import HTTPTypes
import Hummingbird
import NIOCore

/// What every request to the console passes first, in one place:
///
/// - its `Host` must be one of the console's own names (``ConsoleConfiguration/allowedHosts``): a page of another site
///   that points its own name at 127.0.0.1 (DNS rebinding) reaches the port, but with its own name in `Host`, and gets
///   421 with nothing of the console;
/// - when the console listens beyond loopback (``ConsoleConfiguration/requiresSignIn``), every page but the sign-in
///   form and the stylesheet, script and icon it needs wants a signed-in operator: others are sent to sign in.
struct ConsoleDoor<Context: RequestContext>: RouterMiddleware {
    let base: String
    let allowedHosts: Set<String>
    let requiresSignIn: Bool
    /// Whether the request carries a valid session (``Console``'s sessions).
    let signedIn: @Sendable (Request) -> Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let host = Self.host(of: request.head.authority), allowedHosts.contains(host) else {
            return Response(
                status: .misdirectedRequest, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: "This console answers to its own host names only (DFNS_CONSOLE_HOSTS).\n"))
            )
        }
        if requiresSignIn, !isOpen(request.uri.path), !signedIn(request) {
            return Response(status: .seeOther, headers: [.location: "\(base)/login", .cacheControl: "no-store"])
        }
        return try await next(request, context)
    }

    /// The sign-in form and what it needs.
    private func isOpen(_ path: String) -> Bool {
        path == "\(base)/login" || path.hasPrefix("\(base)/assets/")
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
