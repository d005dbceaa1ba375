/// What Dfns may hold for a job (`dfns_worker.jobs.dfns_entity`): the fact every money-safety rule turns on.
///
/// `cancel` refuses a job whose entity is `unknown` or `exists`; a row never ends `failed` while it is either;
/// `retry` gives a job a new externalId only when it is `failed`. See RELIABILITY.md, "The state machine".
public struct DfnsEntity: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Nothing the job sent can have created an entity at Dfns.
    public static let none = DfnsEntity(rawValue: "none")
    /// A request that creates one may have reached Dfns without a definite answer (lost connection, timeout, 5xx,
    /// an unreadable 2xx, an interrupted attempt): it may exist, or may still be created.
    public static let unknown = DfnsEntity(rawValue: "unknown")
    /// Dfns accepted it (200 or 202): it exists and may still progress.
    public static let exists = DfnsEntity(rawValue: "exists")
    /// Dfns reported it `Failed` or `Rejected`: it will never move.
    public static let failed = DfnsEntity(rawValue: "failed")

    /// What it means, in an operator's words (the console).
    public var meaning: String {
        switch self {
        case .none: "nothing was sent that could create it"
        case .unknown: "a request may have reached Dfns without a definite answer"
        case .exists: "Dfns accepted it"
        case .failed: "Dfns reported it Failed or Rejected"
        default: "not a value this version knows"
        }
    }

    public var description: String { rawValue }
}
