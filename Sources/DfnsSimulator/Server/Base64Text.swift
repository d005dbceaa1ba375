import ExtrasBase64

/// The two base64 forms the simulator reads and writes, through swift-extras-base64: base64url without padding
/// (challenges, client data, signatures; padding accepted on input) and standard padded base64 (page tokens, as Dfns
/// writes them).
enum Base64Text {
    static func url(_ bytes: [UInt8]) -> String {
        Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    static func standard(_ bytes: [UInt8]) -> String {
        Base64.encodeToString(bytes: bytes)
    }

    static func decodeURL(_ text: String) -> [UInt8]? {
        decode(text, [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    static func decodeStandard(_ text: String) -> [UInt8]? {
        decode(text, [.omitPaddingCharacter])
    }

    /// Padding is optional on input: at most two trailing `=`.
    private static func decode(_ text: String, _ options: Base64.DecodingOptions) -> [UInt8]? {
        var unpadded = Substring(text)
        while unpadded.last == "=" { unpadded.removeLast() }
        guard text.utf8.count - unpadded.utf8.count <= 2, !unpadded.contains("=") else { return nil }
        return try? Base64.decode(string: String(unpadded), options: options)
    }
}
