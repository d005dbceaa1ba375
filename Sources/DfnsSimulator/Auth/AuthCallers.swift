import Foundation
import Hummingbird

/// Whom the auth routes act for before a user has a token, or on a user's behalf: the user a public route names
/// (`username`, `orgId?`), the user a service account names in a delegated route (delegated registration, login and
/// recovery are service accounts' alone, dfns-auth.md §0), and the codes Dfns emails them.
extension DfnsSimulator {
    /// The user a public route names (`username`, `orgId?`): 404 for another organisation or an unknown user.
    func publicUser(_ object: [String: Any]) throws(APIError) -> AccountStore.User {
        guard let username = object["username"] as? String, !username.isEmpty else {
            throw APIError.badRequest("username is required and must be a string")
        }
        let orgId = try Self.optionalString(object, "orgId") ?? principalStore.orgId
        guard orgId == principalStore.orgId, let user = accountStore.user(named: username, orgId: orgId) else {
            throw APIError(404, "user \(username) not found in organisation \(orgId)")
        }
        guard user.isActive else { throw APIError(401, "user \(username) is deactivated") }
        return user
    }

    /// Refuses a caller that is not a service account (delegated registration, login and recovery are theirs alone,
    /// dfns-auth.md §0).
    func requireServiceAccount(_ principal: Principal, _ what: String) throws(APIError) {
        guard (try? accountStore.serviceAccount(principal.userId, orgId: principal.orgId)) != nil else {
            throw APIError(403, "only a service account can \(what)")
        }
    }

    /// The user a delegated route's body names by `member` (`username` or `email`), for a caller that must be a
    /// service account (403 otherwise, naming `what` it may not do); 404 for an unknown user.
    func delegatedUser(_ context: SimulatorRequestContext, _ member: String, _ what: String) throws(APIError) -> AccountStore.User {
        let principal = try context.caller()
        try requireServiceAccount(principal, what)
        guard let name = try Self.object(context.requestBody)[member] as? String else {
            throw APIError.badRequest("\(member) is required and must be a string")
        }
        guard let user = accountStore.user(named: name, orgId: principal.orgId) else { throw APIError(404, "user \(name) not found") }
        return user
    }

    /// "Emails" `user` a new code for `purpose` (the outbox, `GET /_sim/messages`) and answers `{message}`.
    func emailCode(_ purpose: AuthFlowStore.CodePurpose, to user: AccountStore.User, lifetime: Duration) -> APIResponse {
        _ = authFlows.issueCode(purpose, orgId: user.orgId, subject: user.username, username: user.username, lifetime: lifetime)
        return APIResponse(json: ["message": "a \(purpose.rawValue.lowercased()) code was sent to \(user.username)"])
    }
}
