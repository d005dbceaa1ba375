import COpenSSL
import Foundation

/// Verifies key-credential signatures with a public key, as Dfns does: Ed25519 raw 64 bytes, ECDSA (P-256,
/// secp256k1) SHA-256 DER with high-S accepted, RSA PKCS#1 v1.5 SHA-256.
public final class PublicKeyVerifier: @unchecked Sendable {
    // Safety: `key` is immutable after init; OpenSSL 3 verifies concurrently with one EVP_PKEY.
    private let key: OpaquePointer
    /// `ed25519`, `p256`, `secp256k1` or `rsa`.
    public let algorithm: String

    /// Loads a SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`).
    public init(publicKeyPEM: String) throws(SimulatorConfigurationError) {
        defer { ERR_clear_error() }
        let bytes = Array(publicKeyPEM.utf8)
        let loaded: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let loaded else { throw SimulatorConfigurationError("not a PEM public key (BEGIN PUBLIC KEY)") }
        switch EVP_PKEY_get_base_id(loaded) {
        case EVP_PKEY_ED25519:
            algorithm = "ed25519"
        case EVP_PKEY_RSA:
            algorithm = "rsa"
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            EVP_PKEY_get_group_name(loaded, &name, name.count, &length)
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch curve {
            case "prime256v1": algorithm = "p256"
            case "secp256k1": algorithm = "secp256k1"
            default:
                EVP_PKEY_free(loaded)
                throw SimulatorConfigurationError("EC curve \(curve) is not accepted by Dfns")
            }
        default:
            EVP_PKEY_free(loaded)
            throw SimulatorConfigurationError("unsupported public key type")
        }
        key = loaded
    }

    deinit { EVP_PKEY_free(key) }

    /// True when `signature` is valid over `message`.
    /// - Parameter acceptRawECDSA: also accept a 64-byte r‖s ECDSA signature.
    public func verify(signature: [UInt8], message: [UInt8], acceptRawECDSA: Bool = false) -> Bool {
        defer { ERR_clear_error() }
        var signature = signature
        if acceptRawECDSA, algorithm == "p256" || algorithm == "secp256k1", signature.count == 64,
            let der = Self.derFromRaw(signature)
        {
            signature = der
        }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let digest = algorithm == "ed25519" ? nil : EVP_sha256()
        guard EVP_DigestVerifyInit(context, nil, digest, nil, key) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    private static func derFromRaw(_ raw: [UInt8]) -> [UInt8]? {
        guard let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }
        let r = BN_bin2bn(raw, 32, nil)
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + 32, 32, nil) }
        guard ECDSA_SIG_set0(signature, r, s) == 1 else { return nil }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(signature, &out)
        guard length > 0, let out else { return nil }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}
