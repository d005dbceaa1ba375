import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

@Suite("Simulator behaviour", .timeLimit(.minutes(2)))
struct SimulatorBehaviourTests {
    private static let evmAddress = "0x" + String(repeating: "ab", count: 20)

    @Test("the organisation rate limit answers 429 with Retry-After in the Dfns envelope")
    func rateLimit() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(rateLimitPerMinute: 120)) { sim in
            // At once, so a slow machine cannot refill the bucket between them (capacity 2 at 120/min).
            // Each answer as (status, a well-formed 429 envelope with a Retry-After of at least 1 s).
            let answers = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let response = try await sim.raw("GET", "/wallets")
                        let error = response.json["error"] as? [String: Any]
                        let wellFormed =
                            error?["status"] as? Int == 429 && error?["id"] is String && error?["message"] is String
                            && response.headers["retry-after"].flatMap { Int($0) }.map { $0 >= 1 } == true
                        return (response.status, wellFormed)
                    }
                }
                return try await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
            }
            let statuses = answers.map(\.0)
            #expect(statuses.filter { $0 == 200 }.count >= 2 && statuses.contains(429), "\(statuses)")
            let wellFormed = answers.filter { $0.0 == 429 }.allSatisfy(\.1)
            #expect(wellFormed, "every 429 carries the Dfns envelope and Retry-After")
        }
    }

    @Test(
        "invalid requests get 400s naming the problem",
        arguments: [
            ("/wallets", #"{"network":"Atlantis"}"#, "network"),
            ("/wallets", #"{"name":"no network"}"#, "network"),
            ("/wallets", #"{"network":"Ethereum","tags":"one"}"#, "tags"),
            ("/wallets", #"[1,2]"#, "JSON object"),
            ("TRANSFER", #"{"kind":"Native","to":"0xab","amount":"1.0"}"#, "amount"),
            ("TRANSFER", #"{"kind":"Native","to":"0xab","amount":10}"#, "amount"),
            ("TRANSFER", #"{"kind":"Native","to":"0xab","amount":"0"}"#, "amount"),
            ("TRANSFER", #"{"kind":"Native","amount":"10"}"#, "to"),
            ("TRANSFER", #"{"kind":"Erc20","to":"0xab","amount":"1"}"#, "contract"),
            ("TRANSFER", #"{"kind":"Teleport","to":"0xab","amount":"1"}"#, "kind"),
        ]
    )
    func badRequests(path: String, body: String, field: String) async throws {
        try await SimulatorHarness.withSimulator { sim in
            var target = path
            if path == "TRANSFER" {
                target = "/wallets/\(try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum")).id)/transfers"
            }
            let delegated = sim.delegatedClient()
            // Sign the exact bad body through the delegated flow so only the business validation can refuse it.
            let error = await #expect(throws: DfnsError.self) {
                try await delegated.signedRawWrite(path: target, body: Array(body.utf8), signer: sim.signers[.p256]!)
            }
            #expect(error?.httpStatus == 400, "\(error?.description ?? "")")
            #expect(error?.message.contains(field) == true, "\(error?.message ?? "") should name \(field)")
        }
    }

    @Test("a revoked token is answered 401 until restored; other tokens keep working")
    func revokedToken() async throws {
        var configuration = SimulatorConfiguration(transferStep: .milliseconds(50))
        configuration.authTokens = ["second-token"]
        try await SimulatorHarness.withSimulator(configuration) { sim in
            #expect(try await sim.raw("GET", "/wallets").status == 200)
            let revoke = try await sim.raw("PUT", "/_sim/revoked-tokens", body: Array(#"["\#(SimulatorHarness.token)"]"#.utf8), token: nil)
            #expect(revoke.status == 200)
            #expect(try await sim.raw("GET", "/wallets").status == 401)
            #expect(try await sim.raw("GET", "/wallets", token: "second-token").status == 200)
            #expect(try await sim.raw("PUT", "/_sim/revoked-tokens", body: Array("{}".utf8), token: nil).status == 400)
            _ = try await sim.raw("PUT", "/_sim/revoked-tokens", body: Array("[]".utf8), token: nil)
            #expect(try await sim.raw("GET", "/wallets").status == 200)
            let byEndpoint = try await sim.control("stats")["requestsByEndpoint"] as? [String: Int]
            #expect(byEndpoint?["read"] == 3)
        }
    }

    @Test("unknown wallets and transfers are 404 with details")
    func notFound() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let missing = try await sim.raw("GET", "/wallets/wa-00000-00000-0000000000000000")
            let error = missing.json["error"] as? [String: Any]
            #expect(missing.status == 404 && (error?["details"] as? [String: Any])?["walletId"] as? String == "wa-00000-00000-0000000000000000")
            let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
            #expect(try await sim.raw("GET", "/wallets/\(wallet.id)/transfers/xfr-nope").status == 404)
            #expect(try await sim.raw("GET", "/wallets?limit=0").status == 400)
            #expect(try await sim.raw("GET", "/wallets?limit=501").status == 400)
            #expect(try await sim.raw("GET", "/wallets?paginationToken=garbage!").status == 400)
        }
    }

    @Test("configured outcomes: Failed, Rejected by fraction and by deny list, each with a reason")
    func outcomes() async throws {
        for (configuration, expected) in [
            (SimulatorConfiguration(transferStep: .milliseconds(20), failedFraction: 1), "Failed"),
            (SimulatorConfiguration(transferStep: .milliseconds(20), rejectedFraction: 1), "Rejected"),
            (SimulatorConfiguration(transferStep: .milliseconds(20), deniedDestinations: [Self.evmAddress]), "Rejected"),
        ] {
            try await SimulatorHarness.withSimulator(configuration) { sim in
                let client = sim.client()
                let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
                let created = try await client.createTransfer(walletId: wallet.id, .native(to: Self.evmAddress, amount: "1"))
                let final = try await Self.waitForFinal(client, wallet.id, created.id)
                #expect(final.status.rawValue == expected)
                #expect(final.reason?.isEmpty == false)
            }
        }
    }

    @Test("a transfer awaiting approval waits in Pending until approved or rejected")
    func approvals() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .milliseconds(20), approvalFraction: 1)) { sim in
            let client = sim.client()
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
            let approved = try await client.createTransfer(walletId: wallet.id, .native(to: Self.evmAddress, amount: "1"))
            let rejected = try await client.createTransfer(walletId: wallet.id, .native(to: Self.evmAddress, amount: "2"))
            try await Task.sleep(for: .milliseconds(150))
            let waiting = try await client.getTransfer(walletId: wallet.id, transferId: approved.id)
            #expect(waiting.status == .pending && waiting.approvalId?.hasPrefix("ap-") == true)
            #expect(try await sim.raw("POST", "/_sim/approvals/\(approved.id)", body: Array(#"{"approve":true}"#.utf8), token: nil).status == 200)
            #expect(try await sim.raw("POST", "/_sim/approvals/\(rejected.id)", body: Array(#"{"approve":false}"#.utf8), token: nil).status == 200)
            #expect(try await sim.raw("POST", "/_sim/approvals/\(rejected.id)", body: Array(#"{"approve":true}"#.utf8), token: nil).status == 404)
            #expect(try await Self.waitForFinal(client, wallet.id, approved.id).status == .confirmed)
            #expect(try await Self.waitForFinal(client, wallet.id, rejected.id).status == .rejected)
        }
    }

    @Test("a user action is bound to its method, path and payload")
    func userActionBinding() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.delegatedClient()
            let signer = sim.signers[.ed25519]!
            let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
            let body = Array(#"{"network":"Ethereum"}"#.utf8)
            // Signed for /wallets, sent to another path.
            let token = try await client.userActionToken(path: "/wallets", body: body, signer: signer)
            let other = try await sim.raw(
                "POST", "/wallets/\(wallet.id)/transfers", body: Array(#"{"kind":"Native","to":"0xab","amount":"1"}"#.utf8),
                headers: ["X-DFNS-USERACTION": token])
            #expect(other.status == 403)
            // Tokens of one bearer are useless with another... and an unknown token is refused.
            #expect(try await sim.raw("POST", "/wallets", body: body, headers: ["X-DFNS-USERACTION": "ua-forged"]).status == 403)
        }
    }

    @Test("strict payload mode compares bytes")
    func strictPayload() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(strictPayloadMatch: true)) { sim in
            let client = sim.delegatedClient()
            let token = try await client.userActionToken(path: "/wallets", body: Array(#"{"network":"Ethereum"}"#.utf8), signer: sim.signers[.p256]!)
            let response = try await sim.raw(
                "POST", "/wallets", body: Array(#"{ "network": "Ethereum" }"#.utf8), headers: ["X-DFNS-USERACTION": token])
            #expect(response.status == 403)
        }
    }

    @Test("raw r||s ECDSA signatures are refused unless allowed")
    func rawECDSA() throws {
        let pair = try KeyGenerator.generate(.p256)
        let signer = try KeySigner(credentialId: "c", privateKeyPEM: pair.privateKeyPEM)
        let message = Array("client data".utf8)
        let raw = try Self.rawSignature(fromDER: signer.sign(message))
        let verifier = try PublicKeyVerifier(publicKeyPEM: pair.publicKeyPEM)
        #expect(!verifier.verify(signature: raw, message: message))
        #expect(verifier.verify(signature: raw, message: message, acceptRawECDSA: true))
    }

    @Test("faults are reproducible from the seed, whatever else the run drew")
    func reproducibleFaults() async throws {
        func statuses(seed: UInt64, walletsFirst: Int = 0) async throws -> [Int] {
            try await SimulatorHarness.withSimulator(SimulatorConfiguration(faults: [.read: FaultRule(serverErrorRate: 0.4)], seed: seed)) { sim in
                // Ids and challenges come from other stores' generators: they do not shift the fault draws.
                for _ in 0..<walletsFirst { _ = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum")) }
                var statuses: [Int] = []
                for _ in 0..<30 { statuses.append(try await sim.raw("GET", "/wallets").status) }
                return statuses
            }
        }
        let first = try await statuses(seed: 11)
        #expect(first.contains(200) && first.contains { $0 >= 500 })
        #expect(try await statuses(seed: 11) == first)
        #expect(try await statuses(seed: 11, walletsFirst: 3) == first)
        #expect(try await statuses(seed: 12) != first)
    }

    @Test("a bad credential public key is refused at start-up")
    func badCredential() {
        #expect(throws: SimulatorConfigurationError.self) {
            try DfnsSimulator(
                configuration: SimulatorConfiguration(credentials: ["cr-bad": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]))
        }
        #expect(throws: SimulatorConfigurationError.self) { try FaultRule(parsing: "5xx=2") }
        #expect(throws: SimulatorConfigurationError.self) { try FaultRule(parsing: "explode=1") }
        #expect(
            (try? FaultRule(parsing: "5xx=0.2,latency-ms=30,lost=0.1"))
                == FaultRule(serverErrorRate: 0.2, latencyMilliseconds: 30, lostAfterCommitRate: 0.1))
    }

    // MARK: Helpers

    static func waitForFinal(_ client: DfnsClient, _ walletId: String, _ transferId: String) async throws -> Transfer {
        while true {
            let transfer = try await client.getTransfer(walletId: walletId, transferId: transferId)
            if transfer.status.isFinal { return transfer }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Converts a DER ECDSA signature (P-256) to 64-byte r‖s.
    static func rawSignature(fromDER der: [UInt8]) throws -> [UInt8] {
        var index = 2
        func integer() -> [UInt8] {
            let length = Int(der[index + 1])
            let value = Array(der[(index + 2)..<(index + 2 + length)].drop { $0 == 0 })
            index += 2 + length
            return Array(repeating: 0, count: 32 - value.count) + value
        }
        return integer() + integer()
    }
}
