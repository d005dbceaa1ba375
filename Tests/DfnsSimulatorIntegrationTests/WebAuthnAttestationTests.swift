import DfnsSDK
import Foundation
import Testing

@testable import DfnsSimulator

/// Passkey registrations checked as a WebAuthn relying party checks them (dfns-auth.md §3.4), with attestations built
/// here from real keys: what a browser sends is accepted, and each piece forged on its own is refused with the status
/// the simulator answers.
@Suite("WebAuthn attestation", .timeLimit(.minutes(2)))
struct WebAuthnAttestationTests {
    private static let relyingParty = RelyingParty(id: "dfns.io")

    private func verify(
        _ builder: AttestationBuilder, relyingParty: RelyingParty = relyingParty, userVerificationRequired: Bool = true,
        allowedAlgorithms: [Int] = [-7, -257, -8]
    ) throws -> RegisteredPasskey {
        try WebAuthnAttestation.verify(
            credentialId: builder.credentialId, clientData: builder.clientData, attestationObject: try builder.attestationObject(),
            challenge: builder.challenge, relyingParty: relyingParty, userVerificationRequired: userVerificationRequired,
            allowedAlgorithms: allowedAlgorithms)
    }

    /// The APIError a verification throws, or nil when it passes.
    private func refusal(
        _ builder: AttestationBuilder, relyingParty: RelyingParty = relyingParty, userVerificationRequired: Bool = true,
        allowedAlgorithms: [Int] = [-7, -257, -8], attestationObject: [UInt8]? = nil
    ) throws -> APIError? {
        let object = try attestationObject ?? builder.attestationObject()
        do {
            _ = try WebAuthnAttestation.verify(
                credentialId: builder.credentialId, clientData: builder.clientData, attestationObject: object, challenge: builder.challenge,
                relyingParty: relyingParty, userVerificationRequired: userVerificationRequired, allowedAlgorithms: allowedAlgorithms)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "none and packed self attestations of P-256, Ed25519 and RSA passkeys are accepted",
        arguments: [KeyAlgorithm.p256, .ed25519, .rsa], ["none", "packed"])
    func accepted(algorithm: KeyAlgorithm, format: String) throws {
        let passkey = try TestPasskey(algorithm)
        var builder = AttestationBuilder(passkey)
        builder.format = format
        builder.signCount = 3
        let registered = try verify(builder)
        #expect(registered.credentialId == Base64URL.encode(passkey.credentialId))
        #expect(registered.algorithm == passkey.coseAlgorithm)
        #expect(registered.attestationFormat == format)
        #expect(registered.origin == "https://app.dfns.io")
        #expect(registered.relyingPartyId == "dfns.io")
        #expect(registered.signCount == 3)
        // The PEM built from the COSE key is the one OpenSSL writes for the key pair.
        #expect(registered.publicKeyPEM == passkey.publicKeyPEM)
        let message = Array("a later assertion".utf8)
        #expect(registered.verifier.verify(signature: try passkey.signer.sign(message), message: message))
    }

    @Test("the challenge is accepted as the string itself and as base64url of its UTF-8 bytes")
    func challengeEncodings() throws {
        var builder = AttestationBuilder(try TestPasskey(.p256))
        builder.challenge = "ch-1a2b3c-xyz"
        builder.clientDataChallenge = "ch-1a2b3c-xyz"
        _ = try verify(builder)
        builder.clientDataChallenge = Base64URL.encode(Array("ch-1a2b3c-xyz".utf8))
        _ = try verify(builder)
    }

    @Test("a synced passkey registered on http://localhost with none, flags 0x5D (the Dfns doc example's shape)")
    func localhostSyncedPasskey() throws {
        var builder = AttestationBuilder(try TestPasskey(.p256))
        builder.rpId = "localhost"
        builder.origin = "http://localhost:3000"
        builder.crossOrigin = nil
        builder.format = "none"
        builder.flags = 0x5D
        builder.aaguid = (0..<16).map { UInt8($0) }
        let registered = try verify(builder, relyingParty: RelyingParty(id: "localhost"))
        #expect(registered.backupEligible && registered.backedUp)
        #expect(registered.aaguid == builder.aaguid)
    }

    @Test("without required user verification, UV may be missing")
    func userVerificationNotRequired() throws {
        var builder = AttestationBuilder(try TestPasskey(.p256))
        builder.flags = 0x41
        _ = try verify(builder, userVerificationRequired: false)
        #expect(try refusal(builder, userVerificationRequired: true)?.statusCode == 401)
    }

    /// One forged piece of an otherwise valid P-256 packed attestation.
    struct Forgery: Sendable, CustomTestStringConvertible {
        let name: String
        let status: Int
        /// Words the error message must contain.
        let naming: String
        let forge: @Sendable (inout AttestationBuilder) -> Void
        var testDescription: String { name }
    }

    static let forgeries: [Forgery] = [
        Forgery(name: "wrong challenge", status: 400, naming: "Challenge") { $0.clientDataChallenge = "another-challenge" },
        Forgery(name: "wrong type", status: 400, naming: "webauthn.create") { $0.type = "webauthn.get" },
        Forgery(name: "origin of another site", status: 401, naming: "origin") { $0.origin = "https://evil.example" },
        Forgery(name: "origin that only ends like the rpId", status: 401, naming: "origin") { $0.origin = "https://notdfns.io" },
        Forgery(name: "http origin on the rpId", status: 401, naming: "origin") { $0.origin = "http://app.dfns.io" },
        Forgery(name: "origin with a path", status: 401, naming: "origin") { $0.origin = "https://app.dfns.io/login" },
        Forgery(name: "cross-origin frame", status: 401, naming: "crossOrigin") { $0.crossOrigin = true },
        Forgery(name: "rpIdHash of another relying party", status: 401, naming: "relying party") { $0.rpId = "evil.example" },
        Forgery(name: "UP missing", status: 401, naming: "UP") { $0.flags = 0x44 },
        Forgery(name: "UV missing when required", status: 401, naming: "UV") { $0.flags = 0x41 },
        Forgery(name: "AT missing", status: 400, naming: "AT") { $0.flags = 0x05 },
        Forgery(name: "BS without BE", status: 400, naming: "BE") { $0.flags = 0x55 },
        Forgery(name: "bytes after the credential", status: 400, naming: "follow") { $0.trailingAuthenticatorData = [0xA0] },
        Forgery(name: "credId of another credential", status: 400, naming: "credId") {
            $0.claimedCredentialId = Base64URL.encode([UInt8](repeating: 7, count: 16))
        },
        Forgery(name: "credId not base64url", status: 400, naming: "credId") { $0.claimedCredentialId = "not base64url!" },
        Forgery(name: "bad signature", status: 401, naming: "signature") { $0.corruptSignature = true },
        Forgery(name: "attStmt alg other than the key's", status: 401, naming: "alg") { $0.statementAlgorithm = -257 },
        Forgery(name: "unknown fmt", status: 400, naming: "android-safetynet") { $0.format = "android-safetynet" },
        Forgery(name: "none with a statement", status: 400, naming: "empty") {
            $0.format = "none"
            $0.statement = .map([(.text("alg"), .int(-7))])
        },
        Forgery(name: "packed without sig", status: 400, naming: "sig") { $0.statement = .map([(.text("alg"), .int(-7))]) },
        Forgery(name: "COSE key on P-384 for ES256", status: 400, naming: "crv") {
            $0.coseKey = .map([
                (.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(2)), (.int(-2), .bytes(Array(repeating: 1, count: 32))),
                (.int(-3), .bytes(Array(repeating: 2, count: 32))),
            ])
        },
        Forgery(name: "COSE EC2 point not on the curve", status: 400, naming: "credential public key") {
            $0.coseKey = .map([
                (.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(1)), (.int(-2), .bytes(Array(repeating: 1, count: 32))),
                (.int(-3), .bytes(Array(repeating: 2, count: 32))),
            ])
        },
        Forgery(name: "COSE key with a short x", status: 400, naming: "32-byte") {
            $0.coseKey = .map([
                (.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(1)), (.int(-2), .bytes([1, 2, 3])), (.int(-3), .bytes([4])),
            ])
        },
        Forgery(name: "COSE kty RSA for ES256", status: 400, naming: "kty") {
            $0.coseKey = .map([(.int(1), .int(3)), (.int(3), .int(-7))])
        },
        Forgery(name: "COSE alg not allowed (ES384)", status: 401, naming: "-35") {
            $0.coseKey = .map([(.int(1), .int(2)), (.int(3), .int(-35)), (.int(-1), .int(2))])
        },
    ]

    @Test("each forged piece is refused with its status and named", arguments: forgeries)
    func refused(_ forgery: Forgery) throws {
        var builder = AttestationBuilder(try TestPasskey(.p256))
        forgery.forge(&builder)
        let error = try refusal(builder)
        #expect(error?.statusCode == forgery.status, "\(error?.message ?? "accepted")")
        #expect(error?.message.contains(forgery.naming) == true, "\(error?.message ?? "accepted")")
    }

    @Test("an algorithm the challenge did not offer is refused with 401")
    func algorithmNotAllowed() throws {
        let builder = AttestationBuilder(try TestPasskey(.ed25519))
        let error = try refusal(builder, allowedAlgorithms: [-7, -257])
        #expect(error?.statusCode == 401)
        #expect(error?.message.contains("-8") == true)
    }

    @Test("a secp256k1 key (COSE ES256K) is not accepted")
    func secp256k1() throws {
        let builder = AttestationBuilder(try TestPasskey(.secp256k1))
        #expect(try refusal(builder)?.statusCode == 401)
        #expect(try refusal(builder, allowedAlgorithms: [-7, -47])?.statusCode == 400)
    }

    @Test("truncated, indefinite-length and trailing CBOR is refused with 400")
    func malformedCBOR() throws {
        let builder = AttestationBuilder(try TestPasskey(.p256))
        let object = try builder.attestationObject()
        for cut in [1, 10, object.count / 2, object.count - 1] {
            let error = try refusal(builder, attestationObject: Array(object.prefix(cut)))
            #expect(error?.statusCode == 400 && error?.message.contains("CBOR") == true, "\(cut): \(error?.message ?? "accepted")")
        }
        // The same map with an indefinite length (0xBF … 0xFF).
        let indefinite = [0xBF] + object.dropFirst() + [0xFF]
        let error = try refusal(builder, attestationObject: Array(indefinite))
        #expect(error?.statusCode == 400 && error?.message.contains("indefinite") == true, "\(error?.message ?? "accepted")")
        #expect(try refusal(builder, attestationObject: object + [0x00])?.statusCode == 400)
        #expect(try refusal(builder, attestationObject: CBORItem.array([]).encoded)?.statusCode == 400)
    }

    @Test("clientData that is not JSON, or lacks the origin, is refused with 400")
    func malformedClientData() throws {
        let builder = AttestationBuilder(try TestPasskey(.p256))
        let attestationObject = try builder.attestationObject()
        for clientData in [Array("not json".utf8), Array(#"{"type":"webauthn.create","challenge":"Y2hhbGxlbmdlLTEyMw"}"#.utf8)] {
            let error = Result { () throws(APIError) in
                try WebAuthnAttestation.verify(
                    credentialId: builder.credentialId, clientData: clientData, attestationObject: attestationObject,
                    challenge: builder.challenge, relyingParty: Self.relyingParty, userVerificationRequired: true)
            }
            guard case .failure(let failure) = error else {
                Issue.record("accepted")
                continue
            }
            #expect(failure.statusCode == 400)
        }
    }

    // MARK: packed with x5c

    @Test("packed with an x5c attestation certificate (another key, AAGUID extension matching) is accepted", arguments: [KeyAlgorithm.p256, .rsa])
    func x5cAccepted(attestationAlgorithm: KeyAlgorithm) throws {
        let attestationKey = try KeyGenerator.generate(attestationAlgorithm)
        var builder = AttestationBuilder(try TestPasskey(.p256))
        builder.aaguid = (0..<16).map { UInt8(0xA0 + $0) }
        let certificate = try AttestationCertificateFactory.make(privateKeyPEM: attestationKey.privateKeyPEM, aaguid: builder.aaguid)
        builder.x5c = (try KeySigner(credentialId: "attestation", privateKeyPEM: attestationKey.privateKeyPEM), [certificate])
        builder.statementAlgorithm = attestationAlgorithm == .rsa ? -257 : -7
        let registered = try verify(builder)
        #expect(registered.attestationFormat == "packed")
        #expect(registered.publicKeyPEM == builder.passkey.publicKeyPEM)
    }

    /// One rule of WebAuthn §8.2.1 an attestation certificate breaks.
    struct CertificateFault: Sendable, CustomTestStringConvertible {
        let name: String
        let status: Int
        let naming: String
        var organizationalUnit = "Authenticator Attestation"
        var basicConstraints: [UInt8] = [0x30, 0x00]
        var aaguid: [UInt8]? = [UInt8](repeating: 0, count: 16)
        var statementAlgorithm = -7
        var signWithCredentialKey = false
        var garbage = false
        var testDescription: String { name }
    }

    static let certificateFaults: [CertificateFault] = [
        CertificateFault(name: "OU other than Authenticator Attestation", status: 401, naming: "OU", organizationalUnit: "Engineering"),
        CertificateFault(name: "a CA certificate", status: 401, naming: "CA", basicConstraints: [0x30, 0x03, 0x01, 0x01, 0xFF]),
        CertificateFault(name: "AAGUID extension of another model", status: 401, naming: "AAGUID", aaguid: [UInt8](repeating: 9, count: 16)),
        CertificateFault(name: "alg not fitting the certificate key", status: 401, naming: "alg", statementAlgorithm: -8),
        CertificateFault(name: "signed by another key than the certificate's", status: 401, naming: "signature", signWithCredentialKey: true),
        CertificateFault(name: "x5c that is not a certificate", status: 400, naming: "X.509", garbage: true),
    ]

    @Test("an attestation certificate breaking a rule is refused", arguments: certificateFaults)
    func x5cRefused(_ fault: CertificateFault) throws {
        let attestationKey = try KeyGenerator.generate(.p256)
        var builder = AttestationBuilder(try TestPasskey(.p256))
        let certificate =
            fault.garbage
            ? [0x30, 0x03, 0x02, 0x01, 0x01]
            : try AttestationCertificateFactory.make(
                privateKeyPEM: attestationKey.privateKeyPEM, organizationalUnit: fault.organizationalUnit, basicConstraints: fault.basicConstraints,
                aaguid: fault.aaguid)
        let signer =
            fault.signWithCredentialKey ? builder.passkey.signer : try KeySigner(credentialId: "a", privateKeyPEM: attestationKey.privateKeyPEM)
        builder.x5c = (signer, [certificate])
        builder.statementAlgorithm = fault.statementAlgorithm
        let error = try refusal(builder)
        #expect(error?.statusCode == fault.status, "\(error?.message ?? "accepted")")
        #expect(error?.message.contains(fault.naming) == true, "\(error?.message ?? "accepted")")
    }

    // MARK: Relying party

    @Test("origins: https on the rpId or a subdomain; http only for localhost")
    func origins() {
        let dfns = RelyingParty(id: "dfns.io")
        for origin in ["https://dfns.io", "https://app.dfns.io", "https://a.b.dfns.io:8443"] {
            #expect(dfns.accepts(origin: origin), "\(origin)")
        }
        for origin in [
            "http://dfns.io", "https://notdfns.io", "https://dfns.io.evil.com", "https://app.dfns.io/", "https://dfns.io:0", "https://dfns.io:99999",
            "https://user@dfns.io", "dfns.io", "https://", "android:apk-key-hash:abc",
        ] {
            #expect(!dfns.accepts(origin: origin), "\(origin)")
        }
        let localhost = RelyingParty(id: "localhost")
        for origin in ["http://localhost", "http://localhost:3000", "https://localhost:8443"] {
            #expect(localhost.accepts(origin: origin), "\(origin)")
        }
        #expect(!localhost.accepts(origin: "http://127.0.0.1:3000"))
        #expect(!localhost.accepts(origin: "http://evil.localhost"))
        #expect(RelyingParty(id: "dfns.io", additionalOrigins: ["android:apk-key-hash:abc"]).accepts(origin: "android:apk-key-hash:abc"))
    }

    @Test("assertions: rpIdHash, UP, UV, origin, signature and signCount are checked")
    func assertions() throws {
        let passkey = try TestPasskey(.p256)
        let registered = try verify(AttestationBuilder(passkey))
        let challenge = "assert-challenge"

        func assertion(
            rpId: String = "dfns.io", flags: UInt8 = 0x05, signCount: UInt32 = 0, origin: String = "https://app.dfns.io",
            stored: UInt32 = 0, userVerificationRequired: Bool = true, corrupt: Bool = false
        ) throws -> Result<UInt32, APIError> {
            let clientData = Array(
                #"{"type":"webauthn.get","challenge":"\#(Base64URL.encode(Array(challenge.utf8)))","origin":"\#(origin)","crossOrigin":false}"#.utf8)
            let authenticatorData =
                Digest.sha256(Array(rpId.utf8)) + [flags] + (0..<4).reversed().map { UInt8(truncatingIfNeeded: signCount >> (8 * $0)) }
            var signature = try passkey.signer.sign(authenticatorData + Digest.sha256(clientData))
            if corrupt { signature[10] ^= 1 }
            return Result { () throws(APIError) in
                try Self.relyingParty.verifyAssertion(
                    clientData: clientData, authenticatorData: authenticatorData, signature: signature, challenge: challenge,
                    publicKey: registered.verifier, storedSignCount: stored, userVerificationRequired: userVerificationRequired)
            }
        }
        func status(_ result: Result<UInt32, APIError>) -> Int? {
            if case .failure(let error) = result { error.statusCode } else { nil }
        }

        #expect(try assertion().get() == 0)
        #expect(try assertion(signCount: 8, stored: 7).get() == 8)
        #expect(try assertion(flags: 0x01, userVerificationRequired: false).get() == 0)
        #expect(status(try assertion(rpId: "evil.example")) == 401)
        #expect(status(try assertion(flags: 0x04)) == 401)
        #expect(status(try assertion(flags: 0x01)) == 401)
        #expect(status(try assertion(origin: "https://evil.example")) == 401)
        #expect(status(try assertion(corrupt: true)) == 401)
        #expect(status(try assertion(signCount: 7, stored: 7)) == 401)
        #expect(status(try assertion(signCount: 0, stored: 7)) == 401)
    }

    // MARK: CBOR reader

    @Test("the CBOR reader decodes what the test writer encodes, in every argument width")
    func cborRoundTrip() throws {
        let item = CBORItem.map([
            (.int(1), .int(2)), (.int(-1), .int(-300)), (.text("long"), .bytes(Array(repeating: 5, count: 300))),
            (.int(70_000), .array([.bool(true), .bool(false), .null, .int(5_000_000_000)])), (.text("é"), .text("ünïcode")),
        ])
        let value = try CBORReader.decode(item.encoded)
        #expect(value[int: 1]?.int == 2)
        #expect(value[int: -1]?.int == -300)
        #expect(value[text: "long"]?.byteString?.count == 300)
        #expect(value[int: 70_000] == .array([.bool(true), .bool(false), .null, .unsigned(5_000_000_000)]))
        #expect(value[text: "é"]?.textString == "ünïcode")
        #expect(try CBORReader.decode([0x3B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == .negative(UInt64.max))
    }

    @Test(
        "hostile CBOR is refused without a crash",
        arguments: [
            ("a byte string claiming 2^64-1 bytes", [0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]),
            ("an array claiming 2^32-1 items", [0x9A, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            ("a map claiming 2^63 entries", [0xBB, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01]),
            ("a truncated argument", [0x19, 0x01]),
            ("nothing", []),
            ("nesting 10,000 deep", [UInt8](repeating: 0x81, count: 10_000) + [0x00]),
            ("an indefinite byte string", [0x5F, 0x41, 0x00, 0xFF]),
            ("an indefinite array", [0x9F, 0x00, 0xFF]),
            ("a lone break", [0xFF]),
            ("reserved additional information", [0x1C]),
            ("a tag", [0xC0, 0x60]),
            ("a float", [0xF9, 0x3C, 0x00]),
            ("undefined", [0xF7]),
            ("text that is not UTF-8", [0x62, 0xC3, 0x28]),
            ("a duplicate map key", [0xA2, 0x01, 0x00, 0x01, 0x00]),
            ("a map of 300 entries", CBORItem.map((0..<300).map { (.int($0), .int(0)) }).encoded),
        ] as [(String, [UInt8])])
    func cborHostile(_ name: String, _ bytes: [UInt8]) {
        #expect(throws: CBORReader.Failure.self, "\(name)") { try CBORReader.decode(bytes) }
    }

    @Test("mutated attestations never crash the verifier (a small fuzz)")
    func fuzz() throws {
        let builder = AttestationBuilder(try TestPasskey(.p256))
        let object = try builder.attestationObject()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<3000 {
            var mutated = object
            switch round % 3 {
            case 0: mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            case 1: mutated = Array(mutated.prefix(Int.random(in: 0..<mutated.count, using: &generator)))
            default: mutated = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            _ = try? WebAuthnAttestation.verify(
                credentialId: builder.credentialId, clientData: builder.clientData, attestationObject: mutated, challenge: builder.challenge,
                relyingParty: Self.relyingParty, userVerificationRequired: true)
        }
    }
}
