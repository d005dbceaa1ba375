import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

/// Every assertion kind the official SDKs carry (TypeScript `packages/sdk/signer.ts`), verified by the simulator as
/// Dfns verifies them: Fido2 as a WebAuthn relying party, PasswordProtectedKey like Key, and second factors.
@Suite("Delegated signing with passkeys, password-protected keys and second factors", .timeLimit(.minutes(2)))
struct DelegatedSigningTests {
    private static let request = CreateWalletRequest(network: "EthereumSepolia", name: "end-user")

    private func withPasskey(
        secondFactorRequired: Bool = false,
        _ body: @Sendable (SimulatorHarness.Running, SoftwareAuthenticator) async throws -> Void
    ) async throws {
        let authenticator = try SoftwareAuthenticator(credentialId: "cr-passkey-1")
        var configuration = SimulatorConfiguration(transferStep: .milliseconds(50))
        configuration.fido2Credentials = [authenticator.credentialId: authenticator.publicKeyPEM]
        configuration.secondFactorRequired = secondFactorRequired
        try await SimulatorHarness.withSimulator(configuration) { sim in try await body(sim, authenticator) }
    }

    @Test("a passkey (Fido2) assertion creates a wallet; the challenge names the passkey and the relying party")
    func passkey() async throws {
        try await withPasskey { sim, authenticator in
            let client = sim.delegatedClient()
            let challenge = try await client.createWalletInit(Self.request)
            #expect(challenge.allowedWebAuthnCredentialIds == [authenticator.credentialId])
            #expect(challenge.relyingPartyId == "dfns.io" && challenge.userVerification == "required")
            #expect(challenge.supportedCredentialKinds.map(\.kind).contains("Fido2"))
            let signed = SignedChallenge(challengeIdentifier: challenge.challengeIdentifier, firstFactor: try authenticator.assert(challenge))
            let wallet = try await client.createWalletComplete(Self.request, signedChallenge: signed)
            #expect(wallet.name == "end-user")
        }
    }

    /// One forged part per case, each refused with the status Dfns gives it, and nothing created.
    @Test(
        "forged passkey assertions are refused",
        arguments: [
            ("an origin outside the relying party", 401),
            ("http origin", 401),
            ("another relying party's id hash", 401),
            ("no user verification flag", 401),
            ("no user presence flag", 401),
            ("a registration (webauthn.create)", 400),
            ("the Key client data type", 400),
            ("an assertion of another challenge", 400),
        ])
    func forgedPasskey(forgery: String, status: Int) async throws {
        try await withPasskey { sim, authenticator in
            let client = sim.delegatedClient()
            let challenge = try await client.createWalletInit(Self.request)
            let assertion: SignedChallenge.Assertion =
                switch forgery {
                case "an origin outside the relying party": try authenticator.assert(challenge, origin: "https://dfns.io.evil.example")
                case "http origin": try authenticator.assert(challenge, origin: "http://app.dfns.io")
                case "another relying party's id hash": try authenticator.assert(challenge, relyingPartyId: "evil.example")
                case "no user verification flag": try authenticator.assert(challenge, flags: 0x01)
                case "no user presence flag": try authenticator.assert(challenge, flags: 0x04)
                case "a registration (webauthn.create)": try authenticator.assert(challenge, type: "webauthn.create")
                case "the Key client data type": try authenticator.assert(challenge, type: "key.get")
                default: try authenticator.assert(try await client.createWalletInit(Self.request))
                }
            let signed = SignedChallenge(challengeIdentifier: challenge.challengeIdentifier, firstFactor: assertion)
            let error = await #expect(throws: DfnsError.self) { try await client.createWalletComplete(Self.request, signedChallenge: signed) }
            #expect(error?.httpStatus == status, "\(forgery): \(error?.message ?? "")")
            #expect(try await sim.stat("walletsCreated") == 0)
        }
    }

    @Test("a Fido2 assertion without authenticator data is a 400 naming it")
    func missingAuthenticatorData() async throws {
        try await withPasskey { sim, authenticator in
            let client = sim.delegatedClient()
            let challenge = try await client.createWalletInit(Self.request)
            guard case .fido2(var fido2) = try authenticator.assert(challenge) else {
                Issue.record("not a Fido2 assertion")
                return
            }
            fido2.authenticatorData = ""
            let signed = SignedChallenge(challengeIdentifier: challenge.challengeIdentifier, firstFactor: .fido2(fido2))
            let error = await #expect(throws: DfnsError.self) { try await client.createWalletComplete(Self.request, signedChallenge: signed) }
            #expect(error?.httpStatus == 400 && error?.message.contains("authenticatorData") == true)
        }
    }

    @Test("a PasswordProtectedKey credential signs as its kind; the same key asserted as Key is refused")
    func passwordProtectedKey() async throws {
        let pair = try KeyGenerator.generate(.ed25519)
        var configuration = SimulatorConfiguration(transferStep: .milliseconds(50))
        configuration.passwordProtectedKeyCredentials = ["cr-ppk-1": pair.publicKeyPEM]
        try await SimulatorHarness.withSimulator(configuration) { sim in
            let client = sim.delegatedClient()
            let challenge = try await client.createWalletInit(Self.request)
            #expect(challenge.allowedPasswordProtectedKeyCredentialIds == ["cr-ppk-1"])
            let signer = try KeySigner(credentialId: "cr-ppk-1", privateKeyPEM: pair.privateKeyPEM, kind: .passwordProtectedKey)
            let signed = try await UserActionSigning.sign(challenge, with: signer)
            #expect(signed.firstFactor.kind == "PasswordProtectedKey")
            _ = try await client.createWalletComplete(Self.request, signedChallenge: signed)

            let again = try await client.createWalletInit(Self.request)
            guard case .passwordProtectedKey(let assertion) = try await UserActionSigning.sign(again, with: signer).firstFactor else {
                Issue.record("not a PasswordProtectedKey assertion")
                return
            }
            let asKey = SignedChallenge(challengeIdentifier: again.challengeIdentifier, firstFactor: .key(assertion))
            let error = await #expect(throws: DfnsError.self) { try await client.createWalletComplete(Self.request, signedChallenge: asKey) }
            #expect(error?.httpStatus == 401)
            #expect(try await sim.stat("walletsCreated") == 1)
        }
    }

    @Test("when a second factor is required, a key alone is refused and key + passkey passes")
    func secondFactor() async throws {
        try await withPasskey(secondFactorRequired: true) { sim, authenticator in
            let client = sim.delegatedClient()
            let keySigner = sim.signers[.p256]!
            let alone = try await UserActionSigning.sign(try await client.createWalletInit(Self.request), with: keySigner)
            let refused = await #expect(throws: DfnsError.self) { try await client.createWalletComplete(Self.request, signedChallenge: alone) }
            #expect(refused?.httpStatus == 401 && refused?.message.contains("second factor") == true)

            let challenge = try await client.createWalletInit(Self.request)
            let kindsRequiringSecond = challenge.supportedCredentialKinds.filter(\.requiresSecondFactor).count
            #expect(kindsRequiringSecond == challenge.supportedCredentialKinds.count && kindsRequiringSecond > 0)
            var signed = try await UserActionSigning.sign(challenge, with: keySigner)
            signed.secondFactor = try authenticator.assert(challenge)
            _ = try await client.createWalletComplete(Self.request, signedChallenge: signed)

            let twice = try await client.createWalletInit(Self.request)
            var same = try await UserActionSigning.sign(twice, with: keySigner)
            same.secondFactor = same.firstFactor
            let duplicate = await #expect(throws: DfnsError.self) { try await client.createWalletComplete(Self.request, signedChallenge: same) }
            #expect(duplicate?.httpStatus == 400)
            #expect(try await sim.stat("walletsCreated") == 1)
        }
    }

    @Test("signed challenges encode every assertion kind in the official shape and decode back")
    func shape() throws {
        let fido2 = SignedChallenge.Fido2Assertion(credId: "c1", clientData: "cd", authenticatorData: "ad", signature: "sg", userHandle: "uh")
        let signed = SignedChallenge(
            challengeIdentifier: "id-1",
            firstFactor: .init(credentialAssertion: .init(credId: "k1", clientData: "cd", signature: "sg")),
            secondFactor: .fido2(fido2)
        )
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(signed)) as? [String: Any])
        #expect((json["firstFactor"] as? [String: Any])?["kind"] as? String == "Key")
        let second = try #require(json["secondFactor"] as? [String: Any])
        #expect(second["kind"] as? String == "Fido2")
        #expect(
            second["credentialAssertion"] as? [String: String] == [
                "credId": "c1", "clientData": "cd", "authenticatorData": "ad", "signature": "sg", "userHandle": "uh",
            ])
        #expect(try JSONDecoder().decode(SignedChallenge.self, from: JSONEncoder().encode(signed)) == signed)
        let ppk = SignedChallenge(
            challengeIdentifier: "id-2", firstFactor: .passwordProtectedKey(.init(credId: "p", clientData: "c", signature: "s")))
        let decoded = try JSONDecoder().decode(SignedChallenge.self, from: JSONEncoder().encode(ppk))
        #expect(decoded == ppk && decoded.secondFactor == nil)
    }
}
