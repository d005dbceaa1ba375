import DfnsSDK
import DfnsTestSupport
import Testing

extension APICoverageTests {
    @Test("swaps: every method of the official swaps client")
    func swaps() async throws {
        try await withClient { sim, client, recorder in
            let wallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "swaps")))
            let usdc = "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238"
            let source: JSONValue = ["kind": "Native", "amount": "1000000000000000000"]
            let quote = try await client.send(
                DfnsSwaps.requestSwapQuote(
                    body: [
                        "walletId": .string(wallet.id), "provider": "UniswapX", "sourceAsset": source,
                        "targetAsset": ["kind": "Erc20", "contract": .string(usdc)], "slippageBps": 50,
                    ]))
            let quoteId = try #require(quote["id"]?.stringValue)
            #expect(quoteId.hasPrefix("swapQuote-") && quote["targetWalletId"]?.stringValue == wallet.id)
            #expect(quote["targetAsset"]?["amount"] == "997000000000000000")
            #expect(try await client.send(DfnsSwaps.getSwapQuote(quoteId: quoteId)) == quote)

            // The swap repeats the quote's parameters; one that differs is refused.
            let members: [String: JSONValue] = [
                "quoteId": .string(quoteId), "walletId": .string(wallet.id), "provider": "UniswapX", "slippageBps": 50, "sourceAsset": source,
                "targetAsset": ["kind": "Erc20", "contract": .string(usdc), "amount": "990000000000000000"],
            ]
            var other = members
            other["provider"] = "UniswapClassic"
            let mismatch = await #expect(throws: DfnsError.self) { try await client.send(DfnsSwaps.createSwap(body: .object(other))) }
            #expect(mismatch?.httpStatus == 400)

            // No policy holds it here: the swap is in progress until its transaction is confirmed.
            let swap = try await client.send(DfnsSwaps.createSwap(body: .object(members)))
            let swapId = try #require(swap["id"]?.stringValue)
            #expect(swapId.hasPrefix("swap-") && swap["status"] == "InProgress" && swap["quoteId"]?.stringValue == quoteId)
            #expect(try await client.send(DfnsSwaps.listSwaps(limit: 10)).items.map { $0["id"] } == [.string(swapId)])
            let transactions = try await client.send(DfnsWallets.listTransactions(walletId: wallet.id)).items
            #expect(transactions.count == 1)
            _ = try await sim.control(post: "transfers/\(try #require(transactions.first).id)/advance", ["status": "Confirmed"])
            #expect(try await client.send(DfnsSwaps.getSwap(swapId: swapId))["status"] == "Completed")

            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsSwaps.getSwap(swapId: "swap-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "swaps") == [])
        }
    }
}
