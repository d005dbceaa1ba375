import Foundation
import Hummingbird

/// The networks routes (dfns-sdk 1.0.4 `generated/networks/client.py`): fee estimates, read-only contract calls and
/// re-indexing on EVM networks, and the organisation's Canton validators.
extension DfnsSimulator {
    /// Path names of the Canton networks and the network names their validators carry.
    private static let cantonNetworks = ["canton": "Canton", "canton-devnet": "CantonDevnet", "canton-testnet": "CantonTestnet"]

    func addNetworkRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/networks/fees") { request, _ in
            guard let name = Self.formQuery(request.uri.query ?? "")["network"] else { throw APIError.badRequest("network is required") }
            guard let network = NetworkCatalog.network(named: name) else { throw APIError.badRequest("network \(name) is not supported") }
            let now = Int(Date().timeIntervalSince1970)
            switch network.family {
            case .evm:
                func level(_ gwei: Int) -> [String: String] {
                    ["maxPriorityFeePerGas": String(gwei * 100_000_000), "maxFeePerGas": String(gwei * 1_000_000_000 + 30_000_000_000)]
                }
                return APIResponse(
                    json: [
                        "kind": "Eip1559", "network": name, "blockNumber": 19_000_000 + now % 100_000, "slow": level(1), "standard": level(2),
                        "fast": level(5), "baseFeePerGas": "30000000000",
                    ] as [String: Any])
            case .bitcoin:
                return APIResponse(
                    json: [
                        "kind": "Bitcoin", "network": name, "blockNumber": 840_000 + now % 10_000, "slow": ["feeRate": "2"],
                        "standard": ["feeRate": "8"], "fast": ["feeRate": "20"],
                    ] as [String: Any])
            default:
                throw APIError.badRequest("fee estimation is not supported on \(name)")
            }
        }
        // The TypeScript SDK's `networks.readContract` (`POST /networks/read-contract {kind: Evm, network, contract, data}`
        // → `{kind: Evm, data}`): an `eth_call` with raw calldata, answered deterministically per contract and data.
        api.post("/networks/read-contract") { _, context in
            let object = try Self.object(context.requestBody)
            guard object["kind"] as? String == "Evm" else { throw APIError.badRequest("kind must be Evm") }
            guard let name = object["network"] as? String, case .evm? = NetworkCatalog.network(named: name)?.family else {
                throw APIError.badRequest("network must be an EVM network")
            }
            guard let contract = object["contract"] as? String, contract.hasPrefix("0x"), contract.count == 42,
                contract.dropFirst(2).allSatisfy(\.isHexDigit)
            else {
                throw APIError.badRequest("contract must be a 0x-prefixed 20-byte address")
            }
            guard let data = object["data"] as? String, data.hasPrefix("0x"), data.count >= 10, data.dropFirst(2).allSatisfy(\.isHexDigit) else {
                throw APIError.badRequest("data must be 0x-prefixed hex calldata (a 4-byte selector at least)")
            }
            let digest = SimulatorDigest.sha256(Array("\(name)|\(contract.lowercased())|\(data.lowercased())".utf8))
            return APIResponse(json: ["kind": "Evm", "data": "0x" + SimulatorDigest.hex(digest)])
        }
        api.post("/networks/:network/call-function") { _, context in
            let name = try Self.parameter(context, "network")
            guard case .evm? = NetworkCatalog.network(named: name)?.family else {
                throw APIError.badRequest("call-function is supported on EVM networks only")
            }
            let object = try Self.object(context.requestBody)
            guard let contract = object["contract"] as? String, contract.hasPrefix("0x"), contract.count == 42,
                contract.dropFirst(2).allSatisfy(\.isHexDigit)
            else {
                throw APIError.badRequest("contract must be a 0x-prefixed 20-byte address")
            }
            guard let abi = object["abi"] as? [String: Any], abi["type"] as? String == "function", let function = abi["name"] as? String else {
                throw APIError.badRequest("abi must be the ABI entry of a function ({type: function, name, inputs, outputs})")
            }
            guard ["view", "pure"].contains(abi["stateMutability"] as? String ?? "") else {
                throw APIError.badRequest("only view and pure functions can be called")
            }
            // Deterministic per contract, function and arguments: the same call reads the same value.
            let digest = SimulatorDigest.sha256(
                SimulatorJSON.serialize([contract.lowercased(), function, object["calldata"] ?? [:]] as [Any], sorted: true))
            return APIResponse(
                json: [
                    "network": name, "contract": contract, "function": function,
                    "result": ["0x" + SimulatorDigest.hex(digest)],
                ] as [String: Any])
        }
        api.post("/networks/:network/transactions/reindex") { _, context in
            let name = try Self.parameter(context, "network")
            guard case .evm? = NetworkCatalog.network(named: name)?.family else {
                throw APIError.badRequest("reindexing is supported on EVM networks only")
            }
            guard let hash = try Self.object(context.requestBody)["txHash"] as? String, hash.hasPrefix("0x"), hash.count == 66,
                hash.dropFirst(2).allSatisfy(\.isHexDigit)
            else {
                throw APIError.badRequest("txHash must be a 0x-prefixed 32-byte hash")
            }
            return APIResponse(json: ["network": name, "txHash": hash, "status": "Queued"])
        }
        addValidatorRoutes(to: api)
    }

    private func addValidatorRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        @Sendable func network(_ context: SimulatorRequestContext) throws(APIError) -> String {
            let path = try Self.parameter(context, "network")
            guard let network = Self.cantonNetworks[path] else {
                throw APIError(404, "validators exist only on canton, canton-devnet and canton-testnet")
            }
            return network
        }
        api.post("/networks/:network/validators") { [documents] _, context in
            let principal = try context.caller()
            let networkName = try network(context)
            var validator = try Self.validatorFields(Self.object(context.requestBody))
            guard let kind = validator["kind"] as? String, ["Shared", "Custom"].contains(kind) else {
                throw APIError.badRequest("kind must be Shared or Custom")
            }
            if kind == "Custom", validator["validator"] == nil || validator["ledger"] == nil {
                throw APIError.badRequest("a Custom validator needs validator and ledger connection settings")
            }
            let id = documents.newId("cv-")
            validator["id"] = id
            validator["orgId"] = principal.orgId
            validator["network"] = networkName
            validator["partyHint"] = "dfns-" + id.suffix(16)
            validator["dateCreated"] = SimulatedTransfer.format(Date())
            return APIResponse(json: documents.insert(.validator, id: id, orgId: principal.orgId, parent: networkName, json: validator).json)
        }
        api.get("/networks/:network/validators") { [documents] request, context in
            APIResponse(
                json: try Self.paged(documents.all(.validator, orgId: try context.caller().orgId, parent: try network(context)).map(\.json), request))
        }
        api.get("/networks/:network/validators/:validatorId") { [documents] _, context in
            APIResponse(
                json: try documents.get(
                    .validator, Self.parameter(context, "validatorId"), orgId: context.caller().orgId, parent: network(context), what: "validator"
                ).json)
        }
        api.put("/networks/:network/validators/:validatorId") { [documents] _, context in
            var fields = try Self.validatorFields(Self.object(context.requestBody))
            fields["kind"] = nil
            let changes = fields
            return APIResponse(
                json: try documents.update(
                    .validator, Self.parameter(context, "validatorId"), orgId: context.caller().orgId, parent: network(context), what: "validator"
                ) { validator in
                    for (key, value) in changes { validator[key] = value }
                })
        }
        api.delete("/networks/:network/validators/:validatorId") { [documents] _, context in
            let principal = try context.caller()
            let id = try Self.parameter(context, "validatorId")
            let validator = try documents.get(.validator, id, orgId: principal.orgId, parent: network(context), what: "validator").json
            documents.remove(.validator, id)
            return APIResponse(json: validator)
        }
    }

    private static func validatorFields(_ object: [String: Any]) throws(APIError) -> [String: Any] {
        var fields: [String: Any] = [:]
        if let name = try optionalString(object, "name") { fields["name"] = name }
        if let kind = try optionalString(object, "kind") { fields["kind"] = kind }
        for key in ["validator", "ledger"] {
            guard let value = object[key] else { continue }
            guard let settings = value as? [String: Any] else { throw APIError.badRequest("\(key) must be an object") }
            fields[key] = settings
        }
        return fields
    }
}
