import DfnsPKCS11
import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

/// `DFNS_SIGNER=pkcs11`: the worker signs with a key in a SoftHSM2 token, and a key it cannot use stops it at start-up,
/// naming what is wrong (never the PIN), before any job is claimed.
@Suite("The worker with its key in a PKCS#11 token", .timeLimit(.minutes(2)))
struct PKCS11WorkerTests {
    /// The environment of a worker whose service account's credential is the token's P-256 key, its PIN in a file.
    private func environment(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, pinFile: URL) async throws -> [String: String] {
        let key = try PKCS11Signer(
            PKCS11Configuration(
                modulePath: SoftHSM.modulePath, token: .label(SoftHSM.tokenLabel), key: .label("dfns-p256"), pin: SoftHSM.pin, credentialId: "-"))
        let account = try await sim.client().send(DfnsAuth.createServiceAccount(name: "hsm-worker", publicKey: key.publicKeyPEM))
        guard let token = account["accessTokens"]?.arrayValue?.first, let bearer = token["accessToken"]?.stringValue,
            let credentialId = token["credId"]?.stringValue
        else { throw TestFailure("the service account came without an access token") }
        return try await SoftHSM.environment().merging([
            "DATABASE_URL": database.urlString, "DFNS_API_URL": sim.baseURL, "DFNS_AUTH_TOKEN": bearer, "DFNS_CRED_ID": credentialId,
            "DFNS_SIGNER": "pkcs11", "DFNS_PKCS11_MODULE": SoftHSM.modulePath, "DFNS_PKCS11_TOKEN": SoftHSM.tokenLabel,
            "DFNS_PKCS11_KEY": "dfns-p256", "DFNS_PKCS11_PIN_FILE": pinFile.path, "DFNS_PRIVATE_KEY_FILE": "",
        ]) { $1 }
    }

    @Test("drain signs every job with the token's key; a wrong PIN, key or signer stops it at start-up, the job untouched")
    func drainWithTokenKey() async throws {
        try await SoftHSM.token()
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let pinFile = FileManager.default.temporaryDirectory.appendingPathComponent("pin-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: pinFile) }
            try Data("\(SoftHSM.pin)\n".utf8).write(to: pinFile)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: pinFile.path)
            var environment = try await environment(database, sim, pinFile: pinFile)
            let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"EthereumSepolia"}"#)

            let wrongPIN = FileManager.default.temporaryDirectory.appendingPathComponent("pin-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: wrongPIN) }
            try Data("86421357".utf8).write(to: wrongPIN)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: wrongPIN.path)
            let refused = try await WorkerCommand.run(["drain"], environment: environment.merging(["DFNS_PKCS11_PIN_FILE": wrongPIN.path]) { $1 })
            #expect(refused.status == 1 && refused.stderr.contains("CKR_PIN_INCORRECT") && refused.stderr.contains(SoftHSM.tokenLabel))
            #expect(!refused.stderr.contains("86421357") && !refused.stdout.contains("86421357"), "the PIN is never printed")
            let missingKey = try await WorkerCommand.run(["drain"], environment: environment.merging(["DFNS_PKCS11_KEY": "no-such-key"]) { $1 })
            #expect(missingKey.status == 1 && missingKey.stderr.contains("no private key"), "\(missingKey.stderr)")
            let unknown = try await WorkerCommand.run(["drain"], environment: environment.merging(["DFNS_SIGNER": "vault"]) { $1 })
            #expect(unknown.status == 1 && unknown.stderr.contains("DFNS_SIGNER must be pem or pkcs11"))
            let untouched = try await WorkerHarness.row(database, id)
            #expect(untouched.state == "queued" && untouched.attempt == 0, "no job claimed by a worker that could not sign")

            environment["DFNS_PKCS11_KEY"] = nil
            environment["DFNS_PKCS11_KEY_ID"] = "01"
            let drained = try await WorkerCommand.run(["drain"], environment: environment)
            #expect(drained.status == 0 && drained.stdout.contains("succeeded 1"), "\(drained.stdout) \(drained.stderr)")
        }
    }
}
