import COpenSSL
import Foundation

/// The WebAuthn relying party the simulator plays for passkeys: its id, the origins it accepts, and the checks of
/// client data and authenticator data that registrations (``WebAuthnAttestation``) and assertions share
/// (W3C WebAuthn L2 §7.1, §7.2; dfns-auth.md §3.2, §3.4, §3.5).
///
/// Statuses follow one rule: 400 when the request cannot be read or contradicts itself (encoding, shape, client data
/// type, a challenge that is not the session's — Dfns's own "Challenge token is not valid."), 401 when it reads well
/// but the authentication does not hold (origin, relying party, user presence or verification, signature).
struct RelyingParty: Sendable, Hashable {
    /// The rpId, e.g. `dfns.io` or `localhost`: a registrable domain the origins must be on.
    let id: String
    /// SHA-256 of the rpId's UTF-8 bytes, as authenticator data carries it.
    let idHash: [UInt8]
    /// Exact origins accepted besides the rpId's own realm, such as an Android app's `android:apk-key-hash:…`.
    let additionalOrigins: Set<String>

    init(id: String, additionalOrigins: Set<String> = []) {
        self.id = id.lowercased()
        self.idHash = SimulatorDigest.sha256(Array(self.id.utf8))
        self.additionalOrigins = additionalOrigins
    }

    /// True for an origin in the rpId's realm: `https://` on the rpId or one of its subdomains, any port; also
    /// `http://localhost[:port]` when the rpId is `localhost`, since browsers treat localhost as a secure context (a
    /// headless Chromium registers passkeys there); and the ``additionalOrigins``. An origin is `scheme://host[:port]`
    /// with nothing after it, as browsers serialise it.
    func accepts(origin: String) -> Bool {
        if additionalOrigins.contains(origin) { return true }
        let secure = origin.hasPrefix("https://")
        guard secure || origin.hasPrefix("http://") else { return false }
        let authority = origin.dropFirst(secure ? 8 : 7)
        var host = authority
        if let colon = authority.lastIndex(of: ":") {
            let port = authority[authority.index(after: colon)...]
            guard (1...5).contains(port.count), port.allSatisfy(\.isASCII), let number = Int(port), (1...65535).contains(number) else { return false }
            host = authority[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else { return false }
        if secure { return host == id || host.hasSuffix("." + id) }
        return id == "localhost" && host == "localhost"
    }

    /// Checks `clientDataJSON` (§7.1 steps 5–10, §7.2 steps 9–14) and returns its origin.
    ///
    /// The challenge is accepted in both encodings SDKs send (dfns-auth.md §3.2): the string itself (Swift, Kotlin,
    /// React Native and Flutter pass its base64url-decoded bytes to the authenticator) or base64url of its UTF-8
    /// bytes (TypeScript `sdk-browser`). The JSON is parsed, never matched against a template: browsers add keys.
    /// - Parameter type: `webauthn.create` for a registration, `webauthn.get` for an assertion.
    func verifyClientData(_ clientData: [UInt8], type: String, challenge: String) throws(APIError) -> String {
        let collected: CollectedClientData
        do {
            collected = try JSONDecoder().decode(CollectedClientData.self, from: Data(clientData))
        } catch {
            throw .badRequest("clientData is not a JSON object with string type, challenge and origin and a boolean crossOrigin")
        }
        guard let actualType = collected.type, let actualChallenge = collected.challenge, let origin = collected.origin else {
            throw .badRequest("clientData needs type, challenge and origin")
        }
        guard actualType == type else { throw .badRequest("clientData.type is \(actualType), expected \(type)") }
        guard actualChallenge == challenge || actualChallenge == Base64Text.url(Array(challenge.utf8)) else { throw .challengeInvalid }
        guard accepts(origin: origin) else { throw APIError(401, "clientData.origin \(origin) is not an origin of relying party \(id)") }
        guard collected.crossOrigin != true else {
            throw APIError(401, "clientData.crossOrigin is true: relying party \(id) accepts no credentials made in cross-origin frames")
        }
        return origin
    }

    /// Checks authenticator data against this relying party (§7.1 steps 13–15, §7.2 steps 15–17): the rpIdHash is
    /// this rpId's, a user was present, the user was verified when `userVerificationRequired`, and a credential that
    /// is backed up is backup-eligible.
    func verifyAuthenticatorData(_ data: AuthenticatorData, userVerificationRequired: Bool) throws(APIError) {
        guard data.rpIdHash == idHash else { throw APIError(401, "authenticatorData was made for another relying party than \(id) (rpIdHash)") }
        guard data.flags.contains(.userPresent) else { throw APIError(401, "the authenticator did not report user presence (UP flag)") }
        guard !userVerificationRequired || data.flags.contains(.userVerified) else {
            throw APIError(401, "the authenticator did not verify the user (UV flag), which is required")
        }
        guard data.flags.contains(.backupEligible) || !data.flags.contains(.backedUp) else {
            throw .badRequest("authenticatorData flags BS (backed up) without BE (backup eligible)")
        }
    }

    /// Checks a passkey assertion (`webauthn.get`, dfns-auth.md §3.5 steps 3–6) and returns the new signCount to store.
    ///
    /// The caller keeps steps 1–2: the credential belongs to the user, is active and was allowed for this challenge,
    /// and a `userHandle`, when present, is base64url(UTF-8(userId)).
    /// - Parameters:
    ///   - clientData, authenticatorData, signature: the decoded bytes of the `credentialAssertion` fields.
    ///   - publicKey: the credential's key (``RegisteredPasskey/verifier``).
    ///   - storedSignCount: the count stored for the credential; 0 and 0 is normal for passkeys, otherwise the
    ///     received count must be greater (a lower one suggests a cloned authenticator).
    func verifyAssertion(
        clientData: [UInt8], authenticatorData: [UInt8], signature: [UInt8], challenge: String, publicKey: PublicKeyVerifier,
        storedSignCount: UInt32, userVerificationRequired: Bool
    ) throws(APIError) -> UInt32 {
        _ = try verifyClientData(clientData, type: "webauthn.get", challenge: challenge)
        let data = try AuthenticatorData(authenticatorData)
        try verifyAuthenticatorData(data, userVerificationRequired: userVerificationRequired)
        guard publicKey.verify(signature: signature, message: authenticatorData + SimulatorDigest.sha256(clientData)) else {
            throw APIError(401, "invalid signature")
        }
        if data.signCount != 0 || storedSignCount != 0, data.signCount <= storedSignCount {
            throw APIError(401, "signCount \(data.signCount) is not greater than the stored \(storedSignCount): the authenticator may be cloned")
        }
        return data.signCount
    }

    /// The members of `CollectedClientData` (§5.8.1) the checks read; browsers may add others.
    private struct CollectedClientData: Decodable {
        let type: String?
        let challenge: String?
        let origin: String?
        let crossOrigin: Bool?
    }
}
