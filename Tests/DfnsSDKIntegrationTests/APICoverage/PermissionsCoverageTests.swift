import DfnsSDK
import NIOHTTP1
import Testing

extension APICoverageTests {
    @Test("permissions: every method of the official permissions client")
    func permissions() async throws {
        try await withClient { _, client, recorder in
            let permission = try await client.send(
                DfnsPermissions.createPermission(name: "treasury", operations: ["Wallets:Read", "Wallets:Create"]))
            let permissionId = try #require(permission["id"]?.stringValue)
            #expect(permission["status"] == "Active" && permission["isArchived"] == false)
            #expect(try await client.send(DfnsPermissions.getPermission(permissionId: permissionId)) == permission)
            #expect(try await client.send(DfnsPermissions.listPermissions(limit: 10)).items == [permission])
            let updated = try await client.send(DfnsPermissions.updatePermission(permissionId: permissionId, operations: ["Wallets:Read"]))
            #expect(updated["operations"] == ["Wallets:Read"] && updated["name"] == "treasury")
            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsPermissions.createPermission(name: "other", operations: ["Wallets:Fly"]))
            }
            #expect(unknown?.httpStatus == 400)

            let assignment = try await client.send(DfnsPermissions.assignPermission(permissionId: permissionId, identityId: "us-someone"))
            let assignmentId = try #require(assignment["id"]?.stringValue)
            let twice = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsPermissions.assignPermission(permissionId: permissionId, identityId: "us-someone"))
            }
            #expect(twice?.httpStatus == 409)
            #expect(try await client.send(DfnsPermissions.listAssignments(permissionId: permissionId)).items == [assignment])
            // Revoking is a hard deletion answered 204: no content, read as null.
            #expect(
                try await client.send(DfnsPermissions.revokePermission(permissionId: permissionId, assignmentId: assignmentId, force: true)) == .null)
            #expect(try await client.send(DfnsPermissions.listAssignments(permissionId: permissionId)).items.isEmpty)

            // A number is not a boolean, though Foundation on Linux reads JSON 1 as `true`.
            let numeric = await #expect(throws: DfnsError.self) {
                try await client.signedRequest(method: .PUT, path: "/permissions/\(permissionId)/archive", body: ["isArchived": 1])
            }
            #expect(numeric?.httpStatus == 400)
            #expect(try await client.send(DfnsPermissions.archivePermission(permissionId: permissionId, isArchived: true))["isArchived"] == true)
            #expect(try await client.send(DfnsPermissions.archivePermission(permissionId: permissionId, isArchived: false))["isArchived"] == false)
            #expect(try await client.send(DfnsPermissions.deletePermission(permissionId: permissionId)) == .null)
            #expect(try await client.send(DfnsPermissions.getPermission(permissionId: permissionId))["isArchived"] == true)
            #expect(recorder.missing(in: "permissions") == [])
        }
    }
}
