/// An incoming offer to a wallet (`/wallets/{walletId}/offers`), e.g. a Canton transfer offer the wallet may accept.
public struct WalletOffer: DfnsModel {
    public let id: String
    public let walletId: String
    /// `Pending`, `Accepted`, `Rejected`, `Withdrawn` or `Expired`.
    public let status: String
    public let raw: JSONValue

    public var kind: String? { string("kind") }
    public var from: String? { string("from") }
    public var value: String? { string("value") }
    public var expiresAt: String? { string("expiresAt") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        walletId = try json.requiredString("walletId")
        status = try json.requiredString("status")
        raw = json
    }
}
