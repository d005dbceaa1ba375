import DfnsSDK
import DfnsTestSupport
import Foundation
import Testing

/// Webhook deliveries checked as Dfns documents them, with signatures made by the `openssl` command line.
@Suite("Webhook verification (dfns-api §9)")
struct WebhookVerifierTests {
    static let secret = "whs-test-secret"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func body(sent: Int64 = 1_800_000_000, data: String = #"{"transferRequest":{"id":"xfr-1","status":"Confirmed"}}"#) -> [UInt8] {
        Array(
            #"{"id":"whe-1","kind":"wallet.transfer.confirmed","date":"2027-01-15T08:00:00.000Z","data":\#(data),"timestampSent":\#(sent),"deliveryAttempt":1}"#
                .utf8)
    }

    /// `sha256=` + the HMAC the openssl tool computes: independent of the SDK's own code.
    static func opensslSignature(_ body: [UInt8], secret: String = secret) throws -> String {
        let directory = try OpenSSLCommand.temporaryDirectory()
        try Data(body).write(to: directory.appendingPathComponent("body"))
        let output = try OpenSSLCommand.run(["dgst", "-sha256", "-hmac", secret, "-r", "body"], in: directory)
        return "sha256=" + (output.split(separator: " ").first.map(String.init) ?? "")
    }

    @Test("a delivery signed with the secret is accepted and names its entity")
    func valid() throws {
        let body = Self.body()
        let event = try DfnsWebhookVerifier(secret: Self.secret).verify(body: body, signatureHeader: try Self.opensslSignature(body), now: Self.now)
        #expect(event.id == "whe-1" && event.kind == "wallet.transfer.confirmed" && event.entityId == "xfr-1")
        #expect(DfnsWebhookVerifier(secret: Self.secret).signature(of: body) == (try Self.opensslSignature(body)))
        let upper = try Self.opensslSignature(body).replacingOccurrences(of: "sha256=", with: "").uppercased()
        #expect(throws: Never.self) {
            try DfnsWebhookVerifier(secret: Self.secret).verify(body: body, signatureHeader: "sha256=" + upper, now: Self.now)
        }
    }

    @Test("forged, unsigned, stale and malformed deliveries are refused with their reason")
    func refusals() throws {
        let verifier = DfnsWebhookVerifier(secret: Self.secret)
        let body = Self.body()
        func reason(_ body: [UInt8], _ header: String?) -> DfnsWebhookVerifier.Rejection.Reason? {
            do {
                _ = try verifier.verify(body: body, signatureHeader: header, now: Self.now)
                return nil
            } catch {
                return error.reason
            }
        }
        #expect(reason(body, try Self.opensslSignature(body, secret: "another")) == .badSignature)
        var changed = body
        changed[changed.count - 3] = UInt8(ascii: "2")
        #expect(reason(changed, try Self.opensslSignature(body)) == .badSignature, "a body changed after signing")
        #expect(reason(body, nil) == .missingSignature)
        #expect(reason(body, "sha1=abcd") == .missingSignature)
        #expect(reason(body, "sha256=xyz") == .missingSignature)
        let old = Self.body(sent: 1_800_000_000 - 301)
        #expect(reason(old, try Self.opensslSignature(old)) == .stale)
        let future = Self.body(sent: 1_800_000_000 + 301)
        #expect(reason(future, try Self.opensslSignature(future)) == .stale)
        let edge = Self.body(sent: 1_800_000_000 - 300)
        #expect(reason(edge, try Self.opensslSignature(edge)) == nil, "5 minutes is still fresh")
        let text = Array("not json".utf8)
        #expect(reason(text, try Self.opensslSignature(text)) == .malformed)
        let noTimestamp = Array(#"{"id":"whe-2","kind":"wallet.created"}"#.utf8)
        #expect(reason(noTimestamp, try Self.opensslSignature(noTimestamp)) == .malformed)
    }

    @Test("the entity of an approval event is the activity it held")
    func approvalEntity() throws {
        let body = Self.body(
            data: #"{"approval":{"id":"ap-1","status":"Approved","activity":{"kind":"Wallets:Sign","transactionRequest":{"id":"tx-9"}}}}"#)
        let event = try DfnsWebhookVerifier(secret: Self.secret).verify(body: body, signatureHeader: try Self.opensslSignature(body), now: Self.now)
        #expect(event.entityId == "tx-9")
    }
}
