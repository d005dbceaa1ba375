/// A Dfns wallet: ``raw`` keeps everything Dfns returned; the identity and network are checked when it is read, the
/// other fields are read from ``raw`` when asked for (nil when absent, null or of another type).
public struct Wallet: DfnsModel {
    /// The wallet's signing key, as far as Dfns described it.
    public struct SigningKey: Sendable, Hashable {
        /// The key object as Dfns returned it.
        public let raw: JSONValue
        /// The key's id (`key-…`), for ``DfnsKeys``.
        public var id: String? { raw["id"]?.stringValue }
        /// `ECDSA`, `EdDSA` or `Schnorr`.
        public var scheme: String? { raw["scheme"]?.stringValue }
        /// `secp256k1`, `ed25519` or `stark`.
        public var curve: String? { raw["curve"]?.stringValue }
        /// The public key, hex.
        public var publicKey: String? { raw["publicKey"]?.stringValue }
    }

    public let id: String
    /// The network, e.g. `EthereumSepolia`.
    public let network: String
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// The on-chain address (absent only for the deprecated `Key*` pseudo-networks of older organisations).
    public var address: String? { raw["address"]?.stringValue }
    /// The name given at creation or by `updateWallet`.
    public var name: String? { raw["name"]?.stringValue }
    /// `Active`, `Inactive` or `Archived`.
    public var status: String? { raw["status"]?.stringValue }
    /// The caller's reference, when one was given (Dfns does not deduplicate wallets by it).
    public var externalId: String? { raw["externalId"]?.stringValue }
    /// The tags, when Dfns sent an array (non-string items left out).
    public var tags: [String]? {
        guard case .array(let items)? = raw["tags"] else { return nil }
        return items.compactMap(\.stringValue)
    }
    /// ISO 8601 creation time.
    public var dateCreated: String? { raw["dateCreated"]?.stringValue }
    /// The wallet's key, when Dfns described it as an object.
    public var signingKey: SigningKey? { raw["signingKey"]?.objectValue.map { SigningKey(raw: .object($0)) } }
}

extension Wallet: JSONValueDecodable {
    /// Reads the entity from JSON Dfns returned (e.g. an item of a `…JSON` listing); throws when its id or network is
    /// missing or not a string.
    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        network = try json.requiredString("network")
        raw = json
    }
}
