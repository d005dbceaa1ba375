import ArgumentParser
import DfnsSDK
import Foundation

/// `dfns-worker keygen`: writes a new key pair for a Dfns key credential.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write private.pem (PKCS#8, mode 0600) and public.pem for a new key credential."
    )

    @Option(help: "Key type: ed25519, p256, secp256k1 or rsa.")
    var algorithm: String = "p256"

    @Option(help: "Directory to write private.pem and public.pem into (created if missing).")
    var out: String

    @Flag(help: "Replace existing key files.")
    var force = false

    func run() throws {
        guard let algorithm = KeyAlgorithm(name: algorithm) else {
            throw ValidationError("unknown algorithm \(self.algorithm); use ed25519, p256, secp256k1 or rsa")
        }
        let files = FileManager.default
        let privatePath = (out as NSString).appendingPathComponent("private.pem")
        let publicPath = (out as NSString).appendingPathComponent("public.pem")
        if !force, files.fileExists(atPath: privatePath) {
            throw ValidationError("\(privatePath) exists; pass --force to replace it")
        }
        try files.createDirectory(atPath: out, withIntermediateDirectories: true)
        let pair = try KeyGenerator.generate(algorithm)
        guard files.createFile(atPath: privatePath, contents: Data(pair.privateKeyPEM.utf8), attributes: [.posixPermissions: 0o600]),
            files.createFile(atPath: publicPath, contents: Data(pair.publicKeyPEM.utf8), attributes: [.posixPermissions: 0o644])
        else {
            throw ValidationError("cannot write the key files into \(out)")
        }
        print("wrote \(algorithm) key pair: \(privatePath) (keep secret), \(publicPath)")
    }
}
