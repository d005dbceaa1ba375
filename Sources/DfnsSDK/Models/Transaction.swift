/// A wallet transaction (`/wallets/{walletId}/transactions`), or the activation of a wallet: the lifecycle and fields
/// of a ``Transfer`` (``WalletActivity``).
public struct Transaction: WalletActivity {
    public let id: String
    public let walletId: String
    public let status: TransferStatus
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// Reads the entity; throws when its id, wallet id or status is missing or not a string.
    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        walletId = try json.requiredString("walletId")
        status = TransferStatus(rawValue: try json.requiredString("status"))
        raw = json
    }
}
