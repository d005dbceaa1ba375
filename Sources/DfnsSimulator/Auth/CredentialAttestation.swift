import Foundation

/// A new credential as a registration, a recovery or `/auth/credentials` brings it (dfns-auth.md §2.4:
/// `{credentialKind, credentialInfo, credentialName?, encryptedPrivateKey?}`), checked against the challenge it answers:
/// a `Key`, `PasswordProtectedKey` or `RecoveryKey` by its `key.create` attestation (§3.3: client data of type
/// `key.create` carrying the challenge verbatim, and a signature in hex over
/// `{"clientDataHash":"<hex SHA-256 of the client data bytes>","publicKey":"<PEM>"}` with the key it registers —
/// dfns-sdk-ts `sdk-browser/signers/key.ts`, dfns-api-docs `advanced-topics/authentication/api-objects.md`), a `Fido2`
/// passkey by its WebAuthn attestation (``WebAuthnAttestation``), a `Password` by its salted hash, a `Totp` by a code
/// of the secret the challenge offered.
struct CredentialAttestation {
    let kind: CredentialStore.Kind
    let material: CredentialStore.Material
    let credentialId: String
    let name: String
    let encryptedPrivateKey: String?
    let relyingPartyId: String
    let origin: String
    let signCount: UInt32

    /// Reads and checks the credential `name` (the body member, for errors) of `value`.
    /// - Parameters:
    ///   - allowed: the kinds this slot takes (first factor, second factor, recovery).
    ///   - relyingPartyId: the relying party a passkey must be made for.
    ///   - totpSecret: the secret offered with the challenge (`otpUrl`).
    ///   - salt: fresh random bytes for a password's hash.
    static func read(
        _ value: Any?, as name: String, challenge: String, allowed: [CredentialStore.Kind], relyingPartyId: String, totpSecret: [UInt8],
        salt: [UInt8]
    ) throws(APIError) -> CredentialAttestation {
        guard let object = value as? [String: Any] else { throw .badRequest("\(name) is required and must be an object") }
        guard let kind = (object["credentialKind"] as? String).flatMap(CredentialStore.Kind.init(rawValue:)), allowed.contains(kind) else {
            throw .badRequest("\(name).credentialKind must be one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        guard let info = object["credentialInfo"] as? [String: Any] else { throw .badRequest("\(name).credentialInfo must be an object") }
        let credentialName = try DfnsSimulator.optionalString(object, "credentialName") ?? kind.rawValue
        let encryptedPrivateKey = try DfnsSimulator.optionalString(object, "encryptedPrivateKey")
        if kind == .passwordProtectedKey, encryptedPrivateKey?.isEmpty ?? true {
            throw .badRequest("\(name).encryptedPrivateKey is required for a PasswordProtectedKey")
        }
        switch kind {
        case .password:
            guard let password = info["password"] as? String, !password.isEmpty else {
                throw .badRequest("\(name).credentialInfo.password must be a non-empty string")
            }
            return CredentialAttestation(
                kind: kind, material: .password(salt: salt, hash: UserActionVerifier.passwordHash(password, salt: salt)),
                credentialId: "password", name: credentialName, encryptedPrivateKey: nil, relyingPartyId: relyingPartyId, origin: "", signCount: 0)
        case .totp:
            guard let code = info["otpCode"] as? String else { throw .badRequest("\(name).credentialInfo.otpCode must be a string") }
            guard UserActionVerifier.totpStep(code, secret: totpSecret) != nil else {
                throw APIError(401, "\(name): the one-time code does not match the secret of the challenge's otpUrl")
            }
            return CredentialAttestation(
                kind: kind, material: .totp(secret: totpSecret), credentialId: "totp", name: credentialName, encryptedPrivateKey: nil,
                relyingPartyId: relyingPartyId, origin: "", signCount: 0)
        default:
            guard let credentialId = info["credId"] as? String, !credentialId.isEmpty, let clientDataText = info["clientData"] as? String,
                let attestationText = info["attestationData"] as? String
            else { throw .badRequest("\(name).credentialInfo needs credId, clientData and attestationData strings") }
            guard let clientData = Base64Text.decodeURL(clientDataText) else { throw .badRequest("\(name): clientData must be base64url") }
            guard let attestation = Base64Text.decodeURL(attestationText) else { throw .badRequest("\(name): attestationData must be base64url") }
            if kind == .fido2 {
                let passkey = try WebAuthnAttestation.verify(
                    credentialId: credentialId, clientData: clientData, attestationObject: attestation, challenge: challenge,
                    relyingParty: RelyingParty(id: relyingPartyId), userVerificationRequired: true)
                return CredentialAttestation(
                    kind: kind, material: .publicKey(pem: passkey.publicKeyPEM, verifier: passkey.verifier), credentialId: passkey.credentialId,
                    name: credentialName, encryptedPrivateKey: nil, relyingPartyId: relyingPartyId, origin: passkey.origin,
                    signCount: passkey.signCount)
            }
            let (pem, verifier, origin) = try keyAttestation(clientData, attestation, as: name, challenge: challenge)
            return CredentialAttestation(
                kind: kind, material: .publicKey(pem: pem, verifier: verifier), credentialId: credentialId, name: credentialName,
                encryptedPrivateKey: encryptedPrivateKey, relyingPartyId: relyingPartyId, origin: origin, signCount: 0)
        }
    }

    /// Checks a `key.create` attestation and returns the key it registers.
    private static func keyAttestation(_ clientData: [UInt8], _ attestation: [UInt8], as name: String, challenge: String) throws(APIError) -> (
        String, PublicKeyVerifier, String
    ) {
        guard let client = try? JSONDecoder().decode(ClientData.self, from: Data(clientData)) else {
            throw .badRequest("\(name): clientData must be base64url-encoded JSON")
        }
        guard client.type == "key.create" else { throw .badRequest("\(name): clientData.type must be key.create") }
        // The challenge verbatim (dfns-api-docs api-objects.md) or base64url of its UTF-8 bytes (dfns-sdk-ts
        // examples/sdk/nextjs-delegated-recovery `base64url(challenge.challenge)`).
        guard client.challenge == challenge || client.challenge == Base64Text.url(Array(challenge.utf8)) else { throw .challengeInvalid }
        guard let statement = SimulatorJSON.parse(attestation) as? [String: Any], let pem = statement["publicKey"] as? String,
            let signatureHex = statement["signature"] as? String
        else { throw .badRequest("\(name): attestationData must be base64url JSON with publicKey (PEM) and signature (hex)") }
        guard let signature = SimulatorDigest.bytes(hex: signatureHex) else { throw .badRequest("\(name): attestationData.signature must be hex") }
        let verifier = try CredentialStore.verifier(pem, "\(name): attestationData.publicKey")
        // The signed statement, built as the official key signers build it: this key order, no spaces, JSON escapes
        // without `\/` (the PEM contains `/`).
        let hash = SimulatorDigest.hex(SimulatorDigest.sha256(clientData))
        let statementText = #"{"clientDataHash":""# + hash + #"","publicKey":"# + jsonString(pem) + "}"
        guard verifier.verify(signature: signature, message: Array(statementText.utf8)) else {
            throw APIError(401, "\(name): the attestation signature does not verify with its publicKey")
        }
        return (pem, verifier, client.origin ?? "")
    }

    private static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// The credential of `userId` this attestation registers.
    func credential(uuid: String, userId: String, orgId: String) -> CredentialStore.Credential {
        CredentialStore.Credential(
            credentialUuid: uuid, credentialId: kind == .password || kind == .totp ? uuid : credentialId, kind: kind, userId: userId, orgId: orgId,
            tokenId: nil, material: material, encryptedPrivateKey: encryptedPrivateKey, relyingPartyId: relyingPartyId, origin: origin,
            dateCreated: Date(), name: name, signCount: signCount, userHandle: kind == .fido2 ? Array(userId.utf8) : nil)
    }
}
