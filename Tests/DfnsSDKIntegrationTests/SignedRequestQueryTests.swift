import DfnsSDK
import DfnsTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing

/// A signed request with a query, seen by a server of the test's own: the query is sent with the request and the user
/// action signs the path alone, as dfns-sdk 1.0.4 does (`HttpClient.request` signs `signing_path`, the path without
/// the query).
@Suite("The query of a signed request")
struct SignedRequestQueryTests {
    static let logger = Logger(label: "signed-query-test") { _ in SwiftLogNoOpLogHandler() }

    @Test("is sent with the request and not signed")
    func querySentNotSigned() async throws {
        let signedPaths = Mutex<[String]>([])
        let sent = Mutex<[String]>([])
        let router = Router()
        router.post("/auth/action/init") { request, context -> Response in
            let body = try await request.body.collect(upTo: 65536)
            let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            signedPaths.withLock { $0.append(json?["userActionHttpPath"] as? String ?? "") }
            return Self.json(
                #"{"challenge":"Y2hhbGxlbmdl","challengeIdentifier":"ci-1","allowCredentials":{"key":[{"type":"public-key","id":"cr-1"}],"webauthn":[]},"#
                    + #""supportedCredentialKinds":[{"kind":"Key","factor":"first","requiresSecondFactor":false}]}"#)
        }
        router.post("/auth/action") { _, _ -> Response in Self.json(#"{"userAction":"ua-1"}"#) }
        router.delete("/permissions/:permissionId/assignments/:assignmentId") { request, _ -> Response in
            sent.withLock { $0.append("\(request.uri.path)?\(request.uri.query ?? "")") }
            return Response(status: .noContent)
        }
        try await LoopbackServer.run(
            { onServerRunning in
                Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: onServerRunning,
                    logger: Self.logger)
            }, logger: Self.logger
        ) { port in
            let client = DfnsClient(
                configuration: DfnsClientConfiguration(baseURL: "http://127.0.0.1:\(port)", authToken: "token-1"),
                signer: try KeySigner(credentialId: "cr-1", privateKeyPEM: try KeyGenerator.generate(.p256).privateKeyPEM), logger: Self.logger)
            let answer = try await client.send(DfnsPermissions.revokePermission(permissionId: "pm-1", assignmentId: "as-1", force: true))
            #expect(answer == .null, "204 is read as no content")
        }
        #expect(signedPaths.withLock { $0 } == ["/permissions/pm-1/assignments/as-1"])
        #expect(sent.withLock { $0 } == ["/permissions/pm-1/assignments/as-1?force=true"])
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
