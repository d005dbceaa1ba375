import DfnsSDK
import Foundation

/// JSON text PostgreSQL accepts as `jsonb`. Dfns may send back strings PostgreSQL refuses (U+0000, written
/// `\u0000`); they are stored with U+FFFD in its place, so one outcome can never fail a batched write-back.
enum StorableJSON {
    /// The bytes Dfns sent when `result` has them and they hold no `\u0000`; otherwise its value written out.
    static func text(_ result: JobResult) -> String {
        guard let body = result.body, !body.contains(subsequence: Self.escapedNul) else { return text(result.value) }
        return String(decoding: body, as: UTF8.self)
    }

    static func text(_ value: JSONValue) -> String {
        let bytes = value.jsonBytes()
        // Fast path: the writer escapes U+0000 as \u0000, so text without that sequence has none.
        guard bytes.contains(subsequence: Self.escapedNul) else { return String(decoding: bytes, as: UTF8.self) }
        return replacingNul(value).jsonString
    }

    private static let escapedNul = Array(#"\u0000"#.utf8)

    private static func replacingNul(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(clean(text))
        case .array(let items): .array(items.map(replacingNul))
        case .object(let members): .object(Dictionary(members.map { (clean($0.key), replacingNul($0.value)) }) { first, _ in first })
        default: value
        }
    }

    /// `text` with U+FFFD for every U+0000, which PostgreSQL refuses in `text` and `jsonb`.
    static func clean(_ text: String) -> String {
        text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence: [UInt8]) -> Bool {
        guard count >= subsequence.count, let first = subsequence.first else { return false }
        var index = startIndex
        while let found = self[index...].firstIndex(of: first), found + subsequence.count <= endIndex {
            if self[found..<found + subsequence.count].elementsEqual(subsequence) { return true }
            index = found + 1
        }
        return false
    }
}
