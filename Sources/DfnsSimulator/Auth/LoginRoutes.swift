import Foundation
import Hummingbird

/// Logging in and out, as Dfns does it (dfns-auth.md §1.1, §4; dfns-sdk 1.0.4 `generated/auth/client.py`; dfns-api-docs
/// `api-docs/authentication/login/*`, `delegated-auth/delegatedlogin.md`):
/// - `POST /auth/login/init {username?, orgId?, loginCode?}`: a challenge listing the user's active credentials
///   (a PasswordProtectedKey only with a valid login code, which `POST /auth/login/code` emails; a wrong one is
///   Dfns's 403 "Invalid code"), or without a username a challenge any discoverable passkey of the organisation
///   answers; who may log in is ``requireLogin(_:via:)``'s rule (dfns-api-docs `errors.md`: 401 "User not found",
///   400 for a deactivated user);
/// - `POST /auth/login {challengeIdentifier, firstFactor, secondFactor?}`: the challenge signed as a user action is
///   (``UserActionVerifier``; a password first factor and an authenticator-app second factor too), answered
///   `{token}`, a login that lasts ``SimulatorConfiguration/loginLifetime``. A challenge is spent by its first
///   attempt, right or wrong (the simulator's lockout, inferred: Dfns documents none);
/// - `POST /auth/login/delegated {username}` (signed; service accounts only): a login of that user, for a backend
///   acting for its end users (writes still need the user's own signature);
/// - `PUT /auth/logout {allSessions?}`: ends the caller's login (or all of them); only a login logs out (400);
/// - `POST /auth/tokens {target}`: a tenant user's login exchanged for one bound to the organisation or the tenant
///   (its id), lasting no longer than the login it replaces; other users are refused (403).
extension DfnsSimulator {
    func addLoginRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/auth/login/code") { _, context in
            self.emailCode(.login, to: try self.publicUser(try Self.object(context.requestBody)), lifetime: .seconds(600))
        }
        api.post("/auth/login/init") { [authFlows, verifier] _, context in
            let object = try Self.object(context.requestBody)
            // Without a username the user is found at completion by the discoverable passkey they sign with.
            let user = object["username"] == nil ? nil : try self.publicUser(object)
            if let user { try self.requireLogin(user, via: .credentials) }
            var withKeys = false
            if let code = try Self.optionalString(object, "loginCode"), let user {
                guard authFlows.consumeCode(.login, orgId: user.orgId, subject: user.username, code: code) else {
                    throw APIError(403, "Invalid code")
                }
                withKeys = true
            }
            let orgId = try Self.optionalString(object, "orgId") ?? self.principalStore.orgId
            guard orgId == self.principalStore.orgId else { throw Self.userNotFound }
            let issued = authFlows.issueChallenge(
                userId: user?.userId ?? "", orgId: orgId, purpose: .login, lifetime: self.configuration.userActionLifetime)
            let terms = user.map { verifier.terms(for: .user($0.userId)) } ?? (credentials: [], requiresSecondFactor: false)
            return APIResponse(
                json: UserActionChallengeResponse(
                    challenge: issued.challenge.challenge, challengeIdentifier: issued.identifier,
                    credentials: terms.credentials.filter { withKeys || $0.kind != .passwordProtectedKey },
                    requiresSecondFactor: terms.requiresSecondFactor, relyingPartyId: verifier.relyingPartyId))
        }
        api.post("/auth/login") { [authFlows, verifier, accountStore, credentialStore, userActionStore] _, context in
            let input = try Self.decode(UserActionSignatureRequest.self, context.requestBody)
            // A login challenge is signed once, rightly or not: a wrong password or code costs the attempt.
            guard let challenge = authFlows.challenge(input.challengeIdentifier, consume: true), challenge.purpose == .login else {
                throw APIError.challengeInvalid
            }
            var userId = challenge.userId
            if userId.isEmpty {
                // A discoverable passkey names its user (dfns-sdk 1.0.4 `create_login_challenge`: no username needed).
                guard input.firstFactor?.kind == CredentialStore.Kind.fido2.rawValue,
                    let credentialId = input.firstFactor?.credentialAssertion?.credId,
                    let credential = credentialStore.credential(id: credentialId), credential.tokenId == nil
                else { throw Self.userNotFound }
                userId = credential.userId
            }
            let user = try accountStore.user(userId, orgId: challenge.orgId)
            try self.requireLogin(user, via: .credentials)
            do {
                try verifier.verify(input, expected: challenge.challenge, signer: .user(userId))
            } catch let error as APIError where error.statusCode == 401 {
                userActionStore.recordSignatureFailure()
                throw error
            }
            let login = accountStore.startSession(userId: userId, orgId: challenge.orgId, kind: "Login", lifetime: self.configuration.loginLifetime)
            return APIResponse(json: ["token": login.token])
        }
        api.post("/auth/login/delegated") { [accountStore] _, context in
            let user = try self.delegatedUser(context, "username", "log users in on their behalf", operation: "Auth:Login:Delegated")
            try self.requireLogin(user, via: .delegated)
            let login = accountStore.startSession(
                userId: user.userId, orgId: user.orgId, kind: "Delegated", lifetime: self.configuration.loginLifetime)
            return APIResponse(json: ["token": login.token])
        }
        api.put("/auth/logout") { [accountStore] _, context in
            let principal = try context.caller()
            let allSessions = try Self.optionalBoolean(try Self.bodyObject(context.requestBody), "allSessions") ?? false
            guard accountStore.endSession(bearer: principal.bearer, allSessions: allSessions) else {
                throw APIError.badRequest("only a login token logs out (this is an access token or a service account's)")
            }
            return APIResponse(json: ["message": allSessions ? "every session of the user ended" : "logged out"])
        }
        api.post("/auth/tokens") { [accountStore] _, context in
            let principal = try context.caller()
            guard let target = try Self.object(context.requestBody)["target"] as? String else {
                throw APIError.badRequest("target (an organisation or tenant id) is required and must be a string")
            }
            let user = try accountStore.user(principal.userId, orgId: principal.orgId)
            guard user.kind == "TenantUser", let expires = accountStore.sessionExpiry(bearer: principal.bearer) else {
                throw APIError(403, "only a tenant user's login can be exchanged")
            }
            guard target == principal.orgId || target == Self.tenantId(principal) else {
                throw APIError(403, "\(target) is neither this organisation nor its tenant")
            }
            let lifetime = min(self.configuration.loginLifetime, .seconds(max(1, expires.timeIntervalSinceNow)))
            return APIResponse(json: [
                "token": accountStore.startSession(userId: user.userId, orgId: user.orgId, kind: "Login", lifetime: lifetime).token
            ])
        }
    }

    /// A body that may be empty (the official SDKs send none for `{}`): its object, or an empty one.
    static func bodyObject(_ body: [UInt8]) throws(APIError) -> [String: Any] {
        body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) ? [:] : try object(body)
    }
}
