/// The status of a transfer request. A struct over the raw string so statuses Dfns adds later still decode.
public struct TransferStatus: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Created; awaiting policy evaluation or approval.
    public static let pending = TransferStatus(rawValue: "Pending")
    /// Approved; being built and signed.
    public static let executing = TransferStatus(rawValue: "Executing")
    /// Sent to the network; `txHash` set.
    public static let broadcasted = TransferStatus(rawValue: "Broadcasted")
    /// Seen on chain. Final.
    public static let confirmed = TransferStatus(rawValue: "Confirmed")
    /// Failed on chain or in Dfns. Final; `reason` set.
    public static let failed = TransferStatus(rawValue: "Failed")
    /// Rejected by a policy approval. Final; `reason` set.
    public static let rejected = TransferStatus(rawValue: "Rejected")

    /// True for `Confirmed`, `Failed` and `Rejected`: the status never changes again.
    public var isFinal: Bool { self == .confirmed || self == .failed || self == .rejected }

    public var description: String { rawValue }
}
