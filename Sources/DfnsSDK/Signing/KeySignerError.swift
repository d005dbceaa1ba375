/// Why a private key could not be loaded or used. Never carries key material.
public struct KeySignerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The failure class.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case unreadableKey, passphraseRequired, wrongPassphrase, notAPrivateKey
            case unsupportedKeyType, unsupportedCurve, weakKey, signingFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The text is not a PEM private key OpenSSL can parse.
        public static let unreadableKey = Code(.unreadableKey)
        /// The PEM is encrypted and no passphrase was given.
        public static let passphraseRequired = Code(.passphraseRequired)
        /// The passphrase does not decrypt the PEM (or the encrypted PEM is corrupt).
        public static let wrongPassphrase = Code(.wrongPassphrase)
        /// A public key or certificate was given where a private key is needed.
        public static let notAPrivateKey = Code(.notAPrivateKey)
        /// The key is not Ed25519, EC or RSA.
        public static let unsupportedKeyType = Code(.unsupportedKeyType)
        /// An EC key on a curve other than P-256 or secp256k1.
        public static let unsupportedCurve = Code(.unsupportedCurve)
        /// An RSA key shorter than 2048 bits.
        public static let weakKey = Code(.weakKey)
        /// OpenSSL failed while signing.
        public static let signingFailed = Code(.signingFailed)

        public var description: String { base.rawValue }
    }

    /// The failure class.
    public let code: Code
    /// What went wrong, naming the key type or curve found but never the key.
    public let message: String

    /// An error with a code and a message that never contains key material.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "KeySignerError.\(code): \(message)" }
}
