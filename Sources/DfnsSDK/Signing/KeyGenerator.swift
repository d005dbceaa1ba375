import COpenSSL

/// Makes new key pairs for Dfns key credentials, as `dfns-worker keygen` does.
public enum KeyGenerator {
    /// A generated key pair as PEM: PKCS#8 private key and SubjectPublicKeyInfo public key.
    public struct KeyPair: Sendable {
        /// The algorithm the pair was made for.
        public let algorithm: KeyAlgorithm
        /// `BEGIN PRIVATE KEY` (unencrypted PKCS#8). Store it like a password.
        public let privateKeyPEM: String
        /// `BEGIN PUBLIC KEY`, to register with Dfns (or pass to the simulator).
        public let publicKeyPEM: String
    }

    /// Generates a key pair; RSA keys are 2048 bits.
    public static func generate(_ algorithm: KeyAlgorithm) throws -> KeyPair {
        defer { ERR_clear_error() }
        let (type, group): (String, String?) =
            switch algorithm {
            case .ed25519: ("ED25519", nil)
            case .p256: ("EC", "P-256")
            case .secp256k1: ("EC", "secp256k1")
            default: ("RSA", nil)
            }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil), EVP_PKEY_keygen_init(context) == 1 else {
            throw KeySignerError(.signingFailed, "cannot start \(algorithm) key generation")
        }
        defer { EVP_PKEY_CTX_free(context) }
        if let group, EVP_PKEY_CTX_set_group_name(context, group) != 1 {
            throw KeySignerError(.unsupportedCurve, "OpenSSL does not know curve \(group)")
        }
        if type == "RSA", EVP_PKEY_CTX_set_rsa_keygen_bits(context, 2048) != 1 {
            throw KeySignerError(.signingFailed, "cannot set the RSA key size")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw KeySignerError(.signingFailed, "\(algorithm) key generation failed")
        }
        defer { EVP_PKEY_free(key) }
        let privatePEM = try pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
        let publicPEM = try pem { PEM_write_bio_PUBKEY($0, key) }
        return KeyPair(algorithm: algorithm, privateKeyPEM: privatePEM, publicKeyPEM: publicPEM)
    }

    /// The text `write` puts in a memory BIO (a PEM).
    static func pem(_ write: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw KeySignerError(.signingFailed, "cannot allocate a BIO") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw KeySignerError(.signingFailed, "cannot write PEM") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, length > 0 else { throw KeySignerError(.signingFailed, "empty PEM") }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
