import Hummingbird
import Synchronization

/// A proxy in front of Dfns that gives up waiting (``FaultRule/proxyTimeoutMilliseconds``): the client gets a 502
/// while the operation goes on and commits. It wraps the whole router rather than being a `RouterMiddleware`,
/// because the request's processing must outlive the answer (a middleware's `next` cannot escape its call).
struct ProxyTimeoutResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == SimulatorRequestContext {
    let inner: Inner
    let store: SimulatorStore

    func respond(to request: Request, context: SimulatorRequestContext) async throws -> Response {
        guard let endpoint = SimulatorEndpoint(method: request.method, path: request.uri.path),
            let proxyTimeout = store.proxyTimeout(endpoint)
        else {
            return try await inner.respond(to: request, context: context)
        }
        // Outside this request's task, so the client's departure does not cancel the operation.
        let processing = Task { try await inner.respond(to: request, context: context) }
        return try await withCheckedThrowingContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (Result<Response, any Error>) -> Void = { result in
                if answered.withLock({ done in defer { done = true }; return !done }) { continuation.resume(with: result) }
            }
            Task { answer(await processing.result) }
            Task {
                try? await Task.sleep(for: proxyTimeout)
                answer(.success(FaultMiddleware.badGateway()))
            }
        }
    }
}

extension SimulatorEndpoint {
    /// The endpoint class of a Dfns API request (nil for the control plane), as the router's groups declare them.
    init?(method: HTTPRequest.Method, path: String) {
        let parts = path.split(separator: "/")
        switch (method, parts.count) {
        case (_, _) where parts.first == "_sim": return nil
        case (.post, 3) where path == "/auth/action/init": self = .actionInit
        case (.post, 2) where path == "/auth/action": self = .action
        case (.post, 1) where parts[0] == "wallets": self = .createWallet
        case (.post, 3) where parts[0] == "wallets" && parts[2] == "transfers": self = .createTransfer
        case (.get, _): self = .read
        default: return nil
        }
    }
}
