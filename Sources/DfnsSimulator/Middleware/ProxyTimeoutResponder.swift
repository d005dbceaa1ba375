import Hummingbird
import Synchronization

/// A proxy in front of Dfns that gives up waiting (``FaultRule/proxyTimeoutMilliseconds``): the client gets a 502
/// while the operation goes on and commits. It wraps the whole router rather than being a `RouterMiddleware`,
/// because the request's processing must outlive the answer (a middleware's `next` cannot escape its call).
struct ProxyTimeoutResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == SimulatorRequestContext {
    let inner: Inner
    let injector: FaultInjector

    func respond(to request: Request, context: SimulatorRequestContext) async throws -> Response {
        guard let endpoint = SimulatorEndpoint(method: request.method, path: request.uri.path),
            let proxyTimeout = injector.proxyTimeout(endpoint)
        else {
            return try await inner.respond(to: request, context: context)
        }
        // Outside this request's task, so the client's departure does not cancel the operation.
        let processing = Task { try await inner.respond(to: request, context: context) }
        return try await withCheckedThrowingContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (Result<Response, any Error>) -> Void = { result in
                if answered.withLock({ done in
                    defer { done = true }
                    return !done
                }) {
                    continuation.resume(with: result)
                }
            }
            Task { answer(await processing.result) }
            Task {
                try? await Task.sleep(for: proxyTimeout)
                answer(.success(FaultMiddleware.badGateway()))
            }
        }
    }
}
