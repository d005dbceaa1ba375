import COpenSSL

/// The digests the simulator computes (SHA-256 of client data and relying party ids, HMAC-SHA-256 of webhook bodies
/// and the identity provider's ID tokens, HMAC-SHA-1 of one-time codes) and the hex Dfns writes them in, through
/// OpenSSL, in one place.
enum SimulatorDigest {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil)
        return digest
    }

    static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] { hmac(EVP_sha256(), key, message, size: 32) }

    /// RFC 6238's HMAC (one-time codes): SHA-1.
    static func hmacSHA1(key: [UInt8], _ message: [UInt8]) -> [UInt8] { hmac(EVP_sha1(), key, message, size: 20) }

    /// Lowercase hex, as Dfns writes hashes and signatures.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
    }

    /// The bytes of hex text (either case, even length, not empty); nil otherwise.
    static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hmac(_ algorithm: OpaquePointer?, _ key: [UInt8], _ message: [UInt8], size: Int) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        _ = HMAC(algorithm, key, Int32(key.count), message, message.count, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }
}
