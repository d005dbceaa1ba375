/// A policy (`/v2/policies`): a rule on an activity and what happens when it triggers.
public struct Policy: DfnsModel {
    public let id: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// The name given at creation.
    public var name: String? { string("name") }
    /// e.g. `Wallets:Sign`, `Wallets:IncomingTransaction`, `Permissions:Modify`.
    public var activityKind: String? { string("activityKind") }
    /// `Active` or `Archived`.
    public var status: String? { string("status") }
    /// `{kind, configuration}`: when the policy triggers.
    public var rule: JSONValue? { raw["rule"] }
    /// `{kind, …}`: what happens when it triggers (`Block`, `RequestApproval`, `NoAction`).
    public var action: JSONValue? { raw["action"] }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        raw = json
    }
}
