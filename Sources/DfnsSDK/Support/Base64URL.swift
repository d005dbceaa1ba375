import Foundation

/// Base64url without padding, the encoding Dfns uses for challenges, client data and signatures.
public enum Base64URL {
    /// Encodes bytes as base64url with no `=` padding. Maps the bytes of Foundation's base64 rather than chaining
    /// `replacingOccurrences`, which went through NSString and cost 6 % of the worker's CPU.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let base64 = Data(bytes).base64EncodedData()
        var output: [UInt8] = []
        output.reserveCapacity(base64.count)
        for byte in base64 {
            switch byte {
            case UInt8(ascii: "+"): output.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): output.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base64url, padded or not; returns nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var base64: [UInt8] = text.utf8.map { byte in
            switch byte {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: byte
            }
        }
        let remainder = base64.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { base64 += Array(repeating: UInt8(ascii: "="), count: 4 - remainder) }
        return Data(base64Encoded: Data(base64)).map { [UInt8]($0) }
    }
}
