import DfnsSDK
import DfnsTestSupport
import Testing

extension APICoverageTests {
    @Test("allocations: every method of the official allocations client")
    func allocations() async throws {
        try await withClient { sim, client, recorder in
            let wallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "allocations")))
            let usdc = "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238"
            let ofns = "0x0a7660979a67e4bc51e750c628c8479ff9f458ae"
            func asset(_ contract: String, _ amount: String) -> JSONValue {
                ["kind": "Erc20", "contract": .string(contract), "amount": .string(amount)]
            }
            func confirmNewest() async throws {
                let transactions = try await client.send(DfnsWallets.listTransactions(walletId: wallet.id)).items
                let transaction = try #require(transactions.last)
                _ = try await sim.control(post: "transfers/\(transaction.id)/advance", ["status": "Confirmed"])
            }

            let quote = try await client.send(
                DfnsAllocations.createAllocationQuote(
                    walletId: wallet.id, protocol: "0fns", kind: "Deposit", sourceAsset: asset(usdc, "1000000000"),
                    targetAsset: ["kind": "Erc20", "contract": .string(ofns)]))
            #expect(quote["targetAsset"]?["amount"] == "1000000000")
            #expect(try await client.send(DfnsAllocations.getAllocationsInfo())["0fns"]?["provider"] == "M0")

            // A position opened by a deposit, idempotent by externalId.
            let body: [String: JSONValue] = [
                "walletId": .string(wallet.id), "protocol": "0fns", "sourceAsset": asset(usdc, "1000000000"),
                "targetAsset": asset(ofns, "1000000000"),
                "slippageBps": 50, "externalId": "cov-allocation",
            ]
            let allocation = try await client.send(DfnsAllocations.createAllocation(body: .object(body)))
            let allocationId = try #require(allocation["id"]?.stringValue)
            #expect(allocationId.hasPrefix("allctn-") && allocation["amount"]?["amount"] == "0")
            #expect(allocation["actions"]?.arrayValue?.map { $0["status"] } == ["InProgress"])
            #expect(try await client.send(DfnsAllocations.createAllocation(body: .object(body)))["id"]?.stringValue == allocationId)
            var conflicting = body
            conflicting["slippageBps"] = 60
            let conflict = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsAllocations.createAllocation(body: .object(conflicting)))
            }
            #expect(conflict?.httpStatus == 409)
            #expect(try await client.send(DfnsAllocations.listAllocations(limit: 10)).items.map { $0["id"] } == [.string(allocationId)])
            try await confirmNewest()
            let funded = try await client.send(DfnsAllocations.getAllocation(allocationId: allocationId))
            #expect(funded["amount"]?["amount"] == "1000000000" && funded["rewards"]?["amount"] == "5000000")

            // A withdrawal within the position, one beyond it refused.
            let tooMuch = await #expect(throws: DfnsError.self) {
                try await client.send(
                    DfnsAllocations.createAllocationAction(
                        allocationId: allocationId,
                        body: [
                            "kind": "Withdraw", "sourceAsset": asset(ofns, "2000000000"), "targetAsset": asset(usdc, "2000000000"), "slippageBps": 50,
                        ]))
            }
            #expect(tooMuch?.httpStatus == 400)
            let withdrawing = try await client.send(
                DfnsAllocations.createAllocationAction(
                    allocationId: allocationId,
                    body: ["kind": "Withdraw", "sourceAsset": asset(ofns, "400000000"), "targetAsset": asset(usdc, "400000000"), "slippageBps": 50]))
            #expect(withdrawing["actions"]?.arrayValue?.map { $0["kind"] } == ["Deposit", "Withdraw"])
            try await confirmNewest()

            // A deposit whose order placement is not filled yet, cancelled.
            let placed = try await client.send(
                DfnsAllocations.createAllocationAction(
                    allocationId: allocationId,
                    body: ["kind": "Deposit", "sourceAsset": asset(usdc, "5"), "targetAsset": asset(ofns, "5"), "slippageBps": 50]))
            let orderId = try #require(placed["actions"]?.arrayValue?.last?["id"]?.stringValue)
            let cancel = try await client.send(DfnsAllocations.cancel0fnsOrderPlacement(allocationActionId: orderId))
            #expect(cancel["transactionId"]?.stringValue?.hasPrefix("tx-") == true)
            let actions = try await client.send(DfnsAllocations.listAllocationActions(allocationId: allocationId)).items
            #expect(actions.map { $0["status"] } == ["Completed", "Completed", "Failed"])
            #expect(try await client.send(DfnsAllocations.getAllocation(allocationId: allocationId))["amount"]?["amount"] == "600000000")

            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsAllocations.getAllocation(allocationId: "allctn-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "allocations") == [])
        }
    }
}
