import Foundation

extension DocumentStore.Kind {
    static let vault = Self("vault")
    static let vaultLock = Self("vaultLock")
    static let vaultQuarantine = Self("vaultQuarantine")
    static let vaultRelease = Self("vaultRelease")
    /// A transfer out of a vault (`{transferId, walletId, network, tid, amount, fee, lockId?}`), under the vault.
    static let vaultTransfer = Self("vaultTransfer")
}

/// A vault's balances as the simulator derives them at a moment, from the chain (the transfers of every wallet paying
/// the vault's addresses, the vault's own transfers) and its documents (locks, quarantines): dfns-sdk-go
/// `types.VaultBalanceEntry` (`Available`, `Outgoing`, `Fee`, `Incoming`, `Locked`, `Quarantined`) and
/// `types.VaultAsset`, and the vault history of dfns-sdk 1.0.4 (`IncomingTransfer`, `OutgoingTransfer`,
/// `LockCreated`, `LockDeleted`).
///
/// Rules (the simulator's where Dfns publishes none):
/// - a deposit is `Incoming` while its transfer is `Broadcasted`, and counts once `Confirmed`; a confirmed deposit of
///   one whole coin or more of the network's native asset (10^decimals minimum units; 10^18 for tokens) is held by
///   the simulator's KYT in a quarantine until released;
/// - a vault transfer reserves its amount (`Outgoing`) and the network's estimated fee (`Fee`) while in flight, both
///   leave the vault once confirmed, and come back if it fails or is rejected; a lock's transfer is paid from the lock
///   and its fee from the available balance;
/// - an active lock holds its amount (`Locked`); available = confirmed unquarantined deposits − what left − what is
///   reserved or locked.
struct VaultLedger {
    struct Asset: Hashable {
        let network: String
        let tid: String
    }

    var available: [Asset: Decimal] = [:]
    var quarantined: [Asset: Decimal] = [:]
    var locked: [Asset: Decimal] = [:]
    var entries: [[String: Any]] = []
    var history: [(date: String, item: [String: Any])] = []
    /// Every asset the vault has held or holds, in first-seen order.
    var assets: [Asset] = []

    mutating func note(_ asset: Asset) {
        if !assets.contains(asset) { assets.append(asset) }
    }

    func balance(_ asset: Asset) -> Decimal { available[asset] ?? 0 }

    /// The networks a vault can hold an address on (dfns-sdk 1.0.4 `CreateVaultAddressRequest.network`); locks are
    /// EVM only (`CreateVaultLockRequest.network`).
    static let bitcoinNetworks: Set<String> = ["Bitcoin", "BitcoinSignet", "BitcoinTestnet4"]
    static let solanaNetworks: Set<String> = ["Solana", "SolanaDevnet"]
    static let evmNetworks: Set<String> = [
        "ArbitrumOne", "ArbitrumSepolia", "Arc", "ArcTestnet", "Areum", "AvalancheC", "AvalancheCFuji", "Base", "BaseSepolia", "Berachain",
        "BerachainBepolia", "Bob", "BobSepolia", "Bsc", "BscTestnet", "Celo", "CeloSepolia", "Codex", "CodexSepolia", "Ethereum",
        "EthereumClassic", "EthereumClassicMordor", "EthereumSepolia", "EthereumHoodi", "FlareC", "FlareCCoston2", "FlowEvm", "FlowEvmTestnet",
        "HyperEvm", "HyperEvmTestnet", "Ink", "InkSepolia", "Monad", "MonadTestnet", "Optimism", "OptimismSepolia", "Plasma", "PlasmaTestnet",
        "Plume", "PlumeSepolia", "Polygon", "PolygonAmoy", "Rayls", "RaylsTestnet", "Robinhood", "RobinhoodSepolia", "SeiAtlantic2",
        "SeiPacific1", "Sonic", "SonicTestnet", "Tempo", "TempoModerato", "Tsc", "TscTestnet1", "Xdc", "XdcApothem", "XLayer", "XLayerSepolia",
    ]
    static var vaultNetworks: Set<String> { evmNetworks.union(bitcoinNetworks).union(solanaNetworks) }

    /// The token id of a network's native asset, e.g. `native:eth` (dfns-sdk-ts: "e.g. `native:eth` or `native:btc`").
    static func nativeTid(_ network: String) -> String {
        "native:" + (NetworkCatalog.network(named: network)?.symbol.lowercased() ?? "native")
    }

    /// The token id of what a transfer body moves: `native:<symbol>`, `erc20:<contract>` or `spl:<mint>`.
    static func tid(ofTransfer body: [String: Any], network: String) -> String? {
        switch body["kind"] as? String {
        case "Native": nativeTid(network)
        case "Erc20": (body["contract"] as? String).map { "erc20:" + $0.lowercased() }
        case "Spl", "Spl2022": (body["mint"] as? String).map { "spl:" + $0 }
        default: nil
        }
    }

    /// The transfer body moving `amount` of `tid` to `to` on `network`; nil when `tid` is no asset of the network.
    static func transferBody(tid: String, network: String, to: String, amount: String) -> [String: Any]? {
        if tid == nativeTid(network) { return ["kind": "Native", "to": to, "amount": amount] }
        if tid.hasPrefix("erc20:"), evmNetworks.contains(network), tid.count > 6 {
            return ["kind": "Erc20", "contract": String(tid.dropFirst(6)), "to": to, "amount": amount]
        }
        if tid.hasPrefix("spl:"), solanaNetworks.contains(network), tid.count > 4 {
            return ["kind": "Spl", "mint": String(tid.dropFirst(4)), "to": to, "amount": amount]
        }
        return nil
    }

    /// The simulator's estimated network fee, in the native asset's minimum unit: 21,000 gas at 1 gwei on EVM networks,
    /// 1,000 satoshis on Bitcoin, 5,000 lamports on Solana.
    static func estimatedFee(_ network: String) -> Decimal {
        bitcoinNetworks.contains(network) ? 1_000 : solanaNetworks.contains(network) ? 5_000 : 21_000_000_000_000
    }

    /// The amount from which the simulator's KYT quarantines a deposit of `tid`.
    static func quarantineThreshold(tid: String, network: String) -> Decimal {
        let decimals = tid.hasPrefix("native:") ? NetworkCatalog.network(named: network)?.decimals ?? 18 : 18
        return pow(10, decimals)
    }

    static func decimal(_ value: Any?) -> Decimal { Decimal(string: value as? String ?? "0") ?? 0 }

    static func text(_ value: Decimal) -> String { "\(max(value, 0))" }

    /// A positive integer amount string, or nil.
    static func amount(_ value: Any?) -> Decimal? {
        guard let text = value as? String, !text.isEmpty, text.count <= 78, text.allSatisfy({ ("0"..."9").contains($0) }),
            text.contains(where: { $0 != "0" })
        else { return nil }
        return Decimal(string: text)
    }
}

extension DfnsSimulator {
    /// The ledger of `vault` now. Materialises what the chain decided since the last look: a quarantine for each newly
    /// confirmed flagged deposit, and the deletion of a lock whose transfer confirmed.
    static func vaultLedger(_ vault: [String: Any], orgId: String, documents: DocumentStore, walletStore: WalletStore, step: Duration)
        -> VaultLedger
    {
        let now = Date()
        let vaultId = vault["id"] as? String ?? ""
        var ledger = VaultLedger()
        let transfers = walletStore.allTransfers()
        let byId = Dictionary(transfers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func credit(_ asset: VaultLedger.Asset, _ amount: Decimal) {
            ledger.note(asset)
            ledger.available[asset, default: 0] += amount
        }

        // Deposits: transfers of other wallets paying one of the vault's addresses.
        for address in vault["addresses"] as? [[String: Any]] ?? [] {
            guard let network = address["network"] as? String, let target = address["address"] as? String else { continue }
            let evm = VaultLedger.evmNetworks.contains(network)
            for transfer in transfers where transfer.networkName == network && transfer.walletId != address["walletId"] as? String {
                let json = transfer.json(at: now, step: step)
                guard let body = json["requestBody"] as? [String: Any], let to = body["to"] as? String,
                    evm ? to.lowercased() == target.lowercased() : to == target,
                    let tid = VaultLedger.tid(ofTransfer: body, network: network)
                else { continue }
                let status = json["status"] as? String ?? ""
                let asset = VaultLedger.Asset(network: network, tid: tid)
                let amount = VaultLedger.decimal(body["amount"])
                guard status == "Broadcasted" || status == "Confirmed" else { continue }
                ledger.note(asset)
                ledger.history.append(
                    (
                        json["dateBroadcasted"] as? String ?? SimulatedTransfer.format(transfer.dateRequested),
                        [
                            "id": "in-\(transfer.id)", "vaultId": vaultId, "kind": "IncomingTransfer", "network": network, "tid": tid,
                            "amount": VaultLedger.text(amount), "status": status, "txHash": transfer.txHash, "to": target,
                            "date": json["dateConfirmed"] ?? json["dateBroadcasted"] ?? "",
                        ]
                    ))
                if status == "Broadcasted" {
                    ledger.entries.append([
                        "id": "Incoming:\(transfer.id)", "kind": "Incoming", "network": network, "tid": tid, "amount": VaultLedger.text(amount),
                        "transferId": transfer.id,
                    ])
                    continue
                }
                guard amount >= VaultLedger.quarantineThreshold(tid: tid, network: network) else {
                    credit(asset, amount)
                    continue
                }
                var quarantine = documents.find(.vaultQuarantine, orgId: orgId, parent: vaultId, externalId: transfer.id)?.json
                if quarantine == nil {
                    let id = documents.newId("vq-")
                    let created: [String: Any] = [
                        "id": id, "vaultId": vaultId, "network": network, "transactionHash": transfer.txHash, "tid": tid,
                        "amount": VaultLedger.text(amount), "dateCreated": json["dateConfirmed"] ?? SimulatedTransfer.format(now),
                        "kytResult": [
                            "provider": "Simulator", "riskLevel": "High",
                            "reason": "deposit of one whole coin or more: held for review by the simulator's KYT",
                        ],
                    ]
                    documents.insert(.vaultQuarantine, id: id, orgId: orgId, parent: vaultId, json: created, externalId: transfer.id)
                    quarantine = created
                }
                if quarantine?["dateReleased"] != nil {
                    credit(asset, amount)
                } else {
                    ledger.quarantined[asset, default: 0] += amount
                    ledger.entries.append([
                        "id": "Quarantined:\(quarantine?["id"] ?? "")", "kind": "Quarantined", "network": network, "tid": tid,
                        "amount": VaultLedger.text(amount), "quarantineId": quarantine?["id"] ?? "",
                    ])
                }
            }
        }

        // The vault's own transfers (direct, or out of a lock).
        var lockTransfers: [String: String] = [:]
        for document in documents.all(.vaultTransfer, orgId: orgId, parent: vaultId) {
            let record = document.json
            guard let transferId = record["transferId"] as? String, let transfer = byId[transferId],
                let network = record["network"] as? String, let tid = record["tid"] as? String
            else { continue }
            let json = transfer.json(at: now, step: step)
            let status = json["status"] as? String ?? ""
            let asset = VaultLedger.Asset(network: network, tid: tid)
            let native = VaultLedger.Asset(network: network, tid: VaultLedger.nativeTid(network))
            let amount = VaultLedger.decimal(record["amount"])
            let fee = VaultLedger.decimal(record["fee"])
            let lockId = record["lockId"] as? String
            ledger.note(asset)
            var item: [String: Any] = [
                "id": "out-\(transferId)", "vaultId": vaultId, "kind": "OutgoingTransfer", "network": network, "tid": tid,
                "amount": VaultLedger.text(amount), "status": status, "transferId": transferId, "to": record["to"] ?? "",
                "date": SimulatedTransfer.format(transfer.dateRequested),
            ]
            item["txHash"] = json["txHash"]
            item["lockId"] = lockId
            ledger.history.append((SimulatedTransfer.format(transfer.dateRequested), item))
            switch status {
            case "Failed", "Rejected":
                continue
            case "Confirmed":
                ledger.available[native, default: 0] -= fee
                if let lockId {
                    lockTransfers[lockId] = json["dateConfirmed"] as? String ?? SimulatedTransfer.format(now)
                }
                ledger.available[asset, default: 0] -= amount
            default:
                ledger.available[native, default: 0] -= fee
                ledger.entries.append([
                    "id": "Fee:\(transferId)", "kind": "Fee", "network": network, "tid": native.tid, "amount": VaultLedger.text(fee),
                    "transferId": transferId,
                ])
                if lockId == nil {
                    ledger.available[asset, default: 0] -= amount
                    ledger.entries.append([
                        "id": "Outgoing:\(transferId)", "kind": "Outgoing", "network": network, "tid": tid, "amount": VaultLedger.text(amount),
                        "transferId": transferId,
                    ])
                }
            }
        }

        // Locks: an active one holds its amount; one whose transfer confirmed is deleted then.
        for document in documents.all(.vaultLock, orgId: orgId, parent: vaultId) {
            var lock = document.json
            if lock["dateDeleted"] == nil, let date = lockTransfers[document.id] {
                lock = (try? documents.update(.vaultLock, document.id, orgId: orgId, what: "lock") { $0["dateDeleted"] = date }) ?? lock
            }
            guard let network = lock["network"] as? String, let tid = lock["tid"] as? String else { continue }
            let asset = VaultLedger.Asset(network: network, tid: tid)
            let amount = VaultLedger.decimal(lock["amount"])
            let base: [String: Any] = ["vaultId": vaultId, "network": network, "tid": tid, "amount": VaultLedger.text(amount), "lockId": document.id]
            ledger.history.append(
                (
                    lock["dateCreated"] as? String ?? "",
                    base.merging(["id": "lc-\(document.id)", "kind": "LockCreated", "date": lock["dateCreated"] ?? ""]) { $1 }
                ))
            if let deleted = lock["dateDeleted"] as? String {
                ledger.history.append((deleted, base.merging(["id": "ld-\(document.id)", "kind": "LockDeleted", "date": deleted]) { $1 }))
                continue
            }
            ledger.note(asset)
            ledger.available[asset, default: 0] -= amount
            ledger.locked[asset, default: 0] += amount
            ledger.entries.append([
                "id": "Locked:\(document.id)", "kind": "Locked", "network": network, "tid": tid, "amount": VaultLedger.text(amount),
            ])
        }

        // Aggregated available balances first.
        let availableEntries: [[String: Any]] = ledger.assets.map { asset in
            [
                "id": "Available:\(asset.network):\(asset.tid)", "kind": "Available", "network": asset.network, "tid": asset.tid,
                "amount": VaultLedger.text(ledger.balance(asset)),
            ]
        }
        ledger.entries = availableEntries + ledger.entries
        ledger.history.sort { $0.date > $1.date }
        return ledger
    }
}
