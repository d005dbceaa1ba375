/// A Dfns wallet. Typed fields cover what the worker uses; ``raw`` keeps everything Dfns returned.
public struct Wallet: Sendable, Hashable, Decodable, Identifiable {
    /// The wallet's signing key.
    public struct SigningKey: Sendable, Hashable, Decodable {
        public let id: String?
        public let scheme: String?
        public let curve: String?
        public let publicKey: String?
    }

    public let id: String
    public let network: String
    /// Absent for the `Key*` pseudo-networks.
    public let address: String?
    public let name: String?
    /// `Active`, `Inactive` or `Archived`.
    public let status: String?
    public let externalId: String?
    public let tags: [String]?
    public let dateCreated: String?
    public let signingKey: SigningKey?
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }
}

extension Wallet: JSONValueDecodable {
    /// Reads the entity from JSON Dfns returned (e.g. an item of a `…JSON` listing); throws when a field it types is
    /// missing or of another type.
    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        network = try json.requiredString("network")
        address = try json.optionalString("address")
        name = try json.optionalString("name")
        status = try json.optionalString("status")
        externalId = try json.optionalString("externalId")
        tags = try json.optionalStrings("tags")
        dateCreated = try json.optionalString("dateCreated")
        switch json["signingKey"] {
        case nil, .null?:
            signingKey = nil
        case let key? where key.objectValue != nil:
            signingKey = SigningKey(
                id: try key.optionalString("id"), scheme: try key.optionalString("scheme"),
                curve: try key.optionalString("curve"), publicKey: try key.optionalString("publicKey")
            )
        default:
            throw JSONFieldError(field: "signingKey", expected: "an object")
        }
        raw = json
    }
}
