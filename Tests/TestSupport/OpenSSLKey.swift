import Foundation

/// Runs the `openssl` command line tool, so test keys and verifications come from outside our own code.
public enum OpenSSLCommand {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `openssl arguments…` in `directory` and returns its standard output.
    @discardableResult
    public static func run(_ arguments: [String], in directory: URL) throws -> String {
        let output = try ChildProcess("/usr/bin/env", ["openssl"] + arguments, in: directory).exitBlocking()
        guard output.status == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed: \(output.stderr)")
        }
        return output.stdout
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A private key made by `openssl genpkey` and written in one PEM form.
public struct OpenSSLKey: CustomStringConvertible, Sendable {
    /// The PEM forms a key can be written in.
    public enum Form: String, CaseIterable, Sendable {
        case pkcs8, traditional, encryptedPKCS8, encryptedTraditional
    }

    public static let passphrase = "correct horse battery staple"

    public let algorithm: String
    public let form: Form
    public let privatePEM: String
    public let publicPEM: String
    public let directory: URL

    public var description: String { "\(algorithm) \(form.rawValue)" }
    public var isEncrypted: Bool { form == .encryptedPKCS8 || form == .encryptedTraditional }

    /// Every supported combination: Ed25519 has no traditional form.
    public static let combinations: [(String, Form)] = ["ed25519", "p256", "secp256k1", "rsa"].flatMap { algorithm in
        Form.allCases.compactMap { form in
            algorithm == "ed25519" && (form == .traditional || form == .encryptedTraditional) ? nil : (algorithm, form)
        }
    }

    public static func generate(_ algorithm: String, _ form: Form) throws -> OpenSSLKey {
        let directory = try OpenSSLCommand.temporaryDirectory()
        let genpkey: [String] =
            switch algorithm {
            case "ed25519": ["genpkey", "-algorithm", "ED25519"]
            case "p256": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
            case "secp256k1": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"]
            default: ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
            }
        try OpenSSLCommand.run(genpkey + ["-out", "key.pem"], in: directory)
        try OpenSSLCommand.run(["pkey", "-in", "key.pem", "-pubout", "-out", "public.pem"], in: directory)
        let pass = "pass:\(passphrase)"
        switch form {
        case .pkcs8:
            try OpenSSLCommand.run(["pkey", "-in", "key.pem", "-out", "private.pem"], in: directory)
        case .traditional:
            try OpenSSLCommand.run(["pkey", "-in", "key.pem", "-traditional", "-out", "private.pem"], in: directory)
        case .encryptedPKCS8:
            try OpenSSLCommand.run(
                ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "key.pem", "-passout", pass, "-out", "private.pem"], in: directory)
        case .encryptedTraditional:
            try OpenSSLCommand.run(["pkey", "-in", "key.pem", "-traditional", "-aes256", "-passout", pass, "-out", "private.pem"], in: directory)
        }
        func read(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        return OpenSSLKey(
            algorithm: algorithm, form: form, privatePEM: try read("private.pem"), publicPEM: try read("public.pem"), directory: directory)
    }

    /// Verifies `signature` over `message` with the `openssl` tool and the public key.
    public func verifyWithOpenSSL(signature: [UInt8], message: [UInt8]) -> Bool {
        let messageURL = directory.appendingPathComponent("message.bin")
        let signatureURL = directory.appendingPathComponent("signature.bin")
        do {
            try Data(message).write(to: messageURL)
            try Data(signature).write(to: signatureURL)
            if algorithm == "ed25519" {
                try OpenSSLCommand.run(
                    ["pkeyutl", "-verify", "-pubin", "-inkey", "public.pem", "-rawin", "-in", "message.bin", "-sigfile", "signature.bin"],
                    in: directory)
            } else {
                try OpenSSLCommand.run(["dgst", "-sha256", "-verify", "public.pem", "-signature", "signature.bin", "message.bin"], in: directory)
            }
            return true
        } catch {
            return false
        }
    }
}
