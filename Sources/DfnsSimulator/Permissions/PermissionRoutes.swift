import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let permission = Self("permission")
    static let permissionAssignment = Self("permissionAssignment")
}

/// The permissions routes (dfns-sdk 1.0.4 `generated/permissions/client.py`; the entities as dfns-sdk-go's
/// `types.Permission` and `permissions.AssignPermissionResponse`; the rules as Dfns's API docs, "Permissions"):
/// - a permission has a name unique in the organisation, archived ones included, and at least one operation of
///   ``permissionOperations``; `status` is always `Active`, `isArchived` says whether it was archived;
/// - archiving (`PUT …/archive {isArchived}`, deprecated by Dfns for `DELETE`) and deleting set `isArchived`; a
///   deleted permission stays readable and keeps its name, as an archived one does, and answers `204`; an archived
///   permission cannot be assigned or updated;
/// - an assignment grants a permission to an identity (user, token, service account or user group) once: assigning
///   the same identity again is a 409; revoking is a hard deletion answered `204`; `?force=true|false` is accepted.
/// Permission changes that a policy holds for approval (Dfns's 202 change requests) are not simulated.
extension DfnsSimulator {
    func addPermissionRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/permissions") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let name = object["name"] as? String, !name.isEmpty else {
                throw APIError.badRequest("name is required and must be a non-empty string")
            }
            let operations = try Self.permissionOperations(object["operations"])
            guard documents.all(.permission, orgId: principal.orgId, where: { $0.json["name"] as? String == name }).isEmpty else {
                throw APIError(409, "a permission named \(name) already exists")
            }
            let id = documents.newId("pm-")
            let now = SimulatedTransfer.format(Date())
            let permission: [String: Any] = [
                "id": id, "name": name, "operations": operations, "status": "Active", "isImmutable": false, "isArchived": false,
                "dateCreated": now, "dateUpdated": now,
            ]
            documents.insert(.permission, id: id, orgId: principal.orgId, json: permission)
            return APIResponse(json: permission)
        }
        addListRoute(api, "/permissions", .permission)
        addGetRoute(api, "/permissions/:permissionId", .permission, parameter: "permissionId", what: "permission")
        api.put("/permissions/:permissionId") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            let name = try Self.optionalString(object, "name")
            let operations = try object["operations"].map { value throws(APIError) in try Self.permissionOperations(value) }
            let id = try Self.parameter(context, "permissionId")
            if let name {
                guard !name.isEmpty else { throw APIError.badRequest("name must be a non-empty string") }
                let others = documents.all(.permission, orgId: principal.orgId) { $0.id != id && $0.json["name"] as? String == name }
                guard others.isEmpty else { throw APIError(409, "a permission named \(name) already exists") }
            }
            return APIResponse(
                json: try documents.update(.permission, id, orgId: principal.orgId, what: "permission") { permission throws(APIError) in
                    guard permission["isArchived"] as? Bool != true else { throw APIError.badRequest("permission \(id) is archived") }
                    if let name { permission["name"] = name }
                    if let operations { permission["operations"] = operations }
                    permission["dateUpdated"] = SimulatedTransfer.format(Date())
                })
        }
        api.put("/permissions/:permissionId/archive") { [documents] _, context in
            guard let archived = SimulatorJSON.boolean(try Self.object(context.requestBody)["isArchived"]) else {
                throw APIError.badRequest("isArchived is required and must be a boolean")
            }
            return APIResponse(json: try Self.archivePermission(documents, context, archived: archived))
        }
        api.delete("/permissions/:permissionId") { [documents] _, context in
            _ = try Self.archivePermission(documents, context, archived: true)
            return APIResponse.noContent
        }
        api.get("/permissions/:permissionId/assignments") { [documents] request, context in
            let principal = try context.caller()
            let permissionId = try Self.parameter(context, "permissionId")
            _ = try documents.get(.permission, permissionId, orgId: principal.orgId, what: "permission")
            return APIResponse(
                json: try Self.paged(documents.all(.permissionAssignment, orgId: principal.orgId, parent: permissionId).map(\.json), request))
        }
        api.post("/permissions/:permissionId/assignments") { [documents] _, context in
            let principal = try context.caller()
            let permissionId = try Self.parameter(context, "permissionId")
            guard let identityId = try Self.object(context.requestBody)["identityId"] as? String, !identityId.isEmpty else {
                throw APIError.badRequest("identityId is required and must be a non-empty string")
            }
            let permission = try documents.get(.permission, permissionId, orgId: principal.orgId, what: "permission").json
            guard permission["isArchived"] as? Bool != true else { throw APIError.badRequest("permission \(permissionId) is archived") }
            let existing = documents.all(.permissionAssignment, orgId: principal.orgId, parent: permissionId) {
                $0.json["identityId"] as? String == identityId
            }
            guard existing.isEmpty else { throw APIError(409, "permission \(permissionId) is already assigned to \(identityId)") }
            let id = documents.newId("as-")
            let now = SimulatedTransfer.format(Date())
            let assignment: [String: Any] = [
                "id": id, "permissionId": permissionId, "identityId": identityId, "isImmutable": false, "dateCreated": now, "dateUpdated": now,
            ]
            documents.insert(.permissionAssignment, id: id, orgId: principal.orgId, parent: permissionId, json: assignment)
            return APIResponse(json: assignment)
        }
        api.delete("/permissions/:permissionId/assignments/:assignmentId") { [documents] request, context in
            let principal = try context.caller()
            if let force = Self.formQuery(request.uri.query ?? "")["force"], !["true", "false"].contains(force) {
                throw APIError.badRequest("force must be true or false")
            }
            let assignmentId = try Self.parameter(context, "assignmentId")
            _ = try documents.get(
                .permissionAssignment, assignmentId, orgId: principal.orgId, parent: Self.parameter(context, "permissionId"), what: "assignment")
            documents.remove(.permissionAssignment, assignmentId)
            return APIResponse.noContent
        }
    }

    /// The `operations` of a permission body: a non-empty array of operation names Dfns knows.
    private static func permissionOperations(_ value: Any?) throws(APIError) -> [String] {
        guard let operations = value as? [String], !operations.isEmpty else {
            throw APIError.badRequest("operations is required and must be a non-empty array of operation names")
        }
        if let unknown = operations.first(where: { !permissionOperations.contains($0) }) {
            throw APIError.badRequest("operations: \(unknown) is not an operation")
        }
        return operations
    }

    /// Sets a permission's `isArchived`.
    private static func archivePermission(_ documents: DocumentStore, _ context: SimulatorRequestContext, archived: Bool) throws(APIError)
        -> [String: Any]
    {
        try documents.update(.permission, parameter(context, "permissionId"), orgId: context.caller().orgId, what: "permission") { permission in
            permission["isArchived"] = archived
            permission["dateUpdated"] = SimulatedTransfer.format(Date())
        }
    }
}
