import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let addressWatch = Self("addressWatch")
}

/// The address watches routes (dfns-sdk 1.0.4 `generated/address_watches/client.py` and `types.py`; the entity and the
/// item shapes as dfns-sdk-ts `generated/addressWatches/types.ts`: `{id, network, address, name?, externalId?, tags,
/// status, dateCreated, dateDeleted?}`). The Go SDK has no address watches.
///
/// What it models, from the SDK's docstrings:
/// - create: `network` must be one of the address-watch networks of dfns-sdk 1.0.4 (`CreateAddressWatchResponse.network`)
///   and `address` well formed for it (EVM `0x` + 40 hex digits, Solana base58), stored normalized (lowercase on EVM
///   networks); `name` is "lowercase letters, digits and dashes"; `tags` (dfns-sdk-ts) an array of strings. An address
///   is watched once per network and organisation while `Active`: a second watch is a 409. Watching an address whose
///   watch was deleted re-activates that watch, with its id, name, externalId and history; the body only finds it.
/// - delete: `Active` → `Archived` with `dateDeleted`, answered with the watch; deleting an archived watch is a 400.
/// - history: the indexer's view of the simulator's own chain: the confirmed transfers of every wallet (of any
///   organisation: the chain is public) on the watch's network that pay the address (`In`) or are paid from it (a
///   wallet whose address it is: `Out`), confirmed while the watch was active ("events from before the watch are not
///   backfilled"), newest first, filtered by `direction`, `kind` and `contract`.
/// - assets: the native asset and each token seen in the history, balances summed from the history (tracked from the
///   watch's creation, never below zero); `netWorth=true` adds `netWorth: {USD: 0}` as the wallets' assets do.
/// - blockchain events: decoded contract events that are not value transfers. The simulator's chain carries only
///   value transfers (which Dfns lists in the history instead), so the list is always empty; its query is validated.
/// Assumptions where the sources are silent: the 409 for a second active watch and the 400 for deleting an archived
/// one (status codes undocumented); `blockNumber` is the confirmation time in 12-second blocks; `index` is `"0"`.
/// No `externalId` idempotency (Dfns documents none for watches).
extension DfnsSimulator {
    /// The networks dfns-sdk 1.0.4 accepts address watches on (`address_watches/types.py`).
    static let addressWatchNetworks: Set<String> = [
        "ArbitrumOne", "ArbitrumSepolia", "Arc", "ArcTestnet", "Areum", "AvalancheC", "AvalancheCFuji", "Base", "BaseSepolia", "Berachain",
        "BerachainBepolia", "Bob", "BobSepolia", "Bsc", "BscTestnet", "Celo", "CeloSepolia", "Codex", "CodexSepolia", "Ethereum",
        "EthereumClassic", "EthereumClassicMordor", "EthereumSepolia", "EthereumHoodi", "FlareC", "FlareCCoston2", "FlowEvm",
        "FlowEvmTestnet", "HyperEvm", "HyperEvmTestnet", "Ink", "InkSepolia", "Monad", "MonadTestnet", "Optimism", "OptimismSepolia", "Plasma",
        "PlasmaTestnet", "Plume", "PlumeSepolia", "Polygon", "PolygonAmoy", "Rayls", "RaylsTestnet", "Robinhood", "RobinhoodSepolia",
        "SeiAtlantic2", "SeiPacific1", "Solana", "SolanaDevnet", "Sonic", "SonicTestnet", "Tempo", "TempoModerato", "Tsc", "TscTestnet1", "Xdc",
        "XdcApothem", "XLayer", "XLayerSepolia",
    ]

    /// The history kinds of dfns-sdk 1.0.4 (`GetAddressWatchHistoryQuery.kind`).
    static let addressWatchHistoryKinds: Set<String> = [
        "NativeTransfer", "Aip21Transfer", "AsaTransfer", "AssetTransfer", "Cip56Transfer", "Cis2Transfer", "Cis7Transfer", "CoinTransfer",
        "Erc20Transfer", "Erc721Transfer", "Erc7984Transfer", "HederaErc20Transfer", "HederaErc721Transfer", "Hip17Transfer", "HtsTransfer",
        "IouTransfer", "LockedCoinTransfer", "Sep41Transfer", "Snip2Transfer", "Snip3Transfer", "SplTransfer", "Spl2022Transfer",
        "Tep74Transfer", "Trc10Transfer", "Trc20Transfer", "Trc721Transfer", "UtxoTransfer", "Xls33Transfer",
    ]

    func addAddressWatchRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/address-watches") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let network = object["network"] as? String else { throw APIError.badRequest("network is required and must be a string") }
            guard Self.addressWatchNetworks.contains(network) else {
                throw APIError.badRequest("network \(network) does not support address watches")
            }
            guard let given = object["address"] as? String else { throw APIError.badRequest("address is required and must be a string") }
            let address = try Self.watchedAddress(given, network: network)
            let name = try Self.optionalString(object, "name")
            if let name, name.isEmpty || !name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) {
                throw APIError.badRequest("name must be lowercase letters, digits and dashes")
            }
            let externalId = try Self.optionalString(object, "externalId")
            var tags: [String] = []
            if let value = object["tags"] {
                guard let strings = value as? [String] else { throw APIError.badRequest("tags must be an array of strings") }
                tags = strings
            }
            let now = SimulatedTransfer.format(Date())
            let existing = documents.all(.addressWatch, orgId: principal.orgId) {
                $0.json["network"] as? String == network && $0.json["address"] as? String == address
            }
            if let active = existing.first(where: { $0.json["status"] as? String == "Active" }) {
                throw APIError(
                    409, "address \(address) is already watched on \(network)", details: ["duplicate": ["id": active.id, "address": address]])
            }
            if let archived = existing.first {
                // Re-activated as it was: same id, nickname, externalId and history; the body only found it.
                let watch = try documents.update(.addressWatch, archived.id, orgId: principal.orgId, what: "addressWatch") { watch in
                    watch["status"] = "Active"
                    watch["dateDeleted"] = nil
                    watch[Self.watchPeriods] = (watch[Self.watchPeriods] as? [[String]] ?? []) + [[now]]
                }
                return APIResponse(json: Self.publicWatch(watch))
            }
            let id = documents.newId("aw-")
            var watch: [String: Any] = [
                "id": id, "network": network, "address": address, "tags": tags, "status": "Active", "dateCreated": now, Self.watchPeriods: [[now]],
            ]
            watch["name"] = name
            watch["externalId"] = externalId
            documents.insert(.addressWatch, id: id, orgId: principal.orgId, json: watch)
            return APIResponse(json: Self.publicWatch(watch))
        }
        api.get("/address-watches") { [documents] request, context in
            APIResponse(
                json: try Self.paged(documents.all(.addressWatch, orgId: try context.caller().orgId).map { Self.publicWatch($0.json) }, request))
        }
        api.get("/address-watches/:addressWatchId") { [documents] _, context in
            APIResponse(json: Self.publicWatch(try Self.addressWatch(documents, context)))
        }
        api.delete("/address-watches/:addressWatchId") { [documents] _, context in
            let watch = try documents.update(
                .addressWatch, Self.parameter(context, "addressWatchId"), orgId: context.caller().orgId, what: "addressWatch"
            ) { watch throws(APIError) in
                guard watch["status"] as? String == "Active" else {
                    throw APIError.badRequest("address watch \(watch["id"] ?? "") is already deleted")
                }
                let now = SimulatedTransfer.format(Date())
                watch["status"] = "Archived"
                watch["dateDeleted"] = now
                var periods = watch[Self.watchPeriods] as? [[String]] ?? []
                if let last = periods.indices.last { periods[last] = [periods[last][0], now] }
                watch[Self.watchPeriods] = periods
            }
            return APIResponse(json: Self.publicWatch(watch))
        }
        api.get("/address-watches/:addressWatchId/assets") { [documents, walletStore] request, context in
            let watch = try Self.addressWatch(documents, context)
            let netWorth = Self.formQuery(request.uri.query ?? "")["netWorth"]
            if let netWorth, netWorth != "true" { throw APIError.badRequest("netWorth must be true when given") }
            let network = watch["network"] as? String ?? ""
            var json: [String: Any] = [
                "addressWatchId": watch["id"] ?? "", "network": network,
                "assets": Self.watchAssets(Self.watchHistory(watch, walletStore, at: Date(), step: step), network: network),
            ]
            if netWorth != nil { json["netWorth"] = ["USD": 0] }
            return APIResponse(json: json)
        }
        api.get("/address-watches/:addressWatchId/history") { [documents, walletStore] request, context in
            let watch = try Self.addressWatch(documents, context)
            let query = Self.formQuery(request.uri.query ?? "")
            if let direction = query["direction"], !["In", "Out"].contains(direction) { throw APIError.badRequest("direction must be In or Out") }
            if let kind = query["kind"], !Self.addressWatchHistoryKinds.contains(kind) {
                throw APIError.badRequest("kind \(kind) is not a history kind")
            }
            let items = Self.watchHistory(watch, walletStore, at: Date(), step: step).filter { item in
                ["direction", "kind"].allSatisfy { query[$0] == nil || item[$0] as? String == query[$0] }
                    && (query["contract"].map { ($0.lowercased()) == (item["contract"] as? String)?.lowercased() } ?? true)
            }
            var json = try Self.paged(items, request)
            json["addressWatchId"] = watch["id"]
            json["network"] = watch["network"]
            return APIResponse(json: json)
        }
        api.get("/address-watches/:addressWatchId/blockchain-events") { [documents] request, context in
            let watch = try Self.addressWatch(documents, context)
            var json = try Self.paged([], request)
            json["addressWatchId"] = watch["id"]
            json["network"] = watch["network"]
            return APIResponse(json: json)
        }
    }

    /// The hidden member listing when the watch was active: `[[start, end?], …]` (ISO dates).
    private static let watchPeriods = "_watching"

    /// The watch as Dfns answers it, without the simulator's bookkeeping.
    private static func publicWatch(_ watch: [String: Any]) -> [String: Any] {
        watch.filter { !$0.key.hasPrefix("_") }
    }

    /// The caller's watch named in the path; 404 otherwise.
    private static func addressWatch(_ documents: DocumentStore, _ context: SimulatorRequestContext) throws(APIError) -> [String: Any] {
        try documents.get(.addressWatch, parameter(context, "addressWatchId"), orgId: context.caller().orgId, what: "addressWatch").json
    }

    /// `address` checked for `network`'s family and normalized the way the indexer matches it (lowercase on EVM).
    private static func watchedAddress(_ address: String, network: String) throws(APIError) -> String {
        if network.hasPrefix("Solana") {
            let base58 = Set("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
            guard (32...44).contains(address.count), address.allSatisfy(base58.contains) else {
                throw APIError.badRequest("address \(address) is not a valid \(network) address")
            }
            return address
        }
        let hex = address.lowercased()
        guard hex.count == 42, hex.hasPrefix("0x"), hex.dropFirst(2).allSatisfy(\.isHexDigit) else {
            throw APIError.badRequest("address \(address) is not a valid \(network) address")
        }
        return hex
    }

    /// The confirmed transfers touching the watched address while the watch was active, newest first.
    private static func watchHistory(_ watch: [String: Any], _ walletStore: WalletStore, at now: Date, step: Duration) -> [[String: Any]] {
        let address = watch["address"] as? String ?? ""
        let network = watch["network"] as? String ?? ""
        let evm = !network.hasPrefix("Solana")
        func same(_ other: String?) -> Bool { other.map { evm ? $0.lowercased() == address : $0 == address } ?? false }
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let periods = (watch[watchPeriods] as? [[String]] ?? []).map { period in
            (start: (try? format.parse(period[0])) ?? .distantFuture, end: period.count > 1 ? (try? format.parse(period[1])) ?? now : now)
        }
        let senders = Dictionary(walletStore.allWallets().map { ($0.id, $0.address) }, uniquingKeysWith: { first, _ in first })
        let items: [(Date, [String: Any])] = walletStore.allTransfers().compactMap { transfer in
            guard transfer.networkName == network else { return nil }
            let json = transfer.json(at: now, step: step)
            let spedUp = transfer.spedUpMined(at: now)
            guard json["status"] as? String == "Confirmed" || spedUp, let body = json["requestBody"] as? [String: Any],
                let kind = body["kind"] as? String
            else { return nil }
            let from = senders[transfer.walletId] ?? nil
            let to = body["to"] as? String
            let direction: String
            if same(to) { direction = "In" } else if same(from) { direction = "Out" } else { return nil }
            let confirmed = (json["dateConfirmed"] as? String).flatMap { try? format.parse($0) } ?? transfer.replacement?.decidedAt ?? now
            guard periods.contains(where: { $0.start <= confirmed && confirmed <= $0.end }) else { return nil }
            let symbol = transfer.network.symbol
            let asset: [String: Any] =
                kind == "Native" ? ["symbol": symbol, "decimals": transfer.network.decimals, "verified": true] : ["verified": false]
            var item: [String: Any] = [
                "addressWatchId": watch["id"] ?? "", "network": network, "kind": "\(kind)Transfer", "direction": direction,
                "blockNumber": Int(confirmed.timeIntervalSince1970 / 12), "index": "0",
                "txHash": spedUp ? transfer.replacement?.replacementTxHash ?? transfer.txHash : transfer.txHash,
                "timestamp": format.format(confirmed), "status": "Confirmed", "from": from ?? "", "to": to ?? "",
                "value": body["amount"] ?? body["tokenId"] ?? "0", "fee": transfer.fee,
                "metadata": ["asset": asset, "fee": ["symbol": symbol, "decimals": transfer.network.decimals, "verified": true]],
            ]
            if kind == "Native" {
                item["symbol"] = symbol
                item["decimals"] = transfer.network.decimals
                item["verified"] = true
            }
            for member in ["contract", "mint", "assetId", "tokenId", "master", "issuer", "assetCode"] { item[member] = body[member] ?? item[member] }
            return (confirmed, item)
        }
        return items.sorted { $0.0 > $1.0 }.map(\.1)
    }

    /// The native asset and each token of `history`, balances summed from it (never below zero).
    private static func watchAssets(_ history: [[String: Any]], network name: String) -> [[String: Any]] {
        let network = NetworkCatalog.network(named: name)
        var order = ["Native"]
        var balances: [String: Decimal] = ["Native": 0]
        var assets: [String: [String: Any]] = [
            "Native": ["kind": "Native", "symbol": network?.symbol ?? "", "decimals": network?.decimals ?? 18, "verified": true]
        ]
        for item in history.reversed() {
            let kind = String((item["kind"] as? String ?? "").dropLast("Transfer".count))
            let token = item["contract"] ?? item["mint"] ?? item["assetId"] ?? item["master"]
            let key = kind == "Native" ? "Native" : "\(kind):\(token ?? "")"
            if assets[key] == nil {
                order.append(key)
                var asset: [String: Any] = ["kind": kind, "decimals": 0, "verified": false]
                for member in ["contract", "mint", "assetId", "master", "issuer", "assetCode"] { asset[member] = item[member] }
                assets[key] = asset
                balances[key] = 0
            }
            let value = Decimal(string: item["value"] as? String ?? "0") ?? 0
            let fee = Decimal(string: item["fee"] as? String ?? "0") ?? 0
            if item["direction"] as? String == "In" {
                balances[key, default: 0] += value
            } else {
                balances[key, default: 0] -= value
                balances["Native", default: 0] -= fee
            }
        }
        return order.map { key in
            var asset = assets[key] ?? [:]
            asset["balance"] = "\(max(balances[key] ?? 0, 0))"
            return asset
        }
    }
}
