import DfnsSDK
import Foundation
import Testing

@Suite("User-action signing (dfns-api §2.2-2.3)")
struct UserActionSigningTests {
    /// A signer that records what it was asked to sign.
    struct RecordingSigner: CredentialSigner {
        let credentialId: String
        func sign(_ message: [UInt8]) async throws -> [UInt8] { Array(message.reversed()) }
    }

    private func challenge(allowing credentials: [String]) throws -> UserActionChallenge {
        let allow = credentials.map { "{\"type\":\"public-key\",\"id\":\"\($0)\"}" }.joined(separator: ",")
        let json =
            "{\"challenge\":\"MWM0YTU\",\"challengeIdentifier\":\"eyJ0eX.abc\",\"allowCredentials\":{\"key\":[\(allow)],\"webauthn\":[]},\"rp\":{\"id\":\"dfns.io\"}}"
        return try JSONDecoder().decode(UserActionChallenge.self, from: Data(json.utf8))
    }

    @Test("client data is the documented compact key.get object")
    func clientData() {
        let bytes = UserActionSigning.clientData(challenge: "MWM0YTU", origin: "https://app.dfns.ninja")
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"type":"key.get","challenge":"MWM0YTU","origin":"https://app.dfns.ninja","crossOrigin":false}"#)
    }

    @Test("the assertion carries the credential, base64url client data and signature")
    func assertionShape() async throws {
        let signer = RecordingSigner(credentialId: "cr-abc")
        let signed = try await UserActionSigning.sign(try challenge(allowing: ["cr-abc"]), with: signer)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(signed)) as? [String: Any]
        #expect(json?["challengeIdentifier"] as? String == "eyJ0eX.abc")
        let factor = json?["firstFactor"] as? [String: Any]
        #expect(factor?["kind"] as? String == "Key")
        let assertion = factor?["credentialAssertion"] as? [String: String]
        #expect(assertion?["credId"] == "cr-abc")
        let clientData = try #require(assertion?["clientData"])
        #expect(!clientData.contains("=") && !clientData.contains("+") && !clientData.contains("/"))
        let decoded = try #require(Base64URL.decode(clientData))
        #expect(decoded == UserActionSigning.clientData(challenge: "MWM0YTU", origin: UserActionSigning.defaultOrigin))
        #expect(Base64URL.decode(try #require(assertion?["signature"])) == Array(decoded.reversed()))
    }

    @Test("a credential the challenge does not allow is refused before signing")
    func credentialNotAllowed() async throws {
        let error = await #expect(throws: DfnsError.self) {
            try await UserActionSigning.sign(try challenge(allowing: ["cr-other"]), with: RecordingSigner(credentialId: "cr-abc"))
        }
        #expect(error?.code == .signing)
    }

    @Test("the raw challenge response is kept")
    func rawKept() throws {
        let decoded = try challenge(allowing: ["cr-1", "cr-2"])
        #expect(decoded.allowedKeyCredentialIds == ["cr-1", "cr-2"])
        #expect(decoded.raw["rp"]?["id"]?.stringValue == "dfns.io")
    }

    @Test("base64url round trips without padding", arguments: [0, 1, 2, 3, 31, 64])
    func base64url(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
        let text = Base64URL.encode(bytes)
        #expect(!text.contains("="))
        #expect(Base64URL.decode(text) == bytes)
        let padded = text + String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
        #expect(Base64URL.decode(padded) == bytes, "padding is accepted on input")
    }

    @Test("base64url decoding refuses the standard alphabet, stray padding and impossible lengths")
    func base64urlRefusals() {
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        for text in ["+/8", "AAA===", "A", "AA=A", "AB CD"] {
            #expect(Base64URL.decode(text) == nil, "\(text)")
        }
    }
}
