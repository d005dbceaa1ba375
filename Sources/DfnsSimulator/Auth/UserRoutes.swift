import Foundation
import Hummingbird

/// The users routes of the auth client (dfns-sdk 1.0.4 `generated/auth/client.py` `list_users` … `invite_tenant_user`;
/// the user as dfns-sdk-go `types.User`): the organisation's users — the configured tokens' own, users made with
/// `POST /auth/users {email, kind: CustomerEmployee|EndUser, externalId?, isSSORequired?}` (not registered until they
/// register, usernames unique: 409), and tenant users invited in (`POST /auth/users/invite {email, kind: TenantUser}`,
/// the tenant's user of that email, answered `{}`). A user is activated, deactivated (their personal access tokens
/// stop with them) and archived for good (`DELETE`); nobody deactivates or archives themselves (400, so the simulator's
/// own caller stays usable). Service accounts are listed apart.
extension DfnsSimulator {
    static let userKinds = ["CustomerEmployee", "EndUser"]

    func addUserRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/auth/users") { [accountStore] request, context in
            let kinds = Self.formQuery(request.uri.query ?? "")["kind"].map { $0.split(separator: ",").map(String.init) }
            let users = accountStore.users(orgId: try context.caller().orgId).filter { !$0.isArchived && (kinds?.contains($0.kind) ?? true) }
            return APIResponse(json: try Self.paged(users.map(\.json), request))
        }
        api.post("/auth/users") { [accountStore, authFlows] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let email = object["email"] as? String, email.contains("@"), !email.hasPrefix("@"), !email.hasSuffix("@") else {
                throw APIError.badRequest("email is required and must be an email address")
            }
            guard let kind = object["kind"] as? String, Self.userKinds.contains(kind) else {
                throw APIError.badRequest("kind must be one of \(Self.userKinds.joined(separator: ", "))")
            }
            if let registration = object["registration"], !["Direct", "Delegated"].contains(registration as? String ?? "") {
                throw APIError.badRequest("registration must be Direct or Delegated")
            }
            let isSSORequired = try Self.optionalBoolean(object, "isSSORequired") ?? false
            let user = AccountStore.User(
                userId: accountStore.newId("us-"), orgId: principal.orgId, username: email, kind: kind, credentialUuid: "", dateCreated: Date(),
                externalId: try Self.optionalString(object, "externalId"), isSSORequired: isSSORequired, isRegistered: false,
                isDelegated: object["registration"] as? String == "Delegated")
            try accountStore.add(user)
            // Dfns emails a user it made a registration code (dfns-api-docs registration/README.md); a delegated
            // registration goes through the service account instead.
            if !user.isDelegated {
                _ = authFlows.issueCode(.registration, orgId: user.orgId, subject: email, username: email, lifetime: Self.registrationCodeLifetime)
            }
            return APIResponse(json: user.json)
        }
        api.post("/auth/users/invite") { [accountStore, authFlows, documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let email = object["email"] as? String else { throw APIError.badRequest("email is required and must be a string") }
            guard object["kind"] as? String == "TenantUser" else { throw APIError.badRequest("kind must be TenantUser") }
            guard let tenantUser = documents.all(.tenantUser, orgId: principal.orgId, where: { $0.json["username"] as? String == email }).first else {
                throw APIError(404, "no tenant user has the email \(email)")
            }
            try accountStore.add(
                AccountStore.User(
                    userId: tenantUser.id, orgId: principal.orgId, username: email, kind: "TenantUser", credentialUuid: "", dateCreated: Date(),
                    isRegistered: tenantUser.json["isRegistered"] as? Bool ?? false))
            // The invitation email carries the registration code an unregistered tenant user registers with.
            _ = authFlows.issueCode(.registration, orgId: principal.orgId, subject: email, username: email, lifetime: Self.registrationCodeLifetime)
            return APIResponse(json: [String: Any]())
        }
        api.get("/auth/users/:userId") { [accountStore] _, context in
            APIResponse(json: try accountStore.user(Self.parameter(context, "userId"), orgId: context.caller().orgId).json)
        }
        api.put("/auth/users/:userId") { [accountStore] _, context in
            guard let required = SimulatorJSON.boolean(try Self.object(context.requestBody)["isSSORequired"]) else {
                throw APIError.badRequest("isSSORequired is required and must be a boolean")
            }
            return APIResponse(json: try Self.changeUser(accountStore, context) { $0.isSSORequired = required })
        }
        api.delete("/auth/users/:userId") { [accountStore] _, context in
            APIResponse(json: try Self.changeUser(accountStore, context, notYourself: "archive") { $0.isArchived = true })
        }
        api.put("/auth/users/:userId/activate") { [accountStore] _, context in
            APIResponse(json: try Self.changeUser(accountStore, context) { $0.isActive = true })
        }
        api.put("/auth/users/:userId/deactivate") { [accountStore] _, context in
            APIResponse(json: try Self.changeUser(accountStore, context, notYourself: "deactivate") { $0.isActive = false })
        }
    }

    /// An optional boolean member: absent is nil, another type is a 400.
    static func optionalBoolean(_ object: [String: Any], _ name: String) throws(APIError) -> Bool? {
        guard let value = object[name] else { return nil }
        guard let boolean = SimulatorJSON.boolean(value) else { throw APIError.badRequest("\(name) must be a boolean") }
        return boolean
    }

    /// Changes the user named in the path; an archived user no longer changes, and `notYourself` names what a caller
    /// may not do to their own user.
    private static func changeUser(
        _ accounts: AccountStore, _ context: SimulatorRequestContext, notYourself: String? = nil, _ change: (inout AccountStore.User) -> Void
    ) throws(APIError) -> [String: Any] {
        let principal = try context.caller()
        let userId = try parameter(context, "userId")
        if let notYourself, userId == principal.userId { throw APIError.badRequest("a user cannot \(notYourself) themselves") }
        return try accounts.updateUser(userId, orgId: principal.orgId) { (user) throws(APIError) in
            guard !user.isArchived else { throw APIError.badRequest("user \(user.userId) is archived") }
            change(&user)
        }.json
    }
}
