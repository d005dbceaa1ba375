/// The key types Dfns accepts for a key credential.
public struct KeyAlgorithm: Sendable, Hashable, CustomStringConvertible {
    private enum Base: String, Sendable, CaseIterable {
        case ed25519, p256, secp256k1, rsa
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// Ed25519; signatures are the raw 64 bytes.
    public static let ed25519 = KeyAlgorithm(.ed25519)
    /// ECDSA on NIST P-256 with SHA-256; signatures are DER. Recommended by Dfns.
    public static let p256 = KeyAlgorithm(.p256)
    /// ECDSA on secp256k1 with SHA-256; signatures are DER.
    public static let secp256k1 = KeyAlgorithm(.secp256k1)
    /// RSA (2048 bits or more), PKCS#1 v1.5 with SHA-256.
    public static let rsa = KeyAlgorithm(.rsa)

    /// Every supported algorithm.
    public static let all: [KeyAlgorithm] = Base.allCases.map(KeyAlgorithm.init)

    /// Parses the names used on the command line: `ed25519`, `p256`, `secp256k1`, `rsa`.
    public init?(name: String) {
        guard let base = Base(rawValue: name.lowercased()) else { return nil }
        self.base = base
    }

    /// The command-line name.
    public var description: String { base.rawValue }
}
