/// A wallet as the simulator stores it; encodes as the Dfns wallet object.
struct SimulatedWallet: Sendable, Encodable {
    struct SigningKey: Sendable, Encodable {
        let id: String
        let scheme: String
        let curve: String
        let publicKey: String
    }

    let id: String
    let network: String
    let address: String?
    var name: String?
    var externalId: String?
    var tags: [String]
    let signingKey: SigningKey
    let status = "Active"
    let dateCreated: String
    /// The end user the wallet's key is delegated to; the wallet is then no longer custodial.
    var delegatedTo: String?
    /// Not part of the Dfns object.
    let orgId: String
    /// Encode `signingKey` as a bare key id, a shape the current API does not have (a client must not choke on it).
    var oddShape = false

    private enum CodingKeys: String, CodingKey {
        case id, network, address, name, externalId, tags, signingKey, status, custodial, dateCreated
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(network, forKey: .network)
        try container.encodeIfPresent(address, forKey: .address)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(externalId, forKey: .externalId)
        try container.encode(tags, forKey: .tags)
        if oddShape { try container.encode(signingKey.id, forKey: .signingKey) } else { try container.encode(signingKey, forKey: .signingKey) }
        try container.encode(status, forKey: .status)
        try container.encode(delegatedTo == nil, forKey: .custodial)
        try container.encode(dateCreated, forKey: .dateCreated)
    }
}
