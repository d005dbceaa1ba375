import HTTPTypes
import Hummingbird

/// Lets through to the JSON API only what the app's own page can send: a write must be `application/json` (which a
/// form on another site cannot send without a CORS preflight this app never grants) and, when the browser names its
/// `Origin`, come from this host. With the session cookie's `SameSite=Strict`, another site cannot act as the user.
struct SameOriginGuard<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method != .get && request.method != .head {
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
                throw AppProblem(.unsupportedMediaType, "send JSON (Content-Type: application/json)")
            }
            if let origin = request.headers[.origin] {
                let host = request.head.authority ?? ""
                guard origin == "http://\(host)" || origin == "https://\(host)" else {
                    throw AppProblem(.forbidden, "requests from \(origin) are not accepted: this API serves its own page only")
                }
            }
        }
        return try await next(request, context)
    }
}
