import DfnsPKCS11
import DfnsSDK
import DfnsTestSupport
import Foundation
import Testing

/// Keys that never leave a PKCS#11 token: SoftHSM2 holds one of each type Dfns takes, made inside it; the simulator
/// verifies what `PKCS11Signer` signs as Dfns does, as a service account's credential registered with the key's PEM.
@Suite("PKCS#11 signer against SoftHSM2", .timeLimit(.minutes(2)))
struct PKCS11SignerTests {
    private func configuration(
        _ key: PKCS11Configuration.Key, token: PKCS11Configuration.Token = .label(SoftHSM.tokenLabel), pin: String = SoftHSM.pin
    )
        -> PKCS11Configuration
    {
        PKCS11Configuration(modulePath: SoftHSM.modulePath, token: token, key: key, pin: pin, credentialId: "pending")
    }

    /// A client acting as a service account whose credential is `signer`'s key.
    private func serviceAccount(_ sim: SimulatorHarness.Running, signer: PKCS11Signer) async throws -> DfnsClient {
        let account = try await sim.client().send(DfnsAuth.createServiceAccount(name: "hsm-\(signer.algorithm)", publicKey: signer.publicKeyPEM))
        guard let token = account["accessTokens"]?.arrayValue?.first, let bearer = token["accessToken"]?.stringValue,
            let credentialId = token["credId"]?.stringValue
        else { throw TestFailure("the service account came without an access token") }
        var named = configuration(.label(SoftHSM.keys.first { $0.algorithm == signer.algorithm }!.label))
        named.credentialId = credentialId
        return sim.client(token: bearer, signer: try PKCS11Signer(named))
    }

    @Test(
        "each key type Dfns takes signs user actions the simulator verifies; the type is read from the token",
        arguments: SoftHSM.keys.map(\.algorithm))
    func signsEachKeyType(algorithm: KeyAlgorithm) async throws {
        try await SoftHSM.token()
        let key = SoftHSM.keys.first { $0.algorithm == algorithm }!
        let signer = try PKCS11Signer(configuration(.label(key.label)))
        #expect(signer.algorithm == algorithm)
        #expect(signer.publicKeyPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        // By its CKA_ID, the same key.
        #expect(try PKCS11Signer(configuration(.id(key.id))).publicKeyPEM == signer.publicKeyPEM)
        try await SimulatorHarness.withSimulator { sim in
            let client = try await serviceAccount(sim, signer: signer)
            let wallet = try await client.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "hsm \(algorithm)"))
            #expect(wallet.network == "EthereumSepolia")
        }
    }

    @Test("many signatures at once share the token's sessions and all verify")
    func concurrentSignatures() async throws {
        try await SoftHSM.token()
        let signer = try PKCS11Signer(configuration(.label("dfns-p256")))
        try await SimulatorHarness.withSimulator { sim in
            let client = try await serviceAccount(sim, signer: signer)
            let wallets = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<24 {
                    group.addTask { try await client.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "w\(index)")).id }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(wallets.count == 24)
        }
    }

    @Test("a wrong PIN, a missing token or key, a module that is none: errors naming it, never the PIN")
    func refusals() async throws {
        try await SoftHSM.token()
        func failure(_ configuration: PKCS11Configuration) -> String {
            do {
                _ = try PKCS11Signer(configuration)
                return "loaded"
            } catch {
                return error.description
            }
        }
        let wrongPIN = failure(configuration(.label("dfns-p256"), token: .label(SoftHSM.untouchedTokenLabel), pin: "987654"))
        #expect(
            wrongPIN.contains("CKR_PIN_INCORRECT") && wrongPIN.contains(SoftHSM.untouchedTokenLabel) && !wrongPIN.contains("987654"), "\(wrongPIN)")
        #expect(failure(configuration(.label("dfns-p256"), token: .label("no-such-token"))).contains("no token labelled \"no-such-token\""))
        #expect(failure(configuration(.label("no-such-key"))).contains("no private key"))
        #expect(failure(configuration(.label("dfns-p256"), token: .slot(987_654))).contains("slot 987654"))
        var notAModule = configuration(.label("dfns-p256"))
        notAModule.modulePath = "/usr/lib/x86_64-linux-gnu/libc.so.6"
        #expect(failure(notAModule).contains("is not a PKCS#11 module"))
        notAModule.modulePath = "/nonexistent/module.so"
        #expect(failure(notAModule).contains("cannot be loaded"))
    }
}
