import DfnsSDK
import Foundation

/// A key credential a user holds, made as the official browser key signer makes one (dfns-sdk-ts
/// `sdk-browser/signers/key.ts`): a `key.create` attestation of a registration or credential challenge, signed over
/// `{"clientDataHash":"<hex>","publicKey":"<PEM>"}`, then `key.get` assertions with a ``KeySigner``.
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

    /// The credential member of a registration or `/auth/credentials` body attesting `challenge`; `extra` members
    /// (a `challengeIdentifier`) are added beside it.
    public func attestation(_ challenge: String, name: String = "test", extra: [String: JSONValue] = [:]) throws -> JSONValue {
        let clientData = Array(#"{"type":"key.create","challenge":"\#(challenge)","origin":"https://app.example.com","crossOrigin":false}"#.utf8)
        let hash = Digest.sha256(clientData).map { String(format: "%02x", $0) }.joined()
        let statement = try JSONSerialization.data(
            withJSONObject: ["clientDataHash": hash, "publicKey": publicKeyPEM], options: [.sortedKeys, .withoutEscapingSlashes])
        let signature = try signer.sign(Array(statement)).map { String(format: "%02x", $0) }.joined()
        let attestation = try JSONSerialization.data(
            withJSONObject: ["publicKey": publicKeyPEM, "signature": signature, "algorithm": "SHA256"], options: [.withoutEscapingSlashes])
        var credential: [String: JSONValue] = [
            "credentialKind": .string(kind), "credentialName": .string(name),
            "credentialInfo": [
                "credId": .string(credentialId), "clientData": .string(Base64URL.encode(clientData)),
                "attestationData": .string(Base64URL.encode(attestation)),
            ],
        ]
        if kind != "Key" { credential["encryptedPrivateKey"] = .string(Data("sealed:\(credentialId)".utf8).base64EncodedString()) }
        return .object(credential.merging(extra) { $1 })
    }

    /// A `firstFactor` signing `challenge` (`key.get`), as the official key signers make it.
    public func assertion(_ challenge: String, clientDataChallenge: String? = nil) throws -> JSONValue {
        let clientData = Array(
            #"{"type":"key.get","challenge":"\#(clientDataChallenge ?? challenge)","origin":"https://app.example.com","crossOrigin":false}"#.utf8)
        return [
            "kind": .string(kind == "RecoveryKey" ? "Key" : kind),
            "credentialAssertion": [
                "credId": .string(credentialId), "clientData": .string(Base64URL.encode(clientData)),
                "signature": .string(Base64URL.encode(try signer.sign(clientData))),
            ],
        ]
    }
}
