/// The challenge `POST /auth/action/init` returns, to be signed by a credential.
public struct UserActionChallenge: Sendable, Hashable, Decodable {
    /// A credential kind the user may sign with, and as which factor.
    public struct SupportedCredentialKind: Sendable, Hashable {
        /// `Key`, `PasswordProtectedKey`, `Fido2`, `Password`, `Totp`, …
        public let kind: String
        /// `first`, `second` or `either`.
        public let factor: String
        /// True when a first factor of this kind must come with a `secondFactor`.
        public let requiresSecondFactor: Bool
    }

    /// The base64url challenge string, signed verbatim inside the client data.
    public let challenge: String
    /// The opaque identifier sent back with the signature.
    public let challengeIdentifier: String
    /// The key credential ids (`allowCredentials.key[].id`) Dfns accepts for this challenge.
    public let allowedKeyCredentialIds: [String]
    /// The password-protected key credential ids (`allowCredentials.passwordProtectedKey[].id`).
    public let allowedPasswordProtectedKeyCredentialIds: [String]
    /// The passkey credential ids (`allowCredentials.webauthn[].id`), for `navigator.credentials.get`.
    public let allowedWebAuthnCredentialIds: [String]
    /// The WebAuthn relying party id (`rp.id`) a Fido2 assertion is made for.
    public let relyingPartyId: String?
    /// `required`, `preferred` or `discouraged`: whether a Fido2 assertion must carry the user-verified flag.
    public let userVerification: String?
    /// The credential kinds the user may sign with, and as which factor.
    public let supportedCredentialKinds: [SupportedCredentialKind]
    /// The whole response as Dfns sent it.
    public let raw: JSONValue

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    /// The credential ids allowed for a key credential of `kind`.
    public func allowedCredentialIds(_ kind: KeyCredentialKind) -> [String] {
        kind == .key ? allowedKeyCredentialIds : allowedPasswordProtectedKeyCredentialIds
    }
}

extension UserActionChallenge: JSONValueDecodable {
    init(json: JSONValue) throws {
        challenge = try json.requiredString("challenge")
        challengeIdentifier = try json.requiredString("challengeIdentifier")
        func ids(_ list: String) throws -> [String] {
            switch json["allowCredentials"]?[list] {
            case .array(let credentials)?:
                return try credentials.map { credential in
                    guard let id = credential["id"]?.stringValue else {
                        throw JSONFieldError(field: "allowCredentials.\(list)[].id", expected: "a string")
                    }
                    return id
                }
            case nil, .null?:
                return []
            default:
                throw JSONFieldError(field: "allowCredentials.\(list)", expected: "an array")
            }
        }
        allowedKeyCredentialIds = try ids("key")
        allowedPasswordProtectedKeyCredentialIds = try ids("passwordProtectedKey")
        allowedWebAuthnCredentialIds = try ids("webauthn")
        relyingPartyId = json["rp"]?["id"]?.stringValue
        userVerification = json["userVerification"]?.stringValue
        if case .array(let kinds)? = json["supportedCredentialKinds"] {
            supportedCredentialKinds = kinds.compactMap { item in
                guard let kind = item["kind"]?.stringValue else { return nil }
                return SupportedCredentialKind(
                    kind: kind, factor: item["factor"]?.stringValue ?? "first",
                    requiresSecondFactor: item["requiresSecondFactor"]?.boolValue ?? false
                )
            }
        } else {
            supportedCredentialKinds = []
        }
        raw = json
    }
}
