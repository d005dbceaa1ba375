import DfnsSDK
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The worker's HTTP endpoint: `GET /metrics` (Prometheus text), `GET /health/live`, `GET /health/ready`
/// (JSON naming the failing check, 503 when not ready), and with a ``WebhookIntake`` `POST` of Dfns webhook events on
/// its path, plus the `routes` given (the operator console). Binds 127.0.0.1 unless told otherwise.
public enum OperationsServer {
    /// The application; run it in the process's ServiceGroup next to the worker.
    public static func application(
        host: String = "127.0.0.1",
        port: Int = 9400,
        worker: Worker,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        webhooks: WebhookIntake? = nil,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
        routes: (Router<BasicRequestContext>) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        if let webhooks {
            router.post(RouterPath(webhooks.path)) { request, _ -> Response in
                let body: [UInt8]
                do {
                    var buffer = try await request.body.collect(upTo: WebhookIntake.maxBodyBytes)
                    body = buffer.readBytes(length: buffer.readableBytes) ?? []
                } catch {
                    return json(
                        .contentTooLarge, ["error": "too_large", "message": "a webhook event is at most \(WebhookIntake.maxBodyBytes) bytes"])
                }
                let answer = await webhooks.receive(body: body, signature: request.headers[HTTPField.Name(DfnsWebhookVerifier.signatureHeader)!])
                return json(HTTPResponse.Status(code: answer.status), answer.body)
            }
        }
        router.get("/metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16_384)
            registry.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
        router.get("/health/live") { _, _ in
            json(.ok, ["status": "live"])
        }
        router.get("/health/ready") { _, _ in
            let health = worker.health
            let checks: [String: String] = [
                "database": health.databaseReachable ? "ok" : "unreachable",
                "listener": health.listenerConnected ? "ok" : "disconnected",
                "dfnsCredentials": health.authFailure.map { "paused: \($0)" } ?? "ok",
                "shutdown": health.shuttingDown ? "shutting down" : "running",
                "schema": health.schemaRefusal ?? "ok",
            ]
            let failing = checks.filter { $0.value != "ok" && $0.value != "running" }.keys.sorted()
            let body: [String: Any] = ["status": health.isReady ? "ready" : "not_ready", "checks": checks, "failing": failing]
            return json(health.isReady ? .ok : .serviceUnavailable, body)
        }
        routes(router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "dfns-worker"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
