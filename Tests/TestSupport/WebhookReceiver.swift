import DfnsSDK
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An HTTP endpoint on loopback that records what is posted to it, as an application's webhook URL would, and checks
/// Dfns's signature header with the SDK's HMAC (OpenSSL), independent of the simulator's code.
public final class WebhookReceiver: Sendable {
    /// One delivery: its raw body and the `X-DFNS-WEBHOOK-SIGNATURE` header.
    public struct Delivery: Sendable {
        public let body: [UInt8]
        public let signature: String?
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    private let received = Mutex<[Delivery]>([])
    private let address = Mutex("")

    /// The URL to register.
    public var url: String { address.withLock { $0 } }

    public var deliveries: [Delivery] { received.withLock { $0 } }

    /// True when `delivery` carries `sha256=<hex HMAC-SHA256(secret, body)>`.
    public static func isSigned(_ delivery: Delivery, secret: String) -> Bool {
        delivery.signature == "sha256=" + Digest.hex(Digest.hmacSHA256(key: Array(secret.utf8), delivery.body))
    }

    /// Runs a receiver answering `status` for the duration of `body`.
    public static func withReceiver<Result: Sendable>(status: HTTPResponse.Status = .ok, _ body: @Sendable (WebhookReceiver) async throws -> Result)
        async throws -> Result
    {
        let receiver = WebhookReceiver()
        let router = Router()
        router.post("/hook") { [receiver] request, _ -> Response in
            var buffer = try await request.body.collect(upTo: 1 << 20)
            let delivery = Delivery(
                body: buffer.readBytes(length: buffer.readableBytes) ?? [], signature: request.headers[HTTPField.Name("X-DFNS-WEBHOOK-SIGNATURE")!])
            receiver.received.withLock { $0.append(delivery) }
            return Response(status: status)
        }
        var logger = Logger(label: "test.webhooks")
        logger.logLevel = .critical
        return try await LoopbackServer.run(
            { onServerRunning in
                Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: onServerRunning, logger: logger)
            }, logger: logger
        ) { port in
            receiver.address.withLock { $0 = "http://127.0.0.1:\(port)/hook" }
            return try await body(receiver)
        }
    }
}
