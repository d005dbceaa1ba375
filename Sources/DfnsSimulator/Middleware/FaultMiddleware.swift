import Foundation
import Hummingbird
import NIOCore

/// The seeded faults of ``FaultRule`` for the request's ``SimulatorEndpoint`` class: latency, 429 bursts, 5xx and 404 before anything is done;
/// after the operation committed, an answer lost (connection closed), replaced by a proxy's 502, or cut in half. (A
/// proxy that gives up before the answer is ``ProxyTimeoutResponder``: it must outlive the request's pipeline.)
struct FaultMiddleware: RouterMiddleware {
    let injector: FaultInjector

    func handle(_ request: Request, context: SimulatorRequestContext, next: (Request, SimulatorRequestContext) async throws -> Response) async throws
        -> Response
    {
        let faults = SimulatorEndpoint(method: request.method, path: request.uri.path).map(injector.draw) ?? FaultInjector.Decision()
        var context = context
        // Read once here: the user action signs the body and the handler reads it.
        do {
            var buffer = try await request.body.collect(upTo: 1 << 20)
            context.requestBody = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw APIError(413, "request body too large or unreadable")
        }
        // An upload's JSON is its data part: what the user action signed and the route reads.
        if let upload = try MultipartUpload.parse(contentType: request.headers[.contentType], body: context.requestBody) {
            context.requestBody = upload.data
            context.uploadedFile = upload.file
        }
        return try await Self.run(faults, request, context, next)
    }

    private static func run(
        _ faults: FaultInjector.Decision, _ request: Request, _ context: SimulatorRequestContext,
        _ next: (Request, SimulatorRequestContext) async throws -> Response
    ) async throws -> Response {
        if faults.latency > .zero { try? await Task.sleep(for: faults.latency) }
        if faults.rateLimited { throw APIError(429, "Rate limit exceeded", retryAfter: faults.retryAfter) }
        if let status = faults.serverErrorStatus { throw APIError(status, "Internal server error (injected)") }
        if faults.notFound { throw APIError(404, "not found (injected: briefly invisible to a replica)") }
        var response = try await next(request, context)
        if faults.loseResponse {
            // The operation is recorded; the client never learns it.
            try? await context.channel.close()
        }
        if faults.serverErrorAfterCommit {
            // A proxy in front of Dfns fails after the operation committed and answers for it.
            return badGateway()
        }
        if faults.garble {
            // The operation is recorded; the client gets a 2xx whose body is cut in half.
            response.body = response.body.map { buffer in buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes / 2) ?? buffer }
        }
        return response
    }

    static func badGateway() -> Response {
        Response(
            status: .badGateway, headers: [.contentType: "text/html"],
            body: .init(byteBuffer: ByteBuffer(string: "<html><body><h1>502 Bad Gateway</h1></body></html>")))
    }
}
