import COpenSSL
import DfnsSDK
import Foundation

/// A CBOR item for the tests to encode: the writer is independent of the simulator's reader, so a test checks the
/// reader against an encoding it did not make itself.
indirect enum CBORItem: Sendable {
    case int(Int)
    case bytes([UInt8])
    case text(String)
    case array([CBORItem])
    case map([(CBORItem, CBORItem)])
    case bool(Bool)
    case null

    /// Definite-length RFC 8949 encoding, shortest argument form.
    var encoded: [UInt8] {
        switch self {
        case .int(let value): value >= 0 ? Self.head(0, UInt64(value)) : Self.head(1, UInt64(-1 - value))
        case .bytes(let bytes): Self.head(2, UInt64(bytes.count)) + bytes
        case .text(let text): Self.head(3, UInt64(text.utf8.count)) + Array(text.utf8)
        case .array(let items): Self.head(4, UInt64(items.count)) + items.flatMap(\.encoded)
        case .map(let entries): Self.head(5, UInt64(entries.count)) + entries.flatMap { $0.0.encoded + $0.1.encoded }
        case .bool(let value): [value ? 0xF5 : 0xF4]
        case .null: [0xF6]
        }
    }

    static func head(_ major: UInt8, _ argument: UInt64) -> [UInt8] {
        let type = major << 5
        switch argument {
        case 0..<24: return [type | UInt8(argument)]
        case 24...0xFF: return [type | 24, UInt8(argument)]
        case 0x100...0xFFFF: return [type | 25] + bigEndian(argument, 2)
        case 0x1_0000...0xFFFF_FFFF: return [type | 26] + bigEndian(argument, 4)
        default: return [type | 27] + bigEndian(argument, 8)
        }
    }

    private static func bigEndian(_ value: UInt64, _ width: Int) -> [UInt8] {
        (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}

/// A software passkey for registration tests: a key pair (OpenSSL, through the SDK's KeyGenerator and KeySigner)
/// and its COSE_Key, as a platform authenticator would put them in attested credential data.
struct TestPasskey: Sendable {
    let algorithm: KeyAlgorithm
    let coseAlgorithm: Int
    let publicKeyPEM: String
    let privateKeyPEM: String
    let signer: KeySigner
    let credentialId: [UInt8]
    let coseKey: CBORItem

    init(_ algorithm: KeyAlgorithm) throws {
        let pair = try KeyGenerator.generate(algorithm)
        self.algorithm = algorithm
        self.publicKeyPEM = pair.publicKeyPEM
        self.privateKeyPEM = pair.privateKeyPEM
        self.credentialId = (0..<16).map { _ in UInt8.random(in: 0...255) }
        self.signer = try KeySigner(credentialId: Base64URL.encode(credentialId), privateKeyPEM: pair.privateKeyPEM)
        let spki = try TestPasskey.der(ofPEM: pair.publicKeyPEM)
        switch algorithm {
        case .ed25519:
            coseAlgorithm = -8
            coseKey = .map([(.int(1), .int(1)), (.int(3), .int(-8)), (.int(-1), .int(6)), (.int(-2), .bytes(Array(spki.suffix(32))))])
        case .rsa:
            coseAlgorithm = -257
            let (n, e) = try TestPasskey.rsaParameters(pair.publicKeyPEM)
            coseKey = .map([(.int(1), .int(3)), (.int(3), .int(-257)), (.int(-1), .bytes(n)), (.int(-2), .bytes(e))])
        default:
            // P-256 and secp256k1: the SPKI ends with the uncompressed point 04 ‖ x ‖ y.
            coseAlgorithm = algorithm == .p256 ? -7 : -47
            let point = Array(spki.suffix(64))
            coseKey = .map([
                (.int(1), .int(2)), (.int(3), .int(coseAlgorithm)), (.int(-1), .int(algorithm == .p256 ? 1 : 8)),
                (.int(-2), .bytes(Array(point.prefix(32)))), (.int(-3), .bytes(Array(point.suffix(32)))),
            ])
        }
    }

    static func der(ofPEM pem: String) throws -> [UInt8] {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { throw FixtureFailure("not PEM") }
        return Array(der)
    }

    /// n and e of an RSA public key, big-endian, read by OpenSSL.
    private static func rsaParameters(_ pem: String) throws -> ([UInt8], [UInt8]) {
        let key = try OpenSSLKeyHandle(publicPEM: pem)
        func parameter(_ name: String) throws -> [UInt8] {
            var number: OpaquePointer?
            guard EVP_PKEY_get_bn_param(key.pointer, name, &number) == 1, let number else { throw FixtureFailure("no RSA \(name)") }
            defer { BN_free(number) }
            var bytes = [UInt8](repeating: 0, count: (Int(BN_num_bits(number)) + 7) / 8)
            _ = BN_bn2bin(number, &bytes)
            return bytes
        }
        return (try parameter("n"), try parameter("e"))
    }
}

/// What a registration sends (`credentialInfo`), decoded, and every piece a test may forge on the way.
struct AttestationBuilder {
    var passkey: TestPasskey
    var challenge = "Y2hhbGxlbmdlLTEyMw"
    /// The challenge as it goes in clientData; nil: the string itself (the Swift SDK's encoding).
    var clientDataChallenge: String?
    var type = "webauthn.create"
    var origin = "https://app.dfns.io"
    var crossOrigin: Bool? = false
    var rpId = "dfns.io"
    /// UP | UV | AT.
    var flags: UInt8 = 0x45
    var signCount: UInt32 = 0
    var aaguid = [UInt8](repeating: 0, count: 16)
    var format = "packed"
    /// Replaces the passkey's COSE key.
    var coseKey: CBORItem?
    /// Replaces the attStmt `alg` (packed).
    var statementAlgorithm: Int?
    /// Replaces the whole attStmt.
    var statement: CBORItem?
    /// Signs the attestation with this key and sends its certificate chain as x5c.
    var x5c: (signer: KeySigner, chain: [[UInt8]])?
    var corruptSignature = false
    /// Replaces the credId sent beside the attestation.
    var claimedCredentialId: String?
    var trailingAuthenticatorData: [UInt8] = []

    init(_ passkey: TestPasskey) { self.passkey = passkey }

    var clientData: [UInt8] {
        let cross = crossOrigin.map { #","crossOrigin":\#($0)"# } ?? ""
        return Array(#"{"type":"\#(type)","challenge":"\#(clientDataChallenge ?? challenge)","origin":"\#(origin)"\#(cross)}"#.utf8)
    }

    var authenticatorData: [UInt8] {
        var data = Digest.sha256(Array(rpId.utf8)) + [flags] + (0..<4).reversed().map { UInt8(truncatingIfNeeded: signCount >> (8 * $0)) }
        if flags & 0x40 != 0 {
            let id = passkey.credentialId
            data += aaguid + [UInt8(id.count >> 8), UInt8(id.count & 0xFF)] + id + (coseKey ?? passkey.coseKey).encoded
        }
        return data + trailingAuthenticatorData
    }

    func attestationObject() throws -> [UInt8] {
        let authenticatorData = self.authenticatorData
        let attestationStatement: CBORItem
        if let statement {
            attestationStatement = statement
        } else if format == "packed" {
            let signed = authenticatorData + Digest.sha256(clientData)
            var signature = try (x5c?.signer ?? passkey.signer).sign(signed)
            if corruptSignature { signature[signature.count / 2] ^= 0x01 }
            var entries: [(CBORItem, CBORItem)] = [
                (.text("alg"), .int(statementAlgorithm ?? passkey.coseAlgorithm)), (.text("sig"), .bytes(signature)),
            ]
            if let x5c { entries.append((.text("x5c"), .array(x5c.chain.map { .bytes($0) }))) }
            attestationStatement = .map(entries)
        } else {
            attestationStatement = .map([])
        }
        return CBORItem.map([(.text("fmt"), .text(format)), (.text("attStmt"), attestationStatement), (.text("authData"), .bytes(authenticatorData))])
            .encoded
    }

    var credentialId: String { claimedCredentialId ?? Base64URL.encode(passkey.credentialId) }
}

/// A self-signed attestation certificate made with OpenSSL's X509 API (the module's headers include x509.h, not
/// x509v3.h, so extensions are added from their DER values).
enum AttestationCertificateFactory {
    /// - Parameters:
    ///   - organizationalUnit: the subject OU; WebAuthn requires `Authenticator Attestation`.
    ///   - basicConstraints: DER of BasicConstraints; `30 00` is CA:FALSE, `30 03 01 01 FF` CA:TRUE.
    ///   - aaguid: the id-fido-gen-ce-aaguid extension's AAGUID, or nil for none.
    static func make(
        privateKeyPEM: String, organizationalUnit: String = "Authenticator Attestation", basicConstraints: [UInt8] = [0x30, 0x00],
        aaguid: [UInt8]? = nil
    ) throws -> [UInt8] {
        let key = try OpenSSLKeyHandle(privatePEM: privateKeyPEM)
        guard let certificate = X509_new() else { throw FixtureFailure("X509_new") }
        defer { X509_free(certificate) }
        X509_set_version(certificate, 2)
        ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1)
        X509_gmtime_adj(X509_getm_notBefore(certificate), 0)
        X509_gmtime_adj(X509_getm_notAfter(certificate), 3600)
        guard let name = X509_NAME_new() else { throw FixtureFailure("X509_NAME_new") }
        defer { X509_NAME_free(name) }
        for (field, value) in [("C", "US"), ("O", "Test Authenticators"), ("OU", organizationalUnit), ("CN", "Test Attestation")] {
            X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC, value, -1, -1, 0)
        }
        X509_set_subject_name(certificate, name)
        X509_set_issuer_name(certificate, name)
        X509_set_pubkey(certificate, key.pointer)
        try addExtension(certificate, nid: NID_basic_constraints, critical: true, value: basicConstraints)
        if let aaguid {
            try addExtension(certificate, oid: "1.3.6.1.4.1.45724.1.1.4", critical: false, value: [0x04, 0x10] + aaguid)
        }
        guard X509_sign(certificate, key.pointer, EVP_sha256()) > 0 else { throw FixtureFailure("X509_sign") }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(certificate, &out)
        guard length > 0, let out else { throw FixtureFailure("i2d_X509") }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    private static func addExtension(
        _ certificate: OpaquePointer, nid: Int32 = NID_undef, oid: String? = nil, critical: Bool, value: [UInt8]
    ) throws {
        guard let data = ASN1_OCTET_STRING_new() else { throw FixtureFailure("ASN1_OCTET_STRING_new") }
        defer { ASN1_OCTET_STRING_free(data) }
        ASN1_OCTET_STRING_set(data, value, Int32(value.count))
        let made: OpaquePointer?
        if let oid {
            guard let object = OBJ_txt2obj(oid, 1) else { throw FixtureFailure("OBJ_txt2obj") }
            defer { ASN1_OBJECT_free(object) }
            made = X509_EXTENSION_create_by_OBJ(nil, object, critical ? 1 : 0, data)
        } else {
            made = X509_EXTENSION_create_by_NID(nil, nid, critical ? 1 : 0, data)
        }
        guard let made else { throw FixtureFailure("X509_EXTENSION_create") }
        defer { X509_EXTENSION_free(made) }
        guard X509_add_ext(certificate, made, -1) == 1 else { throw FixtureFailure("X509_add_ext") }
    }
}

/// An EVP_PKEY loaded from PEM, freed with its owner.
final class OpenSSLKeyHandle {
    let pointer: OpaquePointer

    init(publicPEM: String) throws {
        pointer = try Self.load(publicPEM) { PEM_read_bio_PUBKEY($0, nil, nil, nil) }
    }

    init(privatePEM: String) throws {
        pointer = try Self.load(privatePEM) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
    }

    deinit { EVP_PKEY_free(pointer) }

    private static func load(_ pem: String, _ read: (OpaquePointer) -> OpaquePointer?) throws -> OpaquePointer {
        let bytes = Array(pem.utf8)
        let key: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return read(bio)
        }
        guard let key else { throw FixtureFailure("OpenSSL cannot read the PEM key") }
        return key
    }
}

struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
