import DfnsSDK
import Testing

extension APICoverageTests {
    @Test("signers: every method of the official signers client")
    func signers() async throws {
        try await withClient { _, client, recorder in
            let cluster = try await client.send(DfnsSigners.listSigners())["clusters"]?.arrayValue?.first
            #expect(cluster?["signers"]?.arrayValue?.map { $0["signerId"] } == ["signer-1", "signer-2", "signer-3", "signer-4", "signer-5"])

            let stores = try await client.send(DfnsSigners.listKeyStores()).items
            #expect(
                stores.map { [$0["name"], $0["status"], $0["fleetOperation"]] } == [
                    ["Primary HSM fleet", "Active", .null], ["Standby HSM fleet", "Uninitialized", .null],
                ])
            let primary = try #require(stores.first?["id"]?.stringValue)
            let standby = try #require(stores.last?["id"]?.stringValue)
            @Sendable func store(_ id: String) async throws -> JSONValue {
                try #require(try await client.send(DfnsSigners.listKeyStores()).items.first { $0["id"]?.stringValue == id })
            }
            /// The offline fleet's output for the store's pending operation.
            @Sendable func output(_ id: String, _ extra: [String: JSONValue] = [:]) async throws -> JSONValue {
                let item = try await store(id)
                var json: [String: JSONValue] = [
                    "type": "fleet-output", "version": .integer(1), "status": "success", "org_id": item["orgId"] ?? .null,
                    "keystore_id": .string(id), "group_id": item["fleetOperation"]?["groupId"] ?? .null, "outputs": [:], "governance": [:],
                ]
                if let fleetId = item["fleetId"], fleetId != .null { json["fleet_id"] = fleetId }
                json.merge(extra) { $1 }
                return .object(json)
            }

            // Genesis of the standby store; one operation at a time, and only its own output.
            _ = try await client.send(
                DfnsSigners.createGenesisInput(
                    storeId: standby, kind: "Genesis", numProvisioners: 3, numOperational: 2, numSecp256k1: 4, numEd25519: 2,
                    hsmGenesisSerial: "hsm-9001", macGenesisSerial: "mac-9001", hsmGenesisFirmwareVersion: "2.4"))
            #expect(try await store(standby)["fleetOperation"]?["status"] == "Initialized")
            let busy = await #expect(throws: DfnsError.self) {
                try await client.send(
                    DfnsSigners.createGenesisInput(
                        storeId: standby, kind: "Genesis", numProvisioners: 1, numOperational: 1, numSecp256k1: 1, numEd25519: 1,
                        hsmGenesisSerial: "hsm-9002"))
            }
            #expect(busy?.httpStatus == 409)
            let wrongKind = await #expect(throws: DfnsError.self) {
                try await client.send(
                    DfnsSigners.submitCloneOutput(storeId: standby, outputJson: try await output(standby), file: Array("clone".utf8)))
            }
            #expect(wrongKind?.httpStatus == 400)
            let genesis = try await client.send(
                DfnsSigners.submitGenesisOutput(
                    storeId: standby, outputJson: try await output(standby, ["fleet_id": "fl-cov"]), file: Array("genesis archive".utf8)))
            #expect(genesis["message"]?.stringValue != nil)
            let initialized = try await store(standby)
            #expect(initialized["status"] == "Active" && initialized["fleetId"] == "fl-cov" && initialized["hsmSerials"] == ["hsm-9001"])
            #expect(
                initialized["keys"] == ["secp256k1": .integer(4), "ed25519": .integer(2)] && initialized["fleetOperation"]?["status"] == "Approved")

            // Each operation of the primary store, input then output.
            _ = try await client.send(
                DfnsSigners.createAddMacUserInput(storeId: primary, kind: "AddMacUser", macTargetSerial: "mac-2002", hsmTargetSerial: "hsm-1001"))
            _ = try await client.send(DfnsSigners.submitAddMacUserOutput(storeId: primary, outputJson: try await output(primary), file: [1, 2, 3]))
            #expect(try await store(primary)["macSerials"] == ["mac-2001", "mac-2002"])
            _ = try await client.send(
                DfnsSigners.createAddProvisionerInput(storeId: primary, kind: "AddProvisioner", yubikeySerial: "yk-3004", hsmTargetSerial: "hsm-1002")
            )
            _ = try await client.send(DfnsSigners.submitAddProvisionerOutput(storeId: primary, outputJson: try await output(primary), file: [4, 5]))
            #expect(try await store(primary)["numProvisioners"] == .integer(4))
            _ = try await client.send(
                DfnsSigners.createCloneInput(storeId: primary, kind: "Clone", hsmSourceSerial: "hsm-1001", hsmTargetSerial: "hsm-1003"))
            _ = try await client.send(DfnsSigners.submitCloneOutput(storeId: primary, outputJson: try await output(primary), file: [6]))
            #expect(try await store(primary)["hsmSerials"] == ["hsm-1001", "hsm-1002", "hsm-1003"])
            _ = try await client.send(
                DfnsSigners.createKeyHarvestInput(
                    storeId: primary, kind: "KeyHarvest", hsmTargetSerial: "hsm-1003", macTargetSerial: "mac-2001", macTargetUsername: "operator",
                    numEd25519: 3))
            _ = try await client.send(DfnsSigners.submitKeyHarvestOutput(storeId: primary, outputJson: try await output(primary), file: [7]))
            #expect(try await store(primary)["keys"] == ["secp256k1": .integer(10), "ed25519": .integer(13)])
            _ = try await client.send(DfnsSigners.createOnchainSignInput(storeId: primary))
            #expect(
                try await client.send(DfnsSigners.submitOnchainSignOutput(storeId: primary, outputJson: try await output(primary), file: [8])) == [
                    "status": "success"
                ])
            let wallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "proven")))
            _ = try await client.send(DfnsSigners.createProofOfControlInput(storeId: primary, walletIds: [wallet.id]))
            // The output proves no wallet of the input: a partial proof.
            #expect(
                try await client.send(DfnsSigners.submitProofOfControlOutput(storeId: primary, outputJson: try await output(primary), file: [9]))
                    == ["status": "partial"])

            // Cancel ends the pending operation, once; an unknown store is a 404.
            _ = try await client.send(DfnsSigners.createProofOfControlInput(storeId: primary, walletIds: [wallet.id]))
            let groupId = try #require(try await store(primary)["fleetOperation"]?["groupId"]?.stringValue)
            let canceled = try await client.send(DfnsSigners.cancelFleetOperation(storeId: primary, groupId: groupId, reason: "operator away"))
            #expect(canceled["status"] == "Canceled" && canceled["reason"] == "operator away" && canceled["storeId"] == .string(primary))
            let again = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsSigners.cancelFleetOperation(storeId: primary, groupId: groupId))
            }
            #expect(again?.httpStatus == 400)
            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsSigners.createOnchainSignInput(storeId: "ks-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "signers") == [])
        }
    }
}
