/// A registration or recovery challenge (`/auth/registration/init`, `/auth/registration/delegated`, social and
/// recovery inits; dfns-sdk 1.0.4 `CreateRegistrationChallengeResponse`): the challenge every new credential attests,
/// and the `temporaryAuthenticationToken` that alone completes the registration, sent as the bearer token.
///
/// Hand ``raw`` to the user's browser as it is: it is what `navigator.credentials.create` needs (`rp`, `user`,
/// `pubKeyCredParams`, `authenticatorSelection`, `excludeCredentials`). The temporary token is a credential of the
/// session: keep it on the server.
public struct RegistrationChallenge: Sendable, Hashable, Decodable {
    /// The challenge a new credential attests (`key.create` or `webauthn.create` client data).
    public let challenge: String
    /// The bearer token of the registration session.
    public let temporaryAuthenticationToken: String
    /// The user being registered (`user.id`, `us-…`).
    public let userId: String
    /// The user's name (`user.name`, their email).
    public let username: String
    /// The WebAuthn relying party (`rp.id`), when Dfns names one.
    public let relyingPartyId: String?
    /// The credential kinds a first factor may be (`supportedCredentialKinds.firstFactor`).
    public let firstFactorKinds: [String]
    /// The whole challenge as Dfns sent it.
    public let raw: JSONValue

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }
}

extension RegistrationChallenge: JSONValueDecodable {
    init(json: JSONValue) throws {
        challenge = try json.requiredString("challenge")
        temporaryAuthenticationToken = try json.requiredString("temporaryAuthenticationToken")
        guard let user = json["user"], let id = user["id"]?.stringValue else { throw JSONFieldError(field: "user.id", expected: "a string") }
        userId = id
        username = user["name"]?.stringValue ?? ""
        relyingPartyId = json["rp"]?["id"]?.stringValue
        firstFactorKinds = json["supportedCredentialKinds"]?["firstFactor"]?.arrayValue?.compactMap(\.stringValue) ?? []
        raw = json
    }
}
