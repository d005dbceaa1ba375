/// Checks a passkey registration (`webauthn.create`) as a WebAuthn relying party does (W3C WebAuthn L2 §7.1, §8.2
/// `packed`, §8.7 `none`; dfns-auth.md §3.4), so the simulator registers only passkeys a real relying party would.
///
/// Not checked here, for the caller: that the credential id is not registered already, and that the challenge is the
/// registration session's. Not checked at all: a trust chain for `x5c` (Dfns does not require one), token binding,
/// extension outputs (read, then ignored).
enum WebAuthnAttestation {
    /// The attestation statement formats accepted: what browsers send for `attestation: "none"` and for self or
    /// basic attestation with `direct`.
    static let formats = ["none", "packed"]

    /// Checks a registration and returns the passkey to store.
    /// - Parameters:
    ///   - credentialId: `credentialInfo.credId`: base64url of the raw credential id (padding tolerated).
    ///   - clientData: the decoded `clientDataJSON` bytes, hashed as received.
    ///   - attestationObject: the decoded CBOR `attestationData`.
    ///   - challenge: the registration challenge string; both encodings of dfns-auth.md §3.2 are accepted.
    ///   - userVerificationRequired: the challenge's `authenticatorSelection.userVerification` is `required`.
    ///   - allowedAlgorithms: the COSE algorithms of the challenge's `pubKeyCredParams`.
    /// - Throws: ``APIError`` 400 for malformed input or an unsupported format, 401 for what does not hold (see
    ///   ``RelyingParty`` for the rule).
    static func verify(
        credentialId: String, clientData: [UInt8], attestationObject: [UInt8], challenge: String, relyingParty: RelyingParty,
        userVerificationRequired: Bool, allowedAlgorithms: [Int] = [COSEKey.es256, COSEKey.rs256, COSEKey.edDSA]
    ) throws(APIError) -> RegisteredPasskey {
        let origin = try relyingParty.verifyClientData(clientData, type: "webauthn.create", challenge: challenge)
        let object: CBORReader.Value
        do {
            object = try CBORReader.decode(attestationObject)
        } catch {
            throw .badRequest("attestationData: \(error.message)")
        }
        guard let format = object[text: "fmt"]?.textString, let statement = object[text: "attStmt"], case .map(let statementEntries) = statement,
            let authenticatorDataBytes = object[text: "authData"]?.byteString
        else { throw .badRequest("attestationData must be a CBOR map of fmt (text), attStmt (map) and authData (bytes)") }
        guard formats.contains(format) else {
            throw .badRequest("attestation format \(format) is not supported (\(formats.joined(separator: ", ")))")
        }

        let authenticatorData = try AuthenticatorData(authenticatorDataBytes)
        try relyingParty.verifyAuthenticatorData(authenticatorData, userVerificationRequired: userVerificationRequired)
        guard let credential = authenticatorData.attestedCredential else {
            throw .badRequest("authenticatorData has no attested credential data (AT flag): it is not a registration")
        }
        guard let claimedId = Base64Text.decodeURL(credentialId) else { throw .badRequest("credId \(credentialId) is not base64url") }
        guard claimedId == credential.credentialId else {
            throw .badRequest(
                "credId \(credentialId) is not the credential id of the authenticator data (\(Base64Text.url(credential.credentialId)))")
        }
        let key = try COSEKey(credential.publicKey, allowedAlgorithms: allowedAlgorithms)

        if format == "none" {
            guard statementEntries.isEmpty else { throw .badRequest("attStmt must be an empty map for fmt none") }
        } else {
            try verifyPacked(statement, signed: authenticatorDataBytes + SimulatorDigest.sha256(clientData), key: key, aaguid: credential.aaguid)
        }
        return RegisteredPasskey(
            credentialId: Base64Text.url(credential.credentialId), publicKeyPEM: key.publicKeyPEM, verifier: key.verifier, algorithm: key.algorithm,
            signCount: authenticatorData.signCount, origin: origin, relyingPartyId: relyingParty.id, attestationFormat: format,
            aaguid: credential.aaguid, backupEligible: authenticatorData.flags.contains(.backupEligible),
            backedUp: authenticatorData.flags.contains(.backedUp))
    }

    /// `packed` (§8.2): `{alg, sig, x5c?}`, the signature over `authData ‖ SHA-256(clientData)`. Without `x5c` it is self
    /// attestation, signed by the credential key itself with the credential's alg; with `x5c`, by the leaf certificate.
    private static func verifyPacked(_ statement: CBORReader.Value, signed: [UInt8], key: COSEKey, aaguid: [UInt8]) throws(APIError) {
        guard let algorithm = statement[text: "alg"]?.int, let signature = statement[text: "sig"]?.byteString else {
            throw .badRequest("packed attStmt needs alg (integer) and sig (bytes)")
        }
        guard statement[text: "ecdaaKeyId"] == nil else { throw .badRequest("packed attStmt: ECDAA is not supported (WebAuthn L2 dropped it)") }
        guard let x5c = statement[text: "x5c"] else {
            guard algorithm == key.algorithm else {
                throw APIError(401, "packed self attestation: attStmt.alg \(algorithm) is not the credential key's alg \(key.algorithm)")
            }
            guard key.verifier.verify(signature: signature, message: signed) else {
                throw APIError(401, "packed self attestation: invalid signature")
            }
            return
        }
        guard case .array(let chain) = x5c, let leaf = chain.first?.byteString, chain.allSatisfy({ $0.byteString != nil }) else {
            throw .badRequest("packed attStmt.x5c must be a non-empty array of DER certificates (bytes)")
        }
        let certificate = try AttestationCertificate(der: leaf, aaguid: aaguid)
        guard let expected = COSEKey.verifierAlgorithm(algorithm), certificate.verifier.algorithm == expected else {
            throw APIError(401, "packed attestation: attStmt.alg \(algorithm) does not fit the certificate's \(certificate.verifier.algorithm) key")
        }
        guard certificate.verifier.verify(signature: signature, message: signed) else {
            throw APIError(401, "packed attestation: invalid signature by the x5c certificate")
        }
    }
}
