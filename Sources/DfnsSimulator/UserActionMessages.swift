/// Request and response bodies of the user-action endpoints, typed so the hot path avoids dynamic JSON.
/// Every request field is optional so a missing one gets a 400 naming it rather than a decoding failure.
struct UserActionInitRequest: Decodable {
    let userActionPayload: String?
    let userActionHttpMethod: String?
    let userActionHttpPath: String?
    let userActionServerKind: String?
}

struct UserActionSignatureRequest: Decodable {
    struct FirstFactor: Decodable {
        let kind: String?
        let credentialAssertion: Assertion?
    }

    struct Assertion: Decodable {
        let credId: String?
        let clientData: String?
        let signature: String?
    }

    let challengeIdentifier: String?
    let firstFactor: FirstFactor?
}

/// The client data a key credential signs; unknown fields (origin…) are ignored.
struct ClientData: Decodable {
    let type: String?
    let challenge: String?
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
        var passwordProtectedKey: [Credential] = []
        var webauthn: [Credential] = []
    }

    struct CredentialKind: Encodable {
        var kind = "Key"
        var factor = "first"
        var requiresSecondFactor = false
    }

    struct RelyingParty: Encodable {
        var id = "dfns.io"
        var name = "Dfns"
    }

    let challenge: String
    let challengeIdentifier: String
    let allowCredentials: AllowCredentials
    var supportedCredentialKinds = [CredentialKind()]
    var userVerification = "required"
    var attestation = "direct"
    var rp = RelyingParty()
    var externalAuthenticationUrl = ""

    init(challenge: String, challengeIdentifier: String, credentialIds: [String]) {
        self.challenge = challenge
        self.challengeIdentifier = challengeIdentifier
        self.allowCredentials = AllowCredentials(key: credentialIds.map { Credential(id: $0) })
    }
}
