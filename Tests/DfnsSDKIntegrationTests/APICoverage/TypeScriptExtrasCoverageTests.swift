import DfnsSDK
import DfnsSimulator
import Testing

extension APICoverageTests {
    /// What the TypeScript SDK has beyond the Python SDK in the clients DfnsSDK covers whole: the wallet-level key
    /// methods (delegate, export, signatures) and `networks.readContract`.
    @Test("the TypeScript SDK's wallet-level key methods and networks.readContract")
    func typeScriptExtras() async throws {
        var configuration = SimulatorConfiguration(transferStep: .milliseconds(100))
        configuration.keyExportEnabled = true
        try await withClient(configuration) { _, client, _ in
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
        }
    }
}
