import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

extension APICoverageTests {
    /// The clients of the other tokens one auth walk needs, each recorded: a login's, a registration session's, a
    /// service account's.
    struct AuthWalk {
        let sim: SimulatorHarness.Running
        let recorder: APICoverage.Recorder

        func client(_ token: String, _ signer: (any CredentialSigner)? = nil) -> DfnsClient {
            sim.client(token: token, signer: signer ?? sim.signers[.p256]!) { $0.observer = recorder }
        }

        func code(_ username: String, _ kind: String) async throws -> String { try await sim.emailedCode(username, kind) }

        /// Logs `username` in with `key`; answers the login token.
        func login(_ username: String, _ key: SoftwareKeyCredential) async throws -> String { try await sim.login(username, with: key) }

        /// The `state` of an identity provider redirect, signed in at the provider as `email`: answers `{code, state}`.
        func signIn(_ redirect: JSONValue?, as email: String) async throws -> (code: String, state: String) {
            let url = try #require(redirect?.stringValue.flatMap(URLComponents.init(string:)))
            let state = try #require(url.queryItems?.first { $0.name == "state" }?.value)
            let signedIn = try await sim.control(post: "idp/authorize", ["state": state, "email": email])
            return (try #require(signedIn["code"] as? String), state)
        }
    }

    @Test("auth: every method of the official auth client")
    func auth() async throws {
        try await withClient { sim, admin, recorder in
            let walk = AuthWalk(sim: sim, recorder: recorder)
            let serviceAccount = try await accessTokens(walk, admin)
            let (userId, recoveredKey) = try await registrationLoginAndRecovery(walk, admin)
            try await endUsers(walk, admin, serviceAccount)
            try await federatedLogins(walk, admin)
            try await tenantExchange(walk, admin)

            // The user-action pair, called directly and signed by the configured credential.
            let challenge = try await admin.send(
                DfnsAuth.createUserActionChallenge(
                    userActionHttpMethod: "PUT", userActionHttpPath: "/auth/users/\(userId)", userActionPayload: #"{"isSSORequired":false}"#))
            let signer = try #require(sim.signers[.p256])
            let clientData = Array(
                #"{"type":"key.get","challenge":"\#(challenge["challenge"]?.stringValue ?? "")","origin":"https://app.example.com"}"#.utf8)
            let signed = try await admin.send(
                DfnsAuth.createUserActionSignature(
                    challengeIdentifier: try #require(challenge["challengeIdentifier"]?.stringValue),
                    firstFactor: [
                        "kind": "Key",
                        "credentialAssertion": [
                            "credId": .string(signer.credentialId), "clientData": .string(Base64URL.encode(clientData)),
                            "signature": .string(Base64URL.encode(try signer.sign(clientData))),
                        ],
                    ]))
            #expect(signed["userAction"]?.stringValue?.isEmpty == false)

            // The lifecycles end: a deactivated user no longer logs in.
            #expect(try await admin.send(DfnsAuth.deactivateUser(userId: userId))["isActive"] == false)
            let username = try #require(try await admin.send(DfnsAuth.getUser(userId: userId))["username"]?.stringValue)
            await expectStatus(400) { try await walk.login(username, recoveredKey) }
            #expect(try await admin.send(DfnsAuth.activateUser(userId: userId))["isActive"] == true)
            #expect(try await admin.send(DfnsAuth.deleteUser(userId: userId))["isActive"] == false)
            let accountId = serviceAccount.userId
            #expect(try await admin.send(DfnsAuth.deactivateServiceAccount(serviceAccountId: accountId))["userInfo"]?["isActive"] == false)
            #expect(try await admin.send(DfnsAuth.activateServiceAccount(serviceAccountId: accountId))["userInfo"]?["isActive"] == true)
            #expect(try await admin.send(DfnsAuth.deleteServiceAccount(serviceAccountId: accountId))["userInfo"]?["isActive"] == false)

            try await exerciseAuthGroups(sim, admin)
            #expect(recorder.missing(in: "auth") == [])
        }
    }

    /// Personal access tokens and a service account with a key it adds and deletes; answers the service account's
    /// user id and client.
    private func accessTokens(_ walk: AuthWalk, _ admin: DfnsClient) async throws -> (userId: String, client: DfnsClient) {
        let patKey = try SoftwareKeyCredential()
        let pat = try await admin.send(DfnsAuth.createPersonalAccessToken(name: "cov-pat", publicKey: patKey.publicKeyPEM, externalId: "cov-pat"))
        let patId = try #require(pat["tokenId"]?.stringValue)
        #expect(try await admin.send(DfnsAuth.listPersonalAccessTokens()).items.map { $0["tokenId"] }.contains(.string(patId)))
        #expect(try await admin.send(DfnsAuth.getPersonalAccessToken(tokenId: patId))["accessToken"] == nil)
        #expect(try await admin.send(DfnsAuth.updatePersonalAccessToken(tokenId: patId, name: "cov-pat-2"))["name"] == "cov-pat-2")
        #expect(try await admin.send(DfnsAuth.deactivatePersonalAccessToken(tokenId: patId))["isActive"] == false)
        #expect(try await admin.send(DfnsAuth.activatePersonalAccessToken(tokenId: patId))["isActive"] == true)
        #expect(try await admin.send(DfnsAuth.deletePersonalAccessToken(tokenId: patId))["isActive"] == false)

        let accountKey = try SoftwareKeyCredential()
        let account = try await admin.send(DfnsAuth.createServiceAccount(name: "cov-sa", publicKey: accountKey.publicKeyPEM))
        let accountId = try #require(account["userInfo"]?["userId"]?.stringValue)
        let token = try #require(account["accessTokens"]?.arrayValue?.first?["accessToken"]?.stringValue)
        let robot = walk.client(token, try accountKey.signer(as: try #require(account["accessTokens"]?.arrayValue?.first?["credId"]?.stringValue)))
        #expect(try await admin.send(DfnsAuth.listServiceAccounts()).items.count == 1)
        #expect(try await admin.send(DfnsAuth.getServiceAccount(serviceAccountId: accountId))["userInfo"]?["isServiceAccount"] == true)
        #expect(
            try await admin.send(DfnsAuth.updateServiceAccount(serviceAccountId: accountId, externalId: "cov-sa"))["userInfo"]?["externalId"]
                == "cov-sa")
        // A key the service account adds signs for it until it is deleted.
        let second = try SoftwareKeyCredential()
        let added = try await robot.send(DfnsAuth.createServiceAccountCredential(publicKey: second.publicKeyPEM, name: "rotated"))
        let rotated = walk.client(token, try second.signer(as: try #require(added["credentialId"]?.stringValue)))
        #expect(
            try await rotated.send(DfnsAuth.updateServiceAccount(serviceAccountId: accountId, name: "cov-sa-2"))["userInfo"]?["name"] == "cov-sa-2")
        #expect(
            try await robot.send(DfnsAuth.deleteServiceAccountCredential(credentialUuid: try #require(added["credentialUuid"]?.stringValue))) == [:])
        // A deleted key is no longer among the challenge's credentials: the SDK refuses to sign with it.
        let refused = await #expect(throws: DfnsError.self) {
            try await rotated.send(DfnsAuth.updateServiceAccount(serviceAccountId: accountId, name: "x"))
        }
        #expect(refused?.code == .signing)
        return (accountId, robot)
    }
}
