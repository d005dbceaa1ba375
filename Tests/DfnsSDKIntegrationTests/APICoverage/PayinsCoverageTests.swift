import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Testing

extension APICoverageTests {
    @Test("payins: every method of the official payins client")
    func payins() async throws {
        // A step of 8 s: the refusal below comes before the provider's approval however slowly a loaded machine runs.
        try await withClient(SimulatorConfiguration(transferStep: .seconds(8))) { _, client, recorder in
            let wallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "payin")))
            let options = try await client.send(DfnsPayins.listPayinOptions(provider: "CircleMint"))
            #expect(options["assets"] == ["USDC", "EURC"])

            // A CircleMint recipient waits for the provider's approval; until then a payin to it is refused.
            #expect(
                try await client.send(DfnsPayins.getPayinRecipient(provider: "CircleMint", walletId: wallet.id, currency: "USD"))["status"]
                    == "NotRegistered")
            let target: [String: JSONValue] = ["provider": "CircleMint", "walletId": .string(wallet.id), "currency": "USD"]
            #expect(try await client.send(DfnsPayins.createPayinRecipient(body: .object(target)))["status"] == "PendingVerification")
            var early = target
            early["amount"] = "10.00"
            let pending = await #expect(throws: DfnsError.self) { try await client.send(DfnsPayins.createPayin(body: .object(early))) }
            #expect(pending?.httpStatus == 400)
            let approved = try await Poll.until(.seconds(30), every: .milliseconds(200)) {
                try await client.send(DfnsPayins.getPayinRecipient(provider: "CircleMint", walletId: wallet.id, currency: "USD"))["status"]
                    == "Active"
            }
            #expect(approved, "the provider approved the recipient one step after it registered")

            let quote = try await client.send(DfnsPayins.createPayinQuote(body: .object(early)))
            #expect(quote["tid"]?.stringValue?.hasPrefix("tid-") == true && quote["quotes"]?.arrayValue?.first?["offer"]?["fees"] == "0.01")
            let payin = try await client.send(DfnsPayins.createPayin(body: .object(early)))
            let payinId = try #require(payin["id"]?.stringValue)
            #expect(payin["status"] == "Processing" && payin["asset"]?["amount"] == "10000000")
            let completed = try await Poll.until(.seconds(30), every: .milliseconds(200)) {
                try await client.send(DfnsPayins.getPayin(payinId: payinId))["status"] == "Completed"
            }
            let read = try await client.send(DfnsPayins.getPayin(payinId: payinId))
            #expect(completed && read["data"]?["transactionHash"]?.stringValue?.hasPrefix("0x") == true)
            #expect(
                try await client.send(DfnsPayins.listPayins(walletId: wallet.id, status: ["Completed"])).items.map { $0["id"] } == [.string(payinId)])
            let balances = try await client.send(DfnsPayins.listPayinBalances(provider: "CircleMint")).items
            #expect(balances.map { [$0["currency"], $0["amount"]] } == [["EUR", "1000000.00"], ["USD", "999990.00"]])

            #expect(
                try await client.send(DfnsPayins.listPayinAccounts(provider: "CircleMint")).items.first?["accountId"]
                    == "acct-circlemint")
            let account = try await client.send(
                DfnsPayins.registerPayinAccountAsset(body: [
                    "provider": "CircleMint", "accountId": "acct-circlemint", "walletId": .string(wallet.id), "asset": "USDC",
                ]))
            #expect(account["assets"]?.arrayValue?.map { $0["walletId"] } == [.string(wallet.id)])
            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsPayins.getPayin(payinId: "pyi-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "payins") == [])
        }
    }
}
