import NIOHTTP1

/// The networks API, one request per method of the official SDKs' networks client (dfns-sdk 1.0.4
/// `generated/networks/client.py`). Canton validator paths name the network in kebab case (`canton`,
/// `canton-devnet`, `canton-testnet`).
public enum DfnsNetworks {
    /// The Canton networks validators can be managed on.
    public static let cantonNetworks: Set<String> = ["canton", "canton-devnet", "canton-testnet"]

    private static func network(_ network: String) throws -> String {
        guard !network.isEmpty, network.count <= 64, network.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw DfnsError(code: .validation, message: "network must be a Dfns network name")
        }
        return "/networks/\(network)"
    }

    private static func validators(_ network: String) throws -> String {
        guard cantonNetworks.contains(network) else {
            throw DfnsError(code: .validation, message: "validators exist only on \(cantonNetworks.sorted().joined(separator: ", "))")
        }
        return "\(try self.network(network))/validators"
    }

    /// `GET /networks/fees?network=…`: fee estimates (slow, standard, fast) for the network.
    public static func estimateFees(network: String) -> DfnsRequest<JSONValue> { .read("/networks/fees", query: [("network", network)]) }

    /// `POST /networks/read-contract` (the TypeScript SDK's `readContract`): an EVM contract read with raw
    /// `data` (0x calldata), answered `{kind: Evm, data}`. Unsigned.
    public static func readContract(network: String, contract: String, data: String) throws -> DfnsRequest<JSONValue> {
        .unsigned(
            .POST, "/networks/read-contract",
            json: ["kind": "Evm", "network": .string(network), "contract": .string(contract), "data": .string(data)],
            endpoint: "/networks/read-contract")
    }

    /// `POST /networks/{network}/call-function` (unsigned): a read-only contract call (`contract`, `abi`, `calldata`).
    public static func callFunction(network: String, contract: String, abi: JSONValue, calldata: JSONValue? = nil) throws -> DfnsRequest<JSONValue> {
        var body: [String: JSONValue] = ["contract": .string(contract), "abi": abi]
        if let calldata { body["calldata"] = calldata }
        return .unsigned(.POST, "\(try self.network(network))/call-function", json: .object(body))
    }

    /// `POST /networks/{network}/transactions/reindex` (signed): asks Dfns to index a transaction again by hash.
    public static func reindexTransaction(network: String, txHash: String) throws -> DfnsRequest<JSONValue> {
        .write(.POST, "\(try self.network(network))/transactions/reindex", json: ["txHash": .string(txHash)])
    }

    /// `POST /networks/{network}/validators` (signed): a Canton validator (`name`, `kind` Shared or Custom, …).
    public static func createCantonValidator(network: String, _ body: JSONValue) throws -> DfnsRequest<CantonValidator> {
        .write(.POST, try validators(network), json: try RequestPath.object(body, "createCantonValidator", requiring: ["kind"]))
    }

    /// `GET /networks/{network}/validators/{validatorId}`.
    public static func getCantonValidator(network: String, validatorId: String) throws -> DfnsRequest<CantonValidator> {
        .read("\(try validators(network))/\(try RequestPath.segment(validatorId, "validatorId"))")
    }

    /// `GET /networks/{network}/validators`.
    public static func listCantonValidators(network: String, limit: Int? = nil, paginationToken: String? = nil) throws -> DfnsRequest<
        Page<CantonValidator>
    > {
        .read(try validators(network), query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken))
    }

    /// `PUT /networks/{network}/validators/{validatorId}` (signed): `name`, `validator`, `ledger`.
    public static func updateCantonValidator(network: String, validatorId: String, _ body: JSONValue) throws -> DfnsRequest<CantonValidator> {
        .write(
            .PUT, "\(try validators(network))/\(try RequestPath.segment(validatorId, "validatorId"))",
            json: try RequestPath.object(body, "updateCantonValidator"))
    }

    /// `DELETE /networks/{network}/validators/{validatorId}` (signed, no body).
    public static func deleteCantonValidator(network: String, validatorId: String) throws -> DfnsRequest<CantonValidator> {
        .write(.DELETE, "\(try validators(network))/\(try RequestPath.segment(validatorId, "validatorId"))", json: nil)
    }
}
