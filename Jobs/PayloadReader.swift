import DfnsSDK
import DfnsWorker

/// Reads a job payload field by field, failing with `invalid_payload` and a message naming the field.
struct PayloadReader {
    private let members: [String: JSONValue]

    init(_ payload: JSONValue) throws {
        guard let members = payload.objectValue else { throw JobFailure.invalidPayload("payload must be a JSON object") }
        self.members = members
    }

    /// The members other than `excluded`, as an object.
    func remainder(excluding excluded: Set<String>) -> JSONValue {
        .object(members.filter { !excluded.contains($0.key) })
    }

    /// Refuses any field outside `allowed`.
    func rejectUnknown(allowed: Set<String>) throws {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw JobFailure.invalidPayload("payload.\(unknown) is not a known field (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// A shape a string field must have. Plain byte checks: a regex literal is compiled again on every evaluation,
    /// which showed up in the worker's profile.
    enum Format {
        /// An ASCII letter, then ASCII letters and digits (network names).
        case alphanumericName
        /// ASCII letters, digits, `_` and `-` (Dfns ids).
        case identifier

        func matches(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            switch self {
            case .alphanumericName:
                return bytes.first.map(Self.isLetter) == true && bytes.allSatisfy { Self.isLetter($0) || Self.isDigit($0) }
            case .identifier:
                return !bytes.isEmpty
                    && bytes.allSatisfy { Self.isLetter($0) || Self.isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
            }
        }

        private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    }

    func string(_ name: String, maxLength: Int = 256, format: Format? = nil) throws -> String {
        guard let value = try optionalString(name, maxLength: maxLength, format: format) else {
            throw JobFailure.invalidPayload("payload.\(name) is required")
        }
        return value
    }

    func optionalString(_ name: String, maxLength: Int = 256, format: Format? = nil) throws -> String? {
        guard let value = members[name], value != .null else { return nil }
        guard let text = value.stringValue else { throw JobFailure.invalidPayload("payload.\(name) must be a string") }
        guard !text.isEmpty else { throw JobFailure.invalidPayload("payload.\(name) must not be empty") }
        guard text.count <= maxLength else { throw JobFailure.invalidPayload("payload.\(name) must be at most \(maxLength) characters") }
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw JobFailure.invalidPayload("payload.\(name) must not contain control characters")
        }
        if let format, !format.matches(text) {
            throw JobFailure.invalidPayload("payload.\(name) has an invalid format")
        }
        return text
    }

    func optionalStrings(_ name: String, maxCount: Int = 50, maxLength: Int = 128) throws -> [String]? {
        guard let value = members[name], value != .null else { return nil }
        guard case .array(let items) = value else { throw JobFailure.invalidPayload("payload.\(name) must be an array of strings") }
        guard items.count <= maxCount else { throw JobFailure.invalidPayload("payload.\(name) must have at most \(maxCount) items") }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue, !text.isEmpty, text.count <= maxLength,
                text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else {
                throw JobFailure.invalidPayload(
                    "payload.\(name)[\(index)] must be a non-empty string of at most \(maxLength) characters without control characters")
            }
            return text
        }
    }
}
