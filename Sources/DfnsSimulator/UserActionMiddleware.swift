import HTTPTypes
import Hummingbird

/// A signed write needs an `X-DFNS-USERACTION` token issued for this caller, method, path and body, used once
/// (403 or 400 otherwise, as Dfns answers).
struct UserActionMiddleware: RouterMiddleware {
    let store: SimulatorStore

    private static let header = HTTPField.Name("X-DFNS-USERACTION")!

    func handle(_ request: Request, context: SimulatorRequestContext, next: (Request, SimulatorRequestContext) async throws -> Response) async throws -> Response {
        try store.consumeUserAction(
            request.headers[Self.header], principal: context.caller(), method: request.method.rawValue, path: request.uri.path,
            body: context.requestBody
        )
        return try await next(request, context)
    }
}
