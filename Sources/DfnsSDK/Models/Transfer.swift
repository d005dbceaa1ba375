/// A Dfns transfer request. Typed fields cover what the worker uses; ``raw`` keeps everything Dfns returned.
public struct Transfer: Sendable, Hashable, Decodable, Identifiable {
    public let id: String
    public let walletId: String
    public let network: String?
    public let status: TransferStatus
    /// Why it failed or was rejected.
    public let reason: String?
    public let txHash: String?
    public let fee: String?
    public let externalId: String?
    public let approvalId: String?
    public let dateRequested: String?
    public let dateBroadcasted: String?
    public let dateConfirmed: String?
    /// The body that was submitted, as Dfns echoes it.
    public let requestBody: JSONValue?
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }
}

extension Transfer: JSONValueDecodable {
    /// Reads the entity from JSON Dfns returned (e.g. an item of a `…JSON` listing); throws when a field it types is
    /// missing or of another type.
    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        walletId = try json.requiredString("walletId")
        network = try json.optionalString("network")
        status = TransferStatus(rawValue: try json.requiredString("status"))
        reason = try json.optionalString("reason")
        txHash = try json.optionalString("txHash")
        fee = try json.optionalString("fee")
        externalId = try json.optionalString("externalId")
        approvalId = try json.optionalString("approvalId")
        dateRequested = try json.optionalString("dateRequested")
        dateBroadcasted = try json.optionalString("dateBroadcasted")
        dateConfirmed = try json.optionalString("dateConfirmed")
        requestBody = json["requestBody"].flatMap { $0 == .null ? nil : $0 }
        raw = json
    }
}
