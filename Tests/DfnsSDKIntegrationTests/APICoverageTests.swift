import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import Testing

/// Every method of the official SDK's clients DfnsSDK covers whole, sent through the Swift SDK to the simulator over
/// HTTP. Each domain test walks its entities through their lifecycle and then checks that every official route of the
/// domain answered 2xx; the table test keeps the coverage tables (README.md by client, docs/api-coverage/methods.md by
/// method) in step with docs/api-coverage/official-methods.tsv.
@Suite("The Dfns API method by method against the simulator", .timeLimit(.minutes(2)))
struct APICoverageTests {
    static let evmAddress = "0x" + String(repeating: "ab", count: 20)

    func withClient(
        _ configuration: SimulatorConfiguration = SimulatorConfiguration(transferStep: .seconds(60)),
        _ body: @Sendable (SimulatorHarness.Running, DfnsClient, APICoverage.Recorder) async throws -> Void
    ) async throws {
        let recorder = APICoverage.Recorder()
        try await SimulatorHarness.withSimulator(configuration) { sim in
            try await body(sim, sim.client(.p256) { $0.observer = recorder }, recorder)
        }
    }

    /// Polls until `read` returns an entity in one of `statuses`, for at most 20 s. The simulator's statuses follow its
    /// clock: a test that must act in one status gives each stage a step long enough for a loaded machine to see it.
    private func wait<Entity: Sendable>(for statuses: Set<TransferStatus>, _ read: () async throws -> Entity, _ statusOf: (Entity) -> TransferStatus)
        async throws -> Entity
    {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let entity = try await read()
            if statuses.contains(statusOf(entity)) { return entity }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw DfnsError(code: .timeout, message: "never reached \(statuses)")
    }

    @Test("wallets: every method of the official wallets client")
    func wallets() async throws {
        try await withClient { sim, client, recorder in
            // Wallets, tags, assets.
            let wallet = try await client.send(
                DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "cov", externalId: "cov-w")))
            #expect(try await client.send(DfnsWallets.getWallet(walletId: wallet.id)).id == wallet.id)
            // A second wallet on the same key (signingKey.id), on another EVM network; a key of another curve is refused.
            let keyId = try #require(wallet.signingKey?.id)
            let sharing = try await client.send(
                DfnsWallets.createWallet(
                    CreateWalletRequest(network: "BaseSepolia", signingKey: .init(id: keyId), delayDelegation: true, validatorId: nil)))
            #expect(sharing.signingKey?.id == keyId && sharing.signingKey?.publicKey == wallet.signingKey?.publicKey)
            let otherCurve = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "Solana", signingKey: .init(id: keyId))))
            }
            #expect(otherCurve?.httpStatus == 400)
            #expect(try await client.send(DfnsWallets.listWallets(limit: 10)).items.map(\.id).contains(wallet.id))
            #expect(try await client.send(DfnsWallets.updateWallet(walletId: wallet.id, name: "renamed")).name == "renamed")
            _ = try await client.send(DfnsWallets.tagWallet(walletId: wallet.id, tags: ["a", "b"]))
            _ = try await client.send(DfnsWallets.untagWallet(walletId: wallet.id, tags: ["a"]))
            #expect(try await client.getWallet(id: wallet.id).tags == ["b"])
            #expect(try await client.send(DfnsWallets.getWalletAssets(walletId: wallet.id, netWorth: true))["assets"]?.arrayValue?.count == 1)
            #expect(try await client.send(DfnsWallets.getWalletNfts(walletId: wallet.id))["nfts"] == .array([]))

            // Transfers and transactions: one of each to abort (Executing), speed up and cancel (Broadcasted).
            var transfers: [Transfer] = []
            var transactions: [Transaction] = []
            for index in 0..<3 {
                transfers.append(
                    try await client.send(
                        DfnsWallets.transferAsset(walletId: wallet.id, .native(to: Self.evmAddress, amount: "1\(index)", externalId: "cov-t\(index)"))
                    ))
                transactions.append(
                    try await client.send(
                        DfnsWallets.signAndBroadcastTransaction(
                            walletId: wallet.id,
                            ["kind": "Evm", "to": .string(Self.evmAddress), "value": "1", "data": "0x", "externalId": .string("cov-x\(index)")]
                        )))
            }
            #expect(try await client.send(DfnsWallets.listTransfers(walletId: wallet.id)).items.count == 3)
            #expect(try await client.send(DfnsWallets.listTransactions(walletId: wallet.id)).items.map(\.id) == transactions.map(\.id))
            // The control plane moves each into the stage an action needs; a minute per stage keeps it there.
            func advance(_ id: String, to status: TransferStatus) async throws {
                _ = try await sim.control(post: "transfers/\(id)/advance", ["status": status.rawValue])
            }
            try await advance(transfers[0].id, to: .executing)
            #expect(try await client.send(DfnsWallets.getTransfer(walletId: wallet.id, transferId: transfers[0].id)).status == .executing)
            #expect(try await client.send(DfnsWallets.abortTransfer(walletId: wallet.id, transferId: transfers[0].id)).status == .failed)
            try await advance(transactions[0].id, to: .executing)
            #expect(try await client.send(DfnsWallets.getTransaction(walletId: wallet.id, transactionId: transactions[0].id)).status == .executing)
            #expect(try await client.send(DfnsWallets.abortTransaction(walletId: wallet.id, transactionId: transactions[0].id)).status == .failed)
            for id in [transfers[1].id, transfers[2].id, transactions[1].id, transactions[2].id] { try await advance(id, to: .broadcasted) }
            // Cancel and speed-up answer the replacement transaction (dfns-sdk-python: TransactionRequest), which the
            // original then names; the two race for the nonce.
            let spedUp = try await client.send(DfnsWallets.speedUpTransfer(walletId: wallet.id, transferId: transfers[1].id))
            #expect(spedUp.id.hasPrefix("tx-") && spedUp.status == .broadcasted)
            #expect(try await client.send(DfnsWallets.getTransfer(walletId: wallet.id, transferId: transfers[1].id)).replacementId == spedUp.id)
            #expect(try await client.send(DfnsWallets.getTransaction(walletId: wallet.id, transactionId: spedUp.id)).id == spedUp.id)
            #expect(try await client.send(DfnsWallets.cancelTransfer(walletId: wallet.id, transferId: transfers[2].id)).id.hasPrefix("tx-"))
            #expect(try await client.send(DfnsWallets.speedUpTransaction(walletId: wallet.id, transactionId: transactions[1].id)).id.hasPrefix("tx-"))
            #expect(try await client.send(DfnsWallets.cancelTransaction(walletId: wallet.id, transactionId: transactions[2].id)).id.hasPrefix("tx-"))

            // History: the sped-up transfer's replacement is mined, so the payment is on chain (the original, replaced,
            // shows Failed).
            try await advance(spedUp.id, to: .confirmed)
            #expect(try await client.send(DfnsWallets.getTransfer(walletId: wallet.id, transferId: transfers[1].id)).status == .failed)
            let history = try await client.send(DfnsWallets.getWalletHistory(walletId: wallet.id, filters: ["direction": "Out"]))
            #expect(history.items.count == 1)
            let hour = Date.ISO8601FormatStyle()
            let org = try await client.send(
                DfnsWallets.listOrgWalletHistory(
                    startTime: Date().addingTimeInterval(-3600).formatted(hour), endTime: Date().addingTimeInterval(3600).formatted(hour)
                ))
            #expect(org.items.count == 1)

            // Canton: activation and the ledger proxy.
            let canton = try await client.createWallet(CreateWalletRequest(network: "Canton"))
            #expect(try await client.send(DfnsWallets.activateWallet(walletId: canton.id, ["kind": "Canton"])).requestBody?["kind"] == "Activate")
            #expect(
                try await client.send(DfnsWallets.cantonLedgerApiProxy(walletId: canton.id, requestMethod: "GET", resource: "/v2/version"))["status"]
                    == 200)

            // Import and bulk creation.
            let shares: JSONValue = [["signerId": "s1", "encryptedKeyShare": "AAAA"], ["signerId": "s2", "encryptedKeyShare": "BBBB"]]
            let imported = try await client.send(
                DfnsWallets.importWallet([
                    "network": "EthereumSepolia", "curve": "secp256k1", "protocol": "CGGMP24", "minSigners": 2, "encryptedKeyShares": shares,
                    "name": "imported",
                ]))
            #expect(imported.name == "imported")
            let job = try await client.send(
                DfnsWallets.bulkCreateWallets(network: "Bitcoin", count: 3, name: "batch", tags: ["bulk"], keystoreId: "ks-1"))
            #expect(job.status == "Completed" && job.totalCount == 3 && job.raw["keystoreId"] == "ks-1")
            #expect(try await client.send(DfnsWallets.listBulkWalletJobs(status: "Completed")).items.map(\.id) == [job.id])
            #expect(try await client.send(DfnsWallets.getBulkWalletJob(jobId: job.id)).completedCount == 3)
            #expect(
                try await client.send(DfnsWallets.listBulkWalletJobWallets(jobId: job.id)).items.map(\.name) == ["batch-1", "batch-2", "batch-3"])

            // Offers, made by a counterparty through the control plane.
            let offers = try await [1, 2].asyncMap { _ in try await sim.control(post: "offers", ["walletId": canton.id])["id"] as? String ?? "" }
            #expect(try await client.send(DfnsWallets.listOffers(walletId: canton.id)).items.map(\.id) == offers)
            #expect(try await client.send(DfnsWallets.getOffer(walletId: canton.id, offerId: offers[0])).status == "Pending")
            #expect(try await client.send(DfnsWallets.acceptOffer(walletId: canton.id, offerId: offers[0])).status == "Accepted")
            #expect(try await client.send(DfnsWallets.rejectOffer(walletId: canton.id, offerId: offers[1])).status == "Rejected")
            let again = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWallets.acceptOffer(walletId: canton.id, offerId: offers[1]))
            }
            #expect(again?.httpStatus == 400)

            #expect(recorder.missing(in: "wallets") == [])
        }
    }

    @Test("keys: every method of the official keys client")
    func keys() async throws {
        var configuration = SimulatorConfiguration(transferStep: .milliseconds(100))
        configuration.keyExportEnabled = true
        try await withClient(configuration) { _, client, recorder in
            let key = try await client.send(DfnsKeys.createKey(["scheme": "ECDSA", "curve": "secp256k1", "name": "treasury"]))
            #expect(key.scheme == "ECDSA" && key.name == "treasury" && key.status == "Active")
            #expect(try await client.send(DfnsKeys.getKey(keyId: key.id)) == key)
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Solana"))
            let walletKeyId = try #require(wallet.signingKey?.id)
            #expect(try await client.send(DfnsKeys.getKey(keyId: walletKeyId)).curve == "ed25519", "a wallet's signing key is a key")
            let listed = try await Array(collecting: client.all { try DfnsKeys.listKeys(limit: 1, paginationToken: $0) })
            #expect(Set(listed.map(\.id)) == [key.id, walletKeyId])
            #expect(try await client.send(DfnsKeys.updateKey(keyId: key.id, name: "renamed")).name == "renamed")
            let derived = try await client.send(DfnsKeys.deriveKey(keyId: key.id, domain: "0x01", seed: "0x02"))
            #expect(
                derived == (try await client.send(DfnsKeys.deriveKey(keyId: key.id, domain: "0x01", seed: "0x02"))), "derivation is deterministic")

            let body: JSONValue = ["kind": "Hash", "hash": .string("0x" + String(repeating: "1f", count: 32)), "externalId": "cov-sig-1"]
            let signature = try await client.send(DfnsKeys.generateSignature(keyId: key.id, body))
            #expect(signature.status == "Pending" && signature.externalId == "cov-sig-1")
            #expect(try await client.send(DfnsKeys.generateSignature(keyId: key.id, body)).id == signature.id, "a replay is the same signature")
            var signed = signature
            while signed.status != "Signed" {
                try await Task.sleep(for: .milliseconds(20))
                signed = try await client.send(DfnsKeys.getSignature(keyId: key.id, signatureId: signature.id))
            }
            #expect(signed.signature?["encoded"]?.stringValue?.hasPrefix("0x") == true && signed.dateSigned != nil)
            #expect(try await client.send(DfnsKeys.listSignatures(keyId: key.id)).items.map(\.id) == [signature.id])

            let exported = try await client.send(
                DfnsKeys.exportKey(keyId: key.id, encryptionKey: "pk-hex", supportedSchemes: [["protocol": "CGGMP24", "curve": "secp256k1"]]))
            #expect(exported["encryptedKeyShares"]?.arrayValue?.isEmpty == false)
            #expect(try await client.send(DfnsKeys.delegateKey(keyId: key.id, delegateTo: "us-end-user"))["status"] == "Delegated")
            let imported = try await client.send(
                DfnsKeys.importKey([
                    "curve": "ed25519", "protocol": "FROST", "minSigners": 1,
                    "encryptedKeyShares": [["signerId": "s1", "encryptedKeyShare": "AAAA"]],
                ]))
            #expect(imported.raw["imported"] == true)
            #expect(try await client.send(DfnsKeys.deleteKey(keyId: imported.id)).status == "Archived")
            #expect(recorder.missing(in: "keys") == [])
        }
    }

    @Test("policies: every method of the official policies client, approvals decided through the API")
    func policies() async throws {
        try await withClient(SimulatorConfiguration(transferStep: .milliseconds(100), approvalFraction: 1)) { _, client, recorder in
            let body: JSONValue = [
                "name": "large transfers", "activityKind": "Wallets:Sign",
                "rule": ["kind": "TransactionAmountLimit", "configuration": ["limit": "1000", "currency": "USD"]],
                "action": ["kind": "RequestApproval", "approvalGroups": [["name": "ops", "quorum": 1, "approvers": [:]]]],
            ]
            let policy = try await client.send(DfnsPolicies.createPolicy(body))
            #expect(policy.status == "Active" && policy.activityKind == "Wallets:Sign")
            #expect(try await client.send(DfnsPolicies.getPolicy(policyId: policy.id)) == policy)
            #expect(try await client.send(DfnsPolicies.listPolicies(status: "Active")).items.map(\.id) == [policy.id])
            var renamed = body
            if case .object(var members) = renamed {
                members["name"] = "renamed"
                renamed = .object(members)
            }
            #expect(try await client.send(DfnsPolicies.updatePolicy(policyId: policy.id, renamed)).name == "renamed")
            #expect(try await client.send(DfnsPolicies.deletePolicy(policyId: policy.id)).status == "Archived")
            #expect(try await client.send(DfnsPolicies.getSumsubTravelRulePublicKey())["kty"] == "RSA")

            let wallet = try await client.createWallet(CreateWalletRequest(network: "EthereumSepolia"))
            let held = try await client.createTransfer(walletId: wallet.id, .native(to: Self.evmAddress, amount: "5", externalId: "cov-held"))
            let approvalId = try #require(held.approvalId)
            #expect(try await client.send(DfnsPolicies.listApprovals(filters: ["status": "Pending"])).items.map(\.id) == [approvalId])
            #expect(
                try await client.send(DfnsPolicies.getApproval(approvalId: approvalId)).activity?["transferRequest"]?["id"]?.stringValue == held.id)
            let decided = try await client.send(DfnsPolicies.createApprovalDecision(approvalId: approvalId, value: .approved, reason: "checked"))
            #expect(decided.status == "Approved" && decided.decisions.first?["reason"] == "checked")
            _ = try await wait(
                for: [.executing, .broadcasted, .confirmed], { try await client.getTransfer(walletId: wallet.id, transferId: held.id) }, \.status)
            let twice = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsPolicies.createApprovalDecision(approvalId: approvalId, value: .denied))
            }
            #expect(twice?.httpStatus == 400)
            #expect(recorder.missing(in: "policies") == [])
        }
    }

    @Test("webhooks: every method of the official webhooks client, the ping delivered signed")
    func webhooks() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await withClient { _, client, recorder in
                let webhook = try await client.send(
                    DfnsWebhooks.createWebhook(url: receiver.url, events: ["wallet.transfer.confirmed"], description: "ops"))
                let secret = try #require(webhook.secret)
                #expect(secret.hasPrefix("whs-") && webhook.status == "Enabled")
                #expect(try await client.send(DfnsWebhooks.getWebhook(webhookId: webhook.id)).secret == nil, "the secret is shown once")
                #expect(try await client.send(DfnsWebhooks.listWebhooks()).items.map(\.id) == [webhook.id])
                #expect(try await client.send(DfnsWebhooks.updateWebhook(webhookId: webhook.id, events: ["*"], status: "Disabled")).events == ["*"])
                #expect(try await client.send(DfnsWebhooks.pingWebhook(webhookId: webhook.id))["status"] == "200")
                let delivery = try #require(receiver.deliveries.first)
                #expect(WebhookReceiver.isSigned(delivery, secret: secret), "X-DFNS-WEBHOOK-SIGNATURE is the HMAC of the body with the secret")
                #expect(!WebhookReceiver.isSigned(delivery, secret: secret + "x"))
                let events = try await client.send(DfnsWebhooks.listWebhookEvents(webhookId: webhook.id))
                #expect(events.items.map(\.id) == [delivery.json["id"] as? String ?? ""])
                #expect(
                    try await client.send(DfnsWebhooks.getWebhookEvent(webhookId: webhook.id, webhookEventId: events.items[0].id)).status == "200")
                #expect(try await client.send(DfnsWebhooks.deleteWebhook(webhookId: webhook.id))["deleted"] == true)
                let gone = await #expect(throws: DfnsError.self) { try await client.send(DfnsWebhooks.getWebhook(webhookId: webhook.id)) }
                #expect(gone?.httpStatus == 404)
                #expect(recorder.missing(in: "webhooks") == [])
            }
        }
    }

    @Test("networks: every method of the official networks client")
    func networks() async throws {
        try await withClient { _, client, recorder in
            #expect(try await client.send(DfnsNetworks.estimateFees(network: "EthereumSepolia"))["kind"] == "Eip1559")
            let abi: JSONValue = [
                "type": "function", "name": "balanceOf", "stateMutability": "view", "inputs": [["name": "owner", "type": "address"]],
                "outputs": [["type": "uint256"]],
            ]
            let call = try await client.send(
                DfnsNetworks.callFunction(
                    network: "EthereumSepolia", contract: Self.evmAddress, abi: abi, calldata: ["owner": .string(Self.evmAddress)]))
            #expect(call["result"]?.arrayValue?.count == 1)
            #expect(
                try await client.send(DfnsNetworks.reindexTransaction(network: "EthereumSepolia", txHash: "0x" + String(repeating: "0a", count: 32)))[
                    "status"] == "Queued")
            let validator = try await client.send(
                DfnsNetworks.createCantonValidator(network: "canton-testnet", ["kind": "Shared", "name": "shared"]))
            #expect(validator.network == "CantonTestnet" && validator.kind == "Shared")
            #expect(try await client.send(DfnsNetworks.getCantonValidator(network: "canton-testnet", validatorId: validator.id)) == validator)
            #expect(try await client.send(DfnsNetworks.listCantonValidators(network: "canton-testnet")).items.map(\.id) == [validator.id])
            #expect(
                try await client.send(DfnsNetworks.updateCantonValidator(network: "canton-testnet", validatorId: validator.id, ["name": "renamed"]))
                    .name == "renamed")
            #expect(
                try await client.send(DfnsNetworks.deleteCantonValidator(network: "canton-testnet", validatorId: validator.id)).id == validator.id)
            #expect(try await client.send(DfnsNetworks.listCantonValidators(network: "canton-testnet")).items.isEmpty)
            #expect(recorder.missing(in: "networks") == [])
        }
    }

    @Test("the coverage tables list every official method with its Swift request; the complete clients have no gap")
    func table() throws {
        #expect(APICoverage.official.count > 250, "docs/api-coverage/official-methods.tsv is read")
        for method in APICoverage.official {
            if let swift = method.swift {
                #expect(swift == "\(method.catalog).\(method.swiftName)", "\(method.domain).\(method.name) is \(swift)")
                #expect(APICoverage.swiftDeclaration(method) != nil, "\(method.domain).\(method.name) has no \(swift)")
            }
        }
        // A client covered whole is sent to the simulator method by method by its own test: here, or for the generated
        // catalogs in APICoverage/<Domain>CoverageTests.swift, an extension of this suite.
        let folder = APICoverage.root.appendingPathComponent("Tests/DfnsSDKIntegrationTests")
        let files =
            [folder.appendingPathComponent("APICoverageTests.swift")]
            + ((try? FileManager.default.contentsOfDirectory(at: folder.appendingPathComponent("APICoverage"), includingPropertiesForKeys: nil)) ?? [])
        let source = try files.map { try String(contentsOf: $0, encoding: .utf8) }.joined()
        for domain in APICoverage.completeDomains {
            #expect(source.contains("func \(APICoverage.testFunction(of: domain))() async throws"), "no \(APICoverage.test(of: domain))")
        }
        #expect(APICoverage.completeDomains.isSuperset(of: ["wallets", "keys", "policies", "webhooks", "networks"]))
        try Self.check(APICoverage.domainTable(), in: "README.md", between: ("<!-- api-coverage:begin -->", "<!-- api-coverage:end -->"))
        try Self.check(APICoverage.methodTable(), in: "docs/api-coverage/methods.md")
    }

    /// Checks that `path` (or its part between `markers`) holds `text`; with DFNS_UPDATE_COVERAGE=1 writes it first.
    private static func check(_ text: String, in path: String, between markers: (String, String)? = nil) throws {
        let url = APICoverage.root.appendingPathComponent(path)
        var file = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        var range = file.startIndex..<file.endIndex
        var expected = text
        if let (begin, end) = markers {
            let start = try #require(file.range(of: begin), "\(path) has the \(begin) marker")
            let stop = try #require(file.range(of: end, range: start.upperBound..<file.endIndex))
            range = start.upperBound..<stop.lowerBound
            expected = "\n" + text + "\n"
        }
        if ProcessInfo.processInfo.environment["DFNS_UPDATE_COVERAGE"] == "1" {
            file.replaceSubrange(range, with: expected)
            try file.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(file[range]) == expected, "\(path) is stale: rerun with DFNS_UPDATE_COVERAGE=1")
    }
}

extension Array {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
