import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Foundation
import NIOHTTP1
import Testing

@Suite("DfnsClient against the simulator over HTTP", .timeLimit(.minutes(2)))
struct DfnsClientTests {
    @Test("wallets and transfers round trip with every key type", arguments: KeyAlgorithm.all)
    func roundTrip(algorithm: KeyAlgorithm) async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client(algorithm)
            let wallet = try await client.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "ops", tags: ["t1"], externalId: "w-1"))
            #expect(wallet.id.wholeMatch(of: /wa-[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{16}/) != nil)
            #expect(wallet.address?.wholeMatch(of: /0x[0-9a-f]{40}/) != nil)
            #expect(wallet.name == "ops" && wallet.tags == ["t1"] && wallet.externalId == "w-1")
            #expect(wallet.raw["custodial"] == .bool(true), "raw JSON keeps fields the model does not type")
            #expect(try await client.getWallet(id: wallet.id) == wallet)

            let request = TransferRequest.native(to: "0x" + String(repeating: "ab", count: 20), amount: "1000", externalId: "x-\(algorithm)")
            let transfer = try await client.createTransfer(walletId: wallet.id, request)
            #expect(transfer.status == .pending && transfer.externalId == "x-\(algorithm)")
            #expect(transfer.requestBody?["amount"] == .string("1000"))
            let replay = try await client.createTransfer(walletId: wallet.id, request)
            #expect(replay.id == transfer.id)
            #expect(try await sim.stat("transfersCreated") == 1)
        }
    }

    @Test("a transfer is polled through its lifecycle to Confirmed")
    func lifecycle() async throws {
        // Stages of a second, so polls every 10 ms see most of them while the whole suite starts at once.
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(1))) { sim in
            let client = sim.client(.ed25519)
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Solana"))
            let created = try await client.createTransfer(walletId: wallet.id, .native(to: "So1ana", amount: "5"))
            var seen: [TransferStatus] = [created.status]
            var current = created
            while !current.status.isFinal {
                try await Task.sleep(for: .milliseconds(10))
                current = try await client.getTransfer(walletId: wallet.id, transferId: created.id)
                if current.status != seen.last { seen.append(current.status) }
            }
            // Every status seen, in the lifecycle's order, from Pending to Confirmed (a poll delayed past a whole stage on
            // a loaded machine may skip one).
            let lifecycle: [TransferStatus] = [.pending, .executing, .broadcasted, .confirmed]
            let positions = seen.compactMap { lifecycle.firstIndex(of: $0) }
            #expect(positions.count == seen.count && positions == positions.sorted() && Set(positions).count == positions.count, "\(seen)")
            #expect(seen.first == .pending && seen.last == .confirmed && seen.count >= 3, "\(seen)")
            #expect(current.txHash != nil && current.dateConfirmed != nil && current.fee != nil)
            // A read keeps the body it came in (the worker stores it as Dfns sent it); an item of a page has none.
            #expect(try current.responseBody.map { try JSONValue(parsing: $0) } == current.raw)
            let listed = try await Array(collecting: client.listTransfers(walletId: wallet.id))
            #expect(listed.map(\.id) == [created.id])
            #expect(listed[0].responseBody == nil)
            #expect(try Transfer(json: current.raw) == current, "equal entities, whatever they were read from")
        }
    }

    @Test("listing wallets walks every page lazily")
    func pagination() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            var created: [String] = []
            for index in 0..<7 {
                created.append(try await client.createWallet(CreateWalletRequest(network: "Bitcoin", externalId: "p-\(index)")).id)
            }
            let firstPage = try await client.listWalletsPage(limit: 3)
            #expect(firstPage.items.count == 3 && firstPage.nextPageToken != nil)
            let all = try await Array(collecting: client.listWallets(pageSize: 3))
            #expect(all.map(\.id) == created)
            #expect(all.allSatisfy { $0.address?.hasPrefix("bc1q") == true })
        }
    }

    @Test("a conflicting externalId is a typed conflict naming the duplicate")
    func conflict() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
            let first = try await client.createTransfer(walletId: wallet.id, .native(to: "0xabc", amount: "1", externalId: "dup"))
            let error = await #expect(throws: DfnsError.self) {
                try await client.createTransfer(walletId: wallet.id, .native(to: "0xabc", amount: "2", externalId: "dup"))
            }
            #expect(error?.code == .conflict && error?.httpStatus == 409 && error?.duplicateId == first.id)
            #expect(error?.isRetryable == false)
        }
    }

    @Test(
        "invalid transfers are refused before anything is sent",
        arguments: [
            (TransferRequest.native(to: "0xabc", amount: "1.5"), "amount"),
            (.native(to: "0xabc", amount: "-3"), "amount"),
            (.native(to: "0xabc", amount: "0"), "amount"),
            (.native(to: "", amount: "1"), "to"),
            (.raw(.object(["kind": .string("Native"), "to": .string("0xabc"), "amount": .integer(5)])), "amount"),
            (.raw(.object(["kind": .string("Bogus"), "to": .string("0xabc")])), "kind"),
            (.raw(.object(["to": .string("0xabc")])), "kind"),
            (.raw(.array([])), "object"),
            (.erc20(contract: "", to: "0xabc", amount: "1"), "contract"),
            (.native(to: "0xabc", amount: "1", priority: "Turbo"), "priority"),
        ]
    )
    func validation(request: TransferRequest, field: String) async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            let error = await #expect(throws: DfnsError.self) { try await client.createTransfer(walletId: "wa-any", request) }
            #expect(error?.code == .validation)
            #expect(error?.message.contains(field) == true, "\(error?.message ?? "") should name \(field)")
            let requests = try await sim.stat("requests")
            #expect(requests == 0)
        }
    }

    @Test("a wrong bearer token is unauthorized and not retried")
    func unauthorized() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client(token: "wrong")
            let error = await #expect(throws: DfnsError.self) { try await client.getWallet(id: "wa-x") }
            #expect(error?.code == .unauthorized && error?.httpStatus == 401)
            let missing = await #expect(throws: DfnsError.self) { try await sim.client().getWallet(id: "wa-missing") }
            #expect(missing?.code == .notFound && missing?.details?["walletId"] == .string("wa-missing"))
            let (unauthorized, requests) = (try await sim.stat("unauthorized"), try await sim.stat("requests"))
            #expect(unauthorized == 1 && requests == 1)
        }
    }

    @Test("reads are retried through injected 5xx")
    func readRetries() async throws {
        var configuration = SimulatorConfiguration(faults: [.read: FaultRule(serverErrorRate: 0.5)], seed: 7)
        configuration.transferStep = .milliseconds(50)
        try await SimulatorHarness.withSimulator(configuration) { sim in
            let client = sim.client { $0.retryPolicy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)) }
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Tron"))
            for _ in 0..<10 { #expect(try await client.getWallet(id: wallet.id).id == wallet.id) }
            #expect(try await sim.stat("injectedServerErrors") > 0)
        }
    }

    @Test("a 429 pauses the client until Retry-After, then succeeds")
    func rateLimited() async throws {
        let configuration = SimulatorConfiguration(faults: [.actionInit: FaultRule(rateLimitBurstRate: 1, rateLimitBurstLength: 1)], seed: 3)
        try await SimulatorHarness.withSimulator(configuration) { sim in
            // Every init is answered 429 with Retry-After: 1 until the faults are cleared.
            let client = sim.client()
            let started = ContinuousClock.now
            let pausedTask = Task { try await client.createWallet(CreateWalletRequest(network: "Base")) }
            while !client.isRateLimited { try await Task.sleep(for: .milliseconds(5)) }
            try await sim.setFaults([:])
            // Another request of the same client is held by the pause too.
            _ = try await client.listWalletsPage()
            #expect(client.rateLimiterWait > .zero)
            _ = try await pausedTask.value
            #expect(started.duration(to: .now) >= .seconds(1))
            #expect(try await sim.stat("injectedRateLimits") >= 1)
        }
    }

    @Test("a day-long Retry-After reads as a minute and pauses the client no longer than its retry policy's limit")
    func longRetryAfter() async throws {
        let configuration = SimulatorConfiguration(faults: [
            .actionInit: FaultRule(rateLimitBurstRate: 1, rateLimitBurstLength: 1, rateLimitRetryAfter: "86400")
        ])
        try await SimulatorHarness.withSimulator(configuration) { sim in
            let client = sim.client { $0.retryPolicy = RetryPolicy(maxAttempts: 1, maxRetryAfter: .seconds(1)) }
            let error = await #expect(throws: DfnsError.self) { try await client.createWallet(CreateWalletRequest(network: "Base")) }
            #expect(error?.code == .rateLimited && error?.retryAfter == RateLimitPolicy.longestWait)
            try await sim.setFaultRules([:])
            let started = ContinuousClock.now
            _ = try await client.listWalletsPage(limit: 1)
            // Held for the 1 s limit, not the minute Retry-After is capped to (nor a day); a loaded machine adds seconds.
            #expect(started.duration(to: .now) < .seconds(20), "held for the 1 s limit, not a minute or a day")
        }
    }

    @Test("a 202 (a policy holds the transfer for approval) returns the accepted transfer")
    func acceptedTransfer() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(approvalFraction: 1)) { sim in
            let client = sim.client()
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
            let transfer = try await client.createTransfer(walletId: wallet.id, .native(to: "0x" + String(repeating: "ab", count: 20), amount: "5"))
            #expect(transfer.status == .pending && transfer.approvalId?.hasPrefix("ap-") == true)
        }
    }

    @Test("a 2xx to a write whose body cannot be read says the outcome is unknown: the entity exists")
    func undecodableWrite() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(faults: [.createWallet: FaultRule(garbledResponseRate: 1)])) { sim in
            let error = await #expect(throws: DfnsError.self) { try await sim.client().createWallet(CreateWalletRequest(network: "Base")) }
            #expect(error?.code == .decoding && error?.outcomeUnknown == true)
            #expect(error?.rawBody.map { !$0.isEmpty } == true)
            let created = try await sim.stat("walletsCreated")
            #expect(created == 1)
        }
    }

    @Test("a failure before the real request was sent leaves the outcome known: nothing happened")
    func failureBeforeTheWrite() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(faults: [.action: FaultRule(serverErrorRate: 1)])) { sim in
            let client = sim.client { $0.retryPolicy = .none }
            let error = await #expect(throws: DfnsError.self) { try await client.createWallet(CreateWalletRequest(network: "Base")) }
            #expect(error?.code == .server && error?.outcomeUnknown == false)
        }
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(faults: [.createWallet: FaultRule(serverErrorRate: 1)])) { sim in
            let client = sim.client { $0.retryPolicy = .none }
            let error = await #expect(throws: DfnsError.self) { try await client.createWallet(CreateWalletRequest(network: "Base")) }
            #expect(error?.code == .server && error?.outcomeUnknown == true, "a 5xx to the write itself may hide a created wallet")
        }
    }

    @Test("a transfer whose response was lost is replayed by externalId, never duplicated")
    func lostTransferResponse() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client { $0.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1)) }
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Polygon"))
            let request = TransferRequest.native(to: "0xdef", amount: "42", externalId: "order-42")
            try await sim.setFaults(["create-transfer": ["lostAfterCommitRate": 1]])
            let lost = await #expect(throws: DfnsError.self) { try await client.createTransfer(walletId: wallet.id, request) }
            #expect(lost?.code == .transport && lost?.outcomeUnknown == true)
            #expect(try await sim.stat("lostResponses") == 2, "both attempts were sent and both answers lost")
            try await sim.setFaults([:])
            let transfer = try await client.createTransfer(walletId: wallet.id, request)
            #expect(try await sim.stat("transfersCreated") == 1)
            #expect(try await sim.stat("transferReplays") == 2)
            #expect(try await client.getTransfer(walletId: wallet.id, transferId: transfer.id).externalId == "order-42")
        }
    }

    @Test("with writeReplay unsentOnly (the worker's wiring) a write that may have reached Dfns is never sent twice by the SDK")
    func unsentOnlyWrites() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client {
                $0.retryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(1))
                $0.writeReplay = .unsentOnly
            }
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Polygon"))
            try await sim.setFaults(["create-transfer": ["lostAfterCommitRate": 1]])
            let lost = await #expect(throws: DfnsError.self) {
                try await client.createTransfer(walletId: wallet.id, .native(to: "0xdef", amount: "1", externalId: "order-1"))
            }
            #expect(lost?.code == .transport && lost?.outcomeUnknown == true)
            #expect(try await sim.stat("lostResponses") == 1, "one send: the caller owns the retry")
            try await sim.setFaults(["create-transfer": ["serverErrorRate": 1]])
            let refused = await #expect(throws: DfnsError.self) {
                try await client.createTransfer(walletId: wallet.id, .native(to: "0xdef", amount: "2", externalId: "order-2"))
            }
            #expect(refused?.code == .server && refused?.outcomeUnknown == true)
            #expect(try await sim.stat("transfersCreated") == 1, "only the lost one was created, once")
        }
    }

    @Test("a wallet create whose response was lost is not repeated by the SDK")
    func lostWalletResponse() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            try await sim.setFaults(["create-wallet": ["lostAfterCommitRate": 1]])
            let error = await #expect(throws: DfnsError.self) {
                try await client.createWallet(CreateWalletRequest(network: "Ethereum", externalId: "w-lost"))
            }
            #expect(error?.code == .transport && error?.outcomeUnknown == true)
            try await sim.setFaults([:])
            #expect(try await sim.stat("walletsCreated") == 1)
            let found = try await Array(collecting: client.listWallets()).filter { $0.externalId == "w-lost" }
            #expect(found.count == 1, "the caller can reconcile by externalId")
        }
    }

    @Test("a request that times out is a typed timeout")
    func timeout() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(faults: [.read: FaultRule(latencyMilliseconds: 1500)])) { sim in
            let client = sim.client {
                $0.requestTimeout = .milliseconds(200)
                $0.retryPolicy = .none
            }
            let error = await #expect(throws: DfnsError.self) { try await client.getWallet(id: "wa-slow") }
            #expect(error?.code == .timeout && error?.isRetryable == true)
        }
    }

    @Test("an unreachable API is a typed transport error")
    func unreachable() async throws {
        let signer = try KeySigner(credentialId: "c", privateKeyPEM: KeyGenerator.generate(.p256).privateKeyPEM)
        let client = DfnsClient(
            configuration: DfnsClientConfiguration(baseURL: "http://127.0.0.1:9", authToken: "t", requestTimeout: .seconds(1), retryPolicy: .none),
            signer: signer
        )
        let error = await #expect(throws: DfnsError.self) { try await client.createWallet(CreateWalletRequest(network: "Ethereum")) }
        #expect(error?.code == .transport)
    }

    @Test("a transfer body with a field Dfns added since (targetChain) is sent as is and echoed back")
    func transferPassThrough() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
            let body = try JSONValue(parsing: Array(#"{"kind":"Native","to":"0xdef","amount":"3","targetChain":"Base"}"#.utf8))
            let transfer = try await client.createTransfer(walletId: wallet.id, .raw(body))
            #expect(transfer.requestBody?["targetChain"] == .string("Base"))
        }
    }

    @Test("the simulator takes the official SDK's networks and refuses the deprecated Key* pseudo-networks")
    func networks() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.client()
            for network in ["Cardano", "Sui", "XrpLedger", "BitcoinTestnet4", "EthereumHoodi"] {
                let wallet = try await client.createWallet(CreateWalletRequest(network: network))
                #expect(wallet.network == network && wallet.address?.isEmpty == false)
            }
            for network in ["KeyECDSA", "KeyEdDSA", "EthereumHolesky"] {
                let refused = await #expect(throws: DfnsError.self) { try await client.createWallet(CreateWalletRequest(network: network)) }
                #expect(refused?.code == .validation && refused?.message.contains(network) == true)
            }
        }
    }

    @Test("a signed write without a body signs the payload \"\" and sends none: abort stops an Executing transfer")
    func abortTransfer() async throws {
        // Stages a minute long, moved on by the control plane: the test does not race the clock on a loaded machine.
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(60))) { sim in
            let client = sim.client()
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
            let pending = try await client.createTransfer(walletId: wallet.id, .native(to: "0xdef", amount: "5"))
            let early = await #expect(throws: DfnsError.self) { try await client.abortTransfer(walletId: wallet.id, transferId: pending.id) }
            #expect(early?.code == .validation && early?.message.contains("Pending") == true, "only an Executing transfer can be aborted")
            _ = try await sim.control(post: "transfers/\(pending.id)/advance", ["status": "Executing"])
            #expect(try await client.getTransfer(walletId: wallet.id, transferId: pending.id).status == .executing)
            let aborted = try await client.abortTransfer(walletId: wallet.id, transferId: pending.id)
            #expect(aborted.status == .failed && aborted.reason?.contains("aborted") == true)
            #expect(try await client.getTransfer(walletId: wallet.id, transferId: pending.id).status == .failed)

            // The payload and the body must agree as JSON, with "", "{}" and no body alike (dfns-api.md §2.5: dfns-sdk
            // 1.0.4 signs "" for an empty object and sends `{}`).
            let delegated = sim.delegatedClient()
            let path = "/wallets/\(wallet.id)/transfers/\(pending.id)/abort"
            let signedEmpty = try await UserActionSigning.sign(
                try await delegated.abortTransferInit(walletId: wallet.id, transferId: pending.id), with: sim.signers[.p256]!)
            let withMembers = await #expect(throws: DfnsError.self) {
                try await delegated.completeUserAction(.PUT, path, body: Array(#"{"reason":"x"}"#.utf8), signedChallenge: signedEmpty)
            }
            #expect(withMembers?.code == .forbidden, "a user action signed with the payload \"\" does not cover a body with members")
            let signedForEmptyObject = try await UserActionSigning.sign(
                try await delegated.initUserAction(.PUT, path, body: Array("{}".utf8)), with: sim.signers[.p256]!)
            let bodyless = await #expect(throws: DfnsError.self) {
                try await delegated.completeUserAction(.PUT, path, body: nil, signedChallenge: signedForEmptyObject)
            }
            #expect(
                bodyless?.code == .validation, "signed for {}, sent without a body: accepted, and refused only as the transfer is no longer Executing"
            )
        }
    }

    @Test("delegated signing: init returns the challenge, complete takes the signed challenge once")
    func delegated() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let client = sim.delegatedClient()
            let request = CreateWalletRequest(network: "Solana", name: "delegated")
            let challenge = try await client.createWalletInit(request)
            #expect(challenge.allowedKeyCredentialIds.contains("cr-test-rsa"))
            let signed = try await UserActionSigning.sign(challenge, with: sim.signers[.rsa]!)
            let wallet = try await client.createWalletComplete(request, signedChallenge: signed)
            #expect(wallet.network == "Solana" && wallet.address != nil && wallet.signingKey?.curve == "ed25519")
            let reused = await #expect(throws: DfnsError.self) { try await client.createWalletComplete(request, signedChallenge: signed) }
            #expect(reused?.code == .validation && reused?.httpStatus == 400)

            let transfer = TransferRequest.erc20(contract: "0xc0ffee", to: "0xabc", amount: "7")
            let other = try await client.createTransferInit(walletId: wallet.id, transfer)
            let signedTransfer = try await UserActionSigning.sign(other, with: sim.signers[.secp256k1]!)
            let mismatch = await #expect(throws: DfnsError.self) {
                try await client.createTransferComplete(
                    walletId: wallet.id, .erc20(contract: "0xc0ffee", to: "0xabc", amount: "8"), signedChallenge: signedTransfer)
            }
            #expect(mismatch?.code == .forbidden, "a body changed after signing is refused")
        }
    }
}

extension Array {
    /// Collects an async sequence.
    init<S: AsyncSequence>(collecting sequence: S) async throws where S.Element == Element {
        self = []
        for try await element in sequence { append(element) }
    }
}
