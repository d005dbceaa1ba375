import Foundation
import Hummingbird

/// The vaults routes (dfns-sdk 1.0.4 `generated/vaults/client.py` and `types.py`; the vault, its addresses, balance
/// entries and assets as dfns-sdk-go `types.Vault`, `types.VaultAddress`, `types.VaultBalanceEntry`,
/// `types.VaultAsset` and `types.VaultNetWorth`; a vault transfer is a `types.TransferRequest`). Balances follow
/// ``VaultLedger``.
///
/// - A vault (`vlt-`) gets one address per network (`POST …/addresses`, a managed wallet of the organisation made
///   with it; a second on the same network is a 409); name and externalId change with `PUT`, tags with
///   `PUT`/`DELETE …/tags` (answered `{}` as dfns-sdk's empty `TagVaultResponse`); every change moves `dateUpdated`.
/// - Deposits are the simulator's chain: any wallet's transfer paying a vault address. Transfers out
///   (`POST …/transfers`) are transfers of the vault's managed wallet, with the wallets' lifecycle, `externalId`
///   idempotency (same body → the same transfer, another → 409) and a 400 beyond the available balance (amount, plus
///   the estimated fee for the native asset).
/// - Locks (`vlk-`, EVM networks only, dfns-sdk `CreateVaultLockRequest.network`) hold part of the available balance;
///   owner-only actions (403 for another user): release (deleted, funds back), replace (the lock is deleted with
///   `replacedByLockId`, a new one created at the new total carrying owner, externalId and reason, with
///   `replacesLockId`), transfer to the lock's beneficiary (a transfer paid from the lock, fee from the available
///   balance; the lock stays while in flight and is deleted once it confirms; a failed one leaves it usable). Dfns: "not
///   subject to policies": an approval hold the simulator's `approvalFraction` draws for it is approved at once. Acting on
///   a deleted lock, or on one whose transfer is in flight, is a 400. Executed immediately: the simulator has no vault
///   policies, so never 202.
/// - Quarantines (`vq-`, ``VaultLedger``): released once (`POST …/release` answers the executed release request of
///   dfns-sdk's `ReleaseQuarantineResponse`, `status: Executed`; a second is a 400), the funds then available.
/// Assumptions where the sources are silent: the 409 for a second address on a network; history item and quarantine
/// `kytResult` shapes (dfns-sdk leaves them `dict[str, Any]`: `{id, vaultId, kind, network, tid, amount, status?,
/// txHash?, transferId?, lockId?, date}`); balances of unverified tokens hidden from `assets` unless
/// `showUnverified=true`; `quotes` and `netWorth` in USD at 0 as the wallets' assets. No `externalId` idempotency for
/// vaults or locks (Dfns documents none).
extension DfnsSimulator {
    func addVaultRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        addVaultEntityRoutes(to: api)
        addVaultBalanceRoutes(to: api)
        addVaultLockRoutes(to: api)
        addVaultQuarantineRoutes(to: api)
    }

    private func addVaultEntityRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/vaults") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            let name = try Self.optionalString(object, "name")
            let externalId = try Self.optionalString(object, "externalId")
            let tags = try Self.vaultTags(object, required: false)
            let id = documents.newId("vlt-")
            let now = SimulatedTransfer.format(Date())
            var vault: [String: Any] = [
                "id": id, "orgId": principal.orgId, "tags": tags, "dateCreated": now, "dateUpdated": now, "addresses": [[String: Any]](),
            ]
            vault["name"] = name
            vault["externalId"] = externalId
            documents.insert(.vault, id: id, orgId: principal.orgId, json: vault)
            return APIResponse(json: vault)
        }
        addListRoute(api, "/vaults", .vault)
        api.get("/vaults/:vaultId") { [documents] _, context in
            APIResponse(json: try Self.vault(documents, context))
        }
        api.put("/vaults/:vaultId") { [documents] _, context in
            let object = try Self.object(context.requestBody)
            let name = try Self.optionalString(object, "name")
            let externalId = try Self.optionalString(object, "externalId")
            return APIResponse(
                json: try Self.changeVault(documents, context) { vault in
                    if let name { vault["name"] = name }
                    if let externalId { vault["externalId"] = externalId }
                })
        }
        for method in [HTTPRequest.Method.put, .delete] {
            api.on("/vaults/:vaultId/tags", method: method) { [documents] _, context in
                let tags = try Self.vaultTags(Self.object(context.requestBody), required: true)
                _ = try Self.changeVault(documents, context) { vault in
                    let current = vault["tags"] as? [String] ?? []
                    vault["tags"] = method == .put ? current + tags.filter { !current.contains($0) } : current.filter { !tags.contains($0) }
                }
                return APIResponse(json: [String: String]())
            }
        }
        api.post("/vaults/:vaultId/addresses") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let network = object["network"] as? String else { throw APIError.badRequest("network is required and must be a string") }
            guard VaultLedger.vaultNetworks.contains(network) else { throw APIError.badRequest("network \(network) does not support vaults") }
            let vault = try Self.vault(documents, context)
            if let existing = (vault["addresses"] as? [[String: Any]] ?? []).first(where: { $0["network"] as? String == network }) {
                throw APIError(
                    409, "vault \(vault["id"] ?? "") already has an address on \(network)",
                    details: ["duplicate": ["walletId": existing["walletId"] as? String ?? "", "network": network]])
            }
            let wallet = try walletStore.createWallet(principal: principal, network: network, name: nil, externalId: nil, tags: [])
            let address: [String: Any] = ["walletId": wallet.id, "network": network, "address": wallet.address ?? ""]
            _ = try Self.changeVault(documents, context) { vault in
                vault["addresses"] = (vault["addresses"] as? [[String: Any]] ?? []) + [address]
            }
            return APIResponse(json: address)
        }
        api.post("/vaults/:vaultId/transfers") { [documents, walletStore, configuration] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let network = object["network"] as? String else { throw APIError.badRequest("network is required and must be a string") }
            guard VaultLedger.vaultNetworks.contains(network) else { throw APIError.badRequest("network \(network) does not support vaults") }
            guard let tid = object["tid"] as? String else { throw APIError.badRequest("tid is required and must be a string") }
            guard let to = object["to"] as? String, !to.isEmpty else { throw APIError.badRequest("to is required and must be a non-empty string") }
            guard let amount = VaultLedger.amount(object["amount"]) else { throw APIError.badRequest("amount must be a positive integer string") }
            let externalId = try Self.optionalString(object, "externalId")
            let vault = try Self.vault(documents, context)
            let walletId = try Self.vaultWallet(vault, network: network)
            guard var body = VaultLedger.transferBody(tid: tid, network: network, to: to, amount: VaultLedger.text(amount)) else {
                throw APIError.badRequest("tid \(tid) is not an asset of \(network)")
            }
            body["externalId"] = externalId
            let vaultId = vault["id"] as? String ?? ""
            let fee = VaultLedger.estimatedFee(network)
            // A replay of the same externalId is answered by the wallets' idempotency, whatever the balance is now.
            let replay = externalId.flatMap { documents.find(.vaultTransfer, orgId: principal.orgId, parent: vaultId, externalId: $0) } != nil
            if !replay {
                let ledger = Self.vaultLedger(
                    vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: configuration.transferStep)
                try Self.requireAvailable(ledger, network: network, tid: tid, amount: amount, fee: fee)
            }
            let creation = try walletStore.createTransfer(
                principal: principal, walletId: walletId, body: SimulatorJSON.serialize(body, sorted: true), externalId: externalId, destination: to)
            if case .created(let transfer) = creation {
                var record: [String: Any] = [
                    "transferId": transfer.id, "walletId": walletId, "network": network, "tid": tid, "amount": VaultLedger.text(amount),
                    "fee": VaultLedger.text(fee), "to": to,
                ]
                record["externalId"] = externalId
                documents.insert(
                    .vaultTransfer, id: documents.newId("vtr-"), orgId: principal.orgId, parent: vaultId, json: record, externalId: externalId)
            }
            return Self.created(creation, step: configuration.transferStep)
        }
    }

    private func addVaultBalanceRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.get("/vaults/:vaultId/balances") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            let kinds = ["Available", "Outgoing", "Fee", "Incoming", "Locked", "Quarantined"]
            if let kind = query["kind"], !kinds.contains(kind) { throw APIError.badRequest("kind must be one of \(kinds.joined(separator: ", "))") }
            let vault = try Self.vault(documents, context)
            let ledger = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let entries = ledger.entries.filter { entry in
                ["kind", "network", "tid"].allSatisfy { query[$0] == nil || entry[$0] as? String == query[$0] }
            }
            return APIResponse(json: try Self.paged(entries, request))
        }
        api.get("/vaults/:vaultId/assets") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            if let flag = query["showUnverified"], !["true", "false"].contains(flag) {
                throw APIError.badRequest("showUnverified must be true or false")
            }
            let vault = try Self.vault(documents, context)
            let ledger = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let items: [[String: Any]] = ledger.assets.compactMap { asset in
                guard query["network"] == nil || asset.network == query["network"] else { return nil }
                let native = asset.tid.hasPrefix("native:")
                guard native || query["showUnverified"] == "true" else { return nil }
                let network = NetworkCatalog.network(named: asset.network)
                var item: [String: Any] = [
                    "kind": native ? "Native" : asset.tid.hasPrefix("erc20:") ? "Erc20" : "Spl", "network": asset.network, "tid": asset.tid,
                    "decimals": native ? network?.decimals ?? 18 : 18, "verified": native,
                    "availableBalance": VaultLedger.text(ledger.balance(asset)),
                    "quarantinedBalance": VaultLedger.text(ledger.quarantined[asset] ?? 0),
                    "lockedBalance": VaultLedger.text(ledger.locked[asset] ?? 0), "quotes": ["USD": 0],
                ]
                if native { item["symbol"] = network?.symbol }
                return item
            }
            let zero = ["USD": 0]
            return APIResponse(json: ["items": items, "netWorth": ["available": zero, "quarantined": zero, "locked": zero, "total": zero]])
        }
        api.get("/vaults/:vaultId/history") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            let kinds = ["IncomingTransfer", "OutgoingTransfer", "LockCreated", "LockDeleted"]
            // One value, or several separated by commas.
            func values(_ name: String) -> [String]? { query[name].map { $0.split(separator: ",").map(String.init) } }
            if let wanted = values("kind"), let wrong = wanted.first(where: { !kinds.contains($0) }) {
                throw APIError.badRequest("kind \(wrong) is not one of \(kinds.joined(separator: ", "))")
            }
            let vault = try Self.vault(documents, context)
            let ledger = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let items = ledger.history.map(\.item).filter { item in
                ["kind", "network", "tid"].allSatisfy { name in values(name).map { $0.contains(item[name] as? String ?? "") } ?? true }
            }
            return APIResponse(json: try Self.paged(items, request))
        }
    }

    private func addVaultLockRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/vaults/:vaultId/locks") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let network = object["network"] as? String else { throw APIError.badRequest("network is required and must be a string") }
            guard VaultLedger.evmNetworks.contains(network) else { throw APIError.badRequest("network \(network) does not support vault locks") }
            guard let tid = object["tid"] as? String else { throw APIError.badRequest("tid is required and must be a string") }
            guard let amount = VaultLedger.amount(object["amount"]) else { throw APIError.badRequest("amount must be a positive integer string") }
            let (externalId, reason) = (try Self.optionalString(object, "externalId"), try Self.optionalString(object, "reason"))
            let beneficiary = try Self.optionalString(object, "beneficiary")
            let vault = try Self.vault(documents, context)
            _ = try Self.vaultWallet(vault, network: network)
            guard VaultLedger.transferBody(tid: tid, network: network, to: "", amount: "1") != nil else {
                throw APIError.badRequest("tid \(tid) is not an asset of \(network)")
            }
            let ledger = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            try Self.requireAvailable(ledger, network: network, tid: tid, amount: amount, fee: 0)
            var lock: [String: Any] = [
                "vaultId": vault["id"] ?? "", "network": network, "tid": tid, "amount": VaultLedger.text(amount), "owner": principal.userId,
            ]
            lock["externalId"] = externalId
            lock["reason"] = reason
            lock["beneficiary"] = beneficiary
            return APIResponse(json: Self.insertLock(documents, lock, orgId: principal.orgId))
        }
        api.get("/vaults/:vaultId/locks") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            let vault = try Self.vault(documents, context)
            // Settles locks whose transfer confirmed.
            _ = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let locks = documents.all(.vaultLock, orgId: principal.orgId, parent: vault["id"] as? String).map(\.json).filter { lock in
                ["network", "tid"].allSatisfy { query[$0] == nil || lock[$0] as? String == query[$0] }
            }
            return APIResponse(json: try Self.paged(locks, request))
        }
        api.get("/vaults/:vaultId/locks/:lockId") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let vault = try Self.vault(documents, context)
            _ = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            return APIResponse(json: try Self.lock(documents, context, vault).json)
        }
        api.post("/vaults/:vaultId/locks/:lockId/release") { [documents, walletStore] _, context in
            let (principal, vault) = (try context.caller(), try Self.vault(documents, context))
            _ = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let lock = try Self.ownedActiveLock(documents, context, vault, walletStore: walletStore, step: step)
            return APIResponse(
                json: try documents.update(.vaultLock, lock.id, orgId: principal.orgId, what: "lock") {
                    $0["dateDeleted"] = SimulatedTransfer.format(Date())
                })
        }
        api.post("/vaults/:vaultId/locks/:lockId/replace") { [documents, walletStore] _, context in
            let (principal, vault) = (try context.caller(), try Self.vault(documents, context))
            let object = try Self.object(context.requestBody)
            guard let amount = VaultLedger.amount(object["amount"]) else { throw APIError.badRequest("amount must be a positive integer string") }
            let reason = try Self.optionalString(object, "reason")
            let ledger = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let old = try Self.ownedActiveLock(documents, context, vault, walletStore: walletStore, step: step).json
            let oldAmount = VaultLedger.decimal(old["amount"])
            let network = old["network"] as? String ?? ""
            let tid = old["tid"] as? String ?? ""
            if amount > oldAmount { try Self.requireAvailable(ledger, network: network, tid: tid, amount: amount - oldAmount, fee: 0) }
            var lock: [String: Any] = [
                "vaultId": vault["id"] ?? "", "network": network, "tid": tid, "amount": VaultLedger.text(amount), "owner": old["owner"] ?? "",
                "replacesLockId": old["id"] ?? "",
            ]
            for member in ["externalId", "reason", "beneficiary"] { lock[member] = old[member] }
            if let reason { lock["reason"] = reason }
            let replacement = Self.insertLock(documents, lock, orgId: principal.orgId)
            _ = try documents.update(.vaultLock, old["id"] as? String ?? "", orgId: principal.orgId, what: "lock") {
                $0["dateDeleted"] = replacement["dateCreated"]
                $0["replacedByLockId"] = replacement["id"]
            }
            return APIResponse(json: replacement)
        }
        api.post("/vaults/:vaultId/locks/:lockId/transfer") { [documents, walletStore] _, context in
            let (principal, vault) = (try context.caller(), try Self.vault(documents, context))
            let object = try Self.object(context.requestBody)
            guard let amount = VaultLedger.amount(object["amount"]) else { throw APIError.badRequest("amount must be a positive integer string") }
            let ledger = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let lock = try Self.ownedActiveLock(documents, context, vault, walletStore: walletStore, step: step).json
            let network = lock["network"] as? String ?? ""
            let tid = lock["tid"] as? String ?? ""
            guard let beneficiary = lock["beneficiary"] as? String else { throw APIError.badRequest("lock \(lock["id"] ?? "") has no beneficiary") }
            guard amount <= VaultLedger.decimal(lock["amount"]) else {
                throw APIError.badRequest("amount \(VaultLedger.text(amount)) is more than the lock's \(lock["amount"] ?? "0")")
            }
            let fee = VaultLedger.estimatedFee(network)
            // The lock pays the amount; the available balance pays the fee.
            try Self.requireAvailable(ledger, network: network, tid: VaultLedger.nativeTid(network), amount: fee, fee: 0)
            let walletId = try Self.vaultWallet(vault, network: network)
            let body = VaultLedger.transferBody(tid: tid, network: network, to: beneficiary, amount: VaultLedger.text(amount)) ?? [:]
            let creation = try walletStore.createTransfer(
                principal: principal, walletId: walletId, body: SimulatorJSON.serialize(body, sorted: true), externalId: nil, destination: beneficiary
            )
            guard case .created(let transfer) = creation else { return Self.created(creation, step: step) }
            // "Not subject to policies": a hold the simulator's approval fraction drew is lifted at once.
            if transfer.awaitsApproval(at: Date()) { _ = walletStore.decideApproval(transferId: transfer.id, approve: true) }
            let lockId = lock["id"] as? String ?? ""
            documents.insert(
                .vaultTransfer, id: documents.newId("vtr-"), orgId: principal.orgId, parent: vault["id"] as? String,
                json: [
                    "transferId": transfer.id, "walletId": walletId, "network": network, "tid": tid, "amount": VaultLedger.text(amount),
                    "fee": VaultLedger.text(fee), "to": beneficiary, "lockId": lockId,
                ])
            _ = try documents.update(.vaultLock, lockId, orgId: principal.orgId, what: "lock") {
                $0["transferId"] = transfer.id
                $0["transferAmount"] = VaultLedger.text(amount)
            }
            return APIResponse(json: try walletStore.transfer(transfer.id, walletId: walletId, principal: principal).json(at: Date(), step: step))
        }
    }

    private func addVaultQuarantineRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.get("/vaults/:vaultId/quarantines") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let network = Self.formQuery(request.uri.query ?? "")["network"]
            let vault = try Self.vault(documents, context)
            _ = Self.vaultLedger(vault, orgId: principal.orgId, documents: documents, walletStore: walletStore, step: step)
            let quarantines = documents.all(.vaultQuarantine, orgId: principal.orgId, parent: vault["id"] as? String).map(\.json)
                .filter { network == nil || $0["network"] as? String == network }
            return APIResponse(json: try Self.paged(quarantines, request))
        }
        api.get("/vaults/:vaultId/quarantines/:quarantineId") { [documents] _, context in
            let vault = try Self.vault(documents, context)
            return APIResponse(
                json: try documents.get(
                    .vaultQuarantine, Self.parameter(context, "quarantineId"), orgId: context.caller().orgId, parent: vault["id"] as? String,
                    what: "quarantine"
                ).json)
        }
        api.post("/vaults/:vaultId/quarantines/:quarantineId/release") { [documents] _, context in
            APIResponse(json: try Self.releaseQuarantine(documents, context))
        }
        // dfns-sdk-go's `Unquarantine` (the Python SDK has only the POST above): the same release, answered `{status}`.
        api.delete("/vaults/:vaultId/quarantines/:quarantineId") { [documents] _, context in
            APIResponse(json: ["status": try Self.releaseQuarantine(documents, context)["status"] ?? "Executed"])
        }
    }

    // MARK: Helpers

    /// Releases the quarantine named in the path into the available balance, once; the release record.
    private static func releaseQuarantine(_ documents: DocumentStore, _ context: SimulatorRequestContext) throws(APIError) -> [String: Any] {
        let principal = try context.caller()
        let reason = try optionalString(object(context.requestBody.isEmpty ? Array("{}".utf8) : context.requestBody), "reason")
        let vaultId = try vault(documents, context)["id"] as? String ?? ""
        let now = SimulatedTransfer.format(Date())
        let quarantine = try documents.update(
            .vaultQuarantine, parameter(context, "quarantineId"), orgId: principal.orgId, parent: vaultId, what: "quarantine"
        ) { quarantine throws(APIError) in
            guard quarantine["dateReleased"] == nil else { throw APIError.badRequest("quarantine \(quarantine["id"] ?? "") is already released") }
            quarantine["dateReleased"] = now
        }
        var release: [String: Any] = [
            "id": documents.newId("vqr-"), "vaultId": vaultId, "quarantineId": quarantine["id"] ?? "", "network": quarantine["network"] ?? "",
            "transactionHash": quarantine["transactionHash"] ?? "", "kytResult": quarantine["kytResult"] ?? [:],
            "requester": ["userId": principal.userId, "tokenId": principal.tokenId], "status": "Executed", "dateCreated": now,
        ]
        release["reason"] = reason
        documents.insert(.vaultRelease, id: release["id"] as? String ?? "", orgId: principal.orgId, parent: vaultId, json: release)
        return release
    }

    /// The caller's vault named in the path; 404 otherwise.
    private static func vault(_ documents: DocumentStore, _ context: SimulatorRequestContext) throws(APIError) -> [String: Any] {
        try documents.get(.vault, parameter(context, "vaultId"), orgId: context.caller().orgId, what: "vault").json
    }

    /// Changes the caller's vault and moves its `dateUpdated`.
    private static func changeVault(
        _ documents: DocumentStore, _ context: SimulatorRequestContext, _ change: @escaping (inout [String: Any]) -> Void
    ) throws(APIError) -> [String: Any] {
        try documents.update(.vault, parameter(context, "vaultId"), orgId: context.caller().orgId, what: "vault") { vault in
            change(&vault)
            vault["dateUpdated"] = SimulatedTransfer.format(Date())
        }
    }

    /// `tags`: an array of 1-to-64-character strings (non-empty when `required`).
    private static func vaultTags(_ object: [String: Any], required: Bool) throws(APIError) -> [String] {
        guard let value = object["tags"] else {
            if required { throw APIError.badRequest("tags is required and must be a non-empty array of strings") }
            return []
        }
        guard let tags = value as? [String], tags.allSatisfy({ !$0.isEmpty && $0.count <= 64 }), !(required && tags.isEmpty) else {
            throw APIError.badRequest("tags must be \(required ? "a non-empty" : "an") array of tags (1 to 64 characters each)")
        }
        return tags
    }

    /// The managed wallet of the vault's address on `network`; 400 when it has none.
    private static func vaultWallet(_ vault: [String: Any], network: String) throws(APIError) -> String {
        guard let address = (vault["addresses"] as? [[String: Any]] ?? []).first(where: { $0["network"] as? String == network }),
            let walletId = address["walletId"] as? String
        else { throw APIError.badRequest("vault \(vault["id"] ?? "") has no address on \(network)") }
        return walletId
    }

    /// 400 unless `amount` (plus `fee` in the native asset) is available.
    private static func requireAvailable(_ ledger: VaultLedger, network: String, tid: String, amount: Decimal, fee: Decimal) throws(APIError) {
        let native = VaultLedger.Asset(network: network, tid: VaultLedger.nativeTid(network))
        let asset = VaultLedger.Asset(network: network, tid: tid)
        let needed = asset == native ? amount + fee : amount
        guard ledger.balance(asset) >= needed, ledger.balance(native) >= (asset == native ? needed : fee) else {
            throw APIError.badRequest(
                "insufficient available balance: \(VaultLedger.text(ledger.balance(asset))) \(tid) available on \(network), \(VaultLedger.text(needed)) needed"
            )
        }
    }

    private static func insertLock(_ documents: DocumentStore, _ fields: [String: Any], orgId: String) -> [String: Any] {
        let id = documents.newId("vlk-")
        let lock = fields.merging(["id": id, "dateCreated": SimulatedTransfer.format(Date())]) { $1 }
        documents.insert(.vaultLock, id: id, orgId: orgId, parent: fields["vaultId"] as? String, json: lock)
        return lock
    }

    private static func lock(_ documents: DocumentStore, _ context: SimulatorRequestContext, _ vault: [String: Any]) throws(APIError)
        -> DocumentStore.Document
    {
        try documents.get(.vaultLock, parameter(context, "lockId"), orgId: context.caller().orgId, parent: vault["id"] as? String, what: "lock")
    }

    /// The lock named in the path, if the caller owns it (403), it is not deleted and no transfer of it is in flight
    /// (400).
    private static func ownedActiveLock(
        _ documents: DocumentStore, _ context: SimulatorRequestContext, _ vault: [String: Any], walletStore: WalletStore, step: Duration
    ) throws(APIError) -> DocumentStore.Document {
        let principal = try context.caller()
        let document = try lock(documents, context, vault)
        let lock = document.json
        guard lock["owner"] as? String == principal.userId else {
            throw APIError(403, "only the owner of lock \(document.id) may act on it", details: ["owner": lock["owner"] as? String ?? ""])
        }
        guard lock["dateDeleted"] == nil else { throw APIError.badRequest("lock \(document.id) is deleted") }
        if let transferId = lock["transferId"] as? String, let walletId = try? vaultWallet(vault, network: lock["network"] as? String ?? ""),
            let transfer = try? walletStore.transfer(transferId, walletId: walletId, principal: principal)
        {
            let status = transfer.state(at: Date(), step: step).status
            guard status == "Failed" || status == "Rejected" else {
                throw APIError.badRequest("lock \(document.id) has a transfer in flight (\(transferId), \(status))")
            }
        }
        return document
    }
}
