import Foundation

/// The assets the swaps and allocations bodies name, "the same structure as the Transfer API" (docs.dfns.co, Swaps:
/// "Native Asset" or "EVM Fungible Token (ERC-20)"): `{kind: "Native"}` or `{kind: "Erc20", contract}`, with an `amount`
/// in minimum units where one is spent. The answers add `metadata {network, name, symbol, decimals, tid}` as Dfns's
/// examples show; for an ERC-20 the simulator knows no token list, so its name and symbol are `ERC-20 <contract
/// prefix>` and its decimals 18 (the official sources leave the token's metadata to Dfns's indexer).
extension DfnsSimulator {
    /// `value` checked as an asset named `name`; `amount` must be present when `spent`, and is checked when present.
    static func evmAsset(_ value: Any?, _ name: String, spent: Bool) throws(APIError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw APIError.badRequest("\(name) is required and must be an object") }
        guard let kind = object["kind"] as? String, ["Native", "Erc20"].contains(kind) else {
            throw APIError.badRequest("\(name).kind must be Native or Erc20")
        }
        var asset: [String: Any] = ["kind": kind]
        if kind == "Erc20" {
            guard let contract = object["contract"] as? String, isEvmAddress(contract) else {
                throw APIError.badRequest("\(name).contract is required for an Erc20 asset and must be a 0x address")
            }
            asset["contract"] = contract
        }
        if let amount = object["amount"] ?? (spent ? "" : nil) {
            guard let text = amount as? String, isPositiveInteger(text) else {
                throw APIError.badRequest("\(name).amount must be a positive integer string in minimum units")
            }
            asset["amount"] = text
        }
        return asset
    }

    /// The same asset: kind and contract (case-insensitive), whatever the amounts.
    static func sameAsset(_ one: [String: Any], _ other: [String: Any]) -> Bool {
        one["kind"] as? String == other["kind"] as? String
            && (one["contract"] as? String)?.lowercased() == (other["contract"] as? String)?.lowercased()
    }

    /// `asset` as Dfns answers it: with `metadata` for the wallet's network.
    static func assetWithMetadata(_ asset: [String: Any], networkName: String) -> [String: Any] {
        let network = NetworkCatalog.network(named: networkName)
        var answered = asset
        if let contract = asset["contract"] as? String {
            answered["metadata"] = [
                "network": networkName, "name": "ERC-20 \(contract.prefix(8))", "symbol": "ERC20", "decimals": 18,
                "tid": "erc20:\(contract.lowercased())",
            ]
        } else {
            let symbol = network?.symbol ?? "ETH"
            answered["metadata"] = [
                "network": networkName, "name": symbol, "symbol": symbol, "decimals": network?.decimals ?? 18, "tid": "native:\(symbol.lowercased())",
            ]
        }
        return answered
    }

    /// `amount × numerator / denominator`, rounded down: the simulator's fixed market rate.
    static func scaledAmount(_ amount: String, _ numerator: Int, _ denominator: Int) -> String {
        guard var value = Decimal(string: amount) else { return "0" }
        value = value * Decimal(numerator) / Decimal(denominator)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .down)
        return NSDecimalNumber(decimal: rounded).stringValue
    }

    /// A slippage in basis points, 0 to 10 000.
    static func slippage(_ object: [String: Any]) throws(APIError) -> Int {
        guard let bps = SimulatorJSON.integer(object["slippageBps"]), (0...10_000).contains(bps) else {
            throw APIError.badRequest("slippageBps is required and must be an integer from 0 to 10000")
        }
        return bps
    }

    static func isPositiveInteger(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 78 && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber) && text.contains { $0 != "0" }
    }

    static func isEvmAddress(_ text: String) -> Bool {
        text.count == 42 && text.hasPrefix("0x") && text.dropFirst(2).allSatisfy(\.isHexDigit)
    }
}
