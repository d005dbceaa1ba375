import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

/// A user who registers a passkey and logs in with it, without a username (a discoverable credential), as Dfns allows
/// (dfns-sdk 1.0.4 `create_login_challenge`: "If the user has at least one discoverable WebAuthn credential, `username`
/// is optional"): the WebAuthn registration and assertions checked end to end, the signature counter included.
@Suite("Passkeys: registration and a login without a username", .timeLimit(.minutes(2)))
struct PasskeyLoginTests {
    /// An assertion of `passkey` for a login `challenge` (`webauthn.get`), with the authenticator's `signCount`.
    private func assertion(_ passkey: TestPasskey, userId: String, challenge: String, signCount: UInt32) throws -> JSONValue {
        let clientData = Array(#"{"type":"webauthn.get","challenge":"\#(challenge)","origin":"https://app.dfns.io","crossOrigin":false}"#.utf8)
        let authenticatorData =
            Digest.sha256(Array("dfns.io".utf8)) + [0x05] + (0..<4).reversed().map { UInt8(truncatingIfNeeded: signCount >> (8 * $0)) }
        return [
            "kind": "Fido2",
            "credentialAssertion": [
                "credId": .string(Base64URL.encode(passkey.credentialId)), "clientData": .string(Base64URL.encode(clientData)),
                "authenticatorData": .string(Base64URL.encode(authenticatorData)),
                "signature": .string(Base64URL.encode(try passkey.signer.sign(authenticatorData + Digest.sha256(clientData)))),
                "userHandle": .string(Base64URL.encode(Array(userId.utf8))),
            ],
        ]
    }

    @Test("a passkey registered with a packed attestation logs its user in without a username; a counter that does not grow is refused")
    func discoverableLogin() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let admin = sim.client()
            let email = "pia@example.com"
            let userId = try #require(try await admin.send(DfnsAuth.createUser(email: email, kind: "CustomerEmployee"))["userId"]?.stringValue)
            let session = try await admin.send(
                DfnsAuth.createRegistrationChallenge(username: email, registrationCode: try await sim.emailedCode(email, "Registration")))
            let passkey = try TestPasskey(.p256)
            var attestation = AttestationBuilder(passkey)
            attestation.challenge = try #require(session["challenge"]?.stringValue)
            let credential: JSONValue = [
                "credentialKind": "Fido2", "credentialName": "laptop",
                "credentialInfo": [
                    "credId": .string(attestation.credentialId), "clientData": .string(Base64URL.encode(attestation.clientData)),
                    "attestationData": .string(Base64URL.encode(try attestation.attestationObject())),
                ],
            ]
            let temporary = sim.client(token: try #require(session["temporaryAuthenticationToken"]?.stringValue), signer: sim.signers[.p256]!)
            #expect(try await temporary.send(DfnsAuth.register(firstFactorCredential: credential))["credential"]?["kind"] == "Fido2")

            // No username: the challenge names no credential, the passkey names its user.
            let challenge = try await admin.send(DfnsAuth.createLoginChallenge())
            #expect(challenge["allowCredentials"]?["webauthn"] == [])
            let login = try await admin.send(
                DfnsAuth.login(
                    challengeIdentifier: try #require(challenge["challengeIdentifier"]?.stringValue),
                    firstFactor: try assertion(passkey, userId: userId, challenge: try #require(challenge["challenge"]?.stringValue), signCount: 1)))
            let token = try #require(login["token"]?.stringValue)
            let listed = try await sim.client(token: token, signer: sim.signers[.p256]!).send(DfnsAuth.listCredentials()).items
            #expect(listed.map { $0["kind"] } == ["Fido2"] && listed.first?["publicKey"] == .string(passkey.publicKeyPEM))

            // The same counter again is a cloned authenticator's; a greater one passes.
            for (count, status) in [(UInt32(1), 401), (2, 200)] {
                let again = try await admin.send(DfnsAuth.createLoginChallenge(username: email))
                let send = {
                    try await admin.send(
                        DfnsAuth.login(
                            challengeIdentifier: try #require(again["challengeIdentifier"]?.stringValue),
                            firstFactor: try assertion(
                                passkey, userId: userId, challenge: try #require(again["challenge"]?.stringValue), signCount: count)))
                }
                if status == 200 {
                    #expect(try await send()["token"] != nil)
                } else {
                    let error = await #expect(throws: DfnsError.self) { try await send() }
                    #expect(error?.httpStatus == status)
                }
            }
        }
    }
}
