import DfnsSDK
import Foundation
import Logging

/// Receives Dfns webhook events on the worker's HTTP server (``OperationsServer``): each delivery is verified
/// (``DfnsWebhookVerifier``: HMAC-SHA256 of the raw body in constant time, `timestampSent` within 5 minutes), recorded
/// once in `dfns_worker.webhook_events` (a replay is acknowledged and ignored by every worker of the table), and the
/// waiting job that follows the event's transfer, transaction or signature is made due at once — any worker may
/// pick it up. Polling stays the fallback: a lost event only delays a job until its next poll.
public struct WebhookIntake: Sendable {
    /// The answer to one delivery.
    public struct Answer: Sendable, Equatable {
        /// 200 accepted (or a replay), 400 malformed or stale, 401 unsigned or forged, 413 too large, 503 not recorded.
        public let status: Int
        public let body: [String: String]
    }

    /// How a delivery ended, the `outcome` label of `dfns_worker_webhook_events_total`.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Recorded; the jobs following its entity were woken.
        case accepted
        /// An event id received before: acknowledged, nothing done.
        case duplicate
        /// Unsigned or forged (401).
        case forged
        /// Stale or malformed (400).
        case invalid
        /// PostgreSQL could not record it (503): Dfns delivers it again.
        case unavailable
    }

    /// Where the server takes deliveries. Default `/webhooks/dfns`.
    public let path: String
    /// The largest body read. Dfns events are a few KiB.
    public static let maxBodyBytes = 256 * 1024

    private let verifier: DfnsWebhookVerifier
    private let store: JobStore
    private let logger: Logger
    private let metrics: WorkerMetrics?

    /// - Parameters:
    ///   - secret: the webhook's secret; from the environment only (`DFNS_WEBHOOK_SECRET`).
    ///   - path: the route, e.g. `/webhooks/dfns`.
    ///   - store: where events are recorded and jobs woken.
    ///   - metrics: counts deliveries by outcome.
    ///   - logger: logs refusals (never the secret or the body).
    public init(secret: String, path: String = "/webhooks/dfns", store: JobStore, metrics: WorkerMetrics? = nil, logger: Logger) {
        self.verifier = DfnsWebhookVerifier(secret: secret)
        self.path = path
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Handles one delivery.
    public func receive(body: [UInt8], signature: String?, now: Date = Date()) async -> Answer {
        let event: DfnsWebhookEvent
        do {
            event = try verifier.verify(body: body, signatureHeader: signature, now: now)
        } catch {
            logger.warning("webhook delivery refused", metadata: ["webhook.reason": "\(error.reason.rawValue)"])
            let forged = error.reason == .missingSignature || error.reason == .badSignature
            metrics?.webhookDelivery(forged ? .forged : .invalid)
            return Answer(status: forged ? 401 : 400, body: ["error": error.reason.rawValue, "message": error.message])
        }
        do {
            switch try await store.receiveWebhookEvent(
                id: String(event.id.prefix(128)), kind: String(event.kind.prefix(128)), entityId: event.entityId.map { String($0.prefix(128)) })
            {
            case .replay:
                metrics?.webhookDelivery(.duplicate)
                return Answer(status: 200, body: ["id": event.id, "duplicate": "true"])
            case .woke(let count):
                metrics?.webhookDelivery(.accepted)
                logger.debug("webhook event received", metadata: ["webhook.kind": "\(event.kind)", "webhook.woken": "\(count)"])
                return Answer(status: 200, body: ["id": event.id, "woken": String(count)])
            }
        } catch {
            // Not recorded: Dfns delivers it again later, and the poll finishes the job meanwhile.
            metrics?.webhookDelivery(.unavailable)
            logger.warning("webhook event not recorded", metadata: ["db.error": "\(String(reflecting: error).prefix(200))"])
            return Answer(status: 503, body: ["error": "unavailable", "message": "the event could not be recorded; deliver it again"])
        }
    }
}
