import AsyncHTTPClient
import COpenSSL
import Foundation
import NIOCore
import NIOHTTP1

/// Posts webhook events the way Dfns documents them (dfns-api §9): compact JSON
/// `{id, kind, date, data, timestampSent, deliveryAttempt}` with `X-DFNS-WEBHOOK-SIGNATURE: sha256=<hex HMAC-SHA256 of
/// the body with the webhook's secret>`; any answer but 200 is a failed delivery.
struct WebhookSender: Sendable {
    /// How one delivery went: the receiver's status, or why there was none.
    struct Delivery: Sendable {
        let status: Int?
        let error: String?
    }

    let timeout: TimeAmount

    /// The signature header value for `body` under `secret`.
    static func signature(of body: [UInt8], secret: String) -> String {
        "sha256=" + SimulatorDigest.hex(SimulatorDigest.hmacSHA256(key: Array(secret.utf8), body))
    }

    func deliver(_ event: [String: Any], to url: String, secret: String) async -> Delivery {
        let body = SimulatorJSON.serialize(event)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-DFNS-WEBHOOK-SIGNATURE", value: Self.signature(of: body, secret: secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 1 << 16)
            let status = Int(response.status.code)
            return Delivery(status: status, error: status == 200 ? nil : "the receiver answered \(status)")
        } catch {
            return Delivery(status: nil, error: "delivery failed: \(error)")
        }
    }
}
