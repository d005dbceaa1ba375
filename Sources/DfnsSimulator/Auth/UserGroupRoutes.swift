import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let authUserGroup = Self("authUserGroup")
    static let authGroupMember = Self("authGroupMember")
}

/// A family of user groups: the eight routes under `path` — list, create, get, update, delete, and the members listed,
/// added and removed — written once for every client that has user groups (the auth client's and the tenant
/// client's, the same shape in dfns-sdk 1.0.4). What differs is declared: where the groups
/// and their members are kept, which permission assignments a deleted group loses, whether names are unique, who the
/// owner is and who may be a member.
///
/// A group is `{id: ug-…, <owner>, name, description?, memberCount, dateCreated, dateUpdated}`; `description: null` in
/// an update clears it; names must be non-empty strings. Members are added and removed as sets (`userIds`, a
/// non-empty array of ids; one already in, or not in, is left as it is) and listed a page at a time as `{userId,
/// username, dateAdded}`, oldest first; `memberCount` counts them. The writes the SDK types with empty responses
/// answer `{}`.
struct UserGroupFamily: Sendable {
    /// `/auth/user-groups`.
    let path: String
    let groupKind: DocumentStore.Kind
    let memberKind: DocumentStore.Kind
    /// The permission assignments (`identityId` = the group) a deleted group loses.
    let assignmentKind: DocumentStore.Kind
    /// Whether two groups of an organisation may not share a name (409).
    let uniqueNames: Bool
    /// The fields naming the group's owner (`orgId`, `tenantId`).
    let owner: @Sendable (Principal) -> [String: Any]
    /// The user a member change names, as `(userId, username)`: a 404 for an id that is no user of the caller's, a 400
    /// for one that cannot `join` (when joining).
    let member: @Sendable (_ userId: String, _ principal: Principal, _ joining: Bool) throws(APIError) -> (userId: String, username: String)
    /// Whether a member still counts (a user archived since is no longer listed).
    let isCurrent: @Sendable (_ userId: String, _ principal: Principal) -> Bool
}

/// The user groups of the auth client (dfns-sdk 1.0.4 `generated/auth/client.py` `list_user_groups` …
/// `remove_user_group_members`, their docstrings and `types.py` `CreateUserGroupResponse`; neither dfns-sdk-go nor
/// the TypeScript SDK in store have them yet): groups of the caller's organisation (`orgId`), whose members are its
/// users and service accounts (``AccountStore``; 404 for another id, 400 to add one who is archived). A group holds
/// permissions through the permissions client's assignments (`identityId` = the group); deleting it revokes them and
/// removes its members, and "the name can be reused", so the names of existing groups are unique (409; the simulator's
/// reading of that sentence). A member archived later is no longer listed nor counted (the simulator's choice: archived
/// users leave the organisation's lists).
extension DfnsSimulator {
    func addAuthUserGroupRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let accounts = accountStore
        addUserGroupRoutes(
            api,
            UserGroupFamily(
                path: "/auth/user-groups", groupKind: .authUserGroup, memberKind: .authGroupMember, assignmentKind: .permissionAssignment,
                uniqueNames: true, owner: { ["orgId": $0.orgId] },
                member: { (userId, principal, joining) throws(APIError) in
                    let (name, archived): (String, Bool)
                    if let user = try? accounts.user(userId, orgId: principal.orgId) {
                        (name, archived) = (user.username, user.isArchived)
                    } else if let account = try? accounts.serviceAccount(userId, orgId: principal.orgId) {
                        (name, archived) = (account.name, account.isArchived)
                    } else {
                        throw APIError(404, "user not found", details: ["userId": userId])
                    }
                    if joining, archived { throw APIError.badRequest("user \(userId) is archived and cannot join a group") }
                    return (userId, name)
                },
                isCurrent: { userId, principal in
                    let user = try? accounts.user(userId, orgId: principal.orgId)
                    let account = user == nil ? try? accounts.serviceAccount(userId, orgId: principal.orgId) : nil
                    return user.map { !$0.isArchived } ?? account.map { !$0.isArchived } ?? false
                }))
    }

    func addUserGroupRoutes(_ api: RouterGroup<SimulatorRequestContext>, _ family: UserGroupFamily) {
        let group = RouterPath(family.path + "/:userGroupId")
        let members = RouterPath(family.path + "/:userGroupId/members")
        api.get(RouterPath(family.path)) { [documents] request, context in
            let principal = try context.caller()
            let groups = documents.all(family.groupKind, orgId: principal.orgId).map { Self.groupJSON($0.json, family, documents, principal) }
            return APIResponse(json: try Self.paged(groups, request))
        }
        api.post(RouterPath(family.path)) { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let name = object["name"] as? String, !name.isEmpty else {
                throw APIError.badRequest("name is required and must be a non-empty string")
            }
            let description = try Self.optionalString(object, "description")
            try Self.claimName(name, family, documents, principal)
            let id = documents.newId("ug-")
            let now = SimulatedTransfer.format(Date())
            var json = family.owner(principal).merging(["id": id, "name": name, "dateCreated": now, "dateUpdated": now]) { $1 }
            json["description"] = description
            documents.insert(family.groupKind, id: id, orgId: principal.orgId, json: json)
            return APIResponse(json: Self.groupJSON(json, family, documents, principal))
        }
        api.get(group) { [documents] _, context in
            let principal = try context.caller()
            return APIResponse(json: Self.groupJSON(try Self.group(context, family, documents).json, family, documents, principal))
        }
        api.put(group) { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            if let name = object["name"], (name as? String)?.isEmpty != false { throw APIError.badRequest("name must be a non-empty string") }
            if let description = object["description"], !(description is String || description is NSNull) {
                throw APIError.badRequest("description must be a string or null")
            }
            let id = try Self.group(context, family, documents).id
            if let name = object["name"] as? String { try Self.claimName(name, family, documents, principal, except: id) }
            let json = try documents.update(family.groupKind, id, orgId: principal.orgId, what: "userGroup") { group in
                if let name = object["name"] as? String { group["name"] = name }
                if let description = object["description"] { group["description"] = description is NSNull ? nil : description }
                group["dateUpdated"] = SimulatedTransfer.format(Date())
            }
            return APIResponse(json: Self.groupJSON(json, family, documents, principal))
        }
        api.delete(group) { [documents] _, context in
            let principal = try context.caller()
            let id = try Self.group(context, family, documents).id
            let assignments = documents.all(family.assignmentKind, orgId: principal.orgId) { $0.json["identityId"] as? String == id }
            for document in documents.all(family.memberKind, orgId: principal.orgId, parent: id) + assignments {
                documents.remove(document.kind, document.id)
            }
            documents.remove(family.groupKind, id)
            return APIResponse(json: [String: Any]())
        }
        api.get(members) { [documents] request, context in
            let principal = try context.caller()
            let id = try Self.group(context, family, documents).id
            return APIResponse(json: try Self.paged(Self.members(of: id, family, documents, principal).map(\.json), request))
        }
        api.post(members) { [documents] _, context in
            let principal = try context.caller()
            let id = try Self.group(context, family, documents).id
            var current = Set(Self.members(of: id, family, documents, principal, all: true).compactMap { $0.json["userId"] as? String })
            for (userId, username) in try Self.memberChange(context, family, principal, joining: true) where current.insert(userId).inserted {
                documents.insert(
                    family.memberKind, id: documents.newId("ugm-"), orgId: principal.orgId, parent: id,
                    json: ["userId": userId, "username": username, "dateAdded": SimulatedTransfer.format(Date())])
            }
            return APIResponse(json: try Self.touch(id, family, documents, principal))
        }
        api.delete(members) { [documents] _, context in
            let principal = try context.caller()
            let id = try Self.group(context, family, documents).id
            let leaving = Set(try Self.memberChange(context, family, principal, joining: false).map(\.userId))
            for member in Self.members(of: id, family, documents, principal, all: true) where leaving.contains(member.json["userId"] as? String ?? "")
            {
                documents.remove(family.memberKind, member.id)
            }
            return APIResponse(json: try Self.touch(id, family, documents, principal))
        }
    }

    /// The group named in the path, in the caller's organisation; 404 otherwise.
    private static func group(_ context: SimulatorRequestContext, _ family: UserGroupFamily, _ documents: DocumentStore) throws(APIError)
        -> DocumentStore.Document
    {
        try documents.get(family.groupKind, parameter(context, "userGroupId"), orgId: context.caller().orgId, what: "userGroup")
    }

    /// 409 when another group of the organisation (not `except`) has `name`.
    private static func claimName(
        _ name: String, _ family: UserGroupFamily, _ documents: DocumentStore, _ principal: Principal, except: String? = nil
    ) throws(APIError) {
        guard family.uniqueNames else { return }
        let taken = documents.all(family.groupKind, orgId: principal.orgId) { $0.id != except && $0.json["name"] as? String == name }
        guard taken.isEmpty else { throw APIError(409, "a user group named \(name) already exists") }
    }

    /// The members of group `id`; those no longer current (archived users) only when `all`.
    private static func members(
        of id: String, _ family: UserGroupFamily, _ documents: DocumentStore, _ principal: Principal, all: Bool = false
    ) -> [DocumentStore.Document] {
        documents.all(family.memberKind, orgId: principal.orgId, parent: id) {
            all || family.isCurrent($0.json["userId"] as? String ?? "", principal)
        }
    }

    /// The users a member change names (`userIds`: a non-empty array of strings), each checked by the family.
    private static func memberChange(_ context: SimulatorRequestContext, _ family: UserGroupFamily, _ principal: Principal, joining: Bool)
        throws(APIError) -> [(userId: String, username: String)]
    {
        let object = try object(context.requestBody)
        guard let userIds = object["userIds"] as? [String], !userIds.isEmpty, (object["userIds"] as? [Any])?.count == userIds.count else {
            throw APIError.badRequest("userIds is required and must be a non-empty array of strings")
        }
        var users: [(userId: String, username: String)] = []
        for userId in userIds { users.append(try family.member(userId, principal, joining)) }
        return users
    }

    /// Marks group `id` changed; answers `{}`.
    private static func touch(_ id: String, _ family: UserGroupFamily, _ documents: DocumentStore, _ principal: Principal) throws(APIError)
        -> [String: Any]
    {
        _ = try documents.update(family.groupKind, id, orgId: principal.orgId, what: "userGroup") {
            $0["dateUpdated"] = SimulatedTransfer.format(Date())
        }
        return [:]
    }

    private static func groupJSON(_ stored: [String: Any], _ family: UserGroupFamily, _ documents: DocumentStore, _ principal: Principal)
        -> [String: Any]
    {
        var group = stored
        group["memberCount"] = members(of: stored["id"] as? String ?? "", family, documents, principal).count
        return group
    }
}
