import Foundation

/// A new key credential's attestation (`key.create`), as the official browser key signer makes it (dfns-sdk-ts
/// `sdk-browser/signers/key.ts`; dfns-api-docs `advanced-topics/authentication/api-objects.md`): client data of type
/// `key.create` carrying the challenge verbatim, and the key's signature, in hex, over
/// `{"clientDataHash":"<hex SHA-256 of the client data>","publicKey":"<PEM>"}`, which proves the new credential holds
/// the private key of the public key it registers.
public enum KeyCredentialAttestation {
    /// The credential member of a registration, recovery or `/auth/credentials` body: `{credentialKind,
    /// credentialInfo: {credId, clientData, attestationData}, credentialName, encryptedPrivateKey?}`.
    /// - Parameters:
    ///   - challenge: the challenge to attest (``RegistrationChallenge/challenge``, or a credential challenge's).
    ///   - signer: the new credential's key; its ``CredentialSigner/credentialId`` becomes the `credId`.
    ///   - publicKeyPEM: the signer's public key (``KeySigner/publicKeyPEM`` for a ``KeySigner``).
    ///   - kind: `Key`, `PasswordProtectedKey` (then `encryptedPrivateKey` is required) or `RecoveryKey`.
    ///   - name: the credential's name at Dfns.
    ///   - encryptedPrivateKey: the private key encrypted for the user, which Dfns keeps and hands back at login or
    ///     recovery.
    ///   - origin: the client data's `origin`.
    /// - Throws: ``DfnsError`` with code `.signing` when the signer fails, `.validation` for a password-protected key
    ///   without its encrypted private key.
    public static func make(
        challenge: String, signer: some CredentialSigner, publicKeyPEM: String, kind: String = "Key", name: String,
        encryptedPrivateKey: String? = nil, origin: String = UserActionSigning.defaultOrigin
    ) async throws -> JSONValue {
        if kind == "PasswordProtectedKey", encryptedPrivateKey == nil {
            throw DfnsError(code: .validation, message: "a PasswordProtectedKey credential needs its encryptedPrivateKey")
        }
        let clientData = Array(
            ("{\"type\":\"key.create\",\"challenge\":\(JSONValue.string(challenge).jsonString),\"origin\":\(JSONValue.string(origin).jsonString),"
                + "\"crossOrigin\":false}").utf8)
        let hash = Digest.sha256(clientData).map { String(format: "%02x", $0) }.joined()
        let statement = "{\"clientDataHash\":\"\(hash)\",\"publicKey\":\(JSONValue.string(publicKeyPEM).jsonString)}"
        let signature: [UInt8]
        do {
            signature = try await signer.sign(Array(statement.utf8))
        } catch {
            throw DfnsError(code: .signing, message: "the new credential's key could not sign its attestation", underlying: error)
        }
        let attestation: JSONValue = [
            "publicKey": .string(publicKeyPEM), "signature": .string(signature.map { String(format: "%02x", $0) }.joined()),
        ]
        var credential: [String: JSONValue] = [
            "credentialKind": .string(kind), "credentialName": .string(name),
            "credentialInfo": [
                "credId": .string(signer.credentialId), "clientData": .string(Base64URL.encode(clientData)),
                "attestationData": .string(Base64URL.encode(Array(attestation.jsonString.utf8))),
            ],
        ]
        if let encryptedPrivateKey { credential["encryptedPrivateKey"] = .string(encryptedPrivateKey) }
        return .object(credential)
    }
}
