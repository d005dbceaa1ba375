/// An approval a policy asked for (`/v2/policy-approvals`): the activity it holds and the decisions made so far.
public struct PolicyApproval: DfnsModel {
    /// An approver's decision.
    public enum Decision: String, Sendable, Hashable, CaseIterable {
        /// Lets the held activity go on.
        case approved = "Approved"
        /// Rejects the held activity.
        case denied = "Denied"
    }

    public let id: String
    /// `Pending`, `Approved`, `Denied` or `Expired`.
    public let status: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// The user or token whose request the policy holds.
    public var initiatorId: String? { string("initiatorId") }
    /// `{kind, transferRequest?, transactionRequest?, signatureRequest?, …}`.
    public var activity: JSONValue? { raw["activity"] }
    /// The decisions made so far, `{userId, date, value, reason?}` each.
    public var decisions: [JSONValue] { raw["decisions"]?.arrayValue ?? [] }
    /// ISO 8601 time it was approved, denied or expired.
    public var dateResolved: String? { string("dateResolved") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        status = try json.requiredString("status")
        raw = json
    }
}
