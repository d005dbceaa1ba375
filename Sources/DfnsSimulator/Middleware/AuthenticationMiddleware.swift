import Hummingbird

/// Answers 401 to a request without a known, unrevoked bearer token (`Authorization: Bearer …`), as Dfns does, and
/// puts the caller in the context for the rest of the pipeline.
struct AuthenticationMiddleware: RouterMiddleware {
    let principals: PrincipalStore

    func handle(_ request: Request, context: SimulatorRequestContext, next: (Request, SimulatorRequestContext) async throws -> Response) async throws
        -> Response
    {
        var bearer: String?
        if let value = request.headers[.authorization], value.hasPrefix("Bearer ") { bearer = String(value.dropFirst(7)) }
        guard let principal = principals.principal(bearer: bearer) else { throw APIError.unauthorized }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
