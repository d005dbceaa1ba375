import DfnsSDK
import Testing

extension APICoverageTests {
    @Test("tenant: every method of the official tenant client")
    func tenant() async throws {
        try await withClient { _, client, recorder in
            // Organisations: Active, Suspended, then Archived for good.
            let created = try await client.send(DfnsTenant.createOrg(name: "cov-org", keyStores: [["kind": "Mpc"]]))
            let orgId = try #require(created["org"]?["id"]?.stringValue)
            #expect(orgId.hasPrefix("or-") && created["org"]?["status"] == "Active")
            #expect(try await client.send(DfnsTenant.getOrg(orgId: orgId))["org"]?["keyStores"] == [["kind": "Mpc"]])
            #expect(try await client.send(DfnsTenant.updateOrg(orgId: orgId, name: "renamed"))["org"]?["name"] == "renamed")
            #expect(try await client.send(DfnsTenant.updateOrgStatus(orgId: orgId, status: "Suspended")) == [:])
            #expect(try await client.send(DfnsTenant.listOrgs(status: "Suspended")).items.map { $0["id"] } == [.string(orgId)])
            #expect(try await client.send(DfnsTenant.listOrgs(status: "Active")).items.isEmpty)
            _ = try await client.send(DfnsTenant.updateOrgStatus(orgId: orgId, status: "Archived"))
            let archived = await #expect(throws: DfnsError.self) { try await client.send(DfnsTenant.updateOrgStatus(orgId: orgId, status: "Active")) }
            #expect(archived?.httpStatus == 400)

            // Tenant users, one per email.
            let user = try await client.send(DfnsTenant.createTenantUser(email: "cov@example.com", externalId: "cov-tu"))
            let userId = try #require(user["id"]?.stringValue)
            #expect(user["kind"] == "TenantUser" && user["username"] == "cov@example.com" && user["isSSORequired"] == false)
            let duplicate = await #expect(throws: DfnsError.self) { try await client.send(DfnsTenant.createTenantUser(email: "cov@example.com")) }
            #expect(duplicate?.httpStatus == 409)
            let badEmail = await #expect(throws: DfnsError.self) { try await client.send(DfnsTenant.createTenantUser(email: "not-an-email")) }
            #expect(badEmail?.httpStatus == 400)
            #expect(try await client.send(DfnsTenant.updateTenantUser(userId: userId, isSSORequired: true)) == [:])
            #expect(try await client.send(DfnsTenant.getTenantUser(userId: userId))["isSSORequired"] == true)
            #expect(try await client.send(DfnsTenant.listTenantUsers(limit: 10)).items.map { $0["id"] } == [.string(userId)])

            // User groups and their members.
            let group = try await client.send(DfnsTenant.createTenantUserGroup(name: "cov-group", description: "coverage"))
            let groupId = try #require(group["id"]?.stringValue)
            #expect(groupId.hasPrefix("ug-") && group["memberCount"] == 0)
            #expect(try await client.send(DfnsTenant.getTenantUserGroup(userGroupId: groupId))["description"] == "coverage")
            let renamed = try await client.send(DfnsTenant.updateTenantUserGroup(userGroupId: groupId, name: "cov-group-2", description: .null))
            #expect(renamed["name"] == "cov-group-2" && renamed["description"] == nil)
            #expect(try await client.send(DfnsTenant.listTenantUserGroups()).items.map { $0["id"] } == [.string(groupId)])
            _ = try await client.send(DfnsTenant.addTenantUserGroupMembers(userGroupId: groupId, userIds: [userId]))
            #expect(
                try await client.send(DfnsTenant.listTenantUserGroupMembers(userGroupId: groupId)).items.map { $0["userId"] } == [.string(userId)])
            #expect(try await client.send(DfnsTenant.getTenantUserGroup(userGroupId: groupId))["memberCount"] == 1)
            let stranger = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsTenant.addTenantUserGroupMembers(userGroupId: groupId, userIds: ["us-00000-00000-0000000000000000"]))
            }
            #expect(stranger?.httpStatus == 404)
            _ = try await client.send(DfnsTenant.removeTenantUserGroupMembers(userGroupId: groupId, userIds: [userId]))
            #expect(try await client.send(DfnsTenant.getTenantUserGroup(userGroupId: groupId))["memberCount"] == 0)

            // Tenant permissions, assigned and revoked with 204 (JSON null).
            let permissions = try await client.send(DfnsTenant.listTenantPermissions()).items
            let admin = try #require(permissions.first { $0["name"] == "TenantAdmin" }?["id"]?.stringValue)
            #expect(try await client.send(DfnsTenant.getTenantPermission(permissionId: admin))["isImmutable"] == true)
            #expect(try await client.send(DfnsTenant.assignTenantPermission(permissionId: admin, identityId: userId)) == .null)
            #expect(
                try await client.send(DfnsTenant.getTenantUser(userId: userId))["permissions"]?.arrayValue?.map { $0["permissionId"] } == [
                    .string(admin)
                ])
            let twice = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsTenant.assignTenantPermission(permissionId: admin, identityId: userId))
            }
            #expect(twice?.httpStatus == 409)
            #expect(try await client.send(DfnsTenant.revokeTenantPermission(permissionId: admin, identityId: userId)) == .null)
            #expect(try await client.send(DfnsTenant.getTenantUser(userId: userId))["permissions"] == [])

            _ = try await client.send(DfnsTenant.deleteTenantUserGroup(userGroupId: groupId))
            _ = try await client.send(DfnsTenant.deleteTenantUser(userId: userId))
            let gone = await #expect(throws: DfnsError.self) { try await client.send(DfnsTenant.getTenantUser(userId: userId)) }
            #expect(gone?.httpStatus == 404)
            #expect(recorder.missing(in: "tenant") == [])
        }
    }
}
