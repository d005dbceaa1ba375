/// Reading a stored payload's JSON text when the JSON parser refused it, to name the field at fault.
enum PayloadText {
    /// The top-level member of the object in `text` whose value is nested deepest, with that depth; nil when
    /// `text` is not an object with members. A linear scan of the text (no recursion), so any depth is safe.
    static func deepestMember(of text: String) -> (name: String, depth: Int)? {
        var depth = 0
        var inString = false
        var escaped = false
        var token: [UInt8] = []
        var lastString: [UInt8] = []
        var currentKey: String?
        var deepest: (name: String, depth: Int)?
        for byte in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    lastString = token
                    continue
                }
                token.append(byte)
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                token = []
            case UInt8(ascii: ":") where depth == 1:
                currentKey = String(decoding: lastString, as: UTF8.self)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if let key = currentKey, depth - 1 > (deepest?.depth ?? 0) { deepest = (key, depth - 1) }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            default:
                break
            }
        }
        return deepest
    }
}
