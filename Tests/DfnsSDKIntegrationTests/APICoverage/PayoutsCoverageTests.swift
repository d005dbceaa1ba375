import DfnsSDK
import Testing

extension APICoverageTests {
    @Test("payouts: every method of the official payouts client")
    func payouts() async throws {
        try await withClient { _, client, recorder in
            let wallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "payout")))
            let asset: JSONValue = ["kind": "Erc20", "amount": "1000000000", "contract": "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238"]
            let order: [String: JSONValue] = [
                "walletId": .string(wallet.id), "asset": asset, "fiatCurrency": "USD", "provider": "Borderless", "country": "US",
            ]
            let quote = try await client.send(DfnsPayouts.requestPayoutQuote(body: .object(order)))
            #expect(quote["quotes"]?.arrayValue?.first?["offer"] == ["fiatCurrency": "USD", "amount": 985.5, "fees": 14.5])

            var body = order
            body["borderlessAccountId"] = "acc-1"
            body["paymentInstructionsId"] = "pi-1"
            body["paymentPurpose"] = "salary payment"
            body["externalId"] = "cov-payout"
            let payout = try await client.send(DfnsPayouts.createPayout(body: .object(body)))
            let payoutId = try #require(payout["id"]?.stringValue)
            #expect(payout["status"] == "Processing" && payout["data"]?["executionStatus"] == "Initializing")
            // The externalId is idempotent: the same body is the same payout, another body a 409.
            #expect(try await client.send(DfnsPayouts.createPayout(body: .object(body)))["id"]?.stringValue == payoutId)
            body["paymentPurpose"] = "travel"
            let conflict = await #expect(throws: DfnsError.self) { try await client.send(DfnsPayouts.createPayout(body: .object(body))) }
            #expect(conflict?.httpStatus == 409)

            // The provider's deposit address arrives; the confirmation must echo it.
            let waiting = try await client.send(DfnsPayouts.getPayout(payoutId: payoutId))
            #expect(waiting["data"]?["executionStatus"] == "AwaitingPayoutConfirmation")
            let deposit = try #require(waiting["data"]?["depositAddress"])
            var transfer = try #require(asset.objectValue)
            transfer["to"] = .string(Self.evmAddress)
            let wrong = await #expect(throws: DfnsError.self) {
                try await client.send(
                    DfnsPayouts.createPayoutAction(
                        payoutId: payoutId, body: ["action": "Confirm", "walletId": .string(wallet.id), "transfer": .object(transfer)]))
            }
            #expect(wrong?.httpStatus == 400)
            transfer["to"] = deposit
            let action = try await client.send(
                DfnsPayouts.createPayoutAction(
                    payoutId: payoutId, body: ["action": "Confirm", "walletId": .string(wallet.id), "transfer": .object(transfer)]))
            #expect(action == [:])
            let completed = try await client.send(DfnsPayouts.getPayout(payoutId: payoutId))
            #expect(completed["status"] == "Completed" && completed["data"]?["transferId"]?.stringValue?.hasPrefix("xfr-") == true)
            let listed = try await client.send(DfnsPayouts.listPayouts(walletId: wallet.id, status: ["Completed"])).items
            #expect(listed.map { $0["id"] } == [.string(payoutId)])
            #expect(try await client.send(DfnsPayouts.listPayouts(status: ["Failed"])).items.isEmpty)
            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsPayouts.getPayout(payoutId: "pyt-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "payouts") == [])
        }
    }
}
