import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

@Suite("Key signers")
struct KeySignerTests {
    @Test("loads every supported PEM form and signs verifiably", arguments: OpenSSLKey.combinations)
    func loadsAndSigns(algorithm: String, form: OpenSSLKey.Form) async throws {
        let key = try OpenSSLKey.generate(algorithm, form)
        let signer = try KeySigner(
            credentialId: "cr-test", privateKeyPEM: key.privatePEM,
            passphrase: key.isEncrypted ? OpenSSLKey.passphrase : nil
        )
        #expect(signer.algorithm == KeyAlgorithm(name: algorithm))

        let message = UserActionSigning.clientData(challenge: "Y2hhbGxlbmdl", origin: "https://app.dfns.io")
        let signature = try signer.sign(message)
        #expect(key.verifyWithOpenSSL(signature: signature, message: message), "openssl rejects the \(key) signature")

        let verifier = try PublicKeyVerifier(publicKeyPEM: key.publicPEM)
        #expect(verifier.verify(signature: signature, message: message))
        var changed = message
        changed[changed.count / 2] ^= 0x01
        #expect(!verifier.verify(signature: signature, message: changed), "a changed message must not verify")
        #expect(!key.verifyWithOpenSSL(signature: signature, message: changed))

        switch algorithm {
        case "ed25519": #expect(signature.count == 64)
        case "rsa": #expect(signature.count == 256)
        default:
            // ASN.1 DER: SEQUENCE of two INTEGERs.
            #expect(signature.first == 0x30 && Int(signature[1]) == signature.count - 2 && signature[2] == 0x02)
        }
    }

    @Test("an encrypted key without its passphrase is refused by name")
    func passphraseRequired() throws {
        let key = try OpenSSLKey.generate("p256", .encryptedPKCS8)
        let error = #expect(throws: KeySignerError.self) { try KeySigner(credentialId: "c", privateKeyPEM: key.privatePEM) }
        #expect(error?.code == .passphraseRequired)
        let wrong = #expect(throws: KeySignerError.self) {
            try KeySigner(credentialId: "c", privateKeyPEM: key.privatePEM, passphrase: "not it")
        }
        #expect(wrong?.code == .wrongPassphrase)
    }

    @Test("keys Dfns does not accept are refused by name")
    func unsupportedKeys() throws {
        let directory = try OpenSSLCommand.temporaryDirectory()
        try OpenSSLCommand.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem"], in: directory)
        try OpenSSLCommand.run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "rsa1024.pem"], in: directory)
        try OpenSSLCommand.run(["genpkey", "-algorithm", "ED448", "-out", "ed448.pem"], in: directory)
        try OpenSSLCommand.run(["pkey", "-in", "p384.pem", "-pubout", "-out", "public.pem"], in: directory)
        func load(_ name: String) throws -> KeySigner {
            try KeySigner(credentialId: "c", privateKeyFile: directory.appendingPathComponent(name).path)
        }
        #expect((#expect(throws: KeySignerError.self) { try load("p384.pem") })?.code == .unsupportedCurve)
        #expect((#expect(throws: KeySignerError.self) { try load("rsa1024.pem") })?.code == .weakKey)
        #expect((#expect(throws: KeySignerError.self) { try load("ed448.pem") })?.code == .unsupportedKeyType)
        #expect((#expect(throws: KeySignerError.self) { try load("public.pem") })?.code == .notAPrivateKey)
        #expect((#expect(throws: KeySignerError.self) { try load("missing.pem") })?.code == .unreadableKey)
        #expect(
            (#expect(throws: KeySignerError.self) {
                try KeySigner(credentialId: "c", privateKeyPEM: "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")
            })?.code == .unreadableKey)
    }

    @Test("the key never appears in descriptions or errors")
    func keyStaysSecret() throws {
        let key = try OpenSSLKey.generate("secp256k1", .pkcs8)
        let signer = try KeySigner(credentialId: "cr-secret-test", privateKeyPEM: key.privatePEM)
        let body = key.privatePEM.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
        for text in [signer.description, String(reflecting: signer), "\(signer)"] {
            #expect(!text.contains(body))
            #expect(!text.contains("PRIVATE KEY"))
        }
        let broken = key.privatePEM.replacingOccurrences(of: body, with: String(body.reversed()))
        let error = #expect(throws: KeySignerError.self) { try KeySigner(credentialId: "c", privateKeyPEM: broken) }
        #expect(error.map { !$0.description.contains(body) && !$0.description.contains(String(body.reversed())) } == true)
    }

    @Test("keygen output loads and matches its public key", arguments: KeyAlgorithm.all)
    func generatedKeys(algorithm: KeyAlgorithm) throws {
        let pair = try KeyGenerator.generate(algorithm)
        #expect(pair.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let signer = try KeySigner(credentialId: "c", privateKeyPEM: pair.privateKeyPEM)
        #expect(signer.algorithm == algorithm)
        let message = Array("hello".utf8)
        #expect(try PublicKeyVerifier(publicKeyPEM: pair.publicKeyPEM).verify(signature: signer.sign(message), message: message))
    }

    /// Every signature starts from a copy of one prepared context: many at once, each of its own message, all verify.
    @Test("one signer signs many messages at once, each verifiably", arguments: KeyAlgorithm.all)
    func concurrentSignatures(algorithm: KeyAlgorithm) async throws {
        let pair = try KeyGenerator.generate(algorithm)
        let signer = try KeySigner(credentialId: "c", privateKeyPEM: pair.privateKeyPEM)
        let verifier = try PublicKeyVerifier(publicKeyPEM: pair.publicKeyPEM)
        let signed = try await withThrowingTaskGroup(of: (message: [UInt8], signature: [UInt8]).self) { group in
            for index in 0..<64 {
                group.addTask {
                    let message = Array("message \(index)".utf8)
                    return (message, try signer.sign(message))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(signed.count == 64)
        for (message, signature) in signed {
            #expect(verifier.verify(signature: signature, message: message), "\(String(decoding: message, as: UTF8.self))")
        }
    }
}
