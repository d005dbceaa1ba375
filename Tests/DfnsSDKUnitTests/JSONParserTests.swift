import DfnsSDK
import Foundation
import Testing

@Suite("JSON parsing into JSONValue")
struct JSONParserTests {
    @Test(
        "documents parse to the same value as through JSONDecoder",
        arguments: [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-0.5,"g":1e3,"h":""}"#,
            #"  [ 1 , 2.25 , -3 , 9223372036854775807 , 18446744073709551616 ]  "#,
            #""\u00e9\u20ac\ud83d\ude80 \"quoted\" \\ \/ \b\f\n\r\t""#,
            #"{"unicode":"Éthereum 🚀 イーサリアム","empty":{},"list":[]}"#,
            #"{"id":"xfr-1","status":"Confirmed","requestBody":{"kind":"Native","amount":"1000"},"fee":null}"#,
        ]
    )
    func matchesJSONDecoder(text: String) throws {
        let parsed = try JSONValue(parsing: Array(text.utf8))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(parsed == decoded)
        #expect(try JSONValue(parsing: parsed.jsonBytes()) == parsed, "round trip through jsonBytes")
    }

    @Test(
        "malformed documents are refused",
        arguments: [
            "", "{", "[1,]", "{\"a\":1,}", "{a:1}", "'x'", "01", "1.", "-", "1e", "tru", "nul", "[1] 2", "\"\\x\"",
            "\"\\ud800\"", "\"\\udc00\"", "\"a\u{01}b\"", "\"unterminated", "NaN", "Infinity", "1e999",
        ]
    )
    func malformed(text: String) {
        #expect(throws: (any Error).self) { try JSONValue(parsing: Array(text.utf8)) }
    }

    @Test("invalid UTF-8 is refused; nesting is limited to 512 levels without exhausting the stack")
    func limits() throws {
        #expect(throws: (any Error).self) { try JSONValue(parsing: [0x22, 0xFF, 0xFE, 0x22]) }
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue(parsing: Array(ok.utf8)) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: (any Error).self) { try JSONValue(parsing: Array(deep.utf8)) }
    }

    @Test("whole numbers are integers however written; others are numbers")
    func numbers() throws {
        #expect(try JSONValue(parsing: Array("42".utf8)) == .integer(42))
        #expect(try JSONValue(parsing: Array("-7".utf8)) == .integer(-7))
        #expect(try JSONValue(parsing: Array("2.5".utf8)) == .number(2.5))
        #expect(try JSONValue(parsing: Array("1E2".utf8)) == .integer(100))
        #expect(try JSONValue(parsing: Array("2.0".utf8)) == .integer(2))
        #expect(try JSONValue(parsing: Array("99999999999999999999".utf8)) == .number(1e20))
    }

    @Test("jsonBytes writes what JSONEncoder writes: sorted keys, compact, slashes and non-ASCII kept")
    func serializer() throws {
        let value = try JSONValue(parsing: Array(#"{"b":[1,2.5,"x/y",null,true,-3],"a":{"z":"é🚀\n\"q\"\t\u0001\\"},"":{}}"#.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: value.jsonBytes(), as: UTF8.self) == String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
