/// Request and response bodies of the user-action endpoints, typed so the hot path avoids dynamic JSON.
/// Every request field is optional so a missing one gets a 400 naming it rather than a decoding failure.
struct UserActionInitRequest: Decodable {
    let userActionPayload: String?
    let userActionHttpMethod: String?
    let userActionHttpPath: String?
    let userActionServerKind: String?
}

struct UserActionSignatureRequest: Decodable {
    struct Factor: Decodable {
        let kind: String?
        let credentialAssertion: Assertion?
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

/// The body of a `/auth/action/init` answer (dfns-api §2.1).
struct UserActionChallengeResponse: Encodable {
    struct Credential: Encodable {
        var type = "public-key"
        let id: String
    }

    struct AllowCredentials: Encodable {
        let key: [Credential]
        let passwordProtectedKey: [Credential]
        let webauthn: [Credential]
    }

    struct CredentialKind: Encodable {
        let kind: String
        var factor = "either"
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

    /// - Parameter tokenCredentialIds: the key credentials of the caller's token when it is a personal access token or a
    ///   service account's (they sign with that key alone); nil for the configured callers.
    init(challenge: String, challengeIdentifier: String, verifier: UserActionVerifier, tokenCredentialIds: [String]? = nil) {
        self.challenge = challenge
        self.challengeIdentifier = challengeIdentifier
        if let tokenCredentialIds {
            self.allowCredentials = AllowCredentials(key: tokenCredentialIds.map { Credential(id: $0) }, passwordProtectedKey: [], webauthn: [])
            self.supportedCredentialKinds = [CredentialKind(kind: UserActionVerifier.Kind.key.rawValue, requiresSecondFactor: false)]
        } else {
            func credentials(_ kind: UserActionVerifier.Kind) -> [Credential] { verifier.credentialIds(kind).map { Credential(id: $0) } }
            self.allowCredentials = AllowCredentials(
                key: credentials(.key), passwordProtectedKey: credentials(.passwordProtectedKey), webauthn: credentials(.fido2))
            self.supportedCredentialKinds = UserActionVerifier.Kind.allCases.filter { !verifier.credentialIds($0).isEmpty }.map {
                CredentialKind(kind: $0.rawValue, requiresSecondFactor: verifier.secondFactorRequired)
            }
        }
        self.rp = RelyingParty(id: verifier.relyingPartyId)
    }
}
