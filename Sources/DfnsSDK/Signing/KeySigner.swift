import COpenSSL
import Foundation
import Synchronization

/// A ``CredentialSigner`` over a PEM private key held in memory, signing through OpenSSL's EVP API.
///
/// Loads PKCS#8 (`BEGIN PRIVATE KEY`), encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`) and the traditional forms
/// (`BEGIN EC PRIVATE KEY`, `BEGIN RSA PRIVATE KEY`, with or without `Proc-Type: 4,ENCRYPTED`) for Ed25519,
/// ECDSA P-256, ECDSA secp256k1 and RSA ≥ 2048 bits. The key never appears in a description, log or error.
public final class KeySigner: CredentialSigner, @unchecked Sendable, CustomStringConvertible {
    // Safety: `key` and `template` are immutable after init; OpenSSL 3 allows concurrent signing with one EVP_PKEY,
    // each signature uses its own EVP_MD_CTX, and copies of the template are made under `copying`.
    private let key: OpaquePointer
    /// A signing context initialised once: each Ed25519 or ECDSA signature copies it, since initialising one looks up
    /// the algorithm's implementations in OpenSSL's provider store, a third of such a signature (BENCHMARKS.md). Nil
    /// for RSA, whose signatures were a tenth slower from a copy (`dfns-bench sign`, three runs alternated).
    private let template: OpaquePointer?
    private let copying = Mutex(())

    public let credentialId: String
    public let credentialKind: KeyCredentialKind
    /// The algorithm detected from the key.
    public let algorithm: KeyAlgorithm
    /// The key's public half (SubjectPublicKeyInfo PEM): what a new credential registers
    /// (``KeyCredentialAttestation``).
    public let publicKeyPEM: String

    /// Loads a PEM private key.
    /// - Parameters:
    ///   - credentialId: the Dfns credential id the key belongs to.
    ///   - privateKeyPEM: the PEM text.
    ///   - passphrase: the passphrase of an encrypted PEM; nil for an unencrypted one.
    ///   - kind: ``KeyCredentialKind/passwordProtectedKey`` for a user's key Dfns stored encrypted (decrypted here with
    ///     `passphrase`); default ``KeyCredentialKind/key``.
    /// - Throws: ``KeySignerError`` naming the problem.
    public init(credentialId: String, privateKeyPEM: String, passphrase: String? = nil, kind: KeyCredentialKind = .key) throws {
        self.credentialId = credentialId
        self.credentialKind = kind
        let loaded = try Self.load(pem: privateKeyPEM, passphrase: passphrase)
        do {
            self.algorithm = try Self.algorithm(of: loaded)
        } catch {
            EVP_PKEY_free(loaded)
            throw error
        }
        var template: OpaquePointer?
        if algorithm != .rsa {
            template = EVP_MD_CTX_new()
            guard let template, Self.initialise(template, algorithm, loaded) else {
                EVP_MD_CTX_free(template)
                EVP_PKEY_free(loaded)
                ERR_clear_error()
                throw KeySignerError(.signingFailed, "cannot initialise \(algorithm) signing")
            }
        }
        do {
            self.publicKeyPEM = try KeyGenerator.pem { PEM_write_bio_PUBKEY($0, loaded) }
        } catch {
            EVP_MD_CTX_free(template)
            EVP_PKEY_free(loaded)
            throw error
        }
        self.key = loaded
        self.template = template
    }

    /// The attestation that registers this key as a new credential (`key.create`) for `challenge`
    /// (``KeyCredentialAttestation/make(challenge:signer:publicKeyPEM:kind:name:encryptedPrivateKey:origin:)``).
    public func attestation(for challenge: String, name: String, kind: String = "Key", encryptedPrivateKey: String? = nil) async throws -> JSONValue {
        try await KeyCredentialAttestation.make(
            challenge: challenge, signer: self, publicKeyPEM: publicKeyPEM, kind: kind, name: name, encryptedPrivateKey: encryptedPrivateKey)
    }

    /// Initialises `context` to sign with `key`: Ed25519 hashes internally and takes no digest; the others sign
    /// SHA-256 (RSA defaults to PKCS#1 v1.5).
    private static func initialise(_ context: OpaquePointer, _ algorithm: KeyAlgorithm, _ key: OpaquePointer) -> Bool {
        EVP_DigestSignInit(context, nil, algorithm == .ed25519 ? nil : EVP_sha256(), nil, key) == 1
    }

    /// Loads a PEM private key from a file.
    public convenience init(credentialId: String, privateKeyFile path: String, passphrase: String? = nil, kind: KeyCredentialKind = .key) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeySignerError(.unreadableKey, "cannot read the private key file at \(path)")
        }
        try self.init(credentialId: credentialId, privateKeyPEM: String(decoding: data, as: UTF8.self), passphrase: passphrase, kind: kind)
    }

    deinit {
        EVP_MD_CTX_free(template)
        EVP_PKEY_free(key)
    }

    public var description: String { "KeySigner(credentialId: \(credentialId), algorithm: \(algorithm))" }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        defer { ERR_clear_error() }
        guard let context = EVP_MD_CTX_new() else {
            throw KeySignerError(.signingFailed, "cannot allocate a signing context")
        }
        defer { EVP_MD_CTX_free(context) }
        let ready =
            template.map { template in copying.withLock { _ in EVP_MD_CTX_copy_ex(context, template) } == 1 }
            ?? Self.initialise(context, algorithm, key)
        guard ready else {
            throw KeySignerError(.signingFailed, "cannot initialise \(algorithm) signing")
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
            throw KeySignerError(.signingFailed, "cannot size the \(algorithm) signature")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw KeySignerError(.signingFailed, "\(algorithm) signing failed")
        }
        return Array(signature.prefix(length))
    }

    // MARK: Loading

    private static func load(pem: String, passphrase: String?) throws -> OpaquePointer {
        defer { ERR_clear_error() }
        let encrypted = pem.contains("ENCRYPTED")
        if !pem.contains("PRIVATE KEY-----") {
            if pem.contains("PUBLIC KEY-----") || pem.contains("CERTIFICATE-----") {
                throw KeySignerError(.notAPrivateKey, "the PEM holds a public key or certificate, not a private key")
            }
            throw KeySignerError(.unreadableKey, "the text is not a PEM private key")
        }
        if encrypted && passphrase == nil {
            throw KeySignerError(.passphraseRequired, "the PEM private key is encrypted and no passphrase was given")
        }
        let bytes = Array(pem.utf8)
        let key: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            // The callback never prompts: it hands over the passphrase we were given, or refuses.
            return (passphrase ?? "").withCString { secret in
                PEM_read_bio_PrivateKey(bio, nil, passphraseCallback, passphrase == nil ? nil : UnsafeMutableRawPointer(mutating: secret))
            }
        }
        guard let key else {
            if encrypted {
                throw KeySignerError(.wrongPassphrase, "the passphrase does not decrypt the PEM private key")
            }
            throw KeySignerError(.unreadableKey, "OpenSSL cannot parse the PEM private key")
        }
        return key
    }

    private static func algorithm(of key: OpaquePointer) throws -> KeyAlgorithm {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_ED25519:
            return .ed25519
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
                throw KeySignerError(.unsupportedCurve, "the EC key has no named curve")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch curve {
            case "prime256v1", "P-256": return .p256
            case "secp256k1": return .secp256k1
            default: throw KeySignerError(.unsupportedCurve, "EC curve \(curve) is not supported; use P-256 or secp256k1")
            }
        case EVP_PKEY_RSA:
            let bits = EVP_PKEY_get_bits(key)
            guard bits >= 2048 else {
                throw KeySignerError(.weakKey, "RSA key of \(bits) bits is too short; use 2048 bits or more")
            }
            return .rsa
        default:
            throw KeySignerError(
                .unsupportedKeyType, "key type \(EVP_PKEY_get_base_id(key)) is not supported; use Ed25519, ECDSA P-256, ECDSA secp256k1 or RSA")
        }
    }
}

/// OpenSSL passphrase callback: copies the passphrase passed as `userData`, or returns -1 so OpenSSL never prompts.
private func passphraseCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ rwflag: Int32, _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let buffer, let userData else { return -1 }
    let secret = userData.assumingMemoryBound(to: CChar.self)
    let length = min(Int(strlen(secret)), Int(size))
    buffer.update(from: secret, count: length)
    return Int32(length)
}
