/// A Dfns transfer request: ``raw`` keeps everything Dfns returned; the identity and status are checked when it is
/// read, the other fields are read from ``raw`` when asked for (nil when absent, null or of another type).
public struct Transfer: Sendable, Hashable, Decodable, Identifiable {
    public let id: String
    public let walletId: String
    public let status: TransferStatus
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue

    public var network: String? { raw["network"]?.stringValue }
    /// Why it failed or was rejected.
    public var reason: String? { raw["reason"]?.stringValue }
    public var txHash: String? { raw["txHash"]?.stringValue }
    public var fee: String? { raw["fee"]?.stringValue }
    public var externalId: String? { raw["externalId"]?.stringValue }
    public var approvalId: String? { raw["approvalId"]?.stringValue }
    public var dateRequested: String? { raw["dateRequested"]?.stringValue }
    public var dateBroadcasted: String? { raw["dateBroadcasted"]?.stringValue }
    public var dateConfirmed: String? { raw["dateConfirmed"]?.stringValue }
    /// The body that was submitted, as Dfns echoes it.
    public var requestBody: JSONValue? { raw["requestBody"].flatMap { $0 == .null ? nil : $0 } }

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }
}

extension Transfer: JSONValueDecodable {
    /// Reads the entity from JSON Dfns returned (e.g. an item of a `…JSON` listing); throws when its id, wallet id or
    /// status is missing or not a string.
    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        walletId = try json.requiredString("walletId")
        status = TransferStatus(rawValue: try json.requiredString("status"))
        raw = json
    }
}
