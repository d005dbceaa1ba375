import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import Testing

extension APICoverageTests {
    /// What the TypeScript and Go SDKs have beyond the Python SDK in the clients DfnsSDK covers whole (ops/conformance/
    /// other_sdks.py lists them): the TypeScript SDK's wallet-level key methods (delegate, export, signatures) and
    /// `networks.readContract`, and the Go SDK's `vaults.Unquarantine`. The TypeScript SDK's
    /// `auth.recreateDelegatedRegistrationChallenge` is walked with the auth client in ``auth()``.
    @Test("the TypeScript and Go SDKs' methods the Python SDK lacks")
    func beyondPython() async throws {
        var configuration = SimulatorConfiguration(transferStep: .seconds(60))
        configuration.keyExportEnabled = true
        try await withClient(configuration) { sim, client, _ in
            let wallet = try await client.createWallet(CreateWalletRequest(network: "EthereumSepolia"))
            let keyId = try #require(wallet.signingKey?.id)
            let body: JSONValue = ["kind": "Hash", "hash": .string("0x" + String(repeating: "1f", count: 32)), "externalId": "ts-sig"]
            let signature = try await client.send(DfnsWallets.generateSignature(walletId: wallet.id, body))
            #expect(signature.raw["walletId"] == .string(wallet.id) && signature.raw["keyId"] == .string(keyId))
            #expect(try await client.send(DfnsWallets.generateSignature(walletId: wallet.id, body)).id == signature.id, "deduplicated by externalId")
            #expect(try await client.send(DfnsWallets.getSignature(walletId: wallet.id, signatureId: signature.id)).id == signature.id)
            #expect(try await client.send(DfnsWallets.listSignatures(walletId: wallet.id)).items.map(\.id) == [signature.id])
            // The same signature seen through the wallet's key.
            #expect(try await client.send(DfnsKeys.getSignature(keyId: keyId, signatureId: signature.id)).id == signature.id)

            let exported = try await client.send(
                DfnsWallets.exportWallet(
                    walletId: wallet.id, encryptionKey: "pk", supportedSchemes: [["protocol": "CGGMP24", "curve": "secp256k1"]]))
            #expect(exported["encryptedKeyShares"]?.arrayValue?.isEmpty == false)
            let delegated = try await client.send(DfnsWallets.delegateWallet(walletId: wallet.id, userId: "us-end-user"))
            #expect(delegated == ["walletId": .string(wallet.id), "status": "Delegated"])
            #expect(try await client.send(DfnsKeys.getKey(keyId: keyId)).raw["custodial"] == false)
            let again = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsWallets.delegateWallet(walletId: wallet.id, userId: "us-other"))
            }
            #expect(again?.httpStatus == 400)

            let contract = "0x" + String(repeating: "cd", count: 20)
            let read = try await client.send(DfnsNetworks.readContract(network: "EthereumSepolia", contract: contract, data: "0x70a08231"))
            #expect(read["kind"] == "Evm" && read["data"]?.stringValue?.hasPrefix("0x") == true)
            let notEvm = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsNetworks.readContract(network: "Solana", contract: contract, data: "0x70a08231"))
            }
            #expect(notEvm?.httpStatus == 400)

            // A deposit of two coins into a vault is quarantined; Go's unquarantine releases it.
            let vault = try #require(try await client.send(DfnsVaults.createVault(name: "go"))["id"]?.stringValue)
            let address = try await client.send(DfnsVaults.createVaultAddress(vaultId: vault, network: "EthereumSepolia"))
            let deposit = try await client.send(
                DfnsWallets.transferAsset(
                    walletId: wallet.id, .native(to: try #require(address["address"]?.stringValue), amount: "2000000000000000000")))
            _ = try await sim.control(post: "transfers/\(deposit.id)/advance", ["status": "Confirmed"])
            let quarantine = try #require(try await client.send(DfnsVaults.listVaultQuarantines(vaultId: vault)).items.first?["id"]?.stringValue)
            #expect(
                try await client.send(DfnsVaults.unquarantine(vaultId: vault, quarantineId: quarantine, reason: "reviewed")) == ["status": "Executed"]
            )
            #expect(try await client.send(DfnsVaults.getVaultQuarantine(vaultId: vault, quarantineId: quarantine))["dateReleased"] != nil)
        }
    }
}
