import DfnsSDK
import DfnsTestSupport
import Foundation
import NIOHTTP1
import Testing

/// The organisation's users through the auth client's routes (sent raw, through the SDK's any-endpoint
/// `signedRequest`; `APICoverageTests.auth()` sends them through ``DfnsAuth``).
@Suite("Users made through the API", .timeLimit(.minutes(2)))
struct AuthUsersTests {
    @Test("users are listed, made once per email, changed, deactivated and archived; nobody deactivates themselves")
    func users() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let admin = sim.client()
            let listed = try await sim.raw("GET", "/auth/users")
            let users = listed.json["items"] as? [[String: Any]] ?? []
            #expect(users.count == 1 && users.first?["kind"] as? String == "CustomerEmployee" && users.first?["isRegistered"] as? Bool == true)
            let me = try #require(users.first?["userId"] as? String)

            let made = try await admin.signedRequest(method: .POST, path: "/auth/users", body: ["email": "ana@example.com", "kind": "EndUser"])
            let userId = try #require(made["userId"]?.stringValue)
            #expect(made["isRegistered"] == false && made["isActive"] == true && made["username"] == "ana@example.com")
            for (body, status) in [
                (["email": "ana@example.com", "kind": "EndUser"] as JSONValue, 409), (["email": "bob@example.com", "kind": "Robot"], 400),
                (["email": "not-an-email", "kind": "EndUser"], 400),
            ] {
                let error = await #expect(throws: DfnsError.self) { try await admin.signedRequest(method: .POST, path: "/auth/users", body: body) }
                #expect(error?.httpStatus == status, "\(body)")
            }
            #expect(
                try await admin.signedRequest(method: .PUT, path: "/auth/users/\(userId)", body: ["isSSORequired": true])["isSSORequired"] == true)
            #expect(try await admin.signedRequest(method: .PUT, path: "/auth/users/\(userId)/deactivate")["isActive"] == false)
            #expect(try await admin.signedRequest(method: .PUT, path: "/auth/users/\(userId)/activate")["isActive"] == true)
            let yourself = await #expect(throws: DfnsError.self) { try await admin.signedRequest(method: .PUT, path: "/auth/users/\(me)/deactivate") }
            #expect(yourself?.httpStatus == 400)

            // A tenant user is invited in; the list filters by kind.
            _ = try await admin.send(DfnsTenant.createTenantUser(email: "tess@example.com"))
            #expect(
                try await admin.signedRequest(method: .POST, path: "/auth/users/invite", body: ["email": "tess@example.com", "kind": "TenantUser"])
                    == [:])
            let tenants = try await sim.raw("GET", "/auth/users?kind=TenantUser").json["items"] as? [[String: Any]] ?? []
            #expect(tenants.map { $0["username"] as? String } == ["tess@example.com"])

            // Archived for good, and no longer listed.
            #expect(try await admin.signedRequest(method: .DELETE, path: "/auth/users/\(userId)")["isActive"] == false)
            let again = await #expect(throws: DfnsError.self) { try await admin.signedRequest(method: .PUT, path: "/auth/users/\(userId)/activate") }
            #expect(again?.httpStatus == 400)
            let remaining = try await sim.raw("GET", "/auth/users").json["items"] as? [[String: Any]] ?? []
            #expect(!remaining.contains { $0["userId"] as? String == userId })
        }
    }
}
