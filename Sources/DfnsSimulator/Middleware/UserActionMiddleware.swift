import HTTPTypes
import Hummingbird

/// A signed write (``SimulatorEndpoint/isSignedWrite``) needs an `X-DFNS-USERACTION` token issued for this caller, method, path and body, used once
/// (403 or 400 otherwise, as Dfns answers).
struct UserActionMiddleware: RouterMiddleware {
    let userActions: UserActionStore

    private static let header = HTTPField.Name("X-DFNS-USERACTION")!

    func handle(_ request: Request, context: SimulatorRequestContext, next: (Request, SimulatorRequestContext) async throws -> Response) async throws
        -> Response
    {
        guard SimulatorEndpoint(method: request.method, path: request.uri.path)?.isSignedWrite == true else {
            return try await next(request, context)
        }
        try userActions.consumeUserAction(
            request.headers[Self.header], principal: context.caller(), method: request.method.rawValue, path: request.uri.path,
            body: context.requestBody
        )
        return try await next(request, context)
    }
}
