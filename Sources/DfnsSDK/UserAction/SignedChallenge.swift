/// A signed user-action challenge: the body of `POST /auth/action`, `{challengeIdentifier, firstFactor, secondFactor?}`.
///
/// The shapes follow the official TypeScript SDK (`packages/sdk/signer.ts`: `KeyAssertion`, `Fido2Assertion`) and the
/// Dfns docs on user-action signing (`PasswordProtectedKey` asserts like `Key`).
public struct SignedChallenge: Sendable, Hashable, Codable {
    /// One factor of a user action: which kind of credential signed, and its assertion.
    public enum Assertion: Sendable, Hashable, Codable {
        /// A key credential (`Key`): the client data is `key.get` JSON (see ``UserActionSigning/clientData(challenge:origin:)``).
        case key(KeyAssertion)
        /// A key credential whose private key Dfns stores encrypted under the user's password (`PasswordProtectedKey`);
        /// signed like ``key(_:)`` once the key is decrypted on the user's side.
        case passwordProtectedKey(KeyAssertion)
        /// A passkey or security key (`Fido2`): a WebAuthn assertion, as `navigator.credentials.get` returns it.
        case fido2(Fido2Assertion)

        /// A `Key` first factor (the shape before Fido2 and second factors were modelled).
        public init(credentialAssertion: KeyAssertion) { self = .key(credentialAssertion) }

        /// The credential kind Dfns reads: `Key`, `PasswordProtectedKey` or `Fido2`.
        public var kind: String {
            switch self {
            case .key: "Key"
            case .passwordProtectedKey: "PasswordProtectedKey"
            case .fido2: "Fido2"
            }
        }

        /// The credential that signed.
        public var credentialId: String {
            switch self {
            case .key(let assertion), .passwordProtectedKey(let assertion): assertion.credId
            case .fido2(let assertion): assertion.credId
            }
        }

        private enum CodingKeys: String, CodingKey { case kind, credentialAssertion }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .kind) {
            case "Key": self = .key(try container.decode(KeyAssertion.self, forKey: .credentialAssertion))
            case "PasswordProtectedKey": self = .passwordProtectedKey(try container.decode(KeyAssertion.self, forKey: .credentialAssertion))
            case "Fido2": self = .fido2(try container.decode(Fido2Assertion.self, forKey: .credentialAssertion))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unsupported credential kind \(other)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            try jsonValue.encode(to: encoder)
        }
    }

    /// Kept for source compatibility: the first factor is any ``Assertion``.
    public typealias FirstFactor = Assertion

    /// The assertion of a key credential over the client data.
    public struct KeyAssertion: Sendable, Hashable, Codable {
        /// The credential id.
        public var credId: String
        /// base64url (no padding) of the exact client data bytes that were signed.
        public var clientData: String
        /// base64url (no padding) of the signature.
        public var signature: String

        /// An assertion from its base64url parts.
        public init(credId: String, clientData: String, signature: String) {
            self.credId = credId
            self.clientData = clientData
            self.signature = signature
        }
    }

    /// A WebAuthn assertion, every field base64url without padding, as the browser's `AuthenticatorAssertionResponse`
    /// gives it. Dfns checks it as a relying party does: client data of type `webauthn.get` carrying the challenge and an
    /// allowed origin, authenticator data with the relying party's id hash and the user-presence and user-verification
    /// flags, and the signature over `authenticatorData ‖ SHA-256(clientData)`.
    public struct Fido2Assertion: Sendable, Hashable, Codable {
        /// The credential id (base64url, as the browser reports `credential.id`).
        public var credId: String
        /// `clientDataJSON`, exactly as the authenticator's platform produced it.
        public var clientData: String
        /// `authenticatorData`.
        public var authenticatorData: String
        /// The signature (ECDSA DER for a P-256 passkey).
        public var signature: String
        /// `userHandle`, when the authenticator returned one.
        public var userHandle: String?

        /// An assertion from the base64url parts of the browser's `AuthenticatorAssertionResponse`.
        public init(credId: String, clientData: String, authenticatorData: String, signature: String, userHandle: String? = nil) {
            self.credId = credId
            self.clientData = clientData
            self.authenticatorData = authenticatorData
            self.signature = signature
            self.userHandle = userHandle
        }
    }

    /// The identifier `/auth/action/init` returned with the challenge.
    public var challengeIdentifier: String
    /// The first factor: a key, a password-protected key or a passkey.
    public var firstFactor: Assertion
    /// The second factor, when the user's credentials require one (`supportedCredentialKinds[].requiresSecondFactor`).
    public var secondFactor: Assertion?

    /// A signed challenge with its first factor and, when the user's credentials require one, a second.
    public init(challengeIdentifier: String, firstFactor: Assertion, secondFactor: Assertion? = nil) {
        self.challengeIdentifier = challengeIdentifier
        self.firstFactor = firstFactor
        self.secondFactor = secondFactor
    }
}
