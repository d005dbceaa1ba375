/// A transfer or a transaction of a wallet: Dfns gives both the same lifecycle (Pending → Executing → Broadcasted →
/// Confirmed, or Failed / Rejected), the same idempotency by `externalId` and the same fields, read here from ``DfnsModel/raw``.
public protocol WalletActivity: DfnsModel {
    /// The wallet that sends it.
    var walletId: String { get }
    /// Where it is in its lifecycle.
    var status: TransferStatus { get }
}

extension WalletActivity {
    /// The wallet's network.
    public var network: String? { string("network") }
    /// Why it failed or was rejected.
    public var reason: String? { string("reason") }
    /// The on-chain hash, once broadcast.
    public var txHash: String? { string("txHash") }
    /// The fee paid, in the network's minimum unit, once confirmed.
    public var fee: String? { string("fee") }
    /// The caller's idempotency key, when one was sent.
    public var externalId: String? { string("externalId") }
    /// The approval a policy opened for it, while one holds it.
    public var approvalId: String? { string("approvalId") }
    /// The entity that replaced it (a cancel or a speed-up).
    public var replacementId: String? { string("replacementId") }
    /// ISO 8601 time of the request.
    public var dateRequested: String? { string("dateRequested") }
    /// ISO 8601 time it was broadcast.
    public var dateBroadcasted: String? { string("dateBroadcasted") }
    /// ISO 8601 time it was seen on chain.
    public var dateConfirmed: String? { string("dateConfirmed") }
    /// The body that was submitted, as Dfns echoes it.
    public var requestBody: JSONValue? { raw["requestBody"].flatMap { $0 == .null ? nil : $0 } }
}
