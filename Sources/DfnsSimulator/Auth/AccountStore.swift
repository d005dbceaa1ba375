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
        let verifier: PublicKeyVerifier
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

    private struct State {
        var generator: SplitMix64
        var tokens: [String: AccessToken] = [:]
        var tokenOrder: [String] = []
        var bearers: [String: String] = [:]
        var serviceAccounts: [String: ServiceAccount] = [:]
        var serviceAccountOrder: [String] = []
        var users: [String: User] = [:]
        var userOrder: [String] = []
    }

    private let state: Mutex<State>

    init(seed: UInt64) {
        state = Mutex(State(generator: SplitMix64(seed: seed ^ 0xACC0_0A7)))
    }

    /// The principal of a bearer this store issued, while its token and its user are active and unexpired.
    func principal(bearer: String) -> Principal? {
        state.withLock { state in
            guard let tokenId = state.bearers[bearer], let token = state.tokens[tokenId], token.isActive, !token.isArchived, token.expires > Date()
            else { return nil }
            if token.kind == "ServiceAccount" {
                guard let account = state.serviceAccounts[token.userId], account.isActive, !account.isArchived else { return nil }
            } else if let owner = state.users[token.userId], !owner.isActive || owner.isArchived {
                return nil  // a personal access token acts as its user, and no longer once the user is deactivated
            }
            return Principal(orgId: token.orgId, userId: token.userId, tokenId: token.tokenId, bearer: bearer)
        }
    }

    /// The key credential `credentialId` of the token `principal` authenticated with, if it is one of this store's.
    func keyCredential(_ credentialId: String, of principal: Principal) -> PublicKeyVerifier? {
        state.withLock { state in
            guard let token = state.tokens[principal.tokenId], token.credentialId == credentialId else { return nil }
            return token.verifier
        }
    }

    /// The credential ids a user action of `principal` may be signed with, when it authenticated with one of this
    /// store's tokens; nil for the configured principals.
    func credentialIds(of principal: Principal) -> [String]? {
        state.withLock { state in state.tokens[principal.tokenId].map { [$0.credentialId] } }
    }

    /// Issues a token of `kind` for `userId`: a fresh id, bearer and credential id, `publicKey` checked.
    /// - Throws: 400 when `publicKey` is not a PEM public key Dfns takes.
    func issue(
        kind: String, userId: String, orgId: String, name: String, publicKey: String, seconds: Int, externalId: String?
    ) throws(APIError) -> AccessToken {
        let verifier: PublicKeyVerifier
        do {
            verifier = try PublicKeyVerifier(publicKeyPEM: publicKey)
        } catch {
            throw APIError.badRequest("publicKey must be a PEM public key (-----BEGIN PUBLIC KEY-----): \(error.message)")
        }
        return state.withLock { state in
            let tokenId = state.generator.dfnsId("to-")
            let now = Date()
            let token = AccessToken(
                tokenId: tokenId, bearer: Self.bearer(tokenId: tokenId, userId: userId, orgId: orgId, kind: kind, using: &state.generator),
                kind: kind, userId: userId, orgId: orgId, credentialId: state.generator.dfnsId("cr-"), publicKey: publicKey, verifier: verifier,
                dateCreated: now, expires: now.addingTimeInterval(TimeInterval(seconds)), linkedAppId: state.generator.dfnsId("ap-"), name: name,
                externalId: externalId)
            state.tokens[tokenId] = token
            state.tokenOrder.append(tokenId)
            state.bearers[token.bearer] = tokenId
            return token
        }
    }

    /// A fresh id with Dfns's shape for a new entity of this store (`us-`, `cr-`…).
    func newId(_ prefix: String) -> String { state.withLock { $0.generator.dfnsId(prefix) } }

    /// Adds a user; a username already taken in the organisation (by a user not archived) is a 409.
    func add(_ user: User) throws(APIError) {
        try state.withLock { (state) throws(APIError) in
            let taken = state.users.values.contains { $0.orgId == user.orgId && $0.username == user.username && !$0.isArchived }
            guard !taken else { throw APIError(409, "a user named \(user.username) already exists") }
            state.users[user.userId] = user
            state.userOrder.append(user.userId)
        }
    }

    /// The user `userId` of the organisation; 404 otherwise.
    func user(_ userId: String, orgId: String) throws(APIError) -> User {
        guard let user = state.withLock({ $0.users[userId] }), user.orgId == orgId else {
            throw APIError(404, "user not found", details: ["userId": userId])
        }
        return user
    }

    /// The users of the organisation, oldest first.
    func users(orgId: String) -> [User] {
        state.withLock { state in state.userOrder.compactMap { state.users[$0] }.filter { $0.orgId == orgId } }
    }

    /// Changes user `userId`; `change` may refuse with an ``APIError``.
    func updateUser(_ userId: String, orgId: String, _ change: (inout User) throws(APIError) -> Void) throws(APIError) -> User {
        var user = try self.user(userId, orgId: orgId)
        try change(&user)
        let updated = user
        state.withLock { $0.users[userId] = updated }
        return updated
    }

    /// A fresh service account user id.
    func newServiceAccountUserId() -> String { state.withLock { $0.generator.dfnsId("us-") } }

    /// Records a service account whose token was issued.
    func add(_ account: ServiceAccount) {
        state.withLock { state in
            state.serviceAccounts[account.userId] = account
            state.serviceAccountOrder.append(account.userId)
        }
    }

    /// The token `tokenId` of `kind` in the organisation; 404 otherwise.
    func token(_ tokenId: String, kind: String, orgId: String) throws(APIError) -> AccessToken {
        guard let token = state.withLock({ $0.tokens[tokenId] }), token.kind == kind, token.orgId == orgId else {
            throw APIError(404, "\(kind == "Pat" ? "personal access token" : "token") not found", details: ["tokenId": tokenId])
        }
        return token
    }

    /// The tokens of `kind` in the organisation, oldest first.
    func tokens(kind: String, orgId: String) -> [AccessToken] {
        state.withLock { state in state.tokenOrder.compactMap { state.tokens[$0] }.filter { $0.kind == kind && $0.orgId == orgId } }
    }

    /// Changes token `tokenId`; `change` may refuse with an ``APIError``.
    func updateToken(_ tokenId: String, kind: String, orgId: String, _ change: (inout AccessToken) throws(APIError) -> Void) throws(APIError)
        -> AccessToken
    {
        var token = try self.token(tokenId, kind: kind, orgId: orgId)
        try change(&token)
        let updated = token
        state.withLock { $0.tokens[tokenId] = updated }
        return updated
    }

    /// The service account `userId` in the organisation; 404 otherwise.
    func serviceAccount(_ userId: String, orgId: String) throws(APIError) -> ServiceAccount {
        guard let account = state.withLock({ $0.serviceAccounts[userId] }), account.orgId == orgId else {
            throw APIError(404, "service account not found", details: ["serviceAccountId": userId])
        }
        return account
    }

    /// The service accounts of the organisation, oldest first.
    func serviceAccounts(orgId: String) -> [ServiceAccount] {
        state.withLock { state in state.serviceAccountOrder.compactMap { state.serviceAccounts[$0] }.filter { $0.orgId == orgId } }
    }

    /// Changes service account `userId`; `change` may refuse with an ``APIError``.
    func updateServiceAccount(_ userId: String, orgId: String, _ change: (inout ServiceAccount) throws(APIError) -> Void) throws(APIError)
        -> ServiceAccount
    {
        var account = try serviceAccount(userId, orgId: orgId)
        try change(&account)
        let updated = account
        state.withLock { $0.serviceAccounts[userId] = updated }
        return updated
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
