import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

/// The simulator's own choices for the auth client's user groups and audit logs, where Dfns's sources are silent.
@Suite("Auth user groups and audit logs", .timeLimit(.minutes(2)))
struct AuthGroupsTests {
    @Test("a member archived since leaves the group's list and count, cannot join again, and can still be removed")
    func archivedMember() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            let userId = try #require(try await client.send(DfnsAuth.createUser(email: "leaver@example.com", kind: "EndUser"))["userId"]?.stringValue)
            let groupId = try #require(try await client.send(DfnsAuth.createUserGroup(name: "leavers"))["id"]?.stringValue)
            _ = try await client.send(DfnsAuth.addUserGroupMembers(userGroupId: groupId, userIds: [userId, userId]))
            #expect(try await client.send(DfnsAuth.getUserGroup(userGroupId: groupId))["memberCount"] == 1, "members are a set")

            _ = try await client.send(DfnsAuth.deleteUser(userId: userId))
            #expect(try await client.send(DfnsAuth.listUserGroupMembers(userGroupId: groupId)).items.isEmpty)
            #expect(try await client.send(DfnsAuth.getUserGroup(userGroupId: groupId))["memberCount"] == 0)
            let rejoin = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsAuth.addUserGroupMembers(userGroupId: groupId, userIds: [userId]))
            }
            #expect(rejoin?.httpStatus == 400)
            #expect(try await client.send(DfnsAuth.removeUserGroupMembers(userGroupId: groupId, userIds: [userId])) == [:])
        }
    }

    @Test("a service account's signature is a CSV row quoted as RFC 4180, detailed with its own key")
    func serviceAccountRow() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let admin = sim.client()
            let key = try KeyGenerator.generate(.p256)
            let account = try await admin.send(DfnsAuth.createServiceAccount(name: #"Ops, "night""#, publicKey: key.publicKeyPEM))
            let token = try #require(account["accessTokens"]?.arrayValue?.first?["accessToken"]?.stringValue)
            let credentialId = try #require(account["accessTokens"]?.arrayValue?.first?["credId"]?.stringValue)
            let accountId = try #require(account["userInfo"]?["userId"]?.stringValue)
            let robot = DfnsClient(
                configuration: DfnsClientConfiguration(baseURL: sim.baseURL, authToken: token, requestsPerMinute: nil),
                signer: try KeySigner(credentialId: credentialId, privateKeyPEM: key.privateKeyPEM))
            _ = try await robot.send(DfnsAuth.createUserGroup(name: "night shift"))

            let hour = Date.ISO8601FormatStyle()
            let (start, end) = (Date().addingTimeInterval(-60).formatted(hour), Date().addingTimeInterval(60).formatted(hour))
            let csv = try #require(try await admin.send(DfnsAuth.listAuditLogs(startTime: start, endTime: end, userId: accountId)).stringValue)
            let lines = csv.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(csv)")
            let row = try #require(lines.last)
            #expect(row.contains(",\(accountId),\"Ops, \"\"night\"\"\",") && row.hasSuffix(",/auth/user-groups,POST /auth/user-groups"), "\(row)")

            let logId = String(row.split(separator: ",")[1])
            let entry = try await admin.send(DfnsAuth.getAuditLog(id: logId))
            #expect(entry["username"] == #"Ops, "night""# && entry["userId"] == .string(accountId))
            #expect(entry["firstFactorCredential"]?["id"] == .string(credentialId))
            #expect(entry["firstFactorCredential"]?["publicKey"] == .string(key.publicKeyPEM))
            let clientData = try #require(entry["firstFactorCredential"]?["assertion"]?["clientData"]?.stringValue)
            let decoded = try #require(Data(base64Encoded: Self.standardBase64(clientData)))
            #expect(try JSONDecoder().decode(JSONValue.self, from: decoded)["type"] == "key.get")

            // An end of the window before its start, and a start that is no date, are refused.
            for (from, to) in [(end, start), ("2026-13-01", end)] {
                let refused = await #expect(throws: DfnsError.self) { try await admin.send(DfnsAuth.listAuditLogs(startTime: from, endTime: to)) }
                #expect(refused?.httpStatus == 400)
            }
        }
    }

    private static func standardBase64(_ url: String) -> String {
        let text = url.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return text + String(repeating: "=", count: (4 - text.count % 4) % 4)
    }
}
