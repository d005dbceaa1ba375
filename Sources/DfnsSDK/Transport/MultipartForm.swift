/// The `multipart/form-data` body of an upload, as dfns-sdk 1.0.4 sends one (httpx `data=` and `files=`): a `data`
/// part holding the request's JSON and a `file` part holding the bytes, named `upload.bin`.
struct MultipartForm: Sendable {
    /// A boundary that cannot occur in the parts: random, and checked against them.
    let boundary: String
    let bytes: [UInt8]

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    init(data: [UInt8], file: [UInt8]) {
        var boundary: String
        repeat {
            boundary = "dfns-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        } while Self.contains(data, boundary) || Self.contains(file, boundary)
        self.boundary = boundary
        var bytes: [UInt8] = []
        bytes.reserveCapacity(data.count + file.count + 256)
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n".utf8)
        bytes += data
        bytes += Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.bin\"\r\n".utf8)
        bytes += Array("Content-Type: application/octet-stream\r\n\r\n".utf8)
        bytes += file
        bytes += Array("\r\n--\(boundary)--\r\n".utf8)
        self.bytes = bytes
    }

    private static func contains(_ bytes: [UInt8], _ boundary: String) -> Bool {
        let needle = Array(boundary.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { start in bytes[start..<(start + needle.count)].elementsEqual(needle) }
    }
}
