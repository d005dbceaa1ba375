import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import NIOHTTP1
import Testing

/// Bad requests on the routes of the whole API: the SDK refuses what it can check before sending; the simulator
/// answers the rest with the 4xx Dfns gives, naming the field, and changes nothing.
@Suite("Bad requests across the API", .timeLimit(.minutes(2)))
struct APIValidationTests {
    @Test("the SDK refuses malformed requests before anything is sent")
    func refusedBySDK() {
        let cases: [(String, () throws -> Void)] = [
            ("an update with nothing to change", { _ = try DfnsWallets.updateWallet(walletId: "wa-1") }),
            ("a webhook without events", { _ = try DfnsWebhooks.createWebhook(url: "https://example.com", events: []) }),
            ("an id that would change the signed path", { _ = try DfnsKeys.getKey(keyId: "key-1/../wallets") }),
            ("a page size over 500", { _ = try DfnsKeys.listKeys(limit: 501) }),
            ("a transaction body without kind", { _ = try DfnsWallets.signAndBroadcastTransaction(walletId: "wa-1", ["to": "0x"]) }),
            ("a body that is not an object", { _ = try DfnsKeys.generateSignature(keyId: "key-1", ["Hash"]) }),
            ("a validator on a network without validators", { _ = try DfnsNetworks.listCantonValidators(network: "Ethereum") }),
            ("a bulk creation of 0 wallets", { _ = try DfnsWallets.bulkCreateWallets(network: "Bitcoin", count: 0, name: "x") }),
            (
                "a ledger proxy request with PUT",
                { _ = try DfnsWallets.cantonLedgerApiProxy(walletId: "wa-1", requestMethod: "PUT", resource: "/v2/version") }
            ),
        ]
        for (name, build) in cases {
            #expect(throws: DfnsError.self, "\(name)") { try build() }
        }
    }

    /// The generated catalogs check what they can the same way, naming the argument.
    @Test("the generated catalogs refuse an id that is not one and a page size out of range, naming the argument")
    func refusedByGeneratedCatalogs() {
        let cases: [(String, () throws -> Void)] = [
            ("feeSponsorId", { _ = try DfnsFeeSponsors.getFeeSponsor(feeSponsorId: "fs-1/../../wallets") }),
            ("permissionId", { _ = try DfnsPermissions.revokePermission(permissionId: "", assignmentId: "as-1") }),
            ("assignmentId", { _ = try DfnsPermissions.revokePermission(permissionId: "pm-1", assignmentId: "as 1") }),
            ("storeId", { _ = try DfnsSigners.submitGenesisOutput(storeId: "ks-1?x=1", outputJson: [:], file: [1]) }),
            ("limit", { _ = try DfnsVaults.listVaults(limit: 0) }),
            ("limit", { _ = try DfnsStaking.listStakes(limit: 501) }),
            ("body", { _ = try DfnsStaking.createStake(body: ["walletId": "wa-1"]) }),
        ]
        for (argument, build) in cases {
            let error = #expect(throws: DfnsError.self) { try build() }
            #expect(error?.code == .validation && error?.message.contains(argument) == true, "\(error?.message ?? "nothing thrown")")
        }
    }

    @Test("requests say what they are: signed, idempotent, bodyless")
    func requestShape() throws {
        #expect(try DfnsWallets.transferAsset(walletId: "wa-1", .native(to: "0x1", amount: "1", externalId: "t-1")).isIdempotent)
        let wallet = try DfnsWallets.createWallet(CreateWalletRequest(network: "Bitcoin", externalId: "w-1"))
        #expect(!wallet.isIdempotent && wallet.isSigned, "Dfns does not deduplicate wallets")
        let ping = try DfnsWebhooks.pingWebhook(webhookId: "wh-1")
        #expect(ping.body == nil && ping.isSigned, "a bodyless write sends no body")
        let call = try DfnsNetworks.callFunction(network: "Ethereum", contract: "0x1", abi: [:])
        #expect(!call.isSigned && call.method == .POST, "a contract call is an unsigned POST")
    }

    /// Signed bodies the SDK would not build, sent raw through `signedRequest`; the 400 names what is wrong.
    @Test(
        "the simulator answers bad bodies with a 400 naming the field",
        arguments: [
            ("PUT", "/wallets/{wallet}/tags", #"{"tags":[]}"#, "tags"),
            ("POST", "/wallets/{wallet}/transactions", #"{"kind":"Evm","to":"nope"}"#, "to must be"),
            ("POST", "/wallets/{wallet}/transactions", #"{"kind":"Teleport"}"#, "not a transaction kind"),
            ("POST", "/wallets/{wallet}/activate", #"{}"#, "needs no activation"),
            (
                "POST", "/wallets/import",
                #"{"network":"Bitcoin","curve":"secp256k1","protocol":"CGGMP24","minSigners":3,"encryptedKeyShares":[{"signerId":"a","encryptedKeyShare":"b"}]}"#,
                "minSigners"
            ),
            ("POST", "/wallets/bulk-create", #"{"network":"Bitcoin","count":0,"name":"x"}"#, "count"),
            ("POST", "/keys", #"{"scheme":"EdDSA","curve":"secp256k1"}"#, "scheme and curve"),
            ("POST", "/keys/{key}/signatures", #"{"kind":"Hash","hash":"zz"}"#, "hash must be"),
            ("POST", "/keys/{key}/derive", #"{"domain":"1","seed":"2"}"#, "hex"),
            (
                "POST", "/v2/policies",
                #"{"name":"x","activityKind":"Wallets:Sign","rule":{"kind":"AlwaysTrigger"},"action":{"kind":"RequestApproval"}}"#, "approvalGroups"
            ),
            (
                "POST", "/v2/policies", #"{"name":"x","activityKind":"Wallets:Teleport","rule":{"kind":"AlwaysTrigger"},"action":{"kind":"Block"}}"#,
                "activityKind"
            ),
            ("POST", "/webhooks", #"{"url":"ftp://example.com","events":["*"]}"#, "url"),
            ("POST", "/webhooks", #"{"url":"https://example.com","events":["wallet.teleported"]}"#, "wallet.teleported"),
            ("POST", "/networks/canton/validators", #"{"kind":"Custom"}"#, "Custom validator"),
            ("POST", "/networks/EthereumSepolia/transactions/reindex", #"{"txHash":"0x12"}"#, "txHash"),
        ])
    func refusedBySimulator(method: String, path: String, body: String, naming: String) async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            let wallet = try await client.createWallet(CreateWalletRequest(network: "EthereumSepolia"))
            let concrete = path.replacingOccurrences(of: "{wallet}", with: wallet.id).replacingOccurrences(
                of: "{key}", with: wallet.signingKey?.id ?? "")
            let json = try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
            let error = await #expect(throws: DfnsError.self) {
                try await client.signedRequest(method: HTTPMethod(rawValue: method), path: concrete, body: json)
            }
            #expect(error?.httpStatus == 400 && error?.message.contains(naming) == true, "\(method) \(path): \(error?.message ?? "")")
            #expect(try await sim.stat("walletsCreated") == 1)
        }
    }

    @Test("unsigned reads refuse bad input too: contract calls, fees, history windows")
    func unsignedRefusals() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let call = try await sim.raw("POST", "/networks/EthereumSepolia/call-function", body: Array(#"{"contract":"0x12","abi":{}}"#.utf8))
            #expect(call.status == 400 && "\(call.json)".contains("contract"))
            let nonEvm = try await sim.raw("POST", "/networks/Solana/call-function", body: Array(#"{"contract":"x","abi":{}}"#.utf8))
            #expect(nonEvm.status == 400)
            #expect(try await sim.raw("GET", "/networks/fees?network=Teleport").status == 400)
            #expect(try await sim.raw("GET", "/wallets/all/history?startTime=yesterday&endTime=today").status == 400)
        }
    }

    @Test("Dfns's organisation limits and feature switches: 5 webhooks, key export off by default")
    func limits() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            for index in 0..<5 {
                _ = try await client.send(DfnsWebhooks.createWebhook(url: "https://example.com/\(index)", events: ["*"]))
            }
            let sixth = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWebhooks.createWebhook(url: "https://example.com/6", events: ["*"]))
            }
            #expect(sixth?.httpStatus == 400)
            let key = try await client.send(DfnsKeys.createKey(["scheme": "EdDSA", "curve": "ed25519"]))
            let export = await #expect(throws: DfnsError.self) {
                try await client.send(
                    DfnsKeys.exportKey(keyId: key.id, encryptionKey: "k", supportedSchemes: [["protocol": "FROST", "curve": "ed25519"]]))
            }
            #expect(export?.httpStatus == 403)
            let solana = try await client.createWallet(CreateWalletRequest(network: "Solana"))
            let notCanton = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWallets.cantonLedgerApiProxy(walletId: solana.id, requestMethod: "GET", resource: "/v2/version"))
            }
            #expect(notCanton?.httpStatus == 400)
        }
    }

    @Test("cancel and speed-up apply only to a Broadcasted EVM transfer")
    func transferActions() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(30))) { sim in
            let client = sim.client()
            let evm = try await client.createWallet(CreateWalletRequest(network: "EthereumSepolia"))
            let pending = try await client.createTransfer(walletId: evm.id, .native(to: "0x" + String(repeating: "ab", count: 20), amount: "1"))
            let early = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWallets.cancelTransfer(walletId: evm.id, transferId: pending.id))
            }
            #expect(early?.httpStatus == 400 && early?.message.contains("Pending") == true)
            let solana = try await client.createWallet(CreateWalletRequest(network: "Solana"))
            let other = try await client.createTransfer(walletId: solana.id, .native(to: "So1ana", amount: "1"))
            let notEvm = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWallets.speedUpTransfer(walletId: solana.id, transferId: other.id))
            }
            #expect(notEvm?.httpStatus == 400 && notEvm?.message.contains("EVM") == true)
            let wrongKind = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWallets.getTransaction(walletId: evm.id, transactionId: pending.id))
            }
            #expect(wrongKind?.httpStatus == 404, "a transfer is not a transaction")
        }
    }
}
