import DfnsSDK
import DfnsTestSupport
import Testing

extension APICoverageTests {
    @Test("vaults: every method of the official vaults client")
    func vaults() async throws {
        try await withClient { sim, client, recorder in
            let eth: Int64 = 1_000_000_000_000_000_000
            let fee: Int64 = 21_000_000_000_000
            let payer = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "payer")))
            func confirm(_ id: String) async throws -> String {
                try await sim.control(post: "transfers/\(id)/advance", ["status": "Confirmed"])["txHash"] as? String ?? "?"
            }

            // The vault, its tags and its address on a network.
            let vault = try await client.send(DfnsVaults.createVault(name: "cov", tags: ["a"], externalId: "cov-vault"))
            let vaultId = try #require(vault["id"]?.stringValue)
            #expect(vaultId.hasPrefix("vlt-") && vault["tags"] == ["a"])
            #expect(try await client.send(DfnsVaults.getVault(vaultId: vaultId)) == vault)
            #expect(try await client.send(DfnsVaults.listVaults(limit: 10)).items == [vault])
            #expect(try await client.send(DfnsVaults.updateVault(vaultId: vaultId, name: "renamed"))["name"] == "renamed")
            #expect(try await client.send(DfnsVaults.tagVault(vaultId: vaultId, tags: ["b"])) == [:])
            #expect(try await client.send(DfnsVaults.untagVault(vaultId: vaultId, tags: ["a"])) == [:])
            #expect(try await client.send(DfnsVaults.getVault(vaultId: vaultId))["tags"] == ["b"])
            let address = try await client.send(DfnsVaults.createVaultAddress(vaultId: vaultId, network: "EthereumSepolia"))
            let target = try #require(address["address"]?.stringValue)
            let duplicate = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsVaults.createVaultAddress(vaultId: vaultId, network: "EthereumSepolia"))
            }
            #expect(duplicate?.httpStatus == 409)

            // Deposits: half an ether is available once confirmed, two ethers are quarantined until released.
            let small = try await client.send(DfnsWallets.transferAsset(walletId: payer.id, .native(to: target, amount: "\(eth / 2)")))
            #expect(try await client.send(DfnsVaults.listVaultBalances(vaultId: vaultId, kind: "Incoming")).items == [])
            _ = try await confirm(small.id)
            let large = try await client.send(DfnsWallets.transferAsset(walletId: payer.id, .native(to: target, amount: "\(2 * eth)")))
            let largeHash = try await confirm(large.id)
            let available = try await client.send(DfnsVaults.listVaultBalances(vaultId: vaultId, kind: "Available")).items
            #expect(available.map { [$0["tid"], $0["amount"]] } == [["native:eth", .string("\(eth / 2)")]])
            let quarantines = try await client.send(DfnsVaults.listVaultQuarantines(vaultId: vaultId)).items
            #expect(quarantines.map { $0["transactionHash"] } == [.string(largeHash)])
            let quarantineId = try #require(quarantines.first?["id"]?.stringValue)
            #expect(try await client.send(DfnsVaults.getVaultQuarantine(vaultId: vaultId, quarantineId: quarantineId)) == quarantines[0])
            let release = try await client.send(DfnsVaults.releaseQuarantine(vaultId: vaultId, quarantineId: quarantineId, reason: "reviewed"))
            #expect(release["status"] == "Executed" && release["quarantineId"] == .string(quarantineId))

            // Locks: replaced at a new total, partly sent to the beneficiary (deleted once confirmed), another released.
            let lock = try await client.send(
                DfnsVaults.createVaultLock(
                    vaultId: vaultId, network: "EthereumSepolia", tid: "native:eth", amount: "\(eth)", reason: "escrow", beneficiary: Self.evmAddress)
            )
            let lockId = try #require(lock["id"]?.stringValue)
            #expect(try await client.send(DfnsVaults.getVaultLock(vaultId: vaultId, lockId: lockId)) == lock)
            let replaced = try await client.send(DfnsVaults.replaceVaultLock(vaultId: vaultId, lockId: lockId, amount: "\(eth + eth / 5)"))
            let replacedId = try #require(replaced["id"]?.stringValue)
            #expect(replaced["replacesLockId"] == .string(lockId) && replaced["reason"] == "escrow")
            let sent = try await client.send(DfnsVaults.transferVaultLock(vaultId: vaultId, lockId: replacedId, amount: "\(7 * eth / 10)"))
            #expect(sent["walletId"] == address["walletId"] && sent["requestBody"]?["to"] == .string(Self.evmAddress))
            _ = try await confirm(try #require(sent["id"]?.stringValue))
            let other = try await client.send(
                DfnsVaults.createVaultLock(vaultId: vaultId, network: "EthereumSepolia", tid: "native:eth", amount: "1000"))
            let otherId = try #require(other["id"]?.stringValue)
            #expect(try await client.send(DfnsVaults.releaseVaultLock(vaultId: vaultId, lockId: otherId))["dateDeleted"] != nil)
            let locks = try await client.send(DfnsVaults.listVaultLocks(vaultId: vaultId)).items
            #expect(
                locks.map { [$0["id"], $0["dateDeleted"] == nil ? "active" : "deleted"] } == [
                    [.string(lockId), "deleted"], [.string(replacedId), "deleted"], [.string(otherId), "deleted"],
                ])

            // A transfer out reserves its amount and fee; beyond the balance is refused.
            let out = try await client.send(
                DfnsVaults.createVaultTransfer(
                    vaultId: vaultId, network: "EthereumSepolia", tid: "native:eth", to: Self.evmAddress, amount: "\(eth / 10)",
                    externalId: "cov-vout"))
            #expect(out["status"] == "Pending")
            let assets = try await client.send(DfnsVaults.listVaultAssets(vaultId: vaultId, network: "EthereumSepolia"))
            let left = 5 * eth / 2 - 7 * eth / 10 - eth / 10 - 2 * fee
            #expect(
                assets.items.map { [$0["tid"], $0["availableBalance"], $0["lockedBalance"]] } == [
                    ["native:eth", .string("\(left)"), "0"]
                ])
            let history = try await client.send(DfnsVaults.listVaultHistory(vaultId: vaultId, kind: "OutgoingTransfer")).items
            #expect(
                Set(history.compactMap { $0["transferId"]?.stringValue }) == [
                    try #require(sent["id"]?.stringValue), try #require(out["id"]?.stringValue),
                ])
            let tooMuch = await #expect(throws: DfnsError.self) {
                try await client.send(
                    DfnsVaults.createVaultTransfer(
                        vaultId: vaultId, network: "EthereumSepolia", tid: "native:eth", to: Self.evmAddress, amount: "9\(eth)"))
            }
            #expect(tooMuch?.httpStatus == 400)
            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsVaults.getVault(vaultId: "vlt-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "vaults") == [])
        }
    }
}
