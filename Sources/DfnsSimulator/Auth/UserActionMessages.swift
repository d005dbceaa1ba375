/// Request and response bodies of the user-action endpoints, typed so the hot path avoids dynamic JSON.
/// Every request field is optional so a missing one gets a 400 naming it rather than a decoding failure.
struct UserActionInitRequest: Decodable {
    let userActionPayload: String?
    let userActionHttpMethod: String?
    let userActionHttpPath: String?
    let userActionServerKind: String?
}

struct UserActionSignatureRequest: Decodable {
    /// A signature (`credentialAssertion`), a `Password` first factor's `password` or a `Totp` second factor's `otpCode`.
    struct Factor: Decodable {
        let kind: String?
        let credentialAssertion: Assertion?
        let password: String?
        let otpCode: String?
    }

    /// The fields of every assertion kind: `authenticatorData` and `userHandle` are Fido2's.
    struct Assertion: Decodable {
        let credId: String?
        let clientData: String?
        let signature: String?
        let authenticatorData: String?
        let userHandle: String?
    }

    let challengeIdentifier: String?
    let firstFactor: Factor?
    let secondFactor: Factor?
}

/// The client data a credential signs (`key.get`) or a WebAuthn authenticator's platform produces (`webauthn.get`);
/// unknown fields are ignored.
struct ClientData: Decodable {
    let type: String?
    let challenge: String?
    let origin: String?
    let crossOrigin: Bool?
}

/// The body of a `/auth/action/init` or `/auth/login/init` answer (dfns-auth.md §2.3).
struct UserActionChallengeResponse: Encodable {
    struct Credential: Encodable {
        var type = "public-key"
        let id: String
        /// A PasswordProtectedKey's encrypted private key, which the user decrypts to sign.
        var encryptedPrivateKey: String?
    }

    struct AllowCredentials: Encodable {
        let key: [Credential]
        let passwordProtectedKey: [Credential]
        let webauthn: [Credential]
    }

    struct CredentialKind: Encodable {
        let kind: String
        let factor: String
        let requiresSecondFactor: Bool
    }

    struct RelyingParty: Encodable {
        let id: String
        var name = "Dfns"
    }

    let challenge: String
    let challengeIdentifier: String
    let allowCredentials: AllowCredentials
    let supportedCredentialKinds: [CredentialKind]
    var userVerification = "required"
    var attestation = "direct"
    let rp: RelyingParty
    var externalAuthenticationUrl = ""

    /// - Parameter credentials: the caller's active credentials (``UserActionVerifier/terms(for:)``).
    init(
        challenge: String, challengeIdentifier: String, credentials: [CredentialStore.Credential], requiresSecondFactor: Bool,
        relyingPartyId: String
    ) {
        self.challenge = challenge
        self.challengeIdentifier = challengeIdentifier
        func allowed(_ kind: CredentialStore.Kind) -> [Credential] {
            credentials.filter { $0.kind == kind }.map {
                Credential(id: $0.credentialId, encryptedPrivateKey: kind == .passwordProtectedKey ? $0.encryptedPrivateKey : nil)
            }
        }
        self.allowCredentials = AllowCredentials(key: allowed(.key), passwordProtectedKey: allowed(.passwordProtectedKey), webauthn: allowed(.fido2))
        let kinds = CredentialStore.Kind.allCases.filter { kind in kind != .recoveryKey && credentials.contains { $0.kind == kind } }
        self.supportedCredentialKinds = kinds.map { kind in
            let factor =
                switch kind {
                case .password: "first"
                case .totp: "second"
                default: "either"
                }
            return CredentialKind(kind: kind.rawValue, factor: factor, requiresSecondFactor: requiresSecondFactor)
        }
        self.rp = RelyingParty(id: relyingPartyId)
    }
}
