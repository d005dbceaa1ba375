import COpenSSL
import Foundation

/// Checks the factors of a signed user action (`POST /auth/action`) or a login (`POST /auth/login`) against the
/// caller's active credentials (``CredentialStore``), as Dfns does: a `Key` or `PasswordProtectedKey` assertion signs
/// `key.get` client data; a `Fido2` assertion is checked as a WebAuthn relying party checks one (W3C WebAuthn §7.2:
/// client data type `webauthn.get`, the challenge as base64url of its UTF-8 bytes — what the official TypeScript
/// `WebAuthnSigner` passes to the browser — or the challenge itself (the Swift and Kotlin SDKs, dfns-auth.md §3.2), an
/// origin of the relying party the passkey was registered for, its rpIdHash and UP/UV flags, the signature over
/// `authenticatorData ‖ SHA-256(clientDataJSON)` and a growing signature counter); a `Password` first factor matches
/// the salted hash kept at registration; a `Totp` second factor is the RFC 6238 code of the moment (30 s steps, one
/// step of drift either way).
struct UserActionVerifier: Sendable {
    let relyingPartyId: String
    let secondFactorRequired: Bool
    private let acceptRawECDSA: Bool
    private let credentials: CredentialStore

    init(configuration: SimulatorConfiguration, credentials: CredentialStore) {
        self.relyingPartyId = configuration.relyingPartyId
        self.secondFactorRequired = configuration.secondFactorRequired
        self.acceptRawECDSA = configuration.acceptRawECDSA
        self.credentials = credentials
    }

    /// Who signs, and so with which credentials: a user with their own (every kind); a personal access token with its
    /// own key alone; a service account with its keys (dfns-auth.md §0: tokens sign with `Key` only).
    enum Signer: Sendable, Equatable {
        case user(String)
        case personalAccessToken(String)
        case serviceAccount(String)
    }

    /// The challenge's terms for `signer`: the credentials it may sign with, and whether a second factor is required
    /// (the configuration's rule for the organisation's users, and any user with an authenticator app, `Totp`).
    func terms(for signer: Signer) -> (credentials: [CredentialStore.Credential], requiresSecondFactor: Bool) {
        switch signer {
        case .user(let userId):
            let usable = credentials.activeCredentials(ofUser: userId)
            return (usable, secondFactorRequired || usable.contains { $0.kind == .totp })
        case .personalAccessToken(let tokenId): return (credentials.activeCredentials(ofToken: tokenId).filter { $0.kind == .key }, false)
        case .serviceAccount(let userId): return (credentials.activeCredentials(ofUser: userId).filter { $0.kind == .key }, false)
        }
    }

    /// Verifies both factors of `request` for the challenge string `expected` with the credentials of `signer`.
    /// - Throws: 400 for a malformed assertion, 401 for a credential, code or signature that does not hold.
    func verify(_ request: UserActionSignatureRequest, expected: String, signer: Signer) throws(APIError) {
        let (usable, requiresSecondFactor) = terms(for: signer)
        guard let first = request.firstFactor else { throw .badRequest("firstFactor is required") }
        let firstId = try verify(
            first, as: "firstFactor", expected: expected, credentials: usable, allowed: [.key, .passwordProtectedKey, .fido2, .password])
        if let second = request.secondFactor {
            let secondId = try verify(
                second, as: "secondFactor", expected: expected, credentials: usable, allowed: [.key, .passwordProtectedKey, .fido2, .totp])
            guard secondId != firstId else { throw .badRequest("secondFactor must use another credential than firstFactor") }
        } else if requiresSecondFactor {
            throw APIError(401, "this user's credentials require a second factor (secondFactor)")
        }
    }

    /// Verifies one factor and returns its credential's uuid.
    private func verify(
        _ factor: UserActionSignatureRequest.Factor, as name: String, expected: String, credentials usable: [CredentialStore.Credential],
        allowed: [CredentialStore.Kind]
    ) throws(APIError) -> String {
        guard let kind = factor.kind.flatMap(CredentialStore.Kind.init(rawValue:)), allowed.contains(kind) else {
            throw .badRequest("\(name).kind must be one of \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        switch kind {
        case .password:
            guard let password = factor.password else { throw .badRequest("\(name).password is required") }
            for credential in usable where credential.kind == .password {
                if case .password(let salt, let hash) = credential.material, Self.passwordHash(password, salt: salt) == hash {
                    return credential.credentialUuid
                }
            }
            throw APIError(401, "\(name): the password does not match")
        case .totp:
            guard let code = factor.otpCode else { throw .badRequest("\(name).otpCode is required") }
            for credential in usable where credential.kind == .totp {
                guard case .totp(let secret) = credential.material, let step = Self.totpStep(code, secret: secret) else { continue }
                // RFC 6238 §5.2: a code is accepted once.
                guard credentials.spendOneTimeCode(step: step, credentialUuid: credential.credentialUuid) else {
                    throw APIError(401, "\(name): this one-time code was already used")
                }
                return credential.credentialUuid
            }
            throw APIError(401, "\(name): the one-time code does not match")
        default:
            return try verifySignature(factor, kind: kind, as: name, expected: expected, credentials: usable)
        }
    }

    private func verifySignature(
        _ factor: UserActionSignatureRequest.Factor, kind: CredentialStore.Kind, as name: String, expected: String,
        credentials usable: [CredentialStore.Credential]
    ) throws(APIError) -> String {
        guard let assertion = factor.credentialAssertion, let credentialId = assertion.credId,
            let clientDataText = assertion.clientData, let signatureText = assertion.signature
        else { throw .badRequest("\(name).credentialAssertion needs credId, clientData and signature strings") }
        guard let credential = usable.first(where: { $0.credentialId == credentialId && $0.kind == kind }),
            case .publicKey(_, let verifier) = credential.material
        else {
            throw APIError(401, "credential \(credentialId) is not an active \(kind.rawValue) credential of this user")
        }
        guard let clientData = Base64Text.decodeURL(clientDataText),
            let client = try? JSONDecoder().decode(ClientData.self, from: Data(clientData))
        else { throw .badRequest("\(name): clientData must be base64url-encoded JSON") }
        guard let signature = Base64Text.decodeURL(signatureText) else { throw .badRequest("\(name): signature must be base64url") }
        if kind == .fido2 {
            guard let authenticatorData = assertion.authenticatorData.flatMap(Base64Text.decodeURL), !authenticatorData.isEmpty else {
                throw .badRequest("\(name): a Fido2 assertion needs base64url authenticatorData")
            }
            let userHandle = try assertion.userHandle.map { (text) throws(APIError) -> [UInt8] in
                guard let handle = Base64Text.decodeURL(text) else { throw .badRequest("\(name): userHandle must be base64url") }
                return handle
            }
            let signCount = try RelyingParty(id: credential.relyingPartyId).verifyAssertion(
                clientData: clientData, authenticatorData: authenticatorData, signature: signature, challenge: expected, publicKey: verifier,
                storedSignCount: credential.signCount, userVerificationRequired: true)
            // The user handle of a passkey registered here is its user's id (dfns-auth.md §3.1); a configured passkey's
            // is not known.
            if let userHandle, let expected = credential.userHandle, userHandle != expected {
                throw APIError(401, "\(name): userHandle is not this credential's user")
            }
            credentials.recordSignCount(signCount, credentialId: credentialId)
        } else {
            guard client.crossOrigin != true else { throw .badRequest("\(name): clientData.crossOrigin must be false") }
            guard client.type == "key.get" else { throw .badRequest("\(name): clientData.type must be key.get") }
            guard client.challenge == expected else { throw .challengeInvalid }
            guard verifier.verify(signature: signature, message: clientData, acceptRawECDSA: acceptRawECDSA) else {
                throw APIError(401, "invalid signature")
            }
        }
        return credential.credentialUuid
    }

    /// The salted SHA-256 a password credential keeps (the simulator's; Dfns's own is not documented).
    static func passwordHash(_ password: String, salt: [UInt8]) -> [UInt8] { SimulatorDigest.sha256(salt + Array(password.utf8)) }

    /// The RFC 6238 time step (HMAC-SHA-1, 6 digits, 30 s) whose code is `code`: the current one or one either side.
    static func totpStep(_ code: String, secret: [UInt8], at date: Date = Date()) -> Int64? {
        let step = Int64(date.timeIntervalSince1970) / 30
        return (step - 1...step + 1).first { totp(secret: secret, step: $0) == code }
    }

    static func totp(secret: [UInt8], step: Int64) -> String {
        let counter = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(step) >> (56 - 8 * $0)) }
        let digest = SimulatorDigest.hmacSHA1(key: secret, counter)
        let offset = Int(digest[19] & 0x0f)
        let value =
            (UInt32(digest[offset] & 0x7f) << 24 | UInt32(digest[offset + 1]) << 16 | UInt32(digest[offset + 2]) << 8 | UInt32(digest[offset + 3]))
        let code = String(value % 1_000_000)
        return String(repeating: "0", count: 6 - code.count) + code
    }

}
