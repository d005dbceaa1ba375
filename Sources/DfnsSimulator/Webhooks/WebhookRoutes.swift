import Foundation
import Hummingbird

/// The webhooks routes (dfns-sdk 1.0.4 `generated/webhooks/client.py`): at most 5 webhooks per organisation, the
/// secret (`whs-…`) returned once at creation, and a ping that really posts a signed event to the URL and records it.
/// Events of status changes are delivered by ``WebhookEmitter``.
extension DfnsSimulator {
    /// The event kinds a webhook may subscribe to (dfns-sdk 1.0.4 `CreateWebhookRequest.events`), or `*`.
    static let webhookEventKinds: Set<String> = [
        "*", "policy.triggered", "policy.approval.pending", "policy.approval.resolved", "key.created", "key.deleted", "key.delegated",
        "key.exported", "wallet.blockchainevent.detected", "wallet.blockchain_event.transfer.included", "wallet.blockchain_event.misc.confirmed",
        "wallet.created", "wallet.activated", "wallet.delegated", "wallet.exported", "wallet.signature.failed", "wallet.signature.rejected",
        "wallet.signature.requested", "wallet.signature.signed", "wallet.transaction.broadcasted", "wallet.transaction.confirmed",
        "wallet.transaction.failed", "wallet.transaction.rejected", "wallet.transaction.requested", "wallet.transfer.broadcasted",
        "wallet.transfer.confirmed", "wallet.transfer.failed", "wallet.transfer.rejected", "wallet.transfer.requested", "wallet.offer.received",
        "wallet.offer.accepted", "wallet.offer.rejected", "wallet.offer.withdrawn", "wallet.tags.modified", "vault.created", "vault.updated",
        "vault.tags.modified", "vault.event.created", "address_watch.blockchain_event.transfer.confirmed",
        "address_watch.blockchain_event.misc.confirmed", "payout.action.required", "allocation.action.created", "allocation.action.completed",
        "allocation.action.failed", "swap.requested", "swap.rejected", "swap.completed", "swap.failed",
    ]

    func addWebhookRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/webhooks") { [documents, emitter] _, context in
            let principal = try context.caller()
            var webhook = try Self.webhookFields(Self.object(context.requestBody), creating: true)
            guard documents.all(.webhook, orgId: principal.orgId).count < 5 else {
                throw APIError.badRequest("an organisation has at most 5 webhooks")
            }
            let id = documents.newId("wh-")
            let now = SimulatedTransfer.format(Date())
            webhook["id"] = id
            webhook["status"] = webhook["status"] ?? "Enabled"
            webhook["dateCreated"] = now
            webhook["dateUpdated"] = now
            webhook["secret"] = "whs-" + Base64Text.url(SimulatorDigest.sha256(Array("\(id)|\(UInt64.random(in: 0...UInt64.max))".utf8)))
            documents.insert(.webhook, id: id, orgId: principal.orgId, json: webhook)
            emitter.start()
            return APIResponse(json: webhook)
        }
        api.get("/webhooks") { [documents] request, context in
            APIResponse(json: try Self.paged(documents.all(.webhook, orgId: try context.caller().orgId).map { Self.withoutSecret($0.json) }, request))
        }
        api.get("/webhooks/:webhookId") { [documents] _, context in
            APIResponse(
                json: Self.withoutSecret(
                    try documents.get(.webhook, Self.parameter(context, "webhookId"), orgId: context.caller().orgId, what: "webhook").json))
        }
        api.put("/webhooks/:webhookId") { [documents] _, context in
            let fields = try Self.webhookFields(Self.object(context.requestBody), creating: false)
            return APIResponse(
                json: Self.withoutSecret(
                    try documents.update(.webhook, Self.parameter(context, "webhookId"), orgId: context.caller().orgId, what: "webhook") { webhook in
                        for (key, value) in fields { webhook[key] = value }
                        webhook["dateUpdated"] = SimulatedTransfer.format(Date())
                    }))
        }
        api.delete("/webhooks/:webhookId") { [documents] _, context in
            let principal = try context.caller()
            let id = try Self.parameter(context, "webhookId")
            _ = try documents.update(.webhook, id, orgId: principal.orgId, what: "webhook") { $0["status"] = "Deleted" }
            documents.remove(.webhook, id)
            return APIResponse(json: ["deleted": true])
        }
        api.post("/webhooks/:webhookId/ping") { [documents, configuration] _, context in
            let principal = try context.caller()
            let webhook = try documents.get(.webhook, Self.parameter(context, "webhookId"), orgId: principal.orgId, what: "webhook").json
            let now = Date()
            // Dfns does not document the kind of its test event; the simulator names it `webhook.ping`.
            let eventId = documents.newId("whe-")
            var event: [String: Any] = [
                "id": eventId, "kind": "webhook.ping", "date": SimulatedTransfer.format(now), "data": ["webhookId": webhook["id"] ?? ""],
                "timestampSent": Int(now.timeIntervalSince1970), "deliveryAttempt": 1,
            ]
            let delivery = await WebhookSender(timeout: .milliseconds(Int64(configuration.webhookTimeout.secondsValue * 1000)))
                .deliver(event, to: webhook["url"] as? String ?? "", secret: webhook["secret"] as? String ?? "")
            event["status"] = delivery.status.map(String.init) ?? "failed"
            event["error"] = delivery.error
            event["deliveryFailed"] = delivery.error != nil
            documents.insert(.webhookEvent, id: eventId, orgId: principal.orgId, parent: webhook["id"] as? String, json: event)
            var answer: [String: Any] = ["status": event["status"] ?? "failed"]
            answer["error"] = delivery.error
            return APIResponse(json: answer)
        }
        api.get("/webhooks/:webhookId/events") { [documents] request, context in
            let principal = try context.caller()
            let webhookId = try Self.parameter(context, "webhookId")
            _ = try documents.get(.webhook, webhookId, orgId: principal.orgId, what: "webhook")
            let query = Self.formQuery(request.uri.query ?? "")
            let events = documents.all(.webhookEvent, orgId: principal.orgId, parent: webhookId).map(\.json)
                .filter { query["kind"] == nil || $0["kind"] as? String == query["kind"] }
                .filter { query["deliveryFailed"] == nil || ($0["deliveryFailed"] as? Bool).map { String($0) } == query["deliveryFailed"] }
            return APIResponse(json: try Self.paged(events, request))
        }
        api.get("/webhooks/:webhookId/events/:webhookEventId") { [documents] _, context in
            APIResponse(
                json: try documents.get(
                    .webhookEvent, Self.parameter(context, "webhookEventId"), orgId: context.caller().orgId,
                    parent: Self.parameter(context, "webhookId"),
                    what: "webhookEvent"
                ).json)
        }
    }

    /// The fields of a webhook body, checked: an http(s) URL, known event kinds, a status, a description.
    private static func webhookFields(_ object: [String: Any], creating: Bool) throws(APIError) -> [String: Any] {
        var fields: [String: Any] = [:]
        if let url = object["url"] ?? (creating ? "" : nil) {
            guard let text = url as? String, let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil
            else {
                throw APIError.badRequest("url must be an http or https URL")
            }
            fields["url"] = text
        }
        if let events = object["events"] ?? (creating ? [String]() : nil) {
            guard let kinds = events as? [String], !kinds.isEmpty else {
                throw APIError.badRequest("events must be a non-empty array of event kinds")
            }
            if let unknown = kinds.first(where: { !webhookEventKinds.contains($0) }) {
                throw APIError.badRequest("events: \(unknown) is not an event kind")
            }
            fields["events"] = kinds
        }
        if let status = object["status"] {
            guard let text = status as? String, ["Enabled", "Disabled"].contains(text) else {
                throw APIError.badRequest("status must be Enabled or Disabled")
            }
            fields["status"] = text
        }
        if let description = try optionalString(object, "description") { fields["description"] = description }
        return fields
    }

    /// The secret is shown once, at creation.
    private static func withoutSecret(_ webhook: [String: Any]) -> [String: Any] {
        var webhook = webhook
        webhook["secret"] = nil
        return webhook
    }
}
