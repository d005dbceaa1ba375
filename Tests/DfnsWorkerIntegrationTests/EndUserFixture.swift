import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation

/// An application's backend (a service account, the identity the worker acts as) and an end user it registered,
/// holding a key credential on their "device" and a wallet delegated to them: the set-up of jobs on behalf of end users.
struct EndUserFixture {
    /// The service account's client, as the worker uses it (writes replayed only when unsent, as `run` wires it).
    let backend: DfnsClient
    let userId: String
    /// The user's key credential: signs their challenges (a passkey in a browser does the same).
    let device: KeySigner
    /// A wallet registered with the user, delegated to them, and its signing key.
    let walletId: String
    let keyId: String
    /// The key seal every worker of the test shares.
    let seal: TokenSeal

    /// - Parameter operations: when given, the service account gets a permission of these operations alone (else, as
    ///   the simulator's tokens without a permission, it may do everything).
    static func make(_ sim: SimulatorHarness.Running, email: String = "eve@example.com", operations: [String]? = nil) async throws -> EndUserFixture {
        let pair = try KeyGenerator.generate(.p256)
        var permissionId: String?
        if let operations {
            permissionId = try await sim.client().send(DfnsPermissions.createPermission(name: "app-backend \(email)", operations: operations))["id"]?
                .stringValue
        }
        let account = try await sim.client().send(
            DfnsAuth.createServiceAccount(name: "app-backend", publicKey: pair.publicKeyPEM, permissionId: permissionId))
        guard let accessToken = account["accessTokens"]?.arrayValue?.first, let token = accessToken["accessToken"]?.stringValue,
            let credentialId = accessToken["credId"]?.stringValue
        else { throw TestFailure("the service account came without an access token") }
        let backend = sim.client(token: token, signer: try KeySigner(credentialId: credentialId, privateKeyPEM: pair.privateKeyPEM)) {
            $0.writeReplay = .unsentOnly
        }
        let challenge = try await backend.delegatedRegistration(email: email)
        let device = try KeySigner(
            credentialId: "device-\(UUID().uuidString.prefix(8))", privateKeyPEM: try KeyGenerator.generate(.p256).privateKeyPEM)
        let authenticator = DfnsAuthenticator(configuration: DfnsClientConfiguration(baseURL: sim.baseURL, authToken: "", requestsPerMinute: nil))
        let registration = try await authenticator.completeEndUserRegistration(
            challenge, firstFactor: try await device.attestation(for: challenge.challenge, name: "phone"),
            wallets: [CreateWalletRequest(network: "EthereumSepolia", name: "eve")])
        guard let wallet = registration.wallets.first else { throw TestFailure("the registration made no wallet") }
        var key = [UInt8](repeating: 0, count: 32)
        for index in key.indices { key[index] = UInt8.random(in: 0...255) }
        return EndUserFixture(
            backend: backend, userId: registration.userId, device: device, walletId: wallet.id,
            keyId: wallet.signingKey?.id ?? "", seal: try TokenSeal(key: key))
    }

    /// The user's signature of the challenge job `id` awaits, as the body of `POST /auth/action` (JSON text).
    func signature(of id: Int64, in database: TestDatabase.Handle, with signer: KeySigner? = nil) async throws -> String {
        guard let text = try await database.column("SELECT user_challenge::text FROM dfns_worker.jobs WHERE id = \(id)").first ?? nil else {
            throw TestFailure("job \(id) holds no challenge")
        }
        let challenge = try JSONDecoder().decode(UserActionChallenge.self, from: Data(text.utf8))
        let signed = try await UserActionSigning.sign(challenge, with: signer ?? device)
        return String(decoding: try JSONEncoder().encode(signed), as: UTF8.self)
    }
}
