/// A signature request of a key (`/keys/{keyId}/signatures`): Pending → Executing → Signed (or Failed / Rejected).
public struct KeySignature: DfnsModel {
    public let id: String
    /// The key that signs.
    public let keyId: String
    /// `Pending`, `Executing`, `Signed`, `Confirmed`, `Failed` or `Rejected`.
    public let status: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// `{r, s, recid?, encoded}` once `Signed`.
    public var signature: JSONValue? { raw["signature"] }
    /// The signed transaction, for kinds that sign one.
    public var signedData: String? { string("signedData") }
    /// Why it failed or was rejected.
    public var reason: String? { string("reason") }
    /// The caller's idempotency key, when one was sent.
    public var externalId: String? { string("externalId") }
    /// The approval a policy opened for it, while one holds it.
    public var approvalId: String? { string("approvalId") }
    /// ISO 8601 time of the request.
    public var dateRequested: String? { string("dateRequested") }
    /// ISO 8601 time it was signed.
    public var dateSigned: String? { string("dateSigned") }
    /// The body that was submitted, as Dfns echoes it.
    public var requestBody: JSONValue? { raw["requestBody"] }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        keyId = try json.requiredString("keyId")
        status = try json.requiredString("status")
        raw = json
    }
}
