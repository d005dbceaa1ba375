/// A signed user-action challenge: the body of `POST /auth/action`.
public struct SignedChallenge: Sendable, Hashable, Codable {
    /// The first factor of a key credential.
    public struct FirstFactor: Sendable, Hashable, Codable {
        /// Always `Key` for a key credential.
        public var kind: String
        public var credentialAssertion: KeyAssertion

        public init(credentialAssertion: KeyAssertion) {
            self.kind = "Key"
            self.credentialAssertion = credentialAssertion
        }
    }

    /// The assertion of a key credential over the client data.
    public struct KeyAssertion: Sendable, Hashable, Codable {
        /// The credential id.
        public var credId: String
        /// base64url (no padding) of the exact client data bytes that were signed.
        public var clientData: String
        /// base64url (no padding) of the signature.
        public var signature: String

        public init(credId: String, clientData: String, signature: String) {
            self.credId = credId
            self.clientData = clientData
            self.signature = signature
        }
    }

    public var challengeIdentifier: String
    public var firstFactor: FirstFactor

    public init(challengeIdentifier: String, firstFactor: FirstFactor) {
        self.challengeIdentifier = challengeIdentifier
        self.firstFactor = firstFactor
    }
}
