import COpenSSL
import Foundation

/// Checks the factors of a signed user action (`POST /auth/action`) against the user's registered credentials, as
/// Dfns does: a `Key` or `PasswordProtectedKey` assertion signs `key.get` client data; a `Fido2` assertion is checked
/// as a WebAuthn relying party checks one (W3C WebAuthn §7.2: client data type `webauthn.get`, the challenge as
/// base64url of its UTF-8 bytes — what the official TypeScript `WebAuthnSigner` passes to the browser — an https origin
/// on the relying party's domain, the rpIdHash and UP/UV flags of the authenticator data, and the signature over
/// `authenticatorData ‖ SHA-256(clientDataJSON)`).
struct UserActionVerifier: Sendable {
    /// The kinds of credential a user can assert with.
    enum Kind: String, Sendable, CaseIterable {
        case key = "Key"
        case passwordProtectedKey = "PasswordProtectedKey"
        case fido2 = "Fido2"
    }

    private struct Credential: Sendable {
        let kind: Kind
        let verifier: PublicKeyVerifier
    }

    private let credentials: [String: Credential]
    let relyingPartyId: String
    let secondFactorRequired: Bool
    private let acceptRawECDSA: Bool
    private let relyingPartyIdHash: [UInt8]

    init(configuration: SimulatorConfiguration) throws(SimulatorConfigurationError) {
        var credentials: [String: Credential] = [:]
        let registered: [(Kind, [String: String])] = [
            (.key, configuration.credentials), (.passwordProtectedKey, configuration.passwordProtectedKeyCredentials),
            (.fido2, configuration.fido2Credentials),
        ]
        for (kind, keys) in registered {
            for (credentialId, pem) in keys {
                guard credentials[credentialId] == nil else { throw SimulatorConfigurationError("credential \(credentialId) is registered twice") }
                let verifier: PublicKeyVerifier
                do {
                    verifier = try PublicKeyVerifier(publicKeyPEM: pem)
                } catch {
                    throw SimulatorConfigurationError("credential \(credentialId): \(error.message)")
                }
                if kind == .fido2, verifier.algorithm != "p256" {
                    throw SimulatorConfigurationError("credential \(credentialId): a Fido2 credential must be an ECDSA P-256 key (COSE ES256)")
                }
                credentials[credentialId] = Credential(kind: kind, verifier: verifier)
            }
        }
        self.credentials = credentials
        self.relyingPartyId = configuration.relyingPartyId
        self.secondFactorRequired = configuration.secondFactorRequired
        self.acceptRawECDSA = configuration.acceptRawECDSA
        self.relyingPartyIdHash = Self.sha256(Array(configuration.relyingPartyId.utf8))
    }

    /// The credential ids of one kind, for `allowCredentials`.
    func credentialIds(_ kind: Kind) -> [String] {
        credentials.filter { $0.value.kind == kind }.map(\.key).sorted()
    }

    /// Verifies both factors of `request` for the challenge string `expected`.
    /// - Parameter tokenCredential: for a caller authenticated with a token of ``AccountStore`` (a personal access token,
    ///   a service account), the key credential of that token: it signs with that `Key` alone.
    /// - Throws: 400 for a malformed assertion, 401 for a credential or signature that does not hold.
    func verify(
        _ request: UserActionSignatureRequest, expected: String, tokenCredential: (id: String, verifier: PublicKeyVerifier)? = nil
    ) throws(APIError) {
        guard let first = request.firstFactor else { throw .badRequest("firstFactor is required") }
        if let tokenCredential {
            _ = try verify(first, as: "firstFactor", expected: expected) { id in
                id == tokenCredential.id ? Credential(kind: .key, verifier: tokenCredential.verifier) : nil
            }
            return
        }
        let firstId = try verify(first, as: "firstFactor", expected: expected)
        if let second = request.secondFactor {
            let secondId = try verify(second, as: "secondFactor", expected: expected)
            guard secondId != firstId else { throw .badRequest("secondFactor must use another credential than firstFactor") }
        } else if secondFactorRequired {
            throw APIError(401, "this user's credentials require a second factor (secondFactor)")
        }
    }

    /// Verifies one factor and returns its credential id. `lookup` finds the credential (the configured ones by default).
    private func verify(
        _ factor: UserActionSignatureRequest.Factor, as name: String, expected: String, lookup: ((String) -> Credential?)? = nil
    ) throws(APIError) -> String {
        guard let kind = factor.kind.flatMap(Kind.init(rawValue:)) else {
            throw .badRequest("\(name).kind must be one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let assertion = factor.credentialAssertion, let credentialId = assertion.credId,
            let clientDataText = assertion.clientData, let signatureText = assertion.signature
        else { throw .badRequest("\(name).credentialAssertion needs credId, clientData and signature strings") }
        let found: Credential? = if let lookup { lookup(credentialId) } else { credentials[credentialId] }
        guard let credential = found, credential.kind == kind else {
            throw APIError(401, "credential \(credentialId) is not an active \(kind.rawValue) credential of this user")
        }
        guard let clientData = Base64Text.decodeURL(clientDataText),
            let client = try? JSONDecoder().decode(ClientData.self, from: Data(clientData))
        else { throw .badRequest("\(name): clientData must be base64url-encoded JSON") }
        guard let signature = Base64Text.decodeURL(signatureText) else { throw .badRequest("\(name): signature must be base64url") }
        guard client.crossOrigin != true else { throw .badRequest("\(name): clientData.crossOrigin must be false") }
        let signed: [UInt8]
        switch kind {
        case .key, .passwordProtectedKey:
            guard client.type == "key.get" else { throw .badRequest("\(name): clientData.type must be key.get") }
            guard client.challenge == expected else { throw .challengeInvalid }
            signed = clientData
        case .fido2:
            guard client.type == "webauthn.get" else { throw .badRequest("\(name): clientData.type must be webauthn.get") }
            guard client.challenge == Base64Text.url(Array(expected.utf8)) else { throw .challengeInvalid }
            guard let origin = client.origin, originMatches(origin) else {
                throw APIError(401, "\(name): clientData.origin is not an https origin of \(relyingPartyId)")
            }
            guard let authenticatorData = assertion.authenticatorData.flatMap(Base64Text.decodeURL) else {
                throw .badRequest("\(name): a Fido2 assertion needs base64url authenticatorData")
            }
            if let userHandle = assertion.userHandle, Base64Text.decodeURL(userHandle) == nil {
                throw .badRequest("\(name): userHandle must be base64url")
            }
            // rpIdHash (32) ‖ flags (1) ‖ signCount (4) ‖ optional extensions.
            guard authenticatorData.count >= 37 else { throw .badRequest("\(name): authenticatorData is shorter than 37 bytes") }
            guard Array(authenticatorData.prefix(32)) == relyingPartyIdHash else {
                throw APIError(401, "\(name): authenticatorData was made for another relying party than \(relyingPartyId)")
            }
            let flags = authenticatorData[32]
            guard flags & 0x01 != 0 else { throw APIError(401, "\(name): the authenticator did not report user presence (UP)") }
            guard flags & 0x04 != 0 else { throw APIError(401, "\(name): the authenticator did not verify the user (UV), which is required") }
            signed = authenticatorData + Self.sha256(clientData)
        }
        guard credential.verifier.verify(signature: signature, message: signed, acceptRawECDSA: acceptRawECDSA && kind != .fido2) else {
            throw APIError(401, "invalid signature")
        }
        return credentialId
    }

    /// An https origin whose host is the relying party id or one of its subdomains (WebAuthn's rule).
    private func originMatches(_ origin: String) -> Bool {
        guard let url = URL(string: origin), url.scheme == "https", let host = url.host else { return false }
        return host == relyingPartyId || host.hasSuffix("." + relyingPartyId)
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        _ = bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, nil, EVP_sha256(), nil)
            }
        }
        return digest
    }
}
