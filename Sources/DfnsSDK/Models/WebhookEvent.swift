/// An event Dfns delivered (or tried to deliver) to a webhook.
public struct WebhookEvent: DfnsModel {
    public let id: String
    /// e.g. `wallet.transfer.confirmed`.
    public let kind: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// ISO 8601 time of the event.
    public var date: String? { string("date") }
    /// The event's entity, e.g. `{transferRequest: …}`.
    public var data: JSONValue? { raw["data"] }
    /// How the delivery went, e.g. `200`.
    public var status: String? { string("status") }
    /// Why the delivery failed, when it did.
    public var error: String? { string("error") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        kind = try json.requiredString("kind")
        raw = json
    }
}
