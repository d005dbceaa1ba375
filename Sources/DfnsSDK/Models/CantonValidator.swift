/// A Canton validator of the organisation (`/networks/{network}/validators`).
public struct CantonValidator: DfnsModel {
    public let id: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// `Canton`, `CantonDevnet` or `CantonTestnet`.
    public var network: String? { string("network") }
    /// `Shared` or `Custom`.
    public var kind: String? { string("kind") }
    /// The name given at creation.
    public var name: String? { string("name") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        raw = json
    }
}
