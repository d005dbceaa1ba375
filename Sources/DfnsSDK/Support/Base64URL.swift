import ExtrasBase64

/// Base64url without padding, the encoding Dfns uses for challenges, client data and signatures, as the official SDKs
/// write it (dfns-sdk-go `signer/key.go`: `base64.RawURLEncoding`; dfns-sdk 1.0.4 `auth.py`: `urlsafe_b64encode`
/// with `=` stripped). swift-extras-base64 does the work; this names the one form Dfns uses.
public enum Base64URL {
    /// Encodes bytes as base64url with no `=` padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// Decodes base64url, padded or not; returns nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var unpadded = Substring(text)
        while unpadded.last == "=" { unpadded.removeLast() }
        guard text.utf8.count - unpadded.utf8.count <= 2, !unpadded.contains("=") else { return nil }
        return try? Base64.decode(string: String(unpadded), options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}
