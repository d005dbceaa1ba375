/// Something that signs user-action challenges for one Dfns key credential.
///
/// The built-in ``KeySigner`` holds a PEM key in memory; conform your own type to keep the key in a KMS, an HSM or a
/// remote signing service. Implementations must be safe to call concurrently. Passkeys (Fido2) are signed on the
/// user's device: build a ``SignedChallenge/Fido2Assertion`` there and finish through ``DfnsDelegatedClient``.
public protocol CredentialSigner: Sendable {
    /// The Dfns credential id (`credId`) the signature is made with.
    var credentialId: String { get }

    /// The kind of key credential, which names the assertion; ``KeyCredentialKind/key`` unless implemented.
    var credentialKind: KeyCredentialKind { get }

    /// Signs `message` (the client data bytes) exactly as Dfns expects for the key type:
    /// Ed25519 raw 64 bytes, ECDSA SHA-256 DER, RSA PKCS#1 v1.5 SHA-256.
    func sign(_ message: [UInt8]) async throws -> [UInt8]
}

extension CredentialSigner {
    public var credentialKind: KeyCredentialKind { .key }
}

/// The Dfns credential kinds that sign `key.get` client data with a private key.
public enum KeyCredentialKind: String, Sendable, Hashable, CaseIterable {
    /// `Key`: the key never leaves the caller (a service account or a user's API key).
    case key = "Key"
    /// `PasswordProtectedKey`: Dfns stores the key encrypted under the user's password; the user decrypts it to sign.
    case passwordProtectedKey = "PasswordProtectedKey"
}
