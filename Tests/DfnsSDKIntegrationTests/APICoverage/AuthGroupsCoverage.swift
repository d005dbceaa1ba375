import DfnsSDK
import DfnsTestSupport
import Foundation
import Testing

extension APICoverageTests {
    /// The auth client's user groups, applications and audit logs, as ops/conformance/domains/auth_groups.py walks
    /// them with the official Python SDK.
    func exerciseAuthGroups(_ sim: SimulatorHarness.Running, _ client: DfnsClient) async throws {
        let me = try #require(try await client.send(DfnsAuth.listUsers()).items.first?["userId"]?.stringValue)
        let member = try #require(
            try await client.send(DfnsAuth.createUser(email: "group-member@example.com", kind: "CustomerEmployee"))["userId"]?.stringValue)

        // User groups, unique by name.
        let group = try await client.send(DfnsAuth.createUserGroup(name: "cov-group", description: "coverage"))
        let groupId = try #require(group["id"]?.stringValue)
        #expect(groupId.hasPrefix("ug-") && group["memberCount"] == 0 && group["orgId"]?.stringValue?.hasPrefix("or-") == true)
        await expectStatus(409) { try await client.send(DfnsAuth.createUserGroup(name: "cov-group")) }
        await expectStatus(400) { try await client.send(DfnsAuth.createUserGroup(name: "")) }
        #expect(try await client.send(DfnsAuth.getUserGroup(userGroupId: groupId))["description"] == "coverage")
        let renamed = try await client.send(DfnsAuth.updateUserGroup(userGroupId: groupId, name: "cov-group-2", description: .null))
        #expect(renamed["name"] == "cov-group-2" && renamed["description"] == nil)
        #expect(try await client.send(DfnsAuth.listUserGroups(limit: 10)).items.map { $0["id"] } == [.string(groupId)])

        // Members: users of the organisation, added and removed as sets.
        #expect(try await client.send(DfnsAuth.addUserGroupMembers(userGroupId: groupId, userIds: [member, me])) == [:])
        let members = try await client.send(DfnsAuth.listUserGroupMembers(userGroupId: groupId, limit: 10)).items
        #expect(members.map { $0["userId"] } == [.string(member), .string(me)] && members.first?["username"] == "group-member@example.com")
        #expect(try await client.send(DfnsAuth.getUserGroup(userGroupId: groupId))["memberCount"] == 2)
        await expectStatus(404) {
            try await client.send(DfnsAuth.addUserGroupMembers(userGroupId: groupId, userIds: ["us-00000-00000-0000000000000000"]))
        }
        await expectStatus(404) { try await client.send(DfnsAuth.getUserGroup(userGroupId: "ug-00000-00000-0000000000000000")) }
        #expect(try await client.send(DfnsAuth.removeUserGroupMembers(userGroupId: groupId, userIds: [member])) == [:])
        #expect(try await client.send(DfnsAuth.listUserGroupMembers(userGroupId: groupId)).items.map { $0["userId"] } == [.string(me)])

        // Deleting a group revokes its permissions; its name is free again.
        let permission = try #require(
            try await client.send(DfnsPermissions.createPermission(name: "cov-group-perm", operations: ["Wallets:Read"]))["id"]?.stringValue)
        _ = try await client.send(DfnsPermissions.assignPermission(permissionId: permission, identityId: groupId))
        #expect(try await client.send(DfnsAuth.deleteUserGroup(userGroupId: groupId)) == [:])
        #expect(try await client.send(DfnsPermissions.listAssignments(permissionId: permission)).items.isEmpty)
        await expectStatus(404) { try await client.send(DfnsAuth.getUserGroup(userGroupId: groupId)) }
        let reused = try await client.send(DfnsAuth.createUserGroup(name: "cov-group-2"))

        // Applications: the default one, and the one a token is linked to.
        let pat = try await client.send(
            DfnsAuth.createPersonalAccessToken(name: "cov-app-pat", publicKey: try KeyGenerator.generate(.p256).publicKeyPEM))
        let linked = try #require(pat["linkedAppId"]?.stringValue)
        let apps = try await client.send(DfnsAuth.listApplications()).items
        #expect(apps.first?["kind"] == "ClientSideApplication" && apps.map { $0["appId"] }.contains(.string(linked)))
        let defaultApp = try #require(apps.first?["appId"]?.stringValue)
        #expect(try await client.send(DfnsAuth.getApplication(appId: defaultApp))["expectedRpId"]?.stringValue?.isEmpty == false)
        #expect(try await client.send(DfnsAuth.getApplication(appId: linked))["kind"] == "ServerSideApplication")
        await expectStatus(404) { try await client.send(DfnsAuth.getApplication(appId: "ap-00000-00000-0000000000000000")) }

        // Audit logs: every signature above is a row of the export (a JSON string here; text/csv when asked).
        let hour = Date.ISO8601FormatStyle()
        let (start, end) = (Date().addingTimeInterval(-3600).formatted(hour), Date().addingTimeInterval(3600).formatted(hour))
        let csv = try #require(try await client.send(DfnsAuth.listAuditLogs(startTime: start, endTime: end)).stringValue)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.first == ["Date Performed", "Audit Log ID", "User ID", "Username", "Primary Credential ID", "Action Path", "Summary"])
        let creations = rows.filter { $0.count == 7 && $0[6] == "POST /auth/user-groups" }
        // Signature events: the refused creations (409, 400) were signed too.
        #expect(creations.count == 4)
        let logId = try #require(creations.last?[1])
        let query = "startTime=\(start)&endTime=\(end)".replacingOccurrences(of: ":", with: "%3A")
        let raw = try await sim.raw("GET", "/auth/action/logs?\(query)", headers: ["Accept": "text/csv"])
        #expect(raw.status == 200 && raw.headers["content-type"]?.hasPrefix("text/csv") == true)
        let filtered = try await client.send(DfnsAuth.listAuditLogs(startTime: start, endTime: end, userId: "us-00000-00000-0000000000000000"))
        #expect(filtered.stringValue?.contains("\n") == false)
        await expectStatus(400) { try await client.send(DfnsAuth.listAuditLogs(startTime: "yesterday", endTime: end)) }

        let entry = try await client.send(DfnsAuth.getAuditLog(id: logId))
        let action = try JSONDecoder().decode(JSONValue.self, from: Data(try #require(entry["action"]?.stringValue).utf8))
        #expect(action["userActionHttpPath"] == "/auth/user-groups" && action["userActionHttpMethod"] == "POST")
        #expect(action["userActionPayload"] == #"{"name":"cov-group-2"}"#)
        #expect(entry["userId"] == .string(me) && entry["actionToken"]?.stringValue?.isEmpty == false)
        let credential = entry["firstFactorCredential"]
        #expect(credential?["kind"] == "Key" && credential?["id"] == .string(SimulatorHarness.credentialId(.p256)))
        #expect(credential?["publicKey"]?.stringValue?.hasPrefix("-----BEGIN PUBLIC KEY-----") == true)
        #expect(credential?["assertion"]?["authenticatorData"] == .null && credential?["assertion"]?["signature"]?.stringValue?.isEmpty == false)
        await expectStatus(404) { try await client.send(DfnsAuth.getAuditLog(id: "uj-00000-00000-0000000000000000")) }

        // Key material is withheld from the details.
        _ = try await client.send(
            DfnsKeys.importKey([
                "curve": "ed25519", "protocol": "FROST", "minSigners": 1, "encryptedKeyShares": [["signerId": "s1", "encryptedKeyShare": "AAAA"]],
            ]))
        let export = try await client.send(DfnsAuth.listAuditLogs(startTime: start, endTime: end)).stringValue ?? ""
        let importId = try #require(export.split(separator: "\n").map { $0.split(separator: ",") }.first { $0.last == "POST /keys/import" }?[1])
        await expectStatus(403) { try await client.send(DfnsAuth.getAuditLog(id: String(importId))) }
        _ = try await client.send(DfnsAuth.deleteUserGroup(userGroupId: try #require(reused["id"]?.stringValue)))
    }
}
