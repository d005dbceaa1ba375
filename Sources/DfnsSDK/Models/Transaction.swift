/// A wallet transaction (`/wallets/{walletId}/transactions`), or the activation of a wallet: same lifecycle as a
/// ``Transfer`` (Pending → Executing → Broadcasted → Confirmed, or Failed / Rejected).
public struct Transaction: DfnsModel {
    public let id: String
    public let walletId: String
    public let status: TransferStatus
    public let raw: JSONValue

    public var network: String? { string("network") }
    public var reason: String? { string("reason") }
    public var txHash: String? { string("txHash") }
    public var fee: String? { string("fee") }
    public var externalId: String? { string("externalId") }
    public var approvalId: String? { string("approvalId") }
    /// The transaction that replaced this one (cancel, speed-up).
    public var replacementId: String? { string("replacementId") }
    public var dateRequested: String? { string("dateRequested") }
    public var dateBroadcasted: String? { string("dateBroadcasted") }
    public var dateConfirmed: String? { string("dateConfirmed") }
    public var requestBody: JSONValue? { raw["requestBody"].flatMap { $0 == .null ? nil : $0 } }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        walletId = try json.requiredString("walletId")
        status = TransferStatus(rawValue: try json.requiredString("status"))
        raw = json
    }
}
