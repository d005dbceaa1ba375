import Foundation

/// A `multipart/form-data` request as the official SDKs upload a file (dfns-sdk 1.0.4 `HttpClient.request(file=…)`):
/// a `data` part with the JSON the user action signed, and a `file` part with the bytes. The simulator reads the
/// `data` part as the request's body, so the signature check and the route see the JSON as for any other write.
struct MultipartUpload: Sendable {
    let data: [UInt8]
    let file: [UInt8]

    /// The upload in `body`, when `contentType` is `multipart/form-data`; nil for any other content type.
    /// - Throws: 400 for a form without its boundary, its `data` part or its `file` part.
    static func parse(contentType: String?, body: [UInt8]) throws(APIError) -> MultipartUpload? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        guard let range = contentType.range(of: "boundary="), !contentType[range.upperBound...].isEmpty else {
            throw APIError.badRequest("a multipart/form-data body needs its boundary")
        }
        let boundary = contentType[range.upperBound...].prefix { $0 != ";" }.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        var parts: [String: [UInt8]] = [:]
        let delimiter = Array("--\(boundary)".utf8)
        var sections = split(body, on: delimiter)
        sections.removeFirst()  // the preamble
        for section in sections {
            if section.starts(with: Array("--".utf8)) { break }  // the closing delimiter
            guard let headerEnd = firstIndex(of: Array("\r\n\r\n".utf8), in: section) else { continue }
            let headers = String(decoding: section[..<headerEnd], as: UTF8.self)
            guard let name = headers.firstMatch(of: /name="([^"]*)"/)?.output.1 else { continue }
            var content = Array(section[(headerEnd + 4)...])
            if content.suffix(2) == [0x0D, 0x0A] { content.removeLast(2) }
            parts[String(name)] = content
        }
        guard let data = parts["data"] else { throw APIError.badRequest("the multipart body needs a data part (the request's JSON)") }
        guard let file = parts["file"] else { throw APIError.badRequest("the multipart body needs a file part") }
        return MultipartUpload(data: data, file: file)
    }

    private static func split(_ bytes: [UInt8], on delimiter: [UInt8]) -> [ArraySlice<UInt8>] {
        var sections: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + delimiter.count <= bytes.count {
            if bytes[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                sections.append(bytes[start..<index])
                index += delimiter.count
                start = index
            } else {
                index += 1
            }
        }
        sections.append(bytes[start...])
        return sections
    }

    private static func firstIndex(of needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (bytes.startIndex...(bytes.endIndex - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
