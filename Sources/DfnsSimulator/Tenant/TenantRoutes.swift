import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let tenantOrg = Self("tenantOrg")
    static let tenantUser = Self("tenantUser")
    static let tenantUserGroup = Self("tenantUserGroup")
    static let tenantGroupMember = Self("tenantGroupMember")
    static let tenantPermissionAssignment = Self("tenantPermissionAssignment")
}

/// The tenant routes (dfns-sdk 1.0.4 `generated/tenant/client.py` and `types.py`; neither dfns-sdk-go, whose newest
/// release no longer has a tenant client, nor docs.dfns.co document them, so the shapes are the Python types').
/// A tenant groups organisations and has its own users, user groups and permissions; the caller's organisation stands
/// for its tenant (`tenantId` is `tn-` and the rest of the organisation's id), so everything below is scoped to it.
///
/// - Organisations (`{name, keyStores}`, answered as `{org}`): `Active` when created; `updateOrgStatus` moves them
///   between `Active` and `Suspended`, and to `Archived`, which is final (a 400 afterwards, for `updateOrg` too).
///   `listOrgs` filters by `status` (one value or several, comma-separated). The org's members are the simulator's:
///   `{id: or-…, tenantId, name, status, keyStores, dateCreated, dateUpdated}`; `keyStores` must be a non-empty array
///   of objects, kept as sent (the SDK types them `list[dict]`).
/// - Tenant users (`{email, externalId?, isSSORequired?}`): `{id: us-…, kind: "TenantUser", username: email,
///   isRegistered: false, isActive: true, isSSORequired, externalId, permissions, orgs}` as `CreateTenantUserResponse`;
///   a second user with the same email is a 409. `permissions` lists the tenant permissions assigned to the user
///   (`{permissionId, permissionName, assignmentId}`) and `orgs` is empty (no organisation membership is modelled).
///   Deleting a user removes it with its group memberships and permission assignments.
/// - User groups (`{name, description?}`): `{id: ug-…, tenantId, name, description, memberCount, dateCreated,
///   dateUpdated}` as `CreateTenantUserGroupResponse`; `description: null` in an update clears it. Members are tenant
///   users (404 for another id), added and removed as sets; listed as `{userId, username, dateAdded}`.
/// - Tenant permissions: two the simulator provides, immutable (`TenantAdmin`, `TenantReadOnly`, shape of
///   `GetTenantPermissionResponse`, operation names the simulator's). Assigning one to a tenant user or user group
///   (`identityId`) answers 204 as the SDK's `-> None` says; assigning it twice is a 409, revoking an assignment that
///   does not exist a 404.
///
/// The writes the SDK types with empty responses (`updateTenantUser`, `deleteTenantUser`, `deleteTenantUserGroup`,
/// the member changes, `updateOrgStatus`) answer `{}`. Dfns documents no idempotency here: `externalId` is recorded.
extension DfnsSimulator {
    /// The tenant permissions every tenant has.
    static var tenantPermissions: [[String: Any]] {
        [
            tenantPermission(
                "pm-tenan-admin-0000000000000001", "TenantAdmin",
                [
                    "Tenant:Orgs:Create", "Tenant:Orgs:Read", "Tenant:Orgs:Update", "Tenant:Users:Create", "Tenant:Users:Read", "Tenant:Users:Update",
                    "Tenant:Users:Delete", "Tenant:UserGroups:Create", "Tenant:UserGroups:Read", "Tenant:UserGroups:Update",
                    "Tenant:UserGroups:Delete", "Tenant:Permissions:Read", "Tenant:Permissions:Assign", "Tenant:Permissions:Revoke",
                ]),
            tenantPermission(
                "pm-tenan-reado-0000000000000002", "TenantReadOnly",
                ["Tenant:Orgs:Read", "Tenant:Users:Read", "Tenant:UserGroups:Read", "Tenant:Permissions:Read"]),
        ]
    }
    static let orgStatuses = ["Active", "Suspended", "Archived"]

    private static func tenantPermission(_ id: String, _ name: String, _ operations: [String]) -> [String: Any] {
        [
            "id": id, "name": name, "operations": operations, "status": "Active", "isImmutable": true, "isArchived": false,
            "dateCreated": "2026-01-01T00:00:00.000Z", "dateUpdated": "2026-01-01T00:00:00.000Z",
        ]
    }

    func addTenantRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        addTenantPermissionRoutes(to: api)
        addTenantUserRoutes(to: api)
        addTenantUserGroupRoutes(to: api)
        addTenantOrgRoutes(to: api)
    }

    // MARK: Permissions

    private func addTenantPermissionRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/tenant/permissions") { request, context in
            _ = try context.caller()
            return APIResponse(json: try Self.paged(Self.tenantPermissions, request))
        }
        api.get("/tenant/permissions/:permissionId") { _, context in
            _ = try context.caller()
            return APIResponse(json: try Self.tenantPermission(Self.parameter(context, "permissionId")))
        }
        api.post("/tenant/permissions/:permissionId/assign") { [documents] _, context in
            let principal = try context.caller()
            let permission = try Self.tenantPermission(Self.parameter(context, "permissionId"))
            let identityId = try Self.tenantIdentity(Self.object(context.requestBody), documents, principal)
            let permissionId = permission["id"] as? String ?? ""
            guard Self.tenantAssignment(documents, principal, permissionId: permissionId, identityId: identityId) == nil else {
                throw APIError(409, "permission \(permissionId) is already assigned to \(identityId)")
            }
            let id = documents.newId("pa-")
            documents.insert(
                .tenantPermissionAssignment, id: id, orgId: principal.orgId, parent: permissionId,
                json: [
                    "id": id, "permissionId": permissionId, "permissionName": permission["name"] ?? "", "identityId": identityId,
                    "dateCreated": SimulatedTransfer.format(Date()),
                ])
            return APIResponse.noContent
        }
        api.post("/tenant/permissions/:permissionId/revoke") { [documents] _, context in
            let principal = try context.caller()
            let permissionId = try Self.tenantPermission(Self.parameter(context, "permissionId"))["id"] as? String ?? ""
            let identityId = try Self.tenantIdentity(Self.object(context.requestBody), documents, principal)
            guard let assignment = Self.tenantAssignment(documents, principal, permissionId: permissionId, identityId: identityId) else {
                throw APIError(404, "permission assignment not found", details: ["permissionId": permissionId, "identityId": identityId])
            }
            documents.remove(.tenantPermissionAssignment, assignment.id)
            return APIResponse.noContent
        }
    }

    private static func tenantPermission(_ id: String) throws(APIError) -> [String: Any] {
        guard let permission = tenantPermissions.first(where: { $0["id"] as? String == id }) else {
            throw APIError(404, "permission not found", details: ["permissionId": id])
        }
        return permission
    }

    /// The `identityId` of an assignment body: a tenant user or user group of the caller's tenant.
    private static func tenantIdentity(_ object: [String: Any], _ documents: DocumentStore, _ principal: Principal) throws(APIError) -> String {
        guard let identityId = object["identityId"] as? String else { throw APIError.badRequest("identityId is required and must be a string") }
        if (try? documents.get(.tenantUser, identityId, orgId: principal.orgId, what: "user")) == nil {
            _ = try documents.get(.tenantUserGroup, identityId, orgId: principal.orgId, what: "identity")
        }
        return identityId
    }

    private static func tenantAssignment(_ documents: DocumentStore, _ principal: Principal, permissionId: String, identityId: String)
        -> DocumentStore.Document?
    {
        documents.all(.tenantPermissionAssignment, orgId: principal.orgId, parent: permissionId) { $0.json["identityId"] as? String == identityId }
            .first
    }

    // MARK: Users

    private func addTenantUserRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/tenant/users") { [documents] request, context in
            let principal = try context.caller()
            return APIResponse(
                json: try Self.paged(
                    documents.all(.tenantUser, orgId: principal.orgId).map { Self.tenantUser($0.json, documents, principal) }, request))
        }
        api.post("/tenant/users") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let email = object["email"] as? String else { throw APIError.badRequest("email is required and must be a string") }
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !email.contains(" ") else {
                throw APIError.badRequest("email must be an email address")
            }
            let externalId = try Self.optionalString(object, "externalId")
            if let value = object["isSSORequired"], SimulatorJSON.boolean(value) == nil {
                throw APIError.badRequest("isSSORequired must be a boolean")
            }
            guard documents.all(.tenantUser, orgId: principal.orgId, where: { $0.json["username"] as? String == email }).isEmpty else {
                throw APIError(409, "a tenant user with username \(email) already exists")
            }
            let id = documents.newId("us-")
            var user: [String: Any] = [
                "id": id, "kind": "TenantUser", "username": email, "isRegistered": false, "isActive": true,
                "isSSORequired": SimulatorJSON.boolean(object["isSSORequired"]) ?? false, "dateCreated": SimulatedTransfer.format(Date()),
            ]
            user["externalId"] = externalId
            documents.insert(.tenantUser, id: id, orgId: principal.orgId, json: user, externalId: externalId)
            return APIResponse(json: Self.tenantUser(user, documents, principal))
        }
        api.get("/tenant/users/:userId") { [documents] _, context in
            let principal = try context.caller()
            let user = try documents.get(.tenantUser, Self.parameter(context, "userId"), orgId: principal.orgId, what: "user")
            return APIResponse(json: Self.tenantUser(user.json, documents, principal))
        }
        api.put("/tenant/users/:userId") { [documents] _, context in
            let principal = try context.caller()
            let userId = try Self.parameter(context, "userId")
            let object = try Self.object(context.requestBody)
            guard let required = SimulatorJSON.boolean(object["isSSORequired"]) else {
                throw APIError.badRequest("isSSORequired is required and must be a boolean")
            }
            _ = try documents.update(.tenantUser, userId, orgId: principal.orgId, what: "user") { $0["isSSORequired"] = required }
            return APIResponse(json: [String: Any]())
        }
        api.delete("/tenant/users/:userId") { [documents] _, context in
            let principal = try context.caller()
            let userId = try Self.parameter(context, "userId")
            _ = try documents.get(.tenantUser, userId, orgId: principal.orgId, what: "user")
            Self.forgetTenantIdentity(userId, documents, principal)
            for member in documents.all(.tenantGroupMember, orgId: principal.orgId, where: { $0.json["userId"] as? String == userId }) {
                documents.remove(.tenantGroupMember, member.id)
            }
            documents.remove(.tenantUser, userId)
            return APIResponse(json: [String: Any]())
        }
    }

    /// A stored tenant user as Dfns answers it: with the tenant permissions assigned to it.
    private static func tenantUser(_ stored: [String: Any], _ documents: DocumentStore, _ principal: Principal) -> [String: Any] {
        var user = stored
        let id = stored["id"] as? String ?? ""
        user["permissions"] = documents.all(.tenantPermissionAssignment, orgId: principal.orgId) { $0.json["identityId"] as? String == id }.map {
            ["permissionId": $0.json["permissionId"] ?? "", "permissionName": $0.json["permissionName"] ?? "", "assignmentId": $0.id] as [String: Any]
        }
        user["orgs"] = [Any]()
        return user
    }

    /// Removes the permission assignments of a deleted user or group.
    private static func forgetTenantIdentity(_ identityId: String, _ documents: DocumentStore, _ principal: Principal) {
        for assignment in documents.all(
            .tenantPermissionAssignment, orgId: principal.orgId, where: { $0.json["identityId"] as? String == identityId })
        {
            documents.remove(.tenantPermissionAssignment, assignment.id)
        }
    }

    // MARK: User groups

    /// The tenant's user groups, the family the auth client's have (``UserGroupFamily``): owned by the tenant, their
    /// members its users.
    private func addTenantUserGroupRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let documents = documents
        addUserGroupRoutes(
            api,
            UserGroupFamily(
                path: "/tenant/user-groups", groupKind: .tenantUserGroup, memberKind: .tenantGroupMember, assignmentKind: .tenantPermissionAssignment,
                uniqueNames: false, owner: { ["tenantId": Self.tenantId($0)] },
                member: { (userId, principal, _) throws(APIError) in
                    let user = try documents.get(.tenantUser, userId, orgId: principal.orgId, what: "user")
                    return (user.id, user.json["username"] as? String ?? "")
                },
                isCurrent: { userId, principal in (try? documents.get(.tenantUser, userId, orgId: principal.orgId, what: "user")) != nil }))
    }

    static func tenantId(_ principal: Principal) -> String {
        "tn-" + (principal.orgId.hasPrefix("or-") ? String(principal.orgId.dropFirst(3)) : principal.orgId)
    }

    // MARK: Organisations

    private func addTenantOrgRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/tenant/orgs") { [documents] request, context in
            let principal = try context.caller()
            var statuses = Set(Self.orgStatuses)
            if let filter = Self.formQuery(request.uri.query ?? "")["status"], !filter.isEmpty {
                statuses = Set(filter.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "[]'\" ")) })
                guard statuses.isSubset(of: Self.orgStatuses) else {
                    throw APIError.badRequest("status must be among \(Self.orgStatuses.joined(separator: ", "))")
                }
            }
            let orgs = documents.all(.tenantOrg, orgId: principal.orgId).map(\.json).filter { statuses.contains($0["status"] as? String ?? "") }
            return APIResponse(json: try Self.paged(orgs, request))
        }
        api.post("/tenant/orgs") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let name = object["name"] as? String, !name.isEmpty else {
                throw APIError.badRequest("name is required and must be a non-empty string")
            }
            guard let keyStores = object["keyStores"] as? [[String: Any]], !keyStores.isEmpty,
                (object["keyStores"] as? [Any])?.count == keyStores.count
            else { throw APIError.badRequest("keyStores is required and must be a non-empty array of objects") }
            let id = documents.newId("or-")
            let now = SimulatedTransfer.format(Date())
            let org: [String: Any] = [
                "id": id, "tenantId": Self.tenantId(principal), "name": name, "status": "Active", "keyStores": keyStores, "dateCreated": now,
                "dateUpdated": now,
            ]
            documents.insert(.tenantOrg, id: id, orgId: principal.orgId, json: org)
            return APIResponse(json: ["org": org])
        }
        api.get("/tenant/orgs/:orgId") { [documents] _, context in
            let principal = try context.caller()
            return APIResponse(json: [
                "org": try documents.get(.tenantOrg, Self.parameter(context, "orgId"), orgId: principal.orgId, what: "org").json
            ])
        }
        api.put("/tenant/orgs/:orgId") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            if let name = object["name"], (name as? String)?.isEmpty != false { throw APIError.badRequest("name must be a non-empty string") }
            let org = try documents.update(.tenantOrg, Self.parameter(context, "orgId"), orgId: principal.orgId, what: "org") {
                (org) throws(APIError) in
                guard org["status"] as? String != "Archived" else { throw APIError.badRequest("org \(org["id"] ?? "") is archived") }
                if let name = object["name"] as? String { org["name"] = name }
                org["dateUpdated"] = SimulatedTransfer.format(Date())
            }
            return APIResponse(json: ["org": org])
        }
        api.put("/tenant/orgs/:orgId/status") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let status = object["status"] as? String, Self.orgStatuses.contains(status) else {
                throw APIError.badRequest("status is required and must be one of \(Self.orgStatuses.joined(separator: ", "))")
            }
            _ = try documents.update(.tenantOrg, Self.parameter(context, "orgId"), orgId: principal.orgId, what: "org") { (org) throws(APIError) in
                guard org["status"] as? String != "Archived" else { throw APIError.badRequest("org \(org["id"] ?? "") is archived, which is final") }
                org["status"] = status
                org["dateUpdated"] = SimulatedTransfer.format(Date())
            }
            return APIResponse(json: [String: Any]())
        }
    }
}
