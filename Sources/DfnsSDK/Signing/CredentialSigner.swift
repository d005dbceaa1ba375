/// Something that signs user-action challenges for one Dfns credential.
///
/// The built-in ``KeySigner`` holds a PEM key in memory; conform your own type to keep the key in a KMS, an HSM or a
/// remote signing service. Implementations must be safe to call concurrently.
public protocol CredentialSigner: Sendable {
    /// The Dfns credential id (`credId`) the signature is made with.
    var credentialId: String { get }

    /// Signs `message` (the client data bytes) exactly as Dfns expects for the key type:
    /// Ed25519 raw 64 bytes, ECDSA SHA-256 DER, RSA PKCS#1 v1.5 SHA-256.
    func sign(_ message: [UInt8]) async throws -> [UInt8]
}
