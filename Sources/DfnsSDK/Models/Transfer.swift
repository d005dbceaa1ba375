/// A Dfns transfer request: ``raw`` keeps everything Dfns returned; the identity and status are checked when it is
/// read, the other fields are read from ``raw`` when asked for (nil when absent, null or of another type).
public struct Transfer: Sendable, Hashable, Decodable, Identifiable {
    public let id: String
    /// The wallet that sends it.
    public let walletId: String
    /// Where it is in its lifecycle.
    public let status: TransferStatus
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue

    /// The wallet's network.
    public var network: String? { raw["network"]?.stringValue }
    /// Why it failed or was rejected.
    public var reason: String? { raw["reason"]?.stringValue }
    /// The on-chain hash, once broadcast.
    public var txHash: String? { raw["txHash"]?.stringValue }
    /// The fee paid, in the network's minimum unit, once confirmed.
    public var fee: String? { raw["fee"]?.stringValue }
    /// The caller's idempotency key, when one was sent.
    public var externalId: String? { raw["externalId"]?.stringValue }
    /// The approval a policy opened for it, while one holds it.
    public var approvalId: String? { raw["approvalId"]?.stringValue }
    /// ISO 8601 time of the request.
    public var dateRequested: String? { raw["dateRequested"]?.stringValue }
    /// ISO 8601 time it was broadcast.
    public var dateBroadcasted: String? { raw["dateBroadcasted"]?.stringValue }
    /// ISO 8601 time it was seen on chain.
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
