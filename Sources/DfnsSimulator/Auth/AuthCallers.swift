import Foundation
import Hummingbird

/// Whom the auth routes act for before a user has a token, or on a user's behalf: the user a public route names
/// (`username`, `orgId?`), the user a service account names in a delegated route (delegated registration, login and
/// recovery are service accounts' alone, dfns-auth.md §0), and the codes Dfns emails them.
extension DfnsSimulator {
    /// Dfns's answers for a user it cannot act for (dfns-api-docs `getting-started/errors.md`, user login and
    /// delegated authentication errors).
    static let userNotFound = APIError(401, "User not found")
    static let userDeactivated = APIError.badRequest("User account has been deactivated.")

    /// How a user logs in, for ``requireLogin(_:via:)``.
    enum LoginRoute {
        /// `/auth/login` with the user's credentials.
        case credentials
        /// A service account's `/auth/login/delegated`.
        case delegated
        /// `/auth/login/social` with an ID token.
        case social
        /// `/auth/login/sso` or `/auth/login/oidc`, through the identity provider.
        case federated
    }

    /// The one rule of who logs in how: an active user (400 otherwise), registered to log in with credentials or a
    /// social identity (401: no credential to use), an end user for a social login (dfns-api-docs `socialLogin.md`
    /// requires `Auth:Users:EndUser`; 403), and through SSO alone when the user must (`isSSORequired`, 401).
    func requireLogin(_ user: AccountStore.User, via route: LoginRoute) throws(APIError) {
        guard user.isActive else { throw Self.userDeactivated }
        if route == .social, user.kind != "EndUser" { throw APIError(403, "only end users log in with a social identity") }
        if route == .credentials || route == .social, !user.isRegistered {
            throw APIError(401, "User does not have a credential that can be used for the application.")
        }
        if route == .credentials, user.isSSORequired { throw APIError(401, "user \(user.username) must log in with SSO (/auth/login/sso/init)") }
    }

    /// The active user a public route names (`username`, `orgId?`): Dfns's 401 for another organisation or an unknown
    /// user, 400 for a deactivated one.
    func publicUser(_ object: [String: Any]) throws(APIError) -> AccountStore.User {
        guard let username = object["username"] as? String, !username.isEmpty else {
            throw APIError.badRequest("username is required and must be a string")
        }
        let orgId = try Self.optionalString(object, "orgId") ?? principalStore.orgId
        guard orgId == principalStore.orgId, let user = accountStore.user(named: username, orgId: orgId) else { throw Self.userNotFound }
        guard user.isActive else { throw Self.userDeactivated }
        return user
    }

    /// Refuses a caller that is not a service account (delegated registration, login and recovery are theirs alone,
    /// dfns-auth.md §0), or one whose assigned permissions leave out `operation` (docs.dfns.co: `Auth:Login:Delegated`,
    /// `Auth:Register:Delegated`, `Auth:Recover:Delegated`; dfns-auth.md §4). A token with no permission assigned acts
    /// as the organisation's administrator here, as every simulator token does: only an assignment narrows it.
    func requireServiceAccount(_ principal: Principal, _ what: String, operation: String? = nil) throws(APIError) {
        guard (try? accountStore.serviceAccount(principal.userId, orgId: principal.orgId)) != nil else {
            throw APIError(403, "only a service account can \(what)")
        }
        guard let operation else { return }
        let assignments = documents.all(.permissionAssignment, orgId: principal.orgId) { $0.json["identityId"] as? String == principal.tokenId }
        guard !assignments.isEmpty else { return }
        let granted = assignments.contains { assignment in
            guard let permissionId = assignment.json["permissionId"] as? String,
                let permission = try? documents.get(.permission, permissionId, orgId: principal.orgId, what: "permission").json
            else { return false }
            return permission["isArchived"] as? Bool != true && (permission["operations"] as? [String] ?? []).contains(operation)
        }
        guard granted else { throw APIError(403, "the service account's permissions do not grant \(operation), needed to \(what)") }
    }

    /// The active user a delegated route's body names by `member` (`username` or `email`), for a caller that must be
    /// a service account granted `operation` (403 otherwise, naming `what` it may not do); Dfns's 401 for an unknown
    /// user, 400 for a deactivated one.
    func delegatedUser(_ context: SimulatorRequestContext, _ member: String, _ what: String, operation: String) throws(APIError)
        -> AccountStore.User
    {
        let principal = try context.caller()
        try requireServiceAccount(principal, what, operation: operation)
        guard let name = try Self.object(context.requestBody)[member] as? String else {
            throw APIError.badRequest("\(member) is required and must be a string")
        }
        guard let user = accountStore.user(named: name, orgId: principal.orgId) else { throw Self.userNotFound }
        guard user.isActive else { throw Self.userDeactivated }
        return user
    }

    /// "Emails" `user` a new code for `purpose` (the outbox, `GET /_sim/messages`) and answers `{message}`.
    func emailCode(_ purpose: AuthFlowStore.CodePurpose, to user: AccountStore.User, lifetime: Duration) -> APIResponse {
        _ = authFlows.issueCode(purpose, orgId: user.orgId, subject: user.username, username: user.username, lifetime: lifetime)
        return APIResponse(json: ["message": "a \(purpose.rawValue.lowercased()) code was sent to \(user.username)"])
    }
}
