/// An incoming offer to a wallet (`/wallets/{walletId}/offers`), e.g. a Canton transfer offer the wallet may accept.
public struct WalletOffer: DfnsModel {
    public let id: String
    /// The wallet the offer is made to.
    public let walletId: String
    /// `Pending`, `Accepted`, `Rejected`, `Withdrawn` or `Expired`.
    public let status: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// The kind of asset offered.
    public var kind: String? { string("kind") }
    /// Who made the offer.
    public var from: String? { string("from") }
    /// The amount offered, in the asset's minimum unit.
    public var value: String? { string("value") }
    /// ISO 8601 time the offer lapses, if it does.
    public var expiresAt: String? { string("expiresAt") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        walletId = try json.requiredString("walletId")
        status = try json.requiredString("status")
        raw = json
    }
}
