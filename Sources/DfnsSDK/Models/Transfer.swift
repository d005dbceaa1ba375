/// A Dfns transfer request: ``raw`` keeps everything Dfns returned; the identity and status are checked when it is
/// read, the other fields (``WalletActivity``) are read from ``raw`` when asked for (nil when absent, null or of
/// another type).
public struct Transfer: WalletActivity {
    public let id: String
    public let walletId: String
    public let status: TransferStatus
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?
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
