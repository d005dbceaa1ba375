/// An approval a policy asked for (`/v2/policy-approvals`): the activity it holds and the decisions made so far.
public struct PolicyApproval: DfnsModel {
    /// An approver's decision.
    public enum Decision: String, Sendable, Hashable, CaseIterable {
        case approved = "Approved"
        case denied = "Denied"
    }

    public let id: String
    /// `Pending`, `Approved`, `Denied` or `Expired`.
    public let status: String
    public let raw: JSONValue

    public var initiatorId: String? { string("initiatorId") }
    /// `{kind, transferRequest?, transactionRequest?, signatureRequest?, …}`.
    public var activity: JSONValue? { raw["activity"] }
    public var decisions: [JSONValue] { raw["decisions"]?.arrayValue ?? [] }
    public var dateResolved: String? { string("dateResolved") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        status = try json.requiredString("status")
        raw = json
    }
}
