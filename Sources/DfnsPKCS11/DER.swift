/// The few DER encodings a PKCS#11 key needs to look as Dfns wants it (X.690): an ECDSA signature from the token's
/// raw `r‖s` (RFC 3279 §2.2.3), and a SubjectPublicKeyInfo to register the key (RFC 5280 §4.1.2.7).
enum DER {
    static func sequence(_ parts: [UInt8]...) -> [UInt8] { tagged(0x30, parts.flatMap { $0 }) }
    static func bitString(_ bytes: [UInt8]) -> [UInt8] { tagged(0x03, [0] + bytes) }
    static let null: [UInt8] = [0x05, 0x00]

    /// A positive INTEGER from its big-endian magnitude: leading zeros dropped (one kept), a zero prepended when the
    /// top bit is set.
    static func unsignedInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var bytes = Array(magnitude.drop { $0 == 0 })
        if bytes.isEmpty { bytes = [0] }
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return tagged(0x02, bytes)
    }

    /// The DER ECDSA signature of a token's `r‖s` (two halves of equal length).
    static func ecdsaSignature(raw: [UInt8]) -> [UInt8]? {
        guard !raw.isEmpty, raw.count % 2 == 0 else { return nil }
        let half = raw.count / 2
        return sequence(unsignedInteger(Array(raw[..<half])), unsignedInteger(Array(raw[half...])))
    }

    static func tagged(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + length(content.count) + content }

    private static func length(_ count: Int) -> [UInt8] {
        guard count >= 0x80 else { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var rest = count
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// The contents of a DER OCTET STRING, or nil when `bytes` is not exactly one.
    static func octetStringContents(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 2, bytes[0] == 0x04 else { return nil }
        if bytes[1] < 0x80 {
            return Int(bytes[1]) == bytes.count - 2 ? Array(bytes[2...]) : nil
        }
        let lengthBytes = Int(bytes[1] & 0x7F)
        guard lengthBytes <= 2, bytes.count > 2 + lengthBytes else { return nil }
        let length = bytes[2..<(2 + lengthBytes)].reduce(0) { $0 << 8 | Int($1) }
        return length == bytes.count - 2 - lengthBytes ? Array(bytes[(2 + lengthBytes)...]) : nil
    }
}
