/// An event Dfns delivered (or tried to deliver) to a webhook.
public struct WebhookEvent: DfnsModel {
    public let id: String
    /// e.g. `wallet.transfer.confirmed`.
    public let kind: String
    public let raw: JSONValue

    public var date: String? { string("date") }
    public var data: JSONValue? { raw["data"] }
    /// How the delivery went, e.g. `200`.
    public var status: String? { string("status") }
    public var error: String? { string("error") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        kind = try json.requiredString("kind")
        raw = json
    }
}
