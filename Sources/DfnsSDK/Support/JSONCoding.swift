import Foundation

/// The one encoder and decoder configuration the SDK uses for Dfns JSON (camelCase, no slash escaping).
enum JSONCoding {
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        if let value = value as? any JSONValueEncodable { return value.jsonValue.jsonBytes() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return [UInt8](try encoder.encode(value))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
