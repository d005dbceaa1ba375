/// A Dfns key (`/keys`): the MPC key behind one or more wallets.
public struct DfnsKey: DfnsModel {
    public let id: String
    public let raw: JSONValue

    /// `ECDSA`, `EdDSA` or `Schnorr`.
    public var scheme: String? { string("scheme") }
    /// `secp256k1`, `ed25519` or `stark`.
    public var curve: String? { string("curve") }
    public var publicKey: String? { string("publicKey") }
    public var name: String? { string("name") }
    /// `Active` or `Archived`.
    public var status: String? { string("status") }
    public var dateCreated: String? { string("dateCreated") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        raw = json
    }
}
