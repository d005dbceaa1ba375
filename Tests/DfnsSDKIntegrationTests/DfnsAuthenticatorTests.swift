import DfnsSDK
import DfnsTestSupport
import Foundation
import Testing

/// The SDK's authentication flows against the simulator: a user registered by code with a key the SDK attests and
/// logged in with it; an end user registered by a service account with a wallet, logged in on their behalf, and
/// signing their own write through the delegated client.
@Suite("DfnsAuthenticator: logins and registrations", .timeLimit(.minutes(2)))
struct DfnsAuthenticatorTests {
    private func authenticator(_ sim: SimulatorHarness.Running) -> DfnsAuthenticator {
        DfnsAuthenticator(configuration: DfnsClientConfiguration(baseURL: sim.baseURL, authToken: "", requestsPerMinute: nil))
    }

    @Test("a user registers with a key the SDK attests, logs in with it and acts as themselves")
    func registerAndLogin() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let email = "kim@example.com"
            _ = try await sim.client().send(DfnsAuth.createUser(email: email, kind: "CustomerEmployee"))
            let key = try KeySigner(credentialId: "kim-laptop", privateKeyPEM: try KeyGenerator.generate(.ed25519).privateKeyPEM)
            let authenticator = authenticator(sim)
            let registered = try await authenticator.register(
                username: email, registrationCode: try await sim.emailedCode(email, "Registration"), signer: key, credentialName: "laptop")
            #expect(registered["credential"]?["kind"] == "Key" && registered["user"]?["username"] == .string(email))

            let token = try await authenticator.login(username: email, signer: key)
            let kim = authenticator.client(token: token, signer: key)
            let credentials = try await kim.send(DfnsAuth.listCredentials()).items
            #expect(credentials.map { $0["credentialId"] } == ["kim-laptop"] && credentials.first?["publicKey"] == .string(key.publicKeyPEM))
            // A signed write as Kim: a personal access token of her own.
            let pat = try await kim.send(
                DfnsAuth.createPersonalAccessToken(name: "kim-pat", publicKey: try KeyGenerator.generate(.p256).publicKeyPEM))
            #expect(pat["linkedUserId"] == registered["user"]?["id"])

            // Another key is not hers: the SDK refuses to sign with a credential the challenge does not allow.
            let stranger = try KeySigner(credentialId: "stranger", privateKeyPEM: try KeyGenerator.generate(.p256).privateKeyPEM)
            let refused = await #expect(throws: DfnsError.self) { try await authenticator.login(username: email, signer: stranger) }
            #expect(refused?.code == .signing)
        }
    }

    @Test("a service account registers an end user with a wallet and logs them in; the user signs their own write")
    func delegatedEndUser() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let pair = try KeyGenerator.generate(.p256)
            let account = try await sim.client().send(DfnsAuth.createServiceAccount(name: "app-backend", publicKey: pair.publicKeyPEM))
            let accountToken = try #require(account["accessTokens"]?.arrayValue?.first)
            let accountKey = try KeySigner(credentialId: try #require(accountToken["credId"]?.stringValue), privateKeyPEM: pair.privateKeyPEM)
            let backend = sim.client(token: try #require(accountToken["accessToken"]?.stringValue), signer: accountKey)
            let authenticator = authenticator(sim)

            // The backend opens the registration; the user's device attests it (a key here, a passkey in a browser).
            let challenge = try await backend.delegatedRegistration(email: "eve@example.com")
            #expect(challenge.username == "eve@example.com" && challenge.firstFactorKinds.contains("Fido2"))
            let device = try KeySigner(credentialId: "eve-phone", privateKeyPEM: try KeyGenerator.generate(.p256).privateKeyPEM)
            let registration = try await authenticator.completeEndUserRegistration(
                challenge, firstFactor: try await device.attestation(for: challenge.challenge, name: "phone"),
                wallets: [CreateWalletRequest(network: "EthereumSepolia", name: "eve")])
            #expect(registration.userId == challenge.userId && registration.wallets.map(\.network) == ["EthereumSepolia"])
            let refused = await #expect(throws: DfnsError.self) {
                try await authenticator.completeRegistration(
                    challenge, firstFactor: try await device.attestation(for: challenge.challenge, name: "again"))
            }
            #expect(refused?.httpStatus == 401, "a registration session completes once")

            // Later, the backend logs Eve in; her writes are signed on her device, the backend relays.
            let token = try await backend.delegatedLogin(username: "eve@example.com")
            let relay = authenticator.delegatedClient(token: token)
            let request = try DfnsWallets.createWallet(CreateWalletRequest(network: "BaseSepolia", name: "eve-2"))
            let userChallenge = try await relay.initUserAction(for: request)
            #expect(userChallenge.allowedKeyCredentialIds == ["eve-phone"])
            let wallet = try await relay.complete(request, signedChallenge: try await UserActionSigning.sign(userChallenge, with: device))
            #expect(wallet.network == "BaseSepolia")
            // Eve reaches her wallets alone, delegated to her (no longer custodial); the organisation's are not hers.
            let organisation = try await sim.client().createWallet(CreateWalletRequest(network: "EthereumSepolia"))
            let hers = try await relay.listWalletsPage().items
            #expect(Set(hers.map(\.id)) == Set(registration.wallets.map(\.id) + [wallet.id]))
            #expect(hers.allSatisfy { $0.raw["custodial"] == false })
            let hidden = await #expect(throws: DfnsError.self) { try await relay.getWallet(id: organisation.id) }
            #expect(hidden?.httpStatus == 404)
            // The backend's own key cannot sign for her.
            let other = try await relay.initUserAction(for: request)
            let forged = await #expect(throws: DfnsError.self) {
                try await relay.complete(request, signedChallenge: try await UserActionSigning.sign(other, with: accountKey))
            }
            #expect(forged?.code == .signing)
        }
    }

    @Test("a password-protected key needs its encrypted private key: refused before anything is sent")
    func passwordProtectedKeyNeedsItsKey() async throws {
        let key = try KeySigner(credentialId: "ppk", privateKeyPEM: try KeyGenerator.generate(.p256).privateKeyPEM)
        let error = await #expect(throws: DfnsError.self) { try await key.attestation(for: "challenge", name: "ppk", kind: "PasswordProtectedKey") }
        #expect(error?.code == .validation)
    }
}
