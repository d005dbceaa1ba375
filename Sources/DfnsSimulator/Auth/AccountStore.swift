import Foundation
import Synchronization

/// The organisation's long-lived access tokens beyond the configured ones, as Dfns has them (dfns-api-docs
/// `api-docs/authentication/{personal-access-token,service-account}-management`, dfns-sdk-go `types.PersonalAccessToken`):
/// personal access tokens, which act as the user who made them, and service accounts, users of their own with one
/// token each. A token's bearer authenticates until it is deactivated, archived or expired, and its user actions are
/// signed by the key whose public key it was created with (credential id `credId`); Dfns keeps no bearer, so it is
/// answered once, at creation.
final class AccountStore: Sendable {
    struct AccessToken: Sendable {
        let tokenId: String
        let bearer: String
        /// `Pat` or `ServiceAccount`.
        let kind: String
        /// The user the token acts as: the PAT's owner, or the service account's own user.
        let userId: String
        let orgId: String
        let credentialId: String
        let publicKey: String
        let dateCreated: Date
        let expires: Date
        let linkedAppId: String
        var name: String
        var externalId: String?
        /// `{permissionId, permissionName, assignmentId}` of the permission it was created with.
        var permissionAssignments: [[String: String]] = []
        var isActive = true
        var isArchived = false

        /// The token as Dfns answers it; `accessToken` only when it was just made.
        func json(withBearer: Bool = false) -> [String: Any] {
            var json: [String: Any] = [
                "tokenId": tokenId, "kind": kind, "linkedUserId": userId, "linkedAppId": linkedAppId, "orgId": orgId, "credId": credentialId,
                "publicKey": publicKey, "name": name, "isActive": isActive && !isArchived, "dateCreated": SimulatedTransfer.format(dateCreated),
                "permissionAssignments": permissionAssignments,
            ]
            json["externalId"] = externalId
            if withBearer { json["accessToken"] = bearer }
            return json
        }
    }

    /// A user of the organisation (dfns-sdk-go `types.User`): the configured caller's own (seeded), the ones made
    /// through `/auth/users`, and tenant users invited in.
    struct User: Sendable {
        let userId: String
        let orgId: String
        let username: String
        /// `CustomerEmployee`, `EndUser` or `TenantUser`.
        let kind: String
        let credentialUuid: String
        let dateCreated: Date
        var externalId: String?
        var isSSORequired = false
        var isRegistered: Bool
        /// Made to be registered by a service account (`registration: Delegated`), not with an emailed code.
        var isDelegated = false
        var isActive = true
        var isArchived = false

        var json: [String: Any] {
            var json: [String: Any] = [
                "userId": userId, "username": username, "name": username, "kind": kind, "credentialUuid": credentialUuid, "orgId": orgId,
                "isActive": isActive && !isArchived, "isServiceAccount": false, "isRegistered": isRegistered, "isSSORequired": isSSORequired,
                "permissionAssignments": [[String: Any]](),
            ]
            json["externalId"] = externalId
            return json
        }
    }

    /// A service account's user.
    struct ServiceAccount: Sendable {
        let userId: String
        let orgId: String
        let tokenId: String
        let dateCreated: Date
        var name: String
        var externalId: String?
        var isActive = true
        var isArchived = false
    }

    /// Entities by id in creation order.
    private struct Table<Entity: Sendable>: Sendable {
        var byId: [String: Entity] = [:]
        var order: [String] = []

        mutating func insert(_ entity: Entity, id: String) {
            if byId.updateValue(entity, forKey: id) == nil { order.append(id) }
        }

        func all(where include: (Entity) -> Bool) -> [Entity] { order.compactMap { byId[$0] }.filter(include) }
    }

    /// A user's login: the bearer `/auth/login`, delegated login, social, SSO and OIDC logins and end-user
    /// registration hand out, valid until it expires or the user logs out.
    private struct Session {
        let principal: Principal
        let expires: Date
    }

    private struct State {
        var generator: SplitMix64
        var tokens = Table<AccessToken>()
        var bearers: [String: String] = [:]
        var sessions: [String: Session] = [:]
        var serviceAccounts = Table<ServiceAccount>()
        var users = Table<User>()
    }

    private let state: Mutex<State>

    init(seed: UInt64) {
        state = Mutex(State(generator: SplitMix64(seed: seed ^ 0xACC0_0A7)))
    }

    /// The principal of a bearer this store issued, while its token or login and its user are active and unexpired.
    func principal(bearer: String) -> Principal? {
        state.withLock { state in
            if let session = state.sessions[bearer] {
                guard session.expires > Date(), let user = state.users.byId[session.principal.userId], user.isActive, !user.isArchived else {
                    return nil
                }
                return session.principal
            }
            guard let tokenId = state.bearers[bearer], let token = state.tokens.byId[tokenId], token.isActive, !token.isArchived,
                token.expires > Date()
            else { return nil }
            if token.kind == "ServiceAccount" {
                guard let account = state.serviceAccounts.byId[token.userId], account.isActive, !account.isArchived else { return nil }
            } else if let owner = state.users.byId[token.userId], !owner.isActive || owner.isArchived {
                return nil  // a personal access token acts as its user, and no longer once the user is deactivated
            }
            return Principal(orgId: token.orgId, userId: token.userId, tokenId: token.tokenId, bearer: bearer)
        }
    }

    /// True when `principal` authenticated with a personal access token or a service account's token, which sign
    /// with a key alone and cannot make tokens.
    func isToken(_ principal: Principal) -> Bool { state.withLock { $0.tokens.byId[principal.tokenId] != nil } }

    /// Who signs the user actions of `principal`: its personal access token, its service account, or its user.
    func signer(of principal: Principal) -> UserActionVerifier.Signer {
        switch state.withLock({ $0.tokens.byId[principal.tokenId]?.kind }) {
        case "Pat": .personalAccessToken(principal.tokenId)
        case "ServiceAccount": .serviceAccount(principal.userId)
        default: .user(principal.userId)
        }
    }

    /// Logs user `userId` in for `lifetime`: a fresh JWT-shaped bearer of token kind `kind`.
    func startSession(userId: String, orgId: String, kind: String, lifetime: Duration) -> (token: String, expires: Date) {
        state.withLock { state in
            let tokenId = state.generator.dfnsId("to-")
            let bearer = Self.bearer(tokenId: tokenId, userId: userId, orgId: orgId, kind: kind, using: &state.generator)
            let expires = Date().addingTimeInterval(lifetime.secondsValue)
            let principal = Principal(
                orgId: orgId, userId: userId, tokenId: tokenId, bearer: bearer, isEndUser: state.users.byId[userId]?.kind == "EndUser")
            state.sessions[bearer] = Session(principal: principal, expires: expires)
            // Expired logins are dropped once they pile up, not on every login.
            if state.sessions.count > 10_000 { state.sessions = state.sessions.filter { $0.value.expires > Date() } }
            return (bearer, expires)
        }
    }

    /// When the login of `bearer` expires; nil when it is no login.
    func sessionExpiry(bearer: String) -> Date? { state.withLock { $0.sessions[bearer]?.expires } }

    /// Ends the login of `bearer`, or every login of its user; false when `bearer` is no login.
    func endSession(bearer: String, allSessions: Bool) -> Bool {
        state.withLock { state in
            guard let session = state.sessions.removeValue(forKey: bearer) else { return false }
            if allSessions { state.sessions = state.sessions.filter { $0.value.principal.userId != session.principal.userId } }
            return true
        }
    }

    /// Ends every login of user `userId` and archives their personal access tokens, for good (a recovery: "all of the
    /// user's previous credentials and personal access tokens will be invalidated", dfns-sdk 1.0.4 `recover`).
    func revokeAccess(ofUser userId: String) {
        state.withLock { state in
            state.sessions = state.sessions.filter { $0.value.principal.userId != userId }
            for token in state.tokens.all(where: { $0.userId == userId && $0.kind == "Pat" }) { state.tokens.byId[token.tokenId]?.isArchived = true }
        }
    }

    /// The user named `username` in the organisation (not archived); nil when there is none.
    func user(named username: String, orgId: String) -> User? {
        state.withLock { $0.users.all { $0.orgId == orgId && $0.username == username && !$0.isArchived }.first }
    }

    /// Issues a token of `kind` for `userId`: a fresh id, bearer and credential id. The caller checked `publicKey`.
    func issue(
        kind: String, userId: String, orgId: String, name: String, publicKey: String, seconds: Int, externalId: String?
    ) -> AccessToken {
        state.withLock { state in
            let tokenId = state.generator.dfnsId("to-")
            let now = Date()
            let token = AccessToken(
                tokenId: tokenId, bearer: Self.bearer(tokenId: tokenId, userId: userId, orgId: orgId, kind: kind, using: &state.generator),
                kind: kind, userId: userId, orgId: orgId, credentialId: state.generator.dfnsId("cr-"), publicKey: publicKey,
                dateCreated: now, expires: now.addingTimeInterval(TimeInterval(seconds)), linkedAppId: state.generator.dfnsId("ap-"), name: name,
                externalId: externalId)
            state.tokens.insert(token, id: tokenId)
            state.bearers[token.bearer] = tokenId
            return token
        }
    }

    /// A fresh id with Dfns's shape for a new entity of this store (`us-`, `cr-`…).
    func newId(_ prefix: String) -> String { state.withLock { $0.generator.dfnsId(prefix) } }

    /// Adds a user; a username already taken in the organisation (by a user not archived) is a 409.
    func add(_ user: User) throws(APIError) {
        try state.withLock { (state) throws(APIError) in
            let taken = !state.users.all { $0.orgId == user.orgId && $0.username == user.username && !$0.isArchived }.isEmpty
            guard !taken else { throw APIError(409, "a user named \(user.username) already exists") }
            state.users.insert(user, id: user.userId)
        }
    }

    /// Records a service account whose token was issued.
    func add(_ account: ServiceAccount) {
        state.withLock { $0.serviceAccounts.insert(account, id: account.userId) }
    }

    /// The user `userId` of the organisation; 404 otherwise.
    func user(_ userId: String, orgId: String) throws(APIError) -> User {
        try find(\.users, userId, { $0.orgId == orgId }, APIError(404, "user not found", details: ["userId": userId]))
    }

    /// The users of the organisation, oldest first.
    func users(orgId: String) -> [User] { state.withLock { $0.users.all { $0.orgId == orgId } } }

    /// Changes user `userId`; `change` may refuse with an ``APIError``.
    func updateUser(_ userId: String, orgId: String, _ change: (inout User) throws(APIError) -> Void) throws(APIError) -> User {
        try update(\.users, userId, { $0.orgId == orgId }, APIError(404, "user not found", details: ["userId": userId]), change)
    }

    /// The token `tokenId` of `kind` in the organisation; 404 otherwise.
    func token(_ tokenId: String, kind: String, orgId: String) throws(APIError) -> AccessToken {
        try find(\.tokens, tokenId, { $0.kind == kind && $0.orgId == orgId }, Self.tokenMissing(tokenId, kind))
    }

    /// The tokens of `kind` in the organisation, oldest first.
    func tokens(kind: String, orgId: String) -> [AccessToken] { state.withLock { $0.tokens.all { $0.kind == kind && $0.orgId == orgId } } }

    /// Changes token `tokenId`; `change` may refuse with an ``APIError``.
    func updateToken(_ tokenId: String, kind: String, orgId: String, _ change: (inout AccessToken) throws(APIError) -> Void) throws(APIError)
        -> AccessToken
    {
        try update(\.tokens, tokenId, { $0.kind == kind && $0.orgId == orgId }, Self.tokenMissing(tokenId, kind), change)
    }

    /// The service account `userId` in the organisation; 404 otherwise.
    func serviceAccount(_ userId: String, orgId: String) throws(APIError) -> ServiceAccount {
        try find(\.serviceAccounts, userId, { $0.orgId == orgId }, Self.serviceAccountMissing(userId))
    }

    /// The service accounts of the organisation, oldest first.
    func serviceAccounts(orgId: String) -> [ServiceAccount] { state.withLock { $0.serviceAccounts.all { $0.orgId == orgId } } }

    /// Changes service account `userId`; `change` may refuse with an ``APIError``.
    func updateServiceAccount(_ userId: String, orgId: String, _ change: (inout ServiceAccount) throws(APIError) -> Void) throws(APIError)
        -> ServiceAccount
    {
        try update(\.serviceAccounts, userId, { $0.orgId == orgId }, Self.serviceAccountMissing(userId), change)
    }

    private static func tokenMissing(_ tokenId: String, _ kind: String) -> APIError {
        APIError(404, "\(kind == "Pat" ? "personal access token" : "token") not found", details: ["tokenId": tokenId])
    }

    private static func serviceAccountMissing(_ userId: String) -> APIError {
        APIError(404, "service account not found", details: ["serviceAccountId": userId])
    }

    /// Entity `id` of `table` when it `belongs` (to the caller's organisation…); `missing` otherwise.
    private func find<Entity>(_ table: KeyPath<State, Table<Entity>>, _ id: String, _ belongs: (Entity) -> Bool, _ missing: APIError)
        throws(APIError) -> Entity
    {
        guard let entity = state.withLock({ $0[keyPath: table].byId[id] }), belongs(entity) else { throw missing }
        return entity
    }

    /// Changes entity `id` of `table` under the lock, so two changes never race; `missing` when it does not belong.
    private func update<Entity>(
        _ table: WritableKeyPath<State, Table<Entity>>, _ id: String, _ belongs: (Entity) -> Bool, _ missing: APIError,
        _ change: (inout Entity) throws(APIError) -> Void
    ) throws(APIError) -> Entity {
        try state.withLock { (state) throws(APIError) -> Entity in
            guard var entity = state[keyPath: table].byId[id], belongs(entity) else { throw missing }
            try change(&entity)
            state[keyPath: table].byId[id] = entity
            return entity
        }
    }

    /// A registration or recovery session's `temporaryAuthenticationToken`: JWT-shaped like a bearer, good for nothing
    /// but completing that session (``AuthFlowStore``).
    static func temporaryToken(userId: String, orgId: String, using generator: inout SplitMix64) -> String {
        bearer(tokenId: generator.dfnsId("to-"), userId: userId, orgId: orgId, kind: "Temp", using: &generator)
    }

    /// A JWT-shaped bearer with the claims the official TypeScript SDK reads (`https://custom/app_metadata`: orgId,
    /// userId, tokenKind; dfns-sdk-ts `utils/authToken.ts`), signed with nothing anyone can check: only this store
    /// knows its bearers.
    private static func bearer(tokenId: String, userId: String, orgId: String, kind: String, using generator: inout SplitMix64) -> String {
        let header = Base64Text.url(Array(#"{"alg":"EdDSA","typ":"JWT"}"#.utf8))
        let claims = SimulatorJSON.serialize(
            [
                "iss": "auth.dfns.io", "aud": "dfns:auth:user", "sub": orgId, "jti": tokenId,
                "https://custom/app_metadata": ["orgId": orgId, "userId": userId, "tokenKind": kind],
            ] as [String: Any], sorted: true)
        return header + "." + Base64Text.url(claims) + "." + generator.string(86, from: bearerAlphabet)
    }

    private static let bearerAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
