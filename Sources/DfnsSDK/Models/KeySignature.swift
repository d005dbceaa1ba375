/// A signature request of a key (`/keys/{keyId}/signatures`): Pending → Executing → Signed (or Failed / Rejected).
public struct KeySignature: DfnsModel {
    public let id: String
    public let keyId: String
    /// `Pending`, `Executing`, `Signed`, `Confirmed`, `Failed` or `Rejected`.
    public let status: String
    public let raw: JSONValue

    /// `{r, s, recid?, encoded}` once `Signed`.
    public var signature: JSONValue? { raw["signature"] }
    /// The signed transaction, for kinds that sign one.
    public var signedData: String? { string("signedData") }
    public var reason: String? { string("reason") }
    public var externalId: String? { string("externalId") }
    public var approvalId: String? { string("approvalId") }
    public var dateRequested: String? { string("dateRequested") }
    public var dateSigned: String? { string("dateSigned") }
    public var requestBody: JSONValue? { raw["requestBody"] }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        keyId = try json.requiredString("keyId")
        status = try json.requiredString("status")
        raw = json
    }
}
