import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import NIOHTTP1
import Testing

/// Personal access tokens and service accounts made through the API (the auth client's routes sent raw, through the
/// SDK's any-endpoint `signedRequest`; `APICoverageTests.auth()` sends them through ``DfnsAuth``): their bearer authenticates at once and their user actions are signed with the key they
/// were made with, and nothing else; deactivated or archived, they are refused as Dfns refuses them.
@Suite("Access tokens made through the API", .timeLimit(.minutes(2)))
struct AccessTokenTests {
    /// A client acting with `bearer` and signing as credential `credentialId` with `key`.
    private static func client(_ sim: SimulatorHarness.Running, bearer: String, credentialId: String, key: String) throws -> DfnsClient {
        DfnsClient(
            configuration: DfnsClientConfiguration(baseURL: sim.baseURL, authToken: bearer),
            signer: try KeySigner(credentialId: credentialId, privateKeyPEM: key))
    }

    @Test("a personal access token authenticates and signs with its own key; deactivated or archived it is refused")
    func personalAccessToken() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let admin = sim.client()
            let key = try KeyGenerator.generate(.ed25519)
            let made = try await admin.signedRequest(
                method: .POST, path: "/auth/pats", body: ["name": "ci", "publicKey": .string(key.publicKeyPEM), "externalId": "pat-1"])
            let bearer = try #require(made["accessToken"]?.stringValue)
            let tokenId = try #require(made["tokenId"]?.stringValue)
            let credentialId = try #require(made["credId"]?.stringValue)
            #expect(made["kind"] == "Pat" && made["isActive"] == true && made["externalId"] == "pat-1")

            // The token acts: a read, and a signed write signed with its key.
            let pat = try Self.client(sim, bearer: bearer, credentialId: credentialId, key: key.privateKeyPEM)
            let wallet = try await pat.createWallet(CreateWalletRequest(network: "EthereumSepolia"))
            #expect(try await pat.getWallet(id: wallet.id).id == wallet.id)
            // The challenge allows its credential alone, and another key under that credential id does not sign.
            let challenge = try await DfnsDelegatedClient(configuration: DfnsClientConfiguration(baseURL: sim.baseURL, authToken: bearer))
                .initUserAction(.POST, "/wallets", body: Array(#"{"network":"Bitcoin"}"#.utf8))
            #expect(challenge.allowedKeyCredentialIds == [credentialId] && challenge.allowedWebAuthnCredentialIds.isEmpty)
            let impostor = try Self.client(sim, bearer: bearer, credentialId: credentialId, key: sim.privateKeys[.p256]!)
            let unsigned = await #expect(throws: DfnsError.self) { try await impostor.createWallet(CreateWalletRequest(network: "Bitcoin")) }
            #expect(unsigned?.httpStatus == 401)
            // A token makes no tokens.
            let nested = await #expect(throws: DfnsError.self) {
                try await pat.signedRequest(method: .POST, path: "/auth/pats", body: ["name": "nested", "publicKey": .string(key.publicKeyPEM)])
            }
            #expect(nested?.httpStatus == 403)
            // The bearer is answered once.
            let read = try await sim.raw("GET", "/auth/pats/\(tokenId)")
            #expect(read.status == 200 && read.json["tokenId"] as? String == tokenId && read.json["accessToken"] == nil)

            let renamed = try await admin.signedRequest(method: .PUT, path: "/auth/pats/\(tokenId)", body: ["name": "ci-2"])
            #expect(renamed["name"] == "ci-2" && renamed["externalId"] == "pat-1")
            _ = try await admin.signedRequest(method: .PUT, path: "/auth/pats/\(tokenId)/deactivate")
            let inactive = await #expect(throws: DfnsError.self) { try await pat.getWallet(id: wallet.id) }
            #expect(inactive?.httpStatus == 401)
            _ = try await admin.signedRequest(method: .PUT, path: "/auth/pats/\(tokenId)/activate")
            #expect(try await pat.getWallet(id: wallet.id).id == wallet.id)
            let archived = try await admin.signedRequest(method: .DELETE, path: "/auth/pats/\(tokenId)")
            #expect(archived["isActive"] == false)
            let gone = await #expect(throws: DfnsError.self) { try await pat.getWallet(id: wallet.id) }
            #expect(gone?.httpStatus == 401)
            let revived = await #expect(throws: DfnsError.self) {
                try await admin.signedRequest(method: .PUT, path: "/auth/pats/\(tokenId)/activate")
            }
            #expect(revived?.httpStatus == 400, "archiving is for good")
        }
    }

    @Test("a service account is a user with one token; deactivated, its token is refused")
    func serviceAccount() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let admin = sim.client()
            let key = try KeyGenerator.generate(.p256)
            let made = try await admin.signedRequest(
                method: .POST, path: "/auth/service-accounts", body: ["name": "payments", "publicKey": .string(key.publicKeyPEM), "daysValid": 30])
            let userId = try #require(made["userInfo"]?["userId"]?.stringValue)
            let token = try #require(made["accessTokens"]?.arrayValue?.first)
            #expect(made["userInfo"]?["isServiceAccount"] == true && token["kind"] == "ServiceAccount")
            let account = try Self.client(
                sim, bearer: try #require(token["accessToken"]?.stringValue), credentialId: try #require(token["credId"]?.stringValue),
                key: key.privateKeyPEM)
            let wallet = try await account.createWallet(CreateWalletRequest(network: "Solana"))
            #expect(try await admin.getWallet(id: wallet.id).id == wallet.id, "the account acts in the organisation")

            _ = try await admin.signedRequest(method: .PUT, path: "/auth/service-accounts/\(userId)/deactivate", body: ["force": true])
            let refused = await #expect(throws: DfnsError.self) { try await account.getWallet(id: wallet.id) }
            #expect(refused?.httpStatus == 401)
            for (body, field) in [
                (["name": "x", "publicKey": "not a key"] as JSONValue, "publicKey"),
                (["name": "x", "publicKey": .string(key.publicKeyPEM), "daysValid": 731], "daysValid"),
                (["publicKey": .string(key.publicKeyPEM)], "name"),
            ] {
                let error = await #expect(throws: DfnsError.self) {
                    try await admin.signedRequest(method: .POST, path: "/auth/service-accounts", body: body)
                }
                #expect(error?.httpStatus == 400 && error?.message.contains(field) == true, "\(error?.message ?? "")")
            }
        }
    }
}
