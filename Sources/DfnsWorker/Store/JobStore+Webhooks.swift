import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Webhook events: recorded once, waking the job that follows their entity.
extension JobStore {
    /// What a verified webhook event did: nothing (a replay), or how many waiting jobs it made due now.
    public enum WebhookEffect: Sendable, Equatable {
        case replay
        case woke(Int)
    }

    /// `dfns_worker.receive_webhook_event(...)`: records the event once and makes the waiting job following
    /// `entityId` due now.
    public func receiveWebhookEvent(id: String, kind: String, entityId: String?) async throws -> WebhookEffect {
        try await bounded("the webhook event") { [client, logger] in
            let rows = try await client.query(
                "SELECT dfns_worker.receive_webhook_event(\(id)::text, \(kind)::text, \(entityId)::text)", logger: logger)
            for try await woken in rows.decode(Int.self) { return woken < 0 ? .replay : .woke(woken) }
            throw WorkerError(.database, "receive_webhook_event returned nothing")
        }
    }
}
