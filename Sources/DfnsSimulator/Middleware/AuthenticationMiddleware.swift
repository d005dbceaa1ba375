import Hummingbird

/// Answers 401 to a request without a known, unrevoked bearer token (`Authorization: Bearer …`), as Dfns does, and
/// puts the caller in the context for the rest of the pipeline. The routes Dfns answers without a token
/// (``SimulatorEndpoint/UnsignedWrite/open``) pass with no caller, or with the caller of a valid bearer.
struct AuthenticationMiddleware: RouterMiddleware {
    let principals: PrincipalStore

    func handle(_ request: Request, context: SimulatorRequestContext, next: (Request, SimulatorRequestContext) async throws -> Response) async throws
        -> Response
    {
        var bearer: String?
        if let value = request.headers[.authorization], value.hasPrefix("Bearer ") { bearer = String(value.dropFirst(7)) }
        let isPublic = SimulatorEndpoint.isPublic(method: request.method, path: request.uri.path)
        guard let principal = isPublic ? principals.principal(bearer: bearer, counting: false) : principals.principal(bearer: bearer) else {
            if isPublic { return try await next(request, context) }
            throw APIError.unauthorized
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
