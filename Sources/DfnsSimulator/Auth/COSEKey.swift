/// A credential public key as a COSE_Key (RFC 8152 §7, §13; RFC 8230 for RSA), turned into the SubjectPublicKeyInfo
/// PEM that ``PublicKeyVerifier`` loads and Dfns reports as a credential's `publicKey`.
///
/// Three keys, as Dfns's `pubKeyCredParams` and WebAuthn authenticators use them: EC2 P-256 with ES256 (-7), OKP
/// Ed25519 with EdDSA (-8), RSA with RS256 (-257). Map keys are read in any order (CTAP canonical is 1, 3, -1, -2, -3);
/// parameters other than the ones a key needs are ignored.
struct COSEKey: Sendable {
    /// COSE algorithm identifiers this type can turn into a key.
    static let es256 = -7
    static let edDSA = -8
    static let rs256 = -257

    /// The COSE `alg` (label 3).
    let algorithm: Int
    /// DER SubjectPublicKeyInfo.
    let subjectPublicKeyInfo: [UInt8]
    let publicKeyPEM: String
    let verifier: PublicKeyVerifier

    /// Reads `value`; an `alg` outside `allowedAlgorithms` is refused with 401 (the relying party did not offer it),
    /// a key that is malformed or does not fit its own `alg` with 400.
    init(_ value: CBORReader.Value, allowedAlgorithms: [Int]) throws(APIError) {
        guard case .map = value else { throw .badRequest("credential public key: not a CBOR map (COSE_Key)") }
        guard let algorithm = value[int: 3]?.int else { throw .badRequest("credential public key: COSE alg (3) is missing or not an integer") }
        guard allowedAlgorithms.contains(algorithm) else {
            throw APIError(401, "credential public key: COSE alg \(algorithm) is not among the allowed algorithms \(allowedAlgorithms)")
        }
        let keyType = value[int: 1]?.int
        let curve = value[int: -1]?.int
        let spki: [UInt8]
        switch algorithm {
        case Self.es256:
            guard keyType == 2 else { throw .badRequest("credential public key: ES256 (-7) needs kty EC2 (2), not \(Self.name(keyType))") }
            guard curve == 1 else { throw .badRequest("credential public key: ES256 (-7) needs crv P-256 (1), not \(Self.name(curve))") }
            let x = try Self.coordinate(value, -2, "x")
            let y = try Self.coordinate(value, -3, "y")
            // id-ecPublicKey, prime256v1, BIT STRING of an uncompressed point (04 ‖ x ‖ y).
            spki = Self.hex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + [0x04] + x + y
        case Self.edDSA:
            guard keyType == 1 else { throw .badRequest("credential public key: EdDSA (-8) needs kty OKP (1), not \(Self.name(keyType))") }
            guard curve == 6 else { throw .badRequest("credential public key: EdDSA (-8) needs crv Ed25519 (6), not \(Self.name(curve))") }
            // id-Ed25519 (RFC 8410), BIT STRING of the 32-byte key.
            spki = Self.hex("302a300506032b6570032100") + (try Self.coordinate(value, -2, "x"))
        case Self.rs256:
            guard keyType == 3 else { throw .badRequest("credential public key: RS256 (-257) needs kty RSA (3), not \(Self.name(keyType))") }
            spki = try Self.rsaSubjectPublicKeyInfo(value)
        default:
            throw .badRequest("credential public key: COSE alg \(algorithm) is not supported (ES256 -7, EdDSA -8, RS256 -257)")
        }
        let pem = Self.pem(spki)
        do {
            verifier = try PublicKeyVerifier(publicKeyPEM: pem)
        } catch {
            // OpenSSL refuses, for one, an EC point that is not on the curve.
            throw .badRequest("credential public key: \(error.message)")
        }
        self.algorithm = algorithm
        self.subjectPublicKeyInfo = spki
        self.publicKeyPEM = pem
    }

    /// The PublicKeyVerifier algorithm name a COSE alg signs with (nil for one this type does not know).
    static func verifierAlgorithm(_ coseAlgorithm: Int) -> String? {
        switch coseAlgorithm {
        case es256: "p256"
        case edDSA: "ed25519"
        case rs256: "rsa"
        default: nil
        }
    }

    private static func coordinate(_ value: CBORReader.Value, _ label: Int, _ name: String) throws(APIError) -> [UInt8] {
        guard let bytes = value[int: label]?.byteString, bytes.count == 32 else {
            throw .badRequest("credential public key: \(name) (\(label)) must be a 32-byte byte string")
        }
        return bytes
    }

    /// RSAPublicKey `{n, e}` (RFC 8017 A.1.1) in a SubjectPublicKeyInfo with rsaEncryption.
    private static func rsaSubjectPublicKeyInfo(_ value: CBORReader.Value) throws(APIError) -> [UInt8] {
        guard let modulus = value[int: -1]?.byteString.map(unsignedMagnitude), let exponent = value[int: -2]?.byteString.map(unsignedMagnitude)
        else { throw .badRequest("credential public key: RSA n (-1) and e (-2) must be byte strings") }
        let bits = modulus.first.map { (modulus.count - 1) * 8 + (8 - $0.leadingZeroBitCount) } ?? 0
        // Below 2048 is weak (KeySigner refuses it too); the upper bound keeps hostile keys from making verification slow.
        guard (2048...16384).contains(bits) else { throw .badRequest("credential public key: an RSA modulus of \(bits) bits (2048 to 16384)") }
        guard !exponent.isEmpty, exponent.count <= 8 else { throw .badRequest("credential public key: RSA e must be 1 to 8 bytes and not zero") }
        let rsaPublicKey = der(0x30, derInteger(modulus) + derInteger(exponent))
        let rsaEncryption = hex("300d06092a864886f70d0101010500")
        return der(0x30, rsaEncryption + der(0x03, [0x00] + rsaPublicKey))
    }

    /// Big-endian bytes without leading zeros.
    private static func unsignedMagnitude(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.drop { $0 == 0 })
    }

    /// A DER INTEGER of a non-negative magnitude: a leading 0 keeps a high first bit from reading as negative.
    private static func derInteger(_ magnitude: [UInt8]) -> [UInt8] {
        let needsZero = magnitude.first.map { $0 >= 0x80 } ?? true
        return der(0x02, needsZero ? [0x00] + magnitude : magnitude)
    }

    /// A DER tag-length-value.
    private static func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            var count = content.count
            while count > 0 {
                length.insert(UInt8(count & 0xFF), at: 0)
                count >>= 8
            }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + content
    }

    /// PEM `PUBLIC KEY` of DER bytes, 64 characters a line (RFC 7468).
    static func pem(_ der: [UInt8]) -> String {
        let text = Array(Base64Text.standard(der).utf8)
        let lines = stride(from: 0, to: text.count, by: 64).map { String(decoding: text[$0..<min($0 + 64, text.count)], as: UTF8.self) }
        return "-----BEGIN PUBLIC KEY-----\n" + lines.joined(separator: "\n") + "\n-----END PUBLIC KEY-----\n"
    }

    private static func hex(_ text: StaticString) -> [UInt8] {
        let digits = Array(text.description.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    private static func name(_ value: Int?) -> String {
        value.map(String.init) ?? "missing"
    }
}
