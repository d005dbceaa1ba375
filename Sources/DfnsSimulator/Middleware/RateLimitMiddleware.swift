import Hummingbird

/// The organisation's request budget (``SimulatorConfiguration``'s requests per minute, per ``SimulatorEndpoint`` class): over it, 429 with the
/// `Retry-After` Dfns would send, before anything else happens.
struct RateLimitMiddleware: RouterMiddleware {
    let budget: RateBudget

    func handle(_ request: Request, context: SimulatorRequestContext, next: (Request, SimulatorRequestContext) async throws -> Response) async throws
        -> Response
    {
        if let endpoint = SimulatorEndpoint(method: request.method, path: request.uri.path), let retryAfter = budget.admit(endpoint) {
            throw APIError(429, "Rate limit exceeded", retryAfter: String(retryAfter))
        }
        return try await next(request, context)
    }
}
