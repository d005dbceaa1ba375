import NIOHTTP1

/// The webhooks API, one request per method of the official SDKs' webhooks client (dfns-sdk 1.0.4
/// `generated/webhooks/client.py`).
public enum DfnsWebhooks {
    private static func webhook(_ webhookId: String) throws -> String { "/webhooks/\(try RequestPath.segment(webhookId, "webhookId"))" }

    /// `POST /webhooks` (signed): `url`, `events` (event kinds or `*`), optional `description` and `status`. The answer
    /// carries the signing `secret`, shown only here.
    public static func createWebhook(url: String, events: [String], description: String? = nil, status: String? = nil) throws -> DfnsRequest<Webhook>
    {
        guard !events.isEmpty else { throw DfnsError(code: .validation, message: "a webhook needs at least one event kind (or *)") }
        var body: [String: JSONValue] = ["url": .string(url), "events": .array(events.map(JSONValue.string))]
        if let description { body["description"] = .string(description) }
        if let status { body["status"] = .string(status) }
        return .write(.POST, "/webhooks", json: .object(body))
    }

    /// `GET /webhooks/{webhookId}`.
    public static func getWebhook(webhookId: String) throws -> DfnsRequest<Webhook> { .read(try webhook(webhookId)) }

    /// `GET /webhooks`.
    public static func listWebhooks(limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<Page<Webhook>> {
        .read("/webhooks", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }

    /// `PUT /webhooks/{webhookId}` (signed): the fields to change.
    public static func updateWebhook(
        webhookId: String, url: String? = nil, events: [String]? = nil, description: String? = nil, status: String? = nil
    ) throws -> DfnsRequest<Webhook> {
        var body: [String: JSONValue] = [:]
        if let url { body["url"] = .string(url) }
        if let events { body["events"] = .array(events.map(JSONValue.string)) }
        if let description { body["description"] = .string(description) }
        if let status { body["status"] = .string(status) }
        return .write(.PUT, try webhook(webhookId), json: .object(body))
    }

    /// `DELETE /webhooks/{webhookId}` (signed, no body): `{"deleted": true}`.
    public static func deleteWebhook(webhookId: String) throws -> DfnsRequest<JSONValue> { .write(.DELETE, try webhook(webhookId), json: nil) }

    /// `POST /webhooks/{webhookId}/ping` (signed, no body): sends a test event; `{status, error?}` says how the URL answered.
    public static func pingWebhook(webhookId: String) throws -> DfnsRequest<JSONValue> { .write(.POST, "\(try webhook(webhookId))/ping", json: nil) }

    /// `GET /webhooks/{webhookId}/events/{webhookEventId}`.
    public static func getWebhookEvent(webhookId: String, webhookEventId: String) throws -> DfnsRequest<WebhookEvent> {
        .read("\(try webhook(webhookId))/events/\(try RequestPath.segment(webhookEventId, "webhookEventId"))")
    }

    /// `GET /webhooks/{webhookId}/events`. `filters`: `kind`, `deliveryFailed` (`true`/`false`).
    public static func listWebhookEvents(webhookId: String, limit: Int? = nil, paginationToken: String? = nil, filters: [String: String] = [:]) throws
        -> DfnsRequest<Page<WebhookEvent>>
    {
        .read("\(try webhook(webhookId))/events", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: filters))
    }
}
