import Foundation
import Hummingbird

/// Logins through an identity provider, as Dfns offers them (dfns-sdk 1.0.4 `generated/auth/client.py` docstrings and
/// types; dfns-auth.md §1.1), against the simulator's own provider (``IdentityProvider``):
/// - social: `POST /auth/login/social {orgId?, socialLoginProviderKind: Oidc, idToken}` logs a registered user of
///   that email in (`{token}`); `POST /auth/registration/social` (same body) opens a registration session for the
///   end user of that email, made on first use (an email taken by a registered user is a 400);
/// - SSO: `POST /auth/login/sso/init {orgId?, clientId, redirectUri}` answers `{ssoRedirectUrl}`; `POST
///   /auth/login/sso {code, state}` logs the signed-in user in; users marked `isSSORequired` log in only this way;
/// - OIDC: `POST /auth/login/oidc/init {orgId?, redirectUri, nonce?}` answers `{redirectUrl}`; `POST
///   /auth/login/oidc {code, state}` answers `{token}`, with a `credentialChallenge` when the user has no active
///   first-factor credential yet, which `POST /auth/login/oidc/credentials` (no token; the body of
///   `/auth/credentials`) answers with the user's first credential.
/// Users are found by email (username) in the organisation: an unknown one is Dfns's 401 "User not found", and who may
/// log in is ``requireLogin(_:via:)``'s rule (a social identity is an end user's alone).
extension DfnsSimulator {
    func addFederatedLoginRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/auth/login/social") { [accountStore] _, context in
            let user = try self.socialUser(try Self.object(context.requestBody), registering: false)
            try self.requireLogin(user, via: .social)
            return APIResponse(json: self.login(user, accountStore))
        }
        api.post("/auth/registration/social") { _, context in
            let user = try self.socialUser(try Self.object(context.requestBody), registering: true)
            return APIResponse(json: self.openRegistration(for: user, purpose: .registration))
        }
        api.post("/auth/login/sso/init") { [identityProvider] _, context in
            let object = try Self.object(context.requestBody)
            guard let clientId = object["clientId"] as? String, !clientId.isEmpty else {
                throw APIError.badRequest("clientId is required and must be a string")
            }
            let (orgId, redirectUri) = try self.federationStart(object)
            let url = identityProvider.start(kind: "Sso", orgId: orgId, clientId: clientId, redirectUri: redirectUri, nonce: nil).url
            return APIResponse(json: ["ssoRedirectUrl": url])
        }
        api.post("/auth/login/sso") { [accountStore] _, context in
            let user = try self.federatedUser("Sso", try Self.object(context.requestBody))
            return APIResponse(json: self.login(user, accountStore))
        }
        api.post("/auth/login/oidc/init") { [identityProvider] _, context in
            let object = try Self.object(context.requestBody)
            let (orgId, redirectUri) = try self.federationStart(object)
            let nonce = try Self.optionalString(object, "nonce")
            return APIResponse(json: [
                "redirectUrl": identityProvider.start(kind: "Oidc", orgId: orgId, clientId: nil, redirectUri: redirectUri, nonce: nonce).url
            ])
        }
        api.post("/auth/login/oidc") { [accountStore, credentialStore] _, context in
            let user = try self.federatedUser("Oidc", try Self.object(context.requestBody))
            var answer = self.login(user, accountStore)
            if !credentialStore.credentials(ofUser: user.userId).contains(where: { $0.isActive && $0.kind != .recoveryKey && $0.kind != .totp }) {
                answer["credentialChallenge"] = self.credentialChallenge(for: user, purpose: .firstCredential)
            }
            return APIResponse(json: answer)
        }
        api.post("/auth/login/oidc/credentials") { _, context in
            APIResponse(json: try self.createCredential(context.requestBody, caller: nil, through: .oidc))
        }
    }

    /// `{token}`: a login of `user`.
    private func login(_ user: AccountStore.User, _ accounts: AccountStore) -> [String: Any] {
        ["token": accounts.startSession(userId: user.userId, orgId: user.orgId, kind: "Login", lifetime: configuration.loginLifetime).token]
    }

    /// The organisation (`orgId?`, this one) and `redirectUri` of an init body.
    private func federationStart(_ object: [String: Any]) throws(APIError) -> (String, String) {
        let orgId = try Self.optionalString(object, "orgId") ?? principalStore.orgId
        guard orgId == principalStore.orgId else { throw APIError(404, "organisation \(orgId) not found") }
        guard let redirectUri = object["redirectUri"] as? String, let url = URL(string: redirectUri), url.scheme != nil else {
            throw APIError.badRequest("redirectUri is required and must be an absolute URL")
        }
        return (orgId, redirectUri)
    }

    /// The active user an authorization-code completion (`{code, state}`) signed in.
    private func federatedUser(_ kind: String, _ object: [String: Any]) throws(APIError) -> AccountStore.User {
        guard let code = object["code"] as? String, let state = object["state"] as? String else {
            throw APIError.badRequest("code and state are required strings")
        }
        let (orgId, email) = try identityProvider.complete(kind: kind, code: code, state: state)
        guard let user = accountStore.user(named: email, orgId: orgId) else { throw Self.userNotFound }
        try requireLogin(user, via: .federated)
        return user
    }

    /// The user of a social body's ID token; `registering` makes the end user of a new email.
    private func socialUser(_ object: [String: Any], registering: Bool) throws(APIError) -> AccountStore.User {
        guard object["socialLoginProviderKind"] as? String == "Oidc" else { throw APIError.badRequest("socialLoginProviderKind must be Oidc") }
        guard let idToken = object["idToken"] as? String else { throw APIError.badRequest("idToken is required and must be a string") }
        let orgId = try Self.optionalString(object, "orgId") ?? principalStore.orgId
        guard orgId == principalStore.orgId else { throw APIError(404, "organisation \(orgId) not found") }
        let email = try identityProvider.email(fromIdToken: idToken, orgId: orgId)
        if let user = accountStore.user(named: email, orgId: orgId) {
            // A social identity is an end user's (dfns-api-docs socialLogin.md: `Auth:Users:EndUser`); an employee of
            // the same email registers with their code, and logs in with their credentials.
            guard user.kind == "EndUser" else { throw APIError(403, "only end users register or log in with a social identity") }
            guard user.isActive else { throw Self.userDeactivated }
            if registering, user.isRegistered { throw APIError(401, "User already exists.") }
            return user
        }
        guard registering else { throw Self.userNotFound }
        let user = AccountStore.User(
            userId: accountStore.newId("us-"), orgId: orgId, username: email, kind: "EndUser", credentialUuid: "", dateCreated: Date(),
            isRegistered: false)
        try accountStore.add(user)
        return user
    }
}
