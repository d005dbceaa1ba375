import COpenSSL
import Foundation

/// Checks a webhook delivery as Dfns documents it (dfns-api §9): the header
/// `X-DFNS-WEBHOOK-SIGNATURE: sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret>`, compared in
/// constant time, and the event's `timestampSent` no further than ``tolerance`` from now (an old delivery replayed
/// by someone who captured it is refused). A valid event may still be a duplicate: Dfns may deliver one twice, so
/// receivers deduplicate by ``DfnsWebhookEvent/id``.
public struct DfnsWebhookVerifier: Sendable {
    /// Why a delivery was refused; ``message`` says it plainly (never with the secret).
    public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong with the delivery.
        public enum Reason: String, Sendable {
            /// No `X-DFNS-WEBHOOK-SIGNATURE`, or not `sha256=<64 hex>`.
            case missingSignature
            /// The HMAC does not match: another secret, or a changed body.
            case badSignature
            /// Not a JSON event with `id`, `kind` and `timestampSent`.
            case malformed
            /// `timestampSent` further than the tolerance from now.
            case stale
        }

        /// What was wrong.
        public let reason: Reason
        /// The refusal in words, for the answer and the log.
        public let message: String
        public var description: String { message }
    }

    /// The name of the signature header.
    public static let signatureHeader = "X-DFNS-WEBHOOK-SIGNATURE"

    private let secret: [UInt8]
    /// How far `timestampSent` may be from now. Default 5 minutes, as Dfns's own verifier.
    public let tolerance: Duration

    /// - Parameters:
    ///   - secret: the webhook's secret (`whs-…`), as `POST /webhooks` returned it once.
    ///   - tolerance: how far `timestampSent` may be from now.
    public init(secret: String, tolerance: Duration = .seconds(300)) {
        self.secret = Array(secret.utf8)
        self.tolerance = tolerance
    }

    /// The header value Dfns sends for `body`: `sha256=<hex>`.
    public func signature(of body: [UInt8]) -> String {
        "sha256=" + Digest.hex(Digest.hmacSHA256(key: secret, body))
    }

    /// Verifies one delivery and returns its event.
    /// - Parameters:
    ///   - body: the raw request body, exactly as received.
    ///   - signatureHeader: the `X-DFNS-WEBHOOK-SIGNATURE` value.
    ///   - now: the time `timestampSent` is compared with.
    /// - Throws: ``Rejection``.
    public func verify(body: [UInt8], signatureHeader: String?, now: Date = Date()) throws(Rejection) -> DfnsWebhookEvent {
        guard let header = signatureHeader, header.hasPrefix("sha256="), let given = Self.hexBytes(header.dropFirst(7)), given.count == 32 else {
            throw Rejection(reason: .missingSignature, message: "the \(Self.signatureHeader) header is missing or not sha256=<64 hex digits>")
        }
        let expected = Digest.hmacSHA256(key: secret, body)
        guard CRYPTO_memcmp(given, expected, 32) == 0 else {
            throw Rejection(reason: .badSignature, message: "the signature does not match the body (another secret, or a changed body)")
        }
        let event: DfnsWebhookEvent
        do {
            event = try DfnsWebhookEvent(json: JSONValue(parsing: body))
        } catch {
            throw Rejection(reason: .malformed, message: "the body is not a Dfns webhook event: \(error)")
        }
        let skew = abs(now.timeIntervalSince1970 - Double(event.timestampSent))
        guard skew <= Double(tolerance.components.seconds) else {
            throw Rejection(
                reason: .stale, message: "timestampSent is \(Int(skew)) s from now (more than \(tolerance.components.seconds) s): refused as stale")
        }
        return event
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
}
