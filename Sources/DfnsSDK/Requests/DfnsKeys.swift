import NIOHTTP1

/// The keys API, one request per method of the official SDKs' keys client (dfns-sdk 1.0.4 `generated/keys/client.py`).
public enum DfnsKeys {
    private static func key(_ keyId: String) throws -> String { "/keys/\(try RequestPath.segment(keyId, "keyId"))" }

    /// `POST /keys` (signed): `scheme` (ECDSA, EdDSA, Schnorr) and `curve` (secp256k1, ed25519, stark), optional
    /// `name`, `masterKey`, `deriveFrom`, `storeId`, `delegateTo`, `delayDelegation`.
    public static func createKey(_ body: JSONValue) throws -> DfnsRequest<DfnsKey> {
        .write(.POST, "/keys", json: try RequestPath.object(body, "createKey", requiring: ["scheme", "curve"]))
    }

    /// `GET /keys/{keyId}`.
    public static func getKey(keyId: String) throws -> DfnsRequest<DfnsKey> { .read(try key(keyId)) }

    /// `GET /keys`. `owner` filters by user id.
    public static func listKeys(limit: Int? = nil, paginationToken: String? = nil, owner: String? = nil) throws -> DfnsRequest<Page<DfnsKey>> {
        .read("/keys", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: owner.map { ["owner": $0] } ?? [:]))
    }

    /// `PUT /keys/{keyId}` (signed): renames the key.
    public static func updateKey(keyId: String, name: String) throws -> DfnsRequest<DfnsKey> {
        .write(.PUT, try key(keyId), json: ["name": .string(name)])
    }

    /// `DELETE /keys/{keyId}` (signed, no body): archives the key and its wallets.
    public static func deleteKey(keyId: String) throws -> DfnsRequest<DfnsKey> { .write(.DELETE, try key(keyId), json: nil) }

    /// `POST /keys/{keyId}/delegate` (signed): hands the key to an end user (`delegateTo`: a user id).
    public static func delegateKey(keyId: String, delegateTo: String) throws -> DfnsRequest<JSONValue> {
        .write(.POST, "\(try key(keyId))/delegate", json: ["delegateTo": .string(delegateTo)])
    }

    /// `POST /keys/{keyId}/derive` (signed): a deterministic output from the key (`domain` and `seed`, hex).
    public static func deriveKey(keyId: String, domain: String, seed: String) throws -> DfnsRequest<JSONValue> {
        .write(.POST, "\(try key(keyId))/derive", json: ["domain": .string(domain), "seed": .string(seed)])
    }

    /// `POST /keys/{keyId}/export` (signed): the key shares encrypted to `encryptionKey`. Dfns enables export per
    /// organisation; elsewhere it answers 403.
    public static func exportKey(keyId: String, encryptionKey: String, supportedSchemes: JSONValue) throws -> DfnsRequest<JSONValue> {
        .write(.POST, "\(try key(keyId))/export", json: ["encryptionKey": .string(encryptionKey), "supportedSchemes": supportedSchemes])
    }

    /// `POST /keys/import` (signed): a key from encrypted shares (`curve`, `protocol`, `minSigners`, `encryptedKeyShares`).
    public static func importKey(_ body: JSONValue) throws -> DfnsRequest<DfnsKey> {
        .write(
            .POST, "/keys/import",
            json: try RequestPath.object(body, "importKey", requiring: ["curve", "protocol", "minSigners", "encryptedKeyShares"]))
    }

    /// `POST /keys/{keyId}/signatures` (signed): a signature of `kind` `Hash`, `Message`, `Transaction`, `Eip712`,
    /// `Psbt`, `Bip322`, … Deduplicated by `externalId`.
    public static func generateSignature(keyId: String, _ body: JSONValue) throws -> DfnsRequest<KeySignature> {
        .write(.POST, "\(try key(keyId))/signatures", json: try RequestPath.object(body, "generateSignature", requiring: ["kind"]), idempotent: true)
    }

    /// `GET /keys/{keyId}/signatures/{signatureId}`.
    public static func getSignature(keyId: String, signatureId: String) throws -> DfnsRequest<KeySignature> {
        .read("\(try key(keyId))/signatures/\(try RequestPath.segment(signatureId, "signatureId"))")
    }

    /// `GET /keys/{keyId}/signatures`.
    public static func listSignatures(keyId: String, limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<Page<KeySignature>> {
        .read("\(try key(keyId))/signatures", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }
}
