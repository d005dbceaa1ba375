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

    private enum CodingKeys: String, CodingKey {
        case id, network, address, name, status, externalId, tags, dateCreated, signingKey
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        network = try container.decode(String.self, forKey: .network)
        address = try container.decodeIfPresent(String.self, forKey: .address)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        externalId = try container.decodeIfPresent(String.self, forKey: .externalId)
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
        dateCreated = try container.decodeIfPresent(String.self, forKey: .dateCreated)
        signingKey = try container.decodeIfPresent(SigningKey.self, forKey: .signingKey)
        raw = try JSONValue(from: decoder)
    }
}
