import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

/// The auth client's flows for ``APICoverageTests/auth()``, as ops/conformance/domains/auth.py walks them with the
/// official Python SDK: registration by code, logins, credentials, recovery; end users registered, logged in and
/// recovered by a service account; social, SSO and OIDC logins; a tenant user's token exchange.
extension APICoverageTests {
    /// A user registered by code with a key and a recovery key, logged in, managing credentials, logged out and
    /// recovered; answers the user's id and the key it was recovered with.
    func registrationLoginAndRecovery(_ walk: AuthWalk, _ admin: DfnsClient) async throws -> (String, SoftwareKeyCredential) {
        let email = "cov-user@example.com"
        let user = try await admin.send(DfnsAuth.createUser(email: email, kind: "CustomerEmployee", externalId: "cov-u"))
        let userId = try #require(user["userId"]?.stringValue)
        #expect(user["isRegistered"] == false)
        #expect(try await admin.send(DfnsAuth.getUser(userId: userId))["username"] == .string(email))
        #expect(try await admin.send(DfnsAuth.listUsers(limit: 50)).items.map { $0["userId"] }.contains(.string(userId)))
        #expect(try await admin.send(DfnsAuth.updateUser(userId: userId, isSSORequired: false))["isSSORequired"] == false)
        await expectStatus(400) { try await admin.send(DfnsAuth.createRegistrationChallenge(username: email, registrationCode: "0000-0000")) }
        _ = try await admin.send(DfnsAuth.resendRegistrationCode(username: email))
        let session = try await admin.send(
            DfnsAuth.createRegistrationChallenge(username: email, registrationCode: try await walk.code(email, "Registration")))
        let challenge = try #require(session["challenge"]?.stringValue)
        let key = try SoftwareKeyCredential()
        let recoveryKey = try SoftwareKeyCredential(kind: "RecoveryKey")
        let temporary = walk.client(try #require(session["temporaryAuthenticationToken"]?.stringValue))
        let registered = try await temporary.send(
            DfnsAuth.register(
                firstFactorCredential: try await key.attestation(challenge), recoveryCredential: try await recoveryKey.attestation(challenge)))
        #expect(registered["user"]?["id"] == .string(userId) && registered["credential"]?["kind"] == "Key")
        await expectStatus(401) {
            try await temporary.send(DfnsAuth.register(firstFactorCredential: try await SoftwareKeyCredential().attestation(challenge)))
        }

        // Logins, then the user's own credentials through the login's client.
        _ = try await admin.send(DfnsAuth.sendLoginCode(username: email))
        let login = try await admin.send(DfnsAuth.createLoginChallenge(username: email, loginCode: try await walk.code(email, "Login")))
        #expect(login["allowCredentials"]?["key"]?.arrayValue?.first?["id"] == .string(key.credentialId))
        let loginIdentifier = try #require(login["challengeIdentifier"]?.stringValue)
        let loginChallenge = try #require(login["challenge"]?.stringValue)
        let loggedIn = try await admin.send(DfnsAuth.login(challengeIdentifier: loginIdentifier, firstFactor: try key.assertion(loginChallenge)))
        let token = try #require(loggedIn["token"]?.stringValue)
        let me = walk.client(token, key.signer)
        try await credentials(walk, me, email: email)
        #expect(try await me.send(DfnsAuth.logout())["message"] != nil)
        await expectStatus(401) { try await me.send(DfnsAuth.listCredentials()) }

        // Recovery by code: the new key replaces the old one.
        _ = try await admin.send(DfnsAuth.sendRecoveryCode(username: email))
        let recovery = try await admin.send(
            DfnsAuth.createRecoveryChallenge(
                username: email, verificationCode: try await walk.code(email, "Recovery"), credentialId: recoveryKey.credentialId))
        let newKey = try SoftwareKeyCredential()
        try await recover(walk, recovery, with: recoveryKey, newKey)
        await expectStatus(401) { try await walk.login(email, key) }
        #expect(try await walk.login(email, newKey).isEmpty == false)
        return (userId, newKey)
    }

    /// Credentials of a logged-in user: added signed and by code, deactivated, activated, deleted.
    private func credentials(_ walk: AuthWalk, _ me: DfnsClient, email: String) async throws {
        #expect(try await me.send(DfnsAuth.listCredentials()).items.map { $0["kind"] } == ["Key", "RecoveryKey"])
        let initiated = try await me.send(DfnsAuth.createCredentialChallenge(kind: "Key"))
        let laptop = try SoftwareKeyCredential()
        let created = try await me.send(
            DfnsAuth.createCredential(
                body: try await laptop.attestation(
                    try #require(initiated["challenge"]?.stringValue), name: "laptop",
                    extra: ["challengeIdentifier": try #require(initiated["challengeIdentifier"])])))
        let uuid = try #require(created["credentialUuid"]?.stringValue)
        #expect(created["credentialId"] == .string(laptop.credentialId) && created["isActive"] == true)
        _ = try await me.send(DfnsAuth.deactivateCredential(credentialUuid: uuid))
        #expect(try await me.send(DfnsAuth.listCredentials()).items.first { $0["credentialUuid"] == .string(uuid) }?["isActive"] == false)
        _ = try await me.send(DfnsAuth.activateCredential(credentialUuid: uuid))
        await expectStatus(404) { try await me.send(DfnsAuth.deactivateCredential(credentialUuid: "cr-none")) }
        #expect(try await me.send(DfnsAuth.deleteCredential(credentialUuid: uuid)) == [:])

        // A credential code lets a device without a credential add one.
        let expiration = Date().addingTimeInterval(50).formatted(.iso8601)
        let code = try #require(try await me.send(DfnsAuth.createCredentialCode(expiration: .string(expiration)))["code"]?.stringValue)
        await expectStatus(400) {
            try await me.send(DfnsAuth.createCredentialCode(expiration: .integer(Int64(Date().timeIntervalSince1970) + 3600)))
        }
        let anonymous = walk.client("not-a-token")
        let byCode = try await anonymous.send(DfnsAuth.createCredentialChallengeWithCode(credentialKind: "Key", code: code))
        #expect(byCode["user"]?["name"] == .string(email))
        let phone = try SoftwareKeyCredential()
        let made = try await anonymous.send(
            DfnsAuth.createCredentialWithCode(
                body: try await phone.attestation(
                    try #require(byCode["challenge"]?.stringValue), name: "phone",
                    extra: ["challengeIdentifier": try #require(byCode["challengeIdentifier"])])))
        #expect(made["credentialId"] == .string(phone.credentialId))
        await expectStatus(401) { try await anonymous.send(DfnsAuth.createCredentialChallengeWithCode(credentialKind: "Key", code: code)) }
    }

    /// Completes a recovery session: `newKey` attests its challenge, `recoveryKey` signs the new credentials (key.get
    /// over base64url of their JSON, as dfns-sdk-ts examples/sdk/nextjs-delegated-recovery).
    private func recover(_ walk: AuthWalk, _ session: JSONValue, with recoveryKey: SoftwareKeyCredential, _ newKey: SoftwareKeyCredential)
        async throws
    {
        let newCredentials: JSONValue = ["firstFactorCredential": try await newKey.attestation(try #require(session["challenge"]?.stringValue))]
        let signed = Base64URL.encode(try JSONEncoder().encode(newCredentials))
        let temporary = walk.client(try #require(session["temporaryAuthenticationToken"]?.stringValue))
        let recovered = try await temporary.send(
            DfnsAuth.recover(
                recovery: ["kind": "RecoveryKey", "credentialAssertion": try #require(recoveryKey.assertion(signed)["credentialAssertion"])],
                newCredentials: newCredentials))
        #expect(recovered["credential"]?["kind"] == "Key")
    }

    /// End users registered with a wallet by the service account (its registration restarted, as the TypeScript SDK
    /// does), logged in and recovered by it.
    func endUsers(_ walk: AuthWalk, _ admin: DfnsClient, _ serviceAccount: (userId: String, client: DfnsClient)) async throws {
        let robot = serviceAccount.client
        await expectStatus(403) { try await admin.send(DfnsAuth.createDelegatedRegistrationChallenge(email: "x@example.com", kind: "EndUser")) }
        // A user made for a delegated registration, then registered by the service account; the TypeScript SDK's
        // restart gives a new challenge while they have not registered.
        let email = "cov-end@example.com"
        _ = try await admin.send(DfnsAuth.createUser(email: email, kind: "EndUser", externalId: "cov-end", registration: "Delegated"))
        _ = try await robot.send(DfnsAuth.createDelegatedRegistrationChallenge(email: email, kind: "EndUser"))
        await expectStatus(400) { try await robot.send(DfnsAuth.createDelegatedRegistrationChallenge(email: email, kind: "CustomerEmployee")) }
        let session = try await robot.send(DfnsAuth.recreateDelegatedRegistrationChallenge(email: email, kind: "EndUser"))
        let challenge = try #require(session["challenge"]?.stringValue)
        let key = try SoftwareKeyCredential()
        let recoveryKey = try SoftwareKeyCredential(kind: "RecoveryKey")
        let registered = try await walk.client(try #require(session["temporaryAuthenticationToken"]?.stringValue)).send(
            DfnsAuth.registerEndUser(
                firstFactorCredential: try await key.attestation(challenge), wallets: [["network": "EthereumSepolia", "name": "end"]],
                recoveryCredential: try await recoveryKey.attestation(challenge)))
        #expect(
            registered["wallets"]?.arrayValue?.first?["network"] == "EthereumSepolia" && registered["authentication"]?["token"]?.stringValue != nil)
        await expectStatus(401) { try await robot.send(DfnsAuth.createDelegatedRegistrationChallenge(email: email, kind: "EndUser")) }
        let delegated = try #require(try await robot.send(DfnsAuth.delegatedLogin(username: email))["token"]?.stringValue)
        #expect(try await walk.client(delegated).send(DfnsAuth.listCredentials()).items.first?["credentialId"] == .string(key.credentialId))
        let recovery = try await robot.send(DfnsAuth.createDelegatedRecoveryChallenge(username: email, credentialId: recoveryKey.credentialId))
        #expect(recovery["allowedRecoveryCredentials"]?.arrayValue?.first?["id"] == .string(recoveryKey.credentialId))
        try await recover(walk, recovery, with: recoveryKey, try SoftwareKeyCredential())
    }

    /// Social registration and login, SSO and OIDC, against the simulator's identity provider.
    func federatedLogins(_ walk: AuthWalk, _ admin: DfnsClient) async throws {
        let socialEmail = "cov-social@example.com"
        let idToken = try #require(try await walk.sim.control(post: "idp/id-token", ["email": socialEmail])["idToken"] as? String)
        let social = try await admin.send(DfnsAuth.createSocialRegistrationChallenge(socialLoginProviderKind: "Oidc", idToken: idToken))
        _ = try await walk.client(try #require(social["temporaryAuthenticationToken"]?.stringValue)).send(
            DfnsAuth.register(firstFactorCredential: try await SoftwareKeyCredential().attestation(try #require(social["challenge"]?.stringValue))))
        #expect(try await admin.send(DfnsAuth.socialLogin(socialLoginProviderKind: "Oidc", idToken: idToken))["token"]?.stringValue != nil)
        await expectStatus(401) {
            try await admin.send(DfnsAuth.socialLogin(socialLoginProviderKind: "Oidc", idToken: String(idToken.dropLast(4)) + "AAAA"))
        }

        let ssoEmail = "cov-sso@example.com"
        _ = try await admin.send(DfnsAuth.createUser(email: ssoEmail, kind: "CustomerEmployee", isSSORequired: true))
        let sso = try await walk.signIn(
            try await admin.send(DfnsAuth.ssoLoginInit(clientId: "cov-client", redirectUri: "https://app.example.com/sso"))["ssoRedirectUrl"],
            as: ssoEmail)
        #expect(try await admin.send(DfnsAuth.ssoLogin(code: sso.code, state: sso.state))["token"]?.stringValue != nil)
        await expectStatus(401) { try await admin.send(DfnsAuth.ssoLogin(code: sso.code, state: sso.state)) }
        await expectStatus(401) { try await admin.send(DfnsAuth.createLoginChallenge(username: ssoEmail)) }

        let oidcEmail = "cov-oidc@example.com"
        _ = try await admin.send(DfnsAuth.createUser(email: oidcEmail, kind: "CustomerEmployee"))
        let oidc = try await walk.signIn(
            try await admin.send(DfnsAuth.oidcLoginInit(redirectUri: "https://app.example.com/oidc", nonce: "n-1"))["redirectUrl"], as: oidcEmail)
        let answer = try await admin.send(DfnsAuth.oidcLogin(code: oidc.code, state: oidc.state))
        let credentialChallenge = try #require(answer["credentialChallenge"])
        let first = try SoftwareKeyCredential()
        let created = try await admin.send(
            DfnsAuth.oidcLoginCredentials(
                body: try await first.attestation(
                    try #require(credentialChallenge["challenge"]?.stringValue),
                    extra: ["challengeIdentifier": try #require(credentialChallenge["challengeIdentifier"])])))
        #expect(created["credentialId"] == .string(first.credentialId))
    }

    /// A tenant user invited into the organisation registers, logs in and exchanges the login for one of the tenant.
    func tenantExchange(_ walk: AuthWalk, _ admin: DfnsClient) async throws {
        let email = "cov-tenant@example.com"
        _ = try await admin.send(DfnsTenant.createTenantUser(email: email))
        #expect(try await admin.send(DfnsAuth.inviteTenantUser(email: email, kind: "TenantUser")) == [:])
        let session = try await admin.send(
            DfnsAuth.createRegistrationChallenge(username: email, registrationCode: try await walk.code(email, "Registration")))
        let key = try SoftwareKeyCredential()
        _ = try await walk.client(try #require(session["temporaryAuthenticationToken"]?.stringValue)).send(
            DfnsAuth.register(firstFactorCredential: try await key.attestation(try #require(session["challenge"]?.stringValue))))
        let tenantId = "tn-" + walk.sim.simulator.organizationId.dropFirst(3)
        let exchanged = try await walk.client(try await walk.login(email, key)).send(DfnsAuth.exchangeAccessToken(target: tenantId))
        #expect(exchanged["token"]?.stringValue != nil)
        await expectStatus(403) { try await admin.send(DfnsAuth.exchangeAccessToken(target: tenantId)) }
    }
}
