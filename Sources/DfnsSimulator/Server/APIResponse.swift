import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A JSON answer of the simulated API: `200` with the entity, or `202` for an entity a policy holds for approval.
struct APIResponse: ResponseGenerator {
    let status: HTTPResponse.Status
    let bytes: [UInt8]

    /// `value` encoded: an `Encodable`, or a JSONSerialization tree for dynamic shapes.
    init(status: HTTPResponse.Status = .ok, json value: Any) {
        self.status = status
        if let encodable = value as? any Encodable, let data = try? Self.encoder.encode(encodable) {
            bytes = Array(data)
        } else {
            bytes = SimulatorJSON.serialize(value)
        }
    }

    private init(status: HTTPResponse.Status, bytes: [UInt8]) {
        self.status = status
        self.bytes = bytes
    }

    /// An entity that exists and waits for a policy approval (HTTP 202 with the entity as body).
    static func accepted(_ value: Any) -> APIResponse { APIResponse(status: .accepted, json: value) }

    /// `204 No Content`: what Dfns answers to the writes the official SDKs type as returning nothing (`-> None`).
    static let noContent = APIResponse(status: .noContent, bytes: [])

    func response(from request: Request, context: some RequestContext) throws -> Response {
        guard !bytes.isEmpty else { return Response(status: status) }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()
}
