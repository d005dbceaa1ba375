import DfnsSDK
import Testing

extension APICoverageTests {
    @Test("exchanges: every method of the official exchanges client")
    func exchanges() async throws {
        try await withClient { _, client, recorder in
            let wallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "exchange")))
            let keys: JSONValue = ["publicApiKey": "1234", "privateApiKey": "5678"]
            let keyless = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsExchanges.createExchange(kind: "Binance", readConfiguration: [:], writeConfiguration: keys))
            }
            #expect(keyless?.httpStatus == 400)
            let exchange = try await client.send(
                DfnsExchanges.createExchange(kind: "Binance", readConfiguration: keys, writeConfiguration: keys, name: "binance"))
            let exchangeId = try #require(exchange["id"]?.stringValue)
            #expect(exchange["kind"] == "Binance" && exchange["readConfiguration"] == nil)
            #expect(try await client.send(DfnsExchanges.getExchange(exchangeId: exchangeId)) == exchange)
            #expect(try await client.send(DfnsExchanges.listExchanges()).items == [exchange])
            #expect(try await client.send(DfnsExchanges.listAccounts(exchangeId: exchangeId)).items.map { $0["id"] } == ["spot", "funding"])
            let assets = try await client.send(DfnsExchanges.listAccountAssets(exchangeId: exchangeId, accountId: "spot")).items
            #expect(assets.map { $0["symbol"] } == ["TRX", "USDC"])
            let networks = try await client.send(DfnsExchanges.listAssetWithdrawalNetworks(exchangeId: exchangeId, accountId: "spot", asset: "USDC"))
            #expect(networks.arrayValue?.contains { $0["network"] == "EthereumSepolia" } == true)

            // A deposit is a transfer from the wallet; a withdrawal comes from the exchange, within its balance.
            let deposit = try await client.send(
                DfnsExchanges.createDeposit(
                    exchangeId: exchangeId, accountId: "spot", body: ["walletId": .string(wallet.id), "kind": "Native", "amount": "1000"]))
            let transferId = try #require(deposit["transferId"]?.stringValue)
            #expect(try await client.send(DfnsWallets.getTransfer(walletId: wallet.id, transferId: transferId)).id == transferId)
            let withdrawal: [String: JSONValue] = [
                "walletId": .string(wallet.id), "kind": "Erc20", "contract": "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238", "amount": "1000000",
            ]
            let sent = try await client.send(DfnsExchanges.createWithdrawal(exchangeId: exchangeId, accountId: "funding", body: .object(withdrawal)))
            #expect(sent["kind"] == "Withdrawal" && sent["transferId"] == nil && sent["exchangeReference"] != nil)
            var tooMuch = withdrawal
            tooMuch["amount"] = "7000000"
            let over = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsExchanges.createWithdrawal(exchangeId: exchangeId, accountId: "spot", body: .object(tooMuch)))
            }
            #expect(over?.httpStatus == 400)
            #expect(try await client.send(DfnsExchanges.deleteExchange(exchangeId: exchangeId)) == ["deleted": true])
            let gone = await #expect(throws: DfnsError.self) { try await client.send(DfnsExchanges.getExchange(exchangeId: exchangeId)) }
            #expect(gone?.httpStatus == 404)
            #expect(recorder.missing(in: "exchanges") == [])
        }
    }
}
