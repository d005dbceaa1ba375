import DfnsSDK
import DfnsTestSupport
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing

/// The headers a client sends, seen by a server of the test's own (the simulator, as Dfns, does not show them).
@Suite("The headers of every request")
struct ClientHeadersTests {
    static let logger = Logger(label: "headers-test") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with the base URL of a server that answers every GET with a wallet and records each request's headers.
    static func withServer(_ body: (_ baseURL: String, _ seen: @Sendable () -> [HTTPFields]) async throws -> Void) async throws {
        let seen = Mutex<[HTTPFields]>([])
        let router = Router()
        router.get("/wallets/:id") { request, context -> Response in
            seen.withLock { $0.append(request.headers) }
            let wallet = #"{"id":"\#(context.parameters.get("id") ?? "")","network":"Ethereum","status":"Active"}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: wallet)))
        }
        try await LoopbackServer.run(
            { onServerRunning in
                Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: onServerRunning, logger: logger)
            }, logger: logger
        ) { port in
            try await body("http://127.0.0.1:\(port)", { seen.withLock { $0 } })
        }
    }

    static func client(_ baseURL: String, headers: [String: String]) throws -> DfnsClient {
        DfnsClient(
            configuration: DfnsClientConfiguration(baseURL: baseURL, authToken: "token-1", headers: headers),
            signer: try KeySigner(credentialId: "cr-1", privateKeyPEM: try KeyGenerator.generate(.p256).privateKeyPEM), logger: logger
        )
    }

    /// dfns-sdk 1.0.4 `DfnsClientConfig.headers`: extra headers on every request.
    @Test("extra headers go with every request beside the SDK's own")
    func extraHeaders() async throws {
        try await Self.withServer { baseURL, seen in
            let client = try Self.client(baseURL, headers: ["X-Trace-Id": "trace-7", "X-Tenant": "blue"])
            #expect(try await client.getWallet(id: "wa-1").id == "wa-1")
            #expect(try await client.getWallet(id: "wa-2").id == "wa-2")
            let requests = seen()
            #expect(requests.count == 2)
            for headers in requests {
                #expect(headers[HTTPField.Name("X-Trace-Id")!] == "trace-7" && headers[HTTPField.Name("X-Tenant")!] == "blue")
                #expect(headers[.authorization] == "Bearer token-1")
                #expect(headers[.userAgent] == "dfns-worker-swift/\(DfnsClientConfiguration.sdkVersion)")
            }
        }
    }

    @Test(
        "a header the SDK sets itself, or one that is not a header, fails every request by name and sends nothing",
        arguments: [
            (["Authorization": "Bearer someone-else"], "Authorization is set by the SDK itself"),
            (["x-dfns-useraction": "forged"], "x-dfns-useraction is set by the SDK itself"),
            (["X-Note": "one\r\nX-Injected: two"], "the value of X-Note is not one line"),
            (["bad name": "x"], "\"bad name\" is not an HTTP header name"),
        ])
    func refusedHeaders(headers: [String: String], problem: String) async throws {
        try await Self.withServer { baseURL, seen in
            let client = try Self.client(baseURL, headers: headers)
            let error = await #expect(throws: DfnsError.self) { try await client.getWallet(id: "wa-1") }
            #expect(error?.code == .validation && error?.message == "headers: \(problem)")
            #expect(seen().isEmpty, "nothing was sent")
        }
    }
}
