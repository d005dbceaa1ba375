/// A webhook event Dfns delivered: `{id, kind, date, data, timestampSent, deliveryAttempt, retryOf?}` (dfns-api §9).
public struct DfnsWebhookEvent: DfnsModel {
    public let id: String
    /// e.g. `wallet.transfer.confirmed`, `policy.approval.resolved`.
    public let kind: String
    /// Unix seconds when Dfns sent this delivery.
    public let timestampSent: Int64
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// The event's entity, e.g. `{transferRequest: {…}}`.
    public var data: JSONValue? { raw["data"] }
    /// ISO 8601 time of the event.
    public var date: String? { string("date") }
    /// The event this delivery retries, when it is a retry.
    public var retryOf: String? { string("retryOf") }

    /// The id of the transfer, transaction or signature the event is about — directly, or through the activity an
    /// approval held (`policy.approval.*`) — or nil for other events.
    public var entityId: String? {
        let data = raw["data"]
        for holder in [data, data?["approval"]?["activity"]] {
            for key in ["transferRequest", "transactionRequest", "signatureRequest"] {
                if let id = holder?[key]?["id"]?.stringValue { return id }
            }
        }
        return nil
    }

    /// Reads the event; throws when `id`, `kind` or an integer `timestampSent` is missing.
    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        kind = try json.requiredString("kind")
        guard case .integer(let sent)? = json["timestampSent"] else { throw JSONFieldError(field: "timestampSent", expected: "an integer") }
        timestampSent = sent
        raw = json
    }
}
