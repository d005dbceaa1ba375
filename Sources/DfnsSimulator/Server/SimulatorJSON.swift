import Foundation

/// JSON helpers over Foundation's `JSONSerialization` trees, which keep the simulator independent of the SDK.
enum SimulatorJSON {
    /// Parses bytes; nil when they are not JSON.
    static func parse(_ bytes: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// Compact JSON bytes.
    static func serialize(_ value: Any, sorted: Bool = false) -> [UInt8] {
        var options: JSONSerialization.WritingOptions = [.withoutEscapingSlashes, .fragmentsAllowed]
        if sorted { options.insert(.sortedKeys) }
        return [UInt8]((try? JSONSerialization.data(withJSONObject: value, options: options)) ?? Data("null".utf8))
    }

    /// A JSON boolean of a parsed body, nil for anything else. Not `as? Bool` alone: Foundation reads JSON numbers as
    /// `NSNumber`, and on Linux `1 as? Bool` succeeds; a JSON boolean is the `NSNumber` whose `objCType` is `c`.
    static func boolean(_ value: Any?) -> Bool? {
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return nil }
        return number.boolValue
    }

    /// A JSON integer of a parsed body, nil for anything else (a boolean or a fraction included).
    static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c", let integer = value as? Int,
            Double(integer) == number.doubleValue
        else { return nil }
        return integer
    }

    /// A canonical form (sorted keys, compact) of a JSON body, with an empty body and `{}` alike.
    static func canonical(_ bytes: [UInt8]) -> [UInt8]? {
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if trimmed.isEmpty { return Array("{}".utf8) }
        guard let value = parse(Array(trimmed)) else { return nil }
        return serialize(value, sorted: true)
    }
}
