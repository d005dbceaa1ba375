import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let allocation = Self("allocation")
    static let allocationAction = Self("allocationAction")
}

/// The allocations routes (dfns-sdk 1.0.4 `generated/allocations/client.py`, whose `create_allocation` docstring lists
/// the protocols, their providers and networks; the entities as dfns-sdk-go's `types.Allocation` and
/// `types.AllocationAction`; bodies, the `allctn-` ids and the example amounts as docs.dfns.co "Allocations").
///
/// An allocation is a position in one protocol, opened by a `Deposit` action (`POST /allocations`) and changed by
/// more `Deposit` and `Withdraw` actions; each action is executed by one wallet transaction, so its status follows
/// that transaction through the simulator's policies, approvals, clock and control plane (``transactionProgress``:
/// `PendingPolicyApproval`, `InProgress`, `Completed`, `Failed`, `Rejected`). The position's `amount` counts the
/// completed actions (deposits' target amounts less withdrawals' source amounts), in the protocol's token; a withdrawal
/// over what is allocated is a 400. A 0fns deposit still `InProgress` is an order placement not yet filled: cancelling
/// it (`cancel-0fns-order-placement`) broadcasts a cancel transaction and fails the action. `externalId` is
/// idempotent where Dfns documents it ("to ensure idempotency and prevent duplicate operations"): same body, same
/// allocation; another body, 409, as transfers do.
///
/// Assumptions where the sources are silent: the action statuses are the swaps' (the Go type leaves them open); the
/// rewards are 0.5 % of the amount (the ratio of Dfns's example, 5000000 on 1000000000); the 0fns quote is 1:1 (both
/// tokens have 6 decimals) with `estFillTime` 30 seconds; action ids are `allctnact-…`; `getAllocationsInfo` is keyed by
/// protocol (`0fns`, `SkySusds`, … where the Python type shows `ofns`, `sky_susds`) with `{provider, networks,
/// depositAsset, apy}`.
extension DfnsSimulator {
    /// Each protocol's provider, networks and deposit asset, from the `create_allocation` docstring.
    static let allocationProtocols: [String: (provider: String, networks: [String], asset: String)] = [
        "0fns": ("M0", ["Ethereum", "EthereumSepolia"], "USDC"), "SkySusds": ("Yield.xyz", ["Ethereum"], "USDS"),
        "GauntletUsdcPrime": ("Yield.xyz", ["Ethereum"], "USDC"), "SteakhouseUsdt": ("Yield.xyz", ["Ethereum"], "USDT"),
        "GauntletUsdcPrimeBase": ("Yield.xyz", ["Base"], "USDC"), "SteakhouseUsdcBase": ("Yield.xyz", ["Base"], "USDC"),
        "SentoraPyusdMain": ("Yield.xyz", ["Ethereum"], "PYUSD"),
    ]

    func addAllocationRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/allocations/get-0fns-quote") { [walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            guard object["protocol"] as? String == "0fns" else { throw APIError.badRequest("protocol must be 0fns") }
            guard let kind = object["kind"] as? String, ["Deposit", "Withdraw"].contains(kind) else {
                throw APIError.badRequest("kind must be Deposit or Withdraw")
            }
            let source = try Self.evmAsset(object["sourceAsset"], "sourceAsset", spent: true)
            var target = try Self.evmAsset(object["targetAsset"], "targetAsset", spent: false)
            let wallet = try Self.allocationWallet(walletStore, walletId, protocol: "0fns", principal)
            target["amount"] = source["amount"]
            return APIResponse(
                json: [
                    "walletId": walletId, "protocol": "0fns", "kind": kind,
                    "sourceAsset": Self.assetWithMetadata(source, networkName: wallet.network),
                    "targetAsset": Self.assetWithMetadata(target, networkName: wallet.network), "estFillTime": 30,
                    "dateCreated": SimulatedTransfer.format(Date()),
                ] as [String: Any])
        }
        api.get("/allocations/info") { _, context in
            _ = try context.caller()
            var info: [String: Any] = [:]
            for (name, entry) in Self.allocationProtocols {
                info[name] = [
                    "provider": entry.provider, "networks": entry.networks, "depositAsset": entry.asset, "apy": name == "0fns" ? "4.10" : "5.00",
                ]
            }
            return APIResponse(json: info)
        }
        api.post("/allocations") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            guard let name = object["protocol"] as? String, Self.allocationProtocols[name] != nil else {
                throw APIError.badRequest("protocol must be one of \(Self.allocationProtocols.keys.sorted().joined(separator: ", "))")
            }
            let source = try Self.evmAsset(object["sourceAsset"], "sourceAsset", spent: true)
            let target = try Self.evmAsset(object["targetAsset"], "targetAsset", spent: false)
            guard target["kind"] as? String == "Erc20" else { throw APIError.badRequest("targetAsset must be the protocol's Erc20 token") }
            guard !Self.sameAsset(source, target) else { throw APIError.badRequest("sourceAsset and targetAsset must differ") }
            _ = try Self.slippage(object)
            let externalId = try Self.optionalString(object, "externalId")
            let request = SimulatorJSON.serialize(object, sorted: true)
            if let externalId, let existing = documents.find(.allocation, orgId: principal.orgId, parent: nil, externalId: externalId) {
                guard existing.request == request else {
                    throw APIError(
                        409, "Conflicting allocation with same externalId", details: ["duplicate": ["id": existing.id, "externalId": externalId]])
                }
                return APIResponse(json: Self.allocationState(existing.json, documents, walletStore, principal, step: step))
            }
            let wallet = try Self.allocationWallet(walletStore, walletId, protocol: name, principal)
            let id = documents.newId("allctn-")
            var token = target
            token["amount"] = nil
            let allocation: [String: Any] = [
                "id": id, "walletId": walletId, "protocol": name, "provider": Self.allocationProtocols[name]?.provider ?? "",
                "dateCreated": SimulatedTransfer.format(Date()), Self.tokenKey: token, Self.networkKey: wallet.network,
            ]
            let action = try Self.allocationAction(
                documents, walletStore, principal, allocation: allocation, kind: "Deposit", source: source, target: target, body: object)
            documents.insert(.allocation, id: id, orgId: principal.orgId, json: allocation, externalId: externalId, request: request)
            documents.insert(.allocationAction, id: action.id, orgId: principal.orgId, parent: id, json: action.json, externalId: externalId)
            return APIResponse(json: Self.allocationState(allocation, documents, walletStore, principal, step: step))
        }
        api.get("/allocations") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let allocations = documents.all(.allocation, orgId: principal.orgId).map {
                Self.allocationState($0.json, documents, walletStore, principal, step: step)
            }
            return APIResponse(json: try Self.paged(allocations, request))
        }
        api.get("/allocations/:allocationId") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let allocation = try documents.get(.allocation, Self.parameter(context, "allocationId"), orgId: principal.orgId, what: "allocation")
            return APIResponse(json: Self.allocationState(allocation.json, documents, walletStore, principal, step: step))
        }
        api.get("/allocations/:allocationId/actions") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let allocation = try documents.get(.allocation, Self.parameter(context, "allocationId"), orgId: principal.orgId, what: "allocation")
            let actions = Self.actionStates(allocation.json, documents, walletStore, principal, step: step).map { $0.filter { $0.key != "_amount" } }
            return APIResponse(json: try Self.paged(actions, request))
        }
        api.post("/allocations/:allocationId/actions") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let allocation = try documents.get(.allocation, Self.parameter(context, "allocationId"), orgId: principal.orgId, what: "allocation").json
            let object = try Self.object(context.requestBody)
            guard let kind = object["kind"] as? String, ["Deposit", "Withdraw"].contains(kind) else {
                throw APIError.badRequest("kind must be Deposit or Withdraw")
            }
            let source = try Self.evmAsset(object["sourceAsset"], "sourceAsset", spent: true)
            let target = try Self.evmAsset(object["targetAsset"], "targetAsset", spent: false)
            _ = try Self.slippage(object)
            let externalId = try Self.optionalString(object, "externalId")
            let allocationId = allocation["id"] as? String ?? ""
            let request = SimulatorJSON.serialize(object, sorted: true)
            if let externalId, let existing = documents.find(.allocationAction, orgId: principal.orgId, parent: allocationId, externalId: externalId)
            {
                guard existing.request == request else {
                    throw APIError(
                        409, "Conflicting allocation action with same externalId",
                        details: ["duplicate": ["id": existing.id, "externalId": externalId]])
                }
                return APIResponse(json: Self.allocationState(allocation, documents, walletStore, principal, step: step))
            }
            let token = allocation[Self.tokenKey] as? [String: Any] ?? [:]
            let position = kind == "Deposit" ? target : source
            guard Self.sameAsset(position, token) else {
                throw APIError.badRequest(
                    "\(kind == "Deposit" ? "targetAsset" : "sourceAsset") must be the allocation's token \(token["contract"] as? String ?? "")")
            }
            if kind == "Withdraw" {
                let held = Decimal(string: Self.allocatedAmount(allocation, documents, walletStore, principal, step: step)) ?? 0
                guard let asked = Decimal(string: source["amount"] as? String ?? ""), asked <= held else {
                    throw APIError.badRequest("sourceAsset.amount exceeds the allocated amount (\(NSDecimalNumber(decimal: held).stringValue))")
                }
            }
            let action = try Self.allocationAction(
                documents, walletStore, principal, allocation: allocation, kind: kind, source: source, target: target, body: object)
            documents.insert(
                .allocationAction, id: action.id, orgId: principal.orgId, parent: allocationId, json: action.json, externalId: externalId,
                request: request)
            return APIResponse(json: Self.allocationState(allocation, documents, walletStore, principal, step: step))
        }
        api.post("/allocations/cancel-0fns-order-placement") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let actionId = object["allocationActionId"] as? String else {
                throw APIError.badRequest("allocationActionId is required and must be a string")
            }
            let externalId = try Self.optionalString(object, "externalId")
            let action = try documents.get(.allocationAction, actionId, orgId: principal.orgId, what: "allocationAction")
            let allocation = try documents.get(.allocation, action.parent ?? "", orgId: principal.orgId, what: "allocation").json
            guard allocation["protocol"] as? String == "0fns" else {
                throw APIError.badRequest("allocation action \(actionId) is not a 0fns order placement")
            }
            let walletId = allocation["walletId"] as? String ?? ""
            if let cancel = action.json[Self.cancelKey] as? [String: Any] {
                guard let externalId, cancel["externalId"] as? String == externalId else {
                    throw APIError.badRequest("the order placement of allocation action \(actionId) is already cancelled")
                }
                return APIResponse(json: ["transactionId": cancel["transactionId"] ?? ""])
            }
            let progress = Self.transactionProgress(
                action.json[Self.transactionKey] as? String, walletId: walletId, walletStore, principal, step: step)
            guard progress.status == "InProgress" else {
                throw APIError.badRequest(
                    "allocation action \(actionId) is \(progress.status): only an unfilled order placement (InProgress) can be cancelled")
            }
            let wallet = try walletStore.wallet(walletId, principal: principal)
            let sponsor = try self.feeSponsorship(of: object, wallet: wallet, principal: principal)
            let transaction = try Self.executingTransaction(
                walletStore, principal: principal, walletId: walletId, contract: Self.orderBook, value: "0", selector: "0x514fcac7",
                externalId: externalId)
            if let sponsor { self.recordSponsoredFee(sponsorId: sponsor, walletId: walletId, requestId: transaction.id, principal: principal) }
            _ = try documents.update(.allocationAction, actionId, orgId: principal.orgId, what: "allocationAction") { stored in
                var cancel: [String: Any] = ["transactionId": transaction.id]
                cancel["externalId"] = externalId
                stored[Self.cancelKey] = cancel
            }
            return APIResponse(json: ["transactionId": transaction.id])
        }
    }

    // MARK: State

    /// Internal members of the stored documents, left out of the answers.
    private static let tokenKey = "_token"
    private static let networkKey = "_network"
    private static let transactionKey = "_transactionId"
    private static let cancelKey = "_cancel"

    /// The contracts the simulator's allocation transactions call (the protocol vault and 0fns's order book).
    static let allocationVault = "0x0a7660979a67e4bc51e750c628c8479ff9f458ae"
    static let orderBook = "0x00000000000000000000000000000000000f0f0f"

    /// An EVM wallet of the organisation on one of the protocol's networks.
    private static func allocationWallet(_ walletStore: WalletStore, _ walletId: String, protocol name: String, _ principal: Principal)
        throws(APIError)
        -> SimulatedWallet
    {
        let wallet = try walletStore.wallet(walletId, principal: principal)
        let networks = allocationProtocols[name]?.networks ?? []
        guard networks.contains(wallet.network) else {
            throw APIError.badRequest("wallet \(walletId) is on \(wallet.network); \(name) is available on \(networks.joined(separator: ", "))")
        }
        return wallet
    }

    /// A new action of `allocation` and the transaction executing it (not stored yet).
    private static func allocationAction(
        _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, allocation: [String: Any], kind: String,
        source: [String: Any], target: [String: Any], body: [String: Any]
    ) throws(APIError) -> (id: String, json: [String: Any]) {
        let walletId = allocation["walletId"] as? String ?? ""
        let transaction = try executingTransaction(
            walletStore, principal: principal, walletId: walletId, contract: allocationVault,
            value: source["kind"] as? String == "Native" ? source["amount"] as? String ?? "0" : "0",
            selector: kind == "Deposit" ? "0x6e553f65" : "0xb460af94")
        let id = documents.newId("allctnact-")
        var action: [String: Any] = [
            "id": id, "allocationId": allocation["id"] ?? "", "kind": kind, "requester": ["userId": principal.userId, "tokenId": principal.tokenId],
            "requestBody": body, "dateCreated": SimulatedTransfer.format(Date()), transactionKey: transaction.id,
            "_amount": (kind == "Deposit" ? target["amount"] ?? source["amount"] : source["amount"]) ?? "0",
        ]
        action["externalId"] = body["externalId"] as? String
        return (id, action)
    }

    /// The actions of a stored allocation as Dfns answers them, oldest first, with their statuses at this moment.
    private static func actionStates(
        _ allocation: [String: Any], _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, step: Duration
    ) -> [[String: Any]] {
        let walletId = allocation["walletId"] as? String ?? ""
        return documents.all(.allocationAction, orgId: principal.orgId, parent: allocation["id"] as? String ?? "").map { document in
            var action = document.json
            let progress = transactionProgress(action[transactionKey] as? String, walletId: walletId, walletStore, principal, step: step)
            if let cancel = action[cancelKey] as? [String: Any] {
                action["status"] = "Failed"
                action["failureReason"] = "order placement cancelled by transaction \(cancel["transactionId"] as? String ?? "")"
            } else {
                action["status"] = progress.status
                action["failureReason"] = progress.failureReason
            }
            return action.filter { !$0.key.hasPrefix("_") || $0.key == "_amount" }
        }
    }

    /// What the completed actions allocated, in the protocol token's minimum units.
    private static func allocatedAmount(
        _ allocation: [String: Any], _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, step: Duration
    ) -> String {
        var total = Decimal(0)
        for action in actionStates(allocation, documents, walletStore, principal, step: step) where action["status"] as? String == "Completed" {
            let amount = Decimal(string: action["_amount"] as? String ?? "0") ?? 0
            total += action["kind"] as? String == "Withdraw" ? -amount : amount
        }
        return NSDecimalNumber(decimal: max(total, 0)).stringValue
    }

    /// A stored allocation as Dfns answers it: amount and rewards from its completed actions, and the actions.
    static func allocationState(
        _ stored: [String: Any], _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, step: Duration
    ) -> [String: Any] {
        let network = stored[networkKey] as? String ?? "Ethereum"
        var token = stored[tokenKey] as? [String: Any] ?? [:]
        let amount = allocatedAmount(stored, documents, walletStore, principal, step: step)
        var allocation = stored.filter { !$0.key.hasPrefix("_") }
        token["amount"] = amount
        allocation["amount"] = assetWithMetadata(token, networkName: network)
        token["amount"] = scaledAmount(amount, 5, 1000)
        allocation["rewards"] = assetWithMetadata(token, networkName: network)
        allocation["actions"] = actionStates(stored, documents, walletStore, principal, step: step).map { $0.filter { $0.key != "_amount" } }
        return allocation
    }
}
