/// A policy (`/v2/policies`): a rule on an activity and what happens when it triggers.
public struct Policy: DfnsModel {
    public let id: String
    public let raw: JSONValue

    public var name: String? { string("name") }
    /// e.g. `Wallets:Sign`, `Wallets:IncomingTransaction`, `Permissions:Modify`.
    public var activityKind: String? { string("activityKind") }
    /// `Active` or `Archived`.
    public var status: String? { string("status") }
    public var rule: JSONValue? { raw["rule"] }
    public var action: JSONValue? { raw["action"] }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        raw = json
    }
}
