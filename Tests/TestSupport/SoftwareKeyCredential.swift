import DfnsSDK
import Foundation

/// A key credential a user holds: the SDK's `key.create` attestation of a registration or credential challenge
/// (``KeyCredentialAttestation``, as the official browser key signer makes it), then `key.get` assertions with a
/// ``KeySigner``. The Python conformance makes its own, so the two sides are not checked by one implementation alone.
public struct SoftwareKeyCredential: Sendable {
    /// `Key`, `PasswordProtectedKey` or `RecoveryKey`.
    public let kind: String
    public let credentialId: String
    public let publicKeyPEM: String
    /// Signs `key.get` client data under ``credentialId``.
    public let signer: KeySigner
    private let privateKeyPEM: String

    public init(kind: String = "Key", algorithm: KeyAlgorithm = .p256) throws {
        let pair = try KeyGenerator.generate(algorithm)
        self.kind = kind
        self.credentialId = Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
        self.publicKeyPEM = pair.publicKeyPEM
        self.signer = try KeySigner(credentialId: credentialId, privateKeyPEM: pair.privateKeyPEM)
        self.privateKeyPEM = pair.privateKeyPEM
    }

    /// A signer of this key under the id Dfns gave it (a token's `credId`, a service account key's `credentialId`).
    public func signer(as credentialId: String) throws -> KeySigner {
        try KeySigner(credentialId: credentialId, privateKeyPEM: privateKeyPEM)
    }

    /// The credential member of a registration or `/auth/credentials` body attesting `challenge`, made by the SDK
    /// (``KeyCredentialAttestation``); `extra` members (a `challengeIdentifier`) are added beside it.
    public func attestation(_ challenge: String, name: String = "test", extra: [String: JSONValue] = [:]) async throws -> JSONValue {
        let credential = try await KeyCredentialAttestation.make(
            challenge: challenge, signer: signer, publicKeyPEM: publicKeyPEM, kind: kind, name: name,
            encryptedPrivateKey: kind == "Key" ? nil : Data("sealed:\(credentialId)".utf8).base64EncodedString(), origin: "https://app.example.com")
        guard case .object(let members) = credential else { return credential }
        return .object(members.merging(extra) { $1 })
    }

    /// A `firstFactor` signing `challenge` (`key.get`), as the official key signers make it.
    public func assertion(_ challenge: String) throws -> JSONValue {
        let clientData = UserActionSigning.clientData(challenge: challenge, origin: "https://app.example.com")
        return [
            "kind": .string(kind == "RecoveryKey" ? "Key" : kind),
            "credentialAssertion": [
                "credId": .string(credentialId), "clientData": .string(Base64URL.encode(clientData)),
                "signature": .string(Base64URL.encode(try signer.sign(clientData))),
            ],
        ]
    }
}
