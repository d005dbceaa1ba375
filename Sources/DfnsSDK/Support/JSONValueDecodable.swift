/// An entity the SDK builds straight from a parsed ``JSONValue``, skipping `JSONDecoder` (see ``JSONParser``).
/// Its `Decodable` conformance goes through the same initializer, so both paths read fields identically.
protocol JSONValueDecodable {
    init(json: JSONValue) throws
}

extension JSONValue: JSONValueDecodable {
    init(json: JSONValue) {
        self = json
    }
}

/// A response field that is missing or of the wrong type.
struct JSONFieldError: Error, CustomStringConvertible {
    let field: String
    let expected: String
    var description: String { "\(field) is missing or not \(expected)" }
}

extension JSONValue {
    /// The string member `key`; fails naming it when absent or not a string.
    func requiredString(_ key: String) throws -> String {
        guard let value = self[key]?.stringValue else { throw JSONFieldError(field: key, expected: "a string") }
        return value
    }
}
