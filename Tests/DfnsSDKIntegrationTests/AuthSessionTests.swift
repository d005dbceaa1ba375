import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

/// What a token of the auth flows is good for, and for how long, at the simulator as at Dfns: a registration session's
/// temporary token completes that registration and nothing else, a login lasts its lifetime, a challenge is signed by
/// its user's credentials only, and a recovery ends everything the user held before.
@Suite("Logins, sessions and recovery", .timeLimit(.minutes(2)))
struct AuthSessionTests {
    /// A user registered by code with a key and a recovery key.
    struct Registered {
        let userId: String
        let email: String
        let key: SoftwareKeyCredential
        let recoveryKey: SoftwareKeyCredential
    }

    private func register(_ email: String, _ sim: SimulatorHarness.Running) async throws -> Registered {
        let admin = sim.client()
        let userId = try #require(try await admin.send(DfnsAuth.createUser(email: email, kind: "CustomerEmployee"))["userId"]?.stringValue)
        let session = try await admin.send(
            DfnsAuth.createRegistrationChallenge(username: email, registrationCode: try await sim.emailedCode(email, "Registration")))
        let challenge = try #require(session["challenge"]?.stringValue)
        let key = try SoftwareKeyCredential()
        let recoveryKey = try SoftwareKeyCredential(kind: "RecoveryKey")
        _ = try await temporaryClient(session, sim).send(
            DfnsAuth.register(
                firstFactorCredential: try await key.attestation(challenge), recoveryCredential: try await recoveryKey.attestation(challenge)))
        return Registered(userId: userId, email: email, key: key, recoveryKey: recoveryKey)
    }

    private func temporaryClient(_ session: JSONValue, _ sim: SimulatorHarness.Running) throws -> DfnsClient {
        sim.client(token: try #require(session["temporaryAuthenticationToken"]?.stringValue), signer: sim.signers[.p256]!)
    }

    /// Logs `user` in, signing the challenge with `key` (the user's own by default).
    private func login(_ user: Registered, _ sim: SimulatorHarness.Running, with key: SoftwareKeyCredential? = nil) async throws -> String {
        try await sim.login(user.email, with: key ?? user.key)
    }

    @Test("a registration's temporary token completes that registration, once, and authenticates nothing else")
    func temporaryToken() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let admin = sim.client()
            _ = try await admin.send(DfnsAuth.createUser(email: "tia@example.com", kind: "CustomerEmployee"))
            let session = try await admin.send(
                DfnsAuth.createRegistrationChallenge(
                    username: "tia@example.com", registrationCode: try await sim.emailedCode("tia@example.com", "Registration")))
            let temporary = try temporaryClient(session, sim)
            await expectStatus(401) { try await temporary.send(DfnsAuth.listUsers()) }
            await expectStatus(401) {
                try await temporary.send(DfnsAuth.recover(recovery: ["kind": "RecoveryKey"], newCredentials: ["firstFactorCredential": [:]]))
            }
            // A code opens one session: spent, it is refused.
            await expectStatus(400) {
                try await admin.send(
                    DfnsAuth.createRegistrationChallenge(
                        username: "tia@example.com", registrationCode: try await sim.emailedCode("tia@example.com", "Registration")))
            }
            // A session does not outlive its user's deactivation.
            _ = try await admin.send(DfnsAuth.createUser(email: "dee@example.com", kind: "CustomerEmployee"))
            let deeSession = try await admin.send(
                DfnsAuth.createRegistrationChallenge(
                    username: "dee@example.com", registrationCode: try await sim.emailedCode("dee@example.com", "Registration")))
            let deeId = try #require(
                try await admin.send(DfnsAuth.listUsers()).items.first { $0["username"] == "dee@example.com" }?["userId"]?.stringValue)
            _ = try await admin.send(DfnsAuth.deactivateUser(userId: deeId))
            await expectStatus(400) {
                try await temporaryClient(deeSession, sim).send(
                    DfnsAuth.register(
                        firstFactorCredential: try await SoftwareKeyCredential().attestation(try #require(deeSession["challenge"]?.stringValue))))
            }
            // An attestation of another challenge is refused; the session stays open for the right one.
            let key = try SoftwareKeyCredential()
            await expectStatus(400) {
                try await temporary.send(DfnsAuth.register(firstFactorCredential: try await key.attestation("another-challenge")))
            }
            let challenge = try #require(session["challenge"]?.stringValue)
            #expect(
                try await temporary.send(DfnsAuth.register(firstFactorCredential: try await key.attestation(challenge)))["credential"]?["kind"]
                    == "Key")
            await expectStatus(401) {
                try await temporary.send(DfnsAuth.register(firstFactorCredential: try await SoftwareKeyCredential().attestation(challenge)))
            }
        }
    }

    @Test("a login challenge is signed by its user's credentials only, and spent by its first attempt")
    func loginChallenge() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let ana = try await register("ana@example.com", sim)
            let bob = try await register("bob@example.com", sim)
            let admin = sim.client()
            let challenge = try await admin.send(DfnsAuth.createLoginChallenge(username: ana.email))
            let identifier = try #require(challenge["challengeIdentifier"]?.stringValue)
            let text = try #require(challenge["challenge"]?.stringValue)
            await expectStatus(401) {
                try await admin.send(DfnsAuth.login(challengeIdentifier: identifier, firstFactor: try bob.key.assertion(text)))
            }
            // The failed attempt spent the challenge: a guess costs a new challenge.
            await expectStatus(400) {
                try await admin.send(DfnsAuth.login(challengeIdentifier: identifier, firstFactor: try ana.key.assertion(text)))
            }
            let token = try await login(ana, sim)
            // The login acts as Ana: her credentials, not the organisation's.
            let credentials = try await sim.client(token: token, signer: ana.key.signer).send(DfnsAuth.listCredentials())
            #expect(credentials.items.map { $0["credentialId"] } == [.string(ana.key.credentialId), .string(ana.recoveryKey.credentialId)])
        }
    }

    @Test("a login lasts its lifetime and ends with logout")
    func loginLifetime() async throws {
        var configuration = SimulatorConfiguration()
        configuration.loginLifetime = .seconds(5)
        try await SimulatorHarness.withSimulator(configuration) { sim in
            let ana = try await register("ana@example.com", sim)
            let expiring = sim.client(token: try await login(ana, sim), signer: ana.key.signer)
            _ = try await expiring.send(DfnsAuth.listCredentials())
            try await waitFor(.seconds(30)) { (try? await expiring.send(DfnsAuth.listCredentials())) == nil }
            await expectStatus(401) { try await expiring.send(DfnsAuth.listCredentials()) }
        }
        try await SimulatorHarness.withSimulator { sim in
            let ana = try await register("ana@example.com", sim)
            let first = sim.client(token: try await login(ana, sim), signer: ana.key.signer)
            let second = sim.client(token: try await login(ana, sim), signer: ana.key.signer)
            _ = try await first.send(DfnsAuth.logout())
            await expectStatus(401) { try await first.send(DfnsAuth.listCredentials()) }
            _ = try await second.send(DfnsAuth.listCredentials())
            let third = sim.client(token: try await login(ana, sim), signer: ana.key.signer)
            _ = try await third.send(DfnsAuth.logout(allSessions: true))
            await expectStatus(401) { try await second.send(DfnsAuth.listCredentials()) }
            // Only a login logs out: the organisation's configured token is no login.
            await expectStatus(400) { try await sim.client().send(DfnsAuth.logout()) }
        }
    }

    @Test("a recovery ends the user's logins, stops their access tokens and their old keys")
    func recovery() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let ana = try await register("ana@example.com", sim)
            let session = sim.client(token: try await login(ana, sim), signer: ana.key.signer)
            let patKey = try SoftwareKeyCredential()
            let pat = try await session.send(DfnsAuth.createPersonalAccessToken(name: "ana-pat", publicKey: patKey.publicKeyPEM))
            let patClient = sim.client(
                token: try #require(pat["accessToken"]?.stringValue), signer: try patKey.signer(as: try #require(pat["credId"]?.stringValue)))
            _ = try await patClient.send(DfnsAuth.listCredentials())
            // A personal access token is its user's alone: the organisation's admin does not see Ana's.
            await expectStatus(404) {
                try await sim.client().send(DfnsAuth.getPersonalAccessToken(tokenId: try #require(pat["tokenId"]?.stringValue)))
            }

            let admin = sim.client()
            _ = try await admin.send(DfnsAuth.sendRecoveryCode(username: ana.email))
            let code = try await sim.emailedCode(ana.email, "Recovery")
            // Only an active recovery credential opens a recovery: not a login key (Dfns's 401).
            await expectStatus(401) {
                try await admin.send(
                    DfnsAuth.createRecoveryChallenge(username: ana.email, verificationCode: code, credentialId: ana.key.credentialId))
            }
            let recovery = try await admin.send(
                DfnsAuth.createRecoveryChallenge(username: ana.email, verificationCode: code, credentialId: ana.recoveryKey.credentialId))
            let newKey = try SoftwareKeyCredential()
            let newCredentials: JSONValue = ["firstFactorCredential": try await newKey.attestation(try #require(recovery["challenge"]?.stringValue))]
            let temporary = try temporaryClient(recovery, sim)
            // Signed by another key than the recovery credential: refused.
            let signed = Base64URL.encode(try JSONEncoder().encode(newCredentials))
            let forged = try ana.key.assertion(signed)["credentialAssertion"]
            await expectStatus(401) {
                try await temporary.send(
                    DfnsAuth.recover(recovery: ["kind": "RecoveryKey", "credentialAssertion": try #require(forged)], newCredentials: newCredentials))
            }
            // Signed over the session's challenge rather than the new credentials: refused, or a holder of the
            // temporary token could put in credentials of its own.
            let unbound = try ana.recoveryKey.assertion(try #require(recovery["challenge"]?.stringValue))["credentialAssertion"]
            await expectStatus(400) {
                try await temporary.send(
                    DfnsAuth.recover(recovery: ["kind": "RecoveryKey", "credentialAssertion": try #require(unbound)], newCredentials: newCredentials))
            }
            let assertion = try ana.recoveryKey.assertion(signed)["credentialAssertion"]
            _ = try await temporary.send(
                DfnsAuth.recover(recovery: ["kind": "RecoveryKey", "credentialAssertion": try #require(assertion)], newCredentials: newCredentials))

            await expectStatus(401) { try await session.send(DfnsAuth.listCredentials()) }
            await expectStatus(401) { try await patClient.send(DfnsAuth.listCredentials()) }
            await expectStatus(401) { try await login(ana, sim) }
            #expect(try await login(ana, sim, with: newKey).isEmpty == false)
        }
    }
}
