import DfnsSDK
import DfnsTestSupport
import Testing

extension APICoverageTests {
    @Test("address_watches: every method of the official address_watches client")
    func addressWatches() async throws {
        try await withClient { sim, client, recorder in
            let payer = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "payer")))
            let address = "0x" + String(repeating: "cd", count: 20)
            let watch = try await client.send(
                DfnsAddressWatches.createAddressWatch(
                    network: "EthereumSepolia", address: "0x" + String(repeating: "CD", count: 20),
                    name: "cov-watch", externalId: "cov-aw"))
            let watchId = try #require(watch["id"]?.stringValue)
            // Stored as the indexer matches it: lowercase on EVM networks.
            #expect(watch["status"] == "Active" && watch["address"] == .string(address) && watch["name"] == "cov-watch")
            #expect(try await client.send(DfnsAddressWatches.getAddressWatch(addressWatchId: watchId)) == watch)
            #expect(try await client.send(DfnsAddressWatches.listAddressWatches(limit: 10)).items == [watch])

            // A transfer paying the address is in its history once confirmed, and in its balance.
            let transfer = try await client.send(
                DfnsWallets.transferAsset(walletId: payer.id, .native(to: address, amount: "40", externalId: "cov-aw-pay")))
            #expect(try await client.send(DfnsAddressWatches.getAddressWatchHistory(addressWatchId: watchId)).items == [])
            let confirmed = try await sim.control(post: "transfers/\(transfer.id)/advance", ["status": "Confirmed"])
            let history = try await client.send(DfnsAddressWatches.getAddressWatchHistory(addressWatchId: watchId, direction: "In")).items
            #expect(
                history.map { [$0["txHash"], $0["kind"], $0["value"], $0["from"]] } == [
                    [.string(confirmed["txHash"] as? String ?? "?"), "NativeTransfer", "40", payer.address.map { .string($0) } ?? .null]
                ])
            let assets = try await client.send(DfnsAddressWatches.getAddressWatchAssets(addressWatchId: watchId, netWorth: "true"))
            #expect(assets["assets"]?.arrayValue?.map { $0["balance"] } == ["40"] && assets["netWorth"] == ["USD": 0])
            #expect(try await client.send(DfnsAddressWatches.getAddressWatchBlockchainEvents(addressWatchId: watchId, limit: 5)).items == [])

            // One active watch per address and network; a deleted one comes back with its id and nickname.
            let duplicate = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsAddressWatches.createAddressWatch(network: "EthereumSepolia", address: address))
            }
            #expect(duplicate?.httpStatus == 409)
            let deleted = try await client.send(DfnsAddressWatches.deleteAddressWatch(addressWatchId: watchId))
            #expect(deleted["status"] == "Archived" && deleted["dateDeleted"] != nil)
            let again = try await client.send(DfnsAddressWatches.createAddressWatch(network: "EthereumSepolia", address: address, name: "other"))
            #expect(again["id"] == .string(watchId) && again["status"] == "Active" && again["name"] == "cov-watch" && again["dateDeleted"] == nil)
            let badNetwork = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsAddressWatches.createAddressWatch(network: "Bitcoin", address: address))
            }
            #expect(badNetwork?.httpStatus == 400)
            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsAddressWatches.getAddressWatch(addressWatchId: "aw-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "address_watches") == [])
        }
    }
}
