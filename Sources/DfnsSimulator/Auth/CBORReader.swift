/// Reads the CBOR (RFC 8949) that WebAuthn attestation objects and COSE keys use: unsigned and negative integers,
/// byte and text strings, arrays, maps, `false`, `true` and `null`, with definite lengths only.
///
/// The input comes from clients, so nothing in it is trusted: every length is checked against the bytes that remain
/// before anything is allocated, nesting is bounded (no stack exhaustion), and everything else — indefinite lengths,
/// tags, floats, reserved encodings, truncation, invalid UTF-8, duplicate map keys — is refused with a ``Failure``.
struct CBORReader {
    /// One decoded data item.
    indirect enum Value: Sendable, Equatable {
        case unsigned(UInt64)
        /// The integer `-1 - n`, kept as `n` so the whole CBOR range fits.
        case negative(UInt64)
        case bytes([UInt8])
        case text(String)
        case array([Value])
        /// Entries in the order they were encoded.
        case map([Entry])
        case bool(Bool)
        case null

        /// A map entry.
        struct Entry: Sendable, Equatable {
            let key: Value
            let value: Value
        }

        /// The integer, when it is one that fits in `Int`.
        var int: Int? {
            switch self {
            case .unsigned(let n): n <= UInt64(Int.max) ? Int(n) : nil
            case .negative(let n): n <= UInt64(Int.max) ? -1 - Int(n) : nil
            default: nil
            }
        }

        var byteString: [UInt8]? {
            if case .bytes(let bytes) = self { bytes } else { nil }
        }

        var textString: String? {
            if case .text(let text) = self { text } else { nil }
        }

        /// The value under `key` in a map (nil for a missing key or a non-map).
        subscript(key: Value) -> Value? {
            guard case .map(let entries) = self else { return nil }
            return entries.first { $0.key == key }?.value
        }

        /// The value under a text key (attestation objects) in a map.
        subscript(text key: String) -> Value? { self[.text(key)] }

        /// The value under an integer key (COSE keys) in a map.
        subscript(int key: Int) -> Value? {
            self[key >= 0 ? .unsigned(UInt64(key)) : .negative(UInt64(-1 - key))]
        }
    }

    /// Why the bytes are not acceptable CBOR; `message` names the problem and where it is.
    struct Failure: Error, Sendable, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Deeper nesting than any attestation object or COSE key has (they need 3).
    static let maximumDepth = 16
    /// More entries than any attestation object, COSE key or extension map has; it bounds the duplicate-key check,
    /// which compares each key with the ones before it.
    static let maximumMapEntries = 256

    private let bytes: [UInt8]
    /// Where the next item starts.
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(max(offset, 0), bytes.count)
    }

    /// True when every byte has been read.
    var isAtEnd: Bool { offset == bytes.count }

    /// Decodes `bytes` as exactly one data item: trailing bytes are an error.
    static func decode(_ bytes: [UInt8]) throws(Failure) -> Value {
        var reader = CBORReader(bytes)
        let value = try reader.read()
        guard reader.isAtEnd else { throw Failure(message: "\(bytes.count - reader.offset) bytes follow the CBOR item") }
        return value
    }

    /// Reads the next data item and moves past it.
    mutating func read() throws(Failure) -> Value {
        try read(depth: 0)
    }

    private mutating func read(depth: Int) throws(Failure) -> Value {
        guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
        let start = offset
        let initial = try byte()
        let major = initial >> 5
        let argument = try self.argument(initial & 0x1F, major: major, at: start)
        switch major {
        case 0:
            return .unsigned(argument)
        case 1:
            return .negative(argument)
        case 2:
            return .bytes(try take(argument, "byte string", at: start))
        case 3:
            let raw = try take(argument, "text string", at: start)
            guard let text = String(validating: raw, as: UTF8.self) else { throw failure("text string is not UTF-8", at: start) }
            return .text(text)
        case 4:
            // Each item takes at least one byte: a count beyond what remains is truncated input, not an allocation.
            guard argument <= UInt64(bytes.count - offset) else { throw failure("array of \(argument) items is truncated", at: start) }
            var items: [Value] = []
            for _ in 0..<argument { items.append(try read(depth: depth + 1)) }
            return .array(items)
        case 5:
            guard argument <= UInt64((bytes.count - offset) / 2) else { throw failure("map of \(argument) entries is truncated", at: start) }
            guard argument <= UInt64(Self.maximumMapEntries) else {
                throw failure("map of \(argument) entries (more than \(Self.maximumMapEntries))", at: start)
            }
            var entries: [Value.Entry] = []
            for _ in 0..<argument {
                let keyOffset = offset
                let key = try read(depth: depth + 1)
                guard !entries.contains(where: { $0.key == key }) else { throw failure("duplicate map key", at: keyOffset) }
                entries.append(Value.Entry(key: key, value: try read(depth: depth + 1)))
            }
            return .map(entries)
        case 6:
            throw failure("tags are not accepted", at: start)
        default:
            switch initial & 0x1F {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            default: throw failure("simple value or float \(initial & 0x1F) is not accepted", at: start)
            }
        }
    }

    /// The argument of an initial byte: the count, length or integer value that follows it (RFC 8949 §3).
    private mutating func argument(_ additional: UInt8, major: UInt8, at start: Int) throws(Failure) -> UInt64 {
        switch additional {
        case 0..<24:
            return UInt64(additional)
        case 24, 25, 26, 27:
            // Floats (major 7 with 25–27) are refused by the caller; read their bytes anyway so the message is right.
            let width = 1 << Int(additional - 24)
            var value: UInt64 = 0
            for byte in try take(UInt64(width), "argument", at: start) { value = value << 8 | UInt64(byte) }
            return value
        case 31:
            throw failure(major == 7 ? "break outside an indefinite-length item" : "indefinite lengths are not accepted", at: start)
        default:
            throw failure("reserved additional information \(additional)", at: start)
        }
    }

    private mutating func byte() throws(Failure) -> UInt8 {
        guard offset < bytes.count else { throw failure("input ends where an item should start") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `count` bytes, refused when fewer remain (the count is never trusted for an allocation).
    private mutating func take(_ count: UInt64, _ what: String, at start: Int) throws(Failure) -> [UInt8] {
        guard count <= UInt64(bytes.count - offset) else {
            throw failure("\(what) of \(count) bytes is truncated (\(bytes.count - offset) remain)", at: start)
        }
        defer { offset += Int(count) }
        return Array(bytes[offset..<offset + Int(count)])
    }

    private func failure(_ message: String, at position: Int? = nil) -> Failure {
        Failure(message: "CBOR: \(message) at byte \(position ?? offset)")
    }
}
