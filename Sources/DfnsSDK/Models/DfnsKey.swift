/// A Dfns key (`/keys`): the MPC key behind one or more wallets.
public struct DfnsKey: DfnsModel {
    public let id: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// `ECDSA`, `EdDSA` or `Schnorr`.
    public var scheme: String? { string("scheme") }
    /// `secp256k1`, `ed25519` or `stark`.
    public var curve: String? { string("curve") }
    /// The public key, hex.
    public var publicKey: String? { string("publicKey") }
    /// The name given at creation or by `updateKey`.
    public var name: String? { string("name") }
    /// `Active` or `Archived`.
    public var status: String? { string("status") }
    /// ISO 8601 creation time.
    public var dateCreated: String? { string("dateCreated") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        raw = json
    }
}
