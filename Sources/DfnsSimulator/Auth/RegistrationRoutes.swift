import Foundation
import Hummingbird

/// Registration, as Dfns runs it (dfns-auth.md §1.2; dfns-sdk 1.0.4 `generated/auth/client.py`; dfns-api-docs
/// `api-docs/authentication/registration/*`, `delegated-auth/delegatedregistration.md`):
/// - a user made through `/auth/users` (or invited) receives a registration code by email (the outbox,
///   `GET /_sim/messages`), valid 4 hours; `PUT /auth/registration/code` sends a new one (nothing for a user already
///   registered); a wrong, spent or expired code is a 400, as Dfns's "Registration code expired";
/// - `POST /auth/registration/init {username, registrationCode, orgId?}` opens a registration session: a challenge
///   and its `temporaryAuthenticationToken`;
/// - a service account opens one for an end user it creates, `POST /auth/registration/delegated {email, kind,
///   externalId?}` (signed; service accounts only, 403 otherwise; an email already taken is a 409, as the restart
///   endpoint of 2024 shows);
/// - `POST /auth/registration` with the temporary token as bearer registers `firstFactorCredential` (Fido2, Key,
///   PasswordProtectedKey, Password), `secondFactorCredential?` (Fido2, Key, PasswordProtectedKey, Totp) and
///   `recoveryCredential?` (RecoveryKey), all attesting the session's challenge, every one checked before any is kept;
///   `/auth/registration/enduser` does the same for an end user and also creates `wallets [{network, name?}]`
///   delegated to them and logs them in (`authentication.token`).
/// A temporary token completes one registration; a code is spent when it opens a session.
extension DfnsSimulator {
    /// How long a registration code lasts (dfns-api-docs: 4 hours).
    static let registrationCodeLifetime = Duration.seconds(4 * 3600)

    func addRegistrationRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.put("/auth/registration/code") { _, context in
            let user = try self.publicUser(try Self.object(context.requestBody))
            // dfns-sdk 1.0.4 `resend_registration_code`: for a user already registered "no action will be taken".
            guard !user.isRegistered else { return APIResponse(json: ["message": "user \(user.username) is already registered"]) }
            return self.emailCode(.registration, to: user, lifetime: Self.registrationCodeLifetime)
        }
        api.post("/auth/registration/init") { [authFlows] _, context in
            let object = try Self.object(context.requestBody)
            let user = try self.publicUser(object)
            guard let code = object["registrationCode"] as? String else {
                throw APIError.badRequest("registrationCode is required and must be a string")
            }
            guard !user.isRegistered else { throw APIError(401, "User already exists.") }
            // dfns-api-docs errors.md: "Registration code expired" is a 400; a wrong or spent code is answered alike.
            guard authFlows.consumeCode(.registration, orgId: user.orgId, subject: user.username, code: code) else {
                throw APIError.badRequest("Registration code expired or not valid")
            }
            return APIResponse(json: self.openRegistration(for: user, purpose: .registration))
        }
        api.post("/auth/registration/delegated") { [accountStore] _, context in
            let principal = try context.caller()
            try self.requireServiceAccount(principal, "register users on their behalf", operation: "Auth:Register:Delegated")
            let object = try Self.object(context.requestBody)
            guard let email = object["email"] as? String, !email.isEmpty else { throw APIError.badRequest("email is required and must be a string") }
            guard let kind = object["kind"] as? String, Self.userKinds.contains(kind) else {
                throw APIError.badRequest("kind must be one of \(Self.userKinds.joined(separator: ", "))")
            }
            if let user = accountStore.user(named: email, orgId: principal.orgId) {
                try Self.requireDelegatedRegistration(user, kind: kind)
                return APIResponse(json: self.openRegistration(for: user, purpose: .registration))
            }
            // Made on the fly: the legacy way, still supported for end users alone (dfns-sdk 1.0.4 docstring).
            guard kind == "EndUser" else {
                throw APIError.badRequest("make the \(kind) \(email) first, with POST /auth/users {registration: Delegated}")
            }
            let user = AccountStore.User(
                userId: accountStore.newId("us-"), orgId: principal.orgId, username: email, kind: kind, credentialUuid: "", dateCreated: Date(),
                externalId: try Self.optionalString(object, "externalId"), isRegistered: false, isDelegated: true)
            try accountStore.add(user)
            return APIResponse(json: self.openRegistration(for: user, purpose: .registration))
        }
        api.post("/auth/registration/delegated/restart") { _, context in
            let user = try self.delegatedUser(context, "email", "register users on their behalf", operation: "Auth:Register:Delegated")
            try Self.requireDelegatedRegistration(user, kind: try Self.object(context.requestBody)["kind"] as? String ?? user.kind)
            return APIResponse(json: self.openRegistration(for: user, purpose: .registration))
        }
        api.post("/auth/registration") { request, context in
            let (token, session, user) = try self.registrationSession(request)
            let object = try Self.object(context.requestBody)
            let registered = try self.register(object, session: session, user: user)
            self.authFlows.closeSession(token: token)
            return APIResponse(json: registered)
        }
        api.post("/auth/registration/enduser") { [walletStore, accountStore] request, context in
            let (token, session, user) = try self.registrationSession(request)
            guard user.kind == "EndUser" else { throw APIError.badRequest("only an EndUser registers with wallets; use /auth/registration") }
            let object = try Self.object(context.requestBody)
            guard let wallets = object["wallets"] as? [[String: Any]] else {
                throw APIError.badRequest("wallets is required and must be an array of {network, name?}")
            }
            // Every wallet is checked before the user registers, so a bad one leaves nothing half done.
            for (index, wallet) in wallets.enumerated() where NetworkCatalog.network(named: wallet["network"] as? String ?? "") == nil {
                throw APIError.badRequest("wallets[\(index)].network is required and must be a network Dfns supports")
            }
            var registered = try self.register(object, session: session, user: user)
            self.authFlows.closeSession(token: token)
            let login = accountStore.startSession(userId: user.userId, orgId: user.orgId, kind: "EndUser", lifetime: self.configuration.loginLifetime)
            guard let owner = accountStore.principal(bearer: login.token) else { throw Self.userNotFound }
            registered["authentication"] = ["token": login.token]
            // Made as the end user, the wallets are delegated to them.
            registered["wallets"] = try wallets.map { (spec) throws(APIError) -> [String: Any] in
                let wallet = try walletStore.createWallet(
                    principal: owner, network: spec["network"] as? String ?? "", name: spec["name"] as? String, externalId: nil, tags: [])
                return SimulatorJSON.parse(APIResponse(json: wallet).bytes) as? [String: Any] ?? [:]
            }
            return APIResponse(json: registered)
        }
    }

    /// Refuses a delegated registration of `user` as `kind` unless they were made for one and have not registered.
    static func requireDelegatedRegistration(_ user: AccountStore.User, kind: String) throws(APIError) {
        guard !user.isRegistered else { throw APIError(401, "User already exists.") }
        guard user.isActive else { throw userDeactivated }
        guard user.isDelegated else {
            throw APIError.badRequest("user \(user.username) registers with the code Dfns emailed them (made with registration: Direct)")
        }
        guard user.kind == kind else { throw APIError.badRequest("user \(user.username) is a \(user.kind), not a \(kind)") }
    }

    /// Opens a registration or recovery session for `user` and answers its challenge.
    func openRegistration(
        for user: AccountStore.User, purpose: AuthFlowStore.Purpose, recoveryCredentials: [CredentialStore.Credential]? = nil
    ) -> [String: Any] {
        let (token, session) = authFlows.openSession(userId: user.userId, orgId: user.orgId, purpose: purpose, lifetime: configuration.loginLifetime)
        return RegistrationChallenge.registration(
            token: token, session: session, user: user, relyingPartyId: configuration.relyingPartyId,
            existing: credentialStore.credentials(ofUser: user.userId), recoveryCredentials: recoveryCredentials)
    }

    /// The open registration session (or, with `recovery`, recovery session) of the request's bearer, its temporary
    /// token; 401 otherwise.
    func registrationSession(_ request: Request, recovery: Bool = false) throws(APIError) -> (String, AuthFlowStore.Session, AccountStore.User) {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer "),
            let session = authFlows.session(token: String(value.dropFirst(7))),
            (session.purpose == .registration) != recovery
        else {
            throw APIError(
                401, "a valid temporaryAuthenticationToken of a \(recovery ? "recovery" : "registration") session is required as the bearer token")
        }
        // A session outlives nothing its user lost: an archived user is gone, a deactivated one refused.
        guard let user = try? accountStore.user(session.userId, orgId: session.orgId), !user.isArchived else { throw Self.userNotFound }
        guard user.isActive else { throw Self.userDeactivated }
        return (String(value.dropFirst(7)), session, user)
    }

    /// Checks and keeps the credentials of a registration body (`firstFactorCredential`, `secondFactorCredential?`,
    /// `recoveryCredential?`) and marks the user registered; answers `{credential, user}`.
    func register(_ object: [String: Any], session: AuthFlowStore.Session, user: AccountStore.User) throws(APIError) -> [String: Any] {
        guard !user.isRegistered else { throw APIError.badRequest("user \(user.username) is already registered") }
        let first = try keepCredentials(object, challenge: session.challenge, totpSecret: session.totpSecret, user: user)[0]
        let registered = try accountStore.updateUser(user.userId, orgId: user.orgId) { $0.isRegistered = true }
        return Self.registrationAnswer(first, registered)
    }

    /// Reads every credential of a registration or recovery body, checks them all, then keeps them; returns them,
    /// the first factor's first.
    func keepCredentials(_ object: [String: Any], challenge: String, totpSecret: [UInt8], user: AccountStore.User) throws(APIError)
        -> [CredentialStore.Credential]
    {
        let slots: [(String, [CredentialStore.Kind])] = [
            ("firstFactorCredential", [.fido2, .key, .passwordProtectedKey, .password]),
            ("secondFactorCredential", [.fido2, .key, .passwordProtectedKey, .totp]), ("recoveryCredential", [.recoveryKey]),
        ]
        var attestations: [CredentialAttestation] = []
        for (index, (member, kinds)) in slots.enumerated() where index == 0 || object[member] != nil {
            attestations.append(
                try CredentialAttestation.read(
                    object[member], as: member, challenge: challenge, allowed: kinds, relyingPartyId: configuration.relyingPartyId,
                    totpSecret: totpSecret, salt: credentialStore.randomBytes(16)))
        }
        let credentials = attestations.map { $0.credential(uuid: credentialStore.newUuid(), userId: user.userId, orgId: user.orgId) }
        guard Set(credentials.map(\.credentialId)).count == credentials.count else {
            throw APIError.badRequest("each credential of a registration needs its own credId")
        }
        for credential in credentials where credentialStore.credential(id: credential.credentialId) != nil {
            throw APIError(409, "credential \(credential.credentialId) is already registered")
        }
        for credential in credentials { try credentialStore.add(credential) }
        return credentials
    }

    /// `{credential: {uuid, kind, name}, user: {id, username, orgId}}` (dfns-api-docs completeUserRegistration.md).
    static func registrationAnswer(_ credential: CredentialStore.Credential, _ user: AccountStore.User) -> [String: Any] {
        [
            "credential": ["uuid": credential.credentialUuid, "kind": credential.kind.rawValue, "name": credential.name],
            "user": ["id": user.userId, "username": user.username, "orgId": user.orgId],
        ]
    }
}
