import DfnsSDK
import Foundation

/// A SoftHSM2 token (Debian's `softhsm2`, a real PKCS#11 module) holding one key of each type Dfns takes, made inside
/// the token by OpenSC's `pkcs11-tool`, once per test process: SoftHSM reads its configuration (`SOFTHSM2_CONF`) when
/// the module is first initialised, and a module is initialised once per process, so every test shares this token.
public enum SoftHSM {
    public static let modulePath = "/usr/lib/softhsm/libsofthsm2.so"
    public static let tokenLabel = "dfns-test"
    public static let pin = "1234"
    /// A second token nobody logs in to but the test of a wrong PIN (a process's login is shared by every session of
    /// a token, so a wrong PIN is seen only on a token the process has not logged in to).
    public static let untouchedTokenLabel = "dfns-untouched"

    /// The key of each type: its label and `CKA_ID`.
    public static let keys: [(algorithm: KeyAlgorithm, label: String, id: [UInt8], generate: String)] = [
        (.p256, "dfns-p256", [0x01], "EC:prime256v1"), (.secp256k1, "dfns-secp256k1", [0x02], "EC:secp256k1"),
        (.ed25519, "dfns-ed25519", [0x03], "EC:edwards25519"), (.rsa, "dfns-rsa", [0x04], "rsa:2048"),
    ]

    /// Makes the token the first time; every caller waits for the same one.
    public static func token() async throws { _ = try await prepared.value }

    /// What a child process needs to find the token (`SOFTHSM2_CONF`).
    public static func environment() async throws -> [String: String] { ["SOFTHSM2_CONF": try await prepared.value] }

    private static let prepared = Task<String, any Error> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-softhsm-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tokens"), withIntermediateDirectories: true)
        let configuration = directory.appendingPathComponent("softhsm2.conf")
        try Data("directories.tokendir = \(directory.path)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n".utf8).write(to: configuration)
        setenv("SOFTHSM2_CONF", configuration.path, 1)
        try await run(
            "/usr/bin/softhsm2-util", ["--init-token", "--free", "--label", tokenLabel, "--so-pin", "12345678", "--pin", pin])
        try await run(
            "/usr/bin/softhsm2-util", ["--init-token", "--free", "--label", untouchedTokenLabel, "--so-pin", "12345678", "--pin", pin])
        for key in keys {
            try await run(
                "/usr/bin/pkcs11-tool",
                [
                    "--module", modulePath, "--token-label", tokenLabel, "--login", "--pin", pin, "--keypairgen", "--key-type", key.generate,
                    "--id", key.id.map { String(format: "%02x", $0) }.joined(), "--label", key.label, "--usage-sign",
                ])
        }
        return configuration.path
    }

    private static func run(_ executable: String, _ arguments: [String]) async throws {
        let output = try await ChildProcess(executable, arguments).exit()
        guard output.status == 0 else {
            throw TestFailure("\(executable) \(arguments.prefix(4).joined(separator: " ")) exited \(output.status): \(output.stderr)")
        }
    }
}
