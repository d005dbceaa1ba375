import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let stake = Self("stake")
    static let stakeAction = Self("stakeAction")
}

/// The staking routes (dfns-sdk 1.0.4 `generated/staking/client.py`; the action as dfns-sdk-go's `types.StakeAction`:
/// id, stakeId, status, transactionId, transactionHash, kind, requester, requestBody, failureReason, dateCreated; the
/// stake, its statuses, the `stk-` ids, the bodies and `{symbol, balance}` rewards as docs.dfns.co "Staking", "Create
/// Stake", "Create Stake Action", "Get Stake Rewards").
///
/// A stake (`{walletId, provider, protocol, amount, externalId?}`, Babylon also `duration`) is a position of a wallet
/// with the provider `Figment` in `Babylon` (Bitcoin wallets), `Ethereum` (Ethereum, EthereumSepolia, EthereumHoodi)
/// or `Iota` (Iota, IotaTestnet). Creating it "implicitly creates a Stake action"; later actions are those the docs
/// list per protocol: Babylon `Unbond` then `Withdraw`, Ethereum `Withdraw`, Iota `Deposit` and (partial or full)
/// `Withdraw` with an `amount`. `protocol` must be the stake's. Each action is executed by one wallet transaction, so
/// its status follows that transaction through the simulator's policies, approvals, clock and control plane
/// (``transactionProgress``: `PendingPolicyApproval`, `InProgress`, `Completed`, `Failed`, `Rejected`), and the stake's
/// status follows its actions: `Staking` until the Stake action completes, then `Active`; an Unbond moves it to
/// `Unbonding`, then `Unbond`; a withdrawal of the whole position to `Withdrawing`, then `Withdrawn` (final); a failed
/// Stake action makes it `Failed` (final). An action is refused (400) while another one of the stake is under way, or
/// when the stake's status does not allow it (Babylon withdraws only once unbonded). `externalId` is idempotent as
/// the docs say ("client-provided identifier for idempotency"): same body, same stake; another body, 409, as
/// transfers do. `GET /staking/stakes/{stakeId}` answers the stake with its actions, the list without them, as the docs'
/// examples do.
///
/// Assumptions where the sources are silent: the action statuses are the swaps' (the Go type leaves them open); a
/// Babylon or Ethereum action acts on the whole position, so an `amount` given must be the staked one; a failed later
/// action leaves the stake where it was; the rewards are 0.5 % of the staked amount once the stake is active (the ratio
/// the simulator's allocations use), in `BABY` for Babylon, `ETH` and `IOTA` otherwise; Babylon's `data` values are
/// the simulator's; action ids are `stka-…`.
extension DfnsSimulator {
    /// Each protocol's networks, reward token and the action kinds it takes after the Stake action.
    static let stakingProtocols: [String: (networks: [String], symbol: String, kinds: [String])] = [
        "Babylon": (["Bitcoin", "BitcoinTestnet4", "BitcoinSignet"], "BABY", ["Unbond", "Withdraw"]),
        "Ethereum": (["Ethereum", "EthereumSepolia", "EthereumHoodi"], "ETH", ["Withdraw"]),
        "Iota": (["Iota", "IotaTestnet"], "IOTA", ["Deposit", "Withdraw"]),
    ]
    static let stakingProviders = ["Figment"]

    func addStakingRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/staking/stakes") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            guard let provider = object["provider"] as? String, Self.stakingProviders.contains(provider) else {
                throw APIError.badRequest("provider must be one of \(Self.stakingProviders.joined(separator: ", "))")
            }
            guard let name = object["protocol"] as? String, let spec = Self.stakingProtocols[name] else {
                throw APIError.badRequest("protocol must be one of \(Self.stakingProtocols.keys.sorted().joined(separator: ", "))")
            }
            let amount = try Self.stakingAmount(object["amount"], required: true) ?? "0"
            if name == "Babylon" {
                guard let duration = SimulatorJSON.integer(object["duration"]), duration > 0 else {
                    throw APIError.badRequest("duration is required for Babylon and must be a positive integer (in Bitcoin blocks)")
                }
            }
            let externalId = try Self.optionalString(object, "externalId")
            let request = SimulatorJSON.serialize(object, sorted: true)
            if let externalId, let existing = documents.find(.stake, orgId: principal.orgId, parent: nil, externalId: externalId) {
                guard existing.request == request else {
                    throw APIError(
                        409, "Conflicting stake with same externalId", details: ["duplicate": ["id": existing.id, "externalId": externalId]])
                }
                return APIResponse(json: Self.stakeState(existing.json, documents, walletStore, principal, step: step, withActions: true))
            }
            let wallet = try walletStore.wallet(walletId, principal: principal)
            guard spec.networks.contains(wallet.network) else {
                throw APIError.badRequest(
                    "wallet \(walletId) is on \(wallet.network); \(name) staking is available on \(spec.networks.joined(separator: ", "))")
            }
            let id = documents.newId("stk-")
            var stake: [String: Any] = [
                "id": id, "provider": provider, "walletId": walletId, "protocol": name,
                "requester": ["userId": principal.userId, "tokenId": principal.tokenId], "requestBody": object,
                "dateCreated": SimulatedTransfer.format(Date()), Self.stakedKey: amount,
            ]
            if name == "Babylon" {
                stake["data"] =
                    [
                        "finalityProviders": ["2f4ee9d7bb0bd1ee4e7e3d6fbd06b1b4ad86e2a5d1d84c5bb5b0c6b6b2de5d28"],
                        "covenantPubkeys": ["03d45c70d28f169e1f0c7f4a78e2bc73497afe585b70aa897955989068f3350aaa"], "magicBytes": "62627434",
                        "covenantThreshold": 1, "minUnbondingTime": 1008, "lockHeight": 0,
                    ] as [String: Any]
            }
            let action = try Self.stakeAction(documents, walletStore, principal, stake: stake, kind: "Stake", amount: amount, body: object)
            documents.insert(.stake, id: id, orgId: principal.orgId, json: stake, externalId: externalId, request: request)
            documents.insert(.stakeAction, id: action.id, orgId: principal.orgId, parent: id, json: action.json, externalId: externalId)
            return APIResponse(json: Self.stakeState(stake, documents, walletStore, principal, step: step, withActions: true))
        }
        api.get("/staking/stakes") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let stakes = documents.all(.stake, orgId: principal.orgId).map {
                Self.stakeState($0.json, documents, walletStore, principal, step: step, withActions: false)
            }
            return APIResponse(json: try Self.paged(stakes, request))
        }
        api.get("/staking/stakes/:stakeId") { [documents, walletStore] request, context in
            let principal = try context.caller()
            _ = try Self.page(request)
            let stake = try documents.get(.stake, Self.parameter(context, "stakeId"), orgId: principal.orgId, what: "stake")
            return APIResponse(json: Self.stakeState(stake.json, documents, walletStore, principal, step: step, withActions: true))
        }
        api.get("/staking/stakes/:stakeId/actions") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let stake = try documents.get(.stake, Self.parameter(context, "stakeId"), orgId: principal.orgId, what: "stake")
            let actions = Self.stakeActionStates(stake.json, documents, walletStore, principal, step: step).map(Self.publicMembers)
            return APIResponse(json: try Self.paged(actions, request))
        }
        api.post("/staking/stakes/:stakeId/actions") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let stake = try documents.get(.stake, Self.parameter(context, "stakeId"), orgId: principal.orgId, what: "stake").json
            let object = try Self.object(context.requestBody)
            let name = stake["protocol"] as? String ?? ""
            let kinds = Self.stakingProtocols[name]?.kinds ?? []
            guard let kind = object["kind"] as? String, kinds.contains(kind) else {
                throw APIError.badRequest("kind must be \(kinds.joined(separator: " or ")) for a \(name) stake")
            }
            guard object["protocol"] as? String == name else { throw APIError.badRequest("protocol is required and must be the stake's, \(name)") }
            let amount = try Self.stakingAmount(object["amount"], required: name == "Iota")
            let position = Self.stakePosition(stake, documents, walletStore, principal, step: step)
            let actions = Self.stakeActionStates(stake, documents, walletStore, principal, step: step)
            if let busy = actions.first(where: { ["PendingPolicyApproval", "InProgress"].contains($0["status"] as? String) }) {
                throw APIError.badRequest("stake action \(busy["id"] as? String ?? "") (\(busy["kind"] as? String ?? "")) is still under way")
            }
            let status = position.status
            let allowed = kind == "Withdraw" && name == "Babylon" ? "Unbond" : "Active"
            guard status == allowed else {
                throw APIError.badRequest("the stake is \(status): a \(name) \(kind) needs a stake that is \(allowed)")
            }
            if name != "Iota", let amount, amount != position.amount {
                throw APIError.badRequest("a \(name) \(kind) acts on the whole stake: amount must be \(position.amount) or left out")
            }
            if kind == "Withdraw", let amount, (Decimal(string: amount) ?? 0) > (Decimal(string: position.amount) ?? 0) {
                throw APIError.badRequest("amount \(amount) exceeds the staked \(position.amount)")
            }
            let action = try Self.stakeAction(
                documents, walletStore, principal, stake: stake, kind: kind, amount: amount ?? position.amount, body: object)
            documents.insert(.stakeAction, id: action.id, orgId: principal.orgId, parent: stake["id"] as? String, json: action.json)
            return APIResponse(json: Self.stakeState(stake, documents, walletStore, principal, step: step, withActions: true))
        }
        api.get("/staking/stakes/:stakeId/rewards") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let stake = try documents.get(.stake, Self.parameter(context, "stakeId"), orgId: principal.orgId, what: "stake").json
            let actions = Self.stakeActionStates(stake, documents, walletStore, principal, step: step)
            let earning = actions.contains { $0["kind"] as? String == "Stake" && $0["status"] as? String == "Completed" }
            let staked = Decimal(string: stake[Self.stakedKey] as? String ?? "0") ?? 0
            let balance = earning ? NSDecimalNumber(decimal: staked * 5 / 1000).rounding(accordingToBehavior: nil).stringValue : "0"
            return APIResponse(json: ["symbol": Self.stakingProtocols[stake["protocol"] as? String ?? ""]?.symbol ?? "", "balance": balance])
        }
    }

    // MARK: State

    /// Internal members of the stored documents, left out of the answers.
    private static let stakedKey = "_staked"
    private static let stakeTransactionKey = "_transactionId"
    private static let actionAmountKey = "_amount"

    private static func publicMembers(_ json: [String: Any]) -> [String: Any] { json.filter { !$0.key.hasPrefix("_") } }

    /// An amount in minimum units (`^\d+$`, more than 0); nil when absent and not `required`.
    private static func stakingAmount(_ value: Any?, required: Bool) throws(APIError) -> String? {
        guard let value else {
            if required { throw APIError.badRequest("amount is required and must be a string of digits (minimum units)") }
            return nil
        }
        guard let text = value as? String, !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), text.contains(where: { $0 != "0" })
        else { throw APIError.badRequest("amount must be a positive integer string in minimum units") }
        return text
    }

    /// A new action of `stake` and the wallet transaction executing it (not stored yet).
    private static func stakeAction(
        _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, stake: [String: Any], kind: String, amount: String,
        body: [String: Any]
    ) throws(APIError) -> (id: String, json: [String: Any]) {
        let walletId = stake["walletId"] as? String ?? ""
        let id = documents.newId("stka-")
        let call: [String: Any]
        switch stake["protocol"] as? String {
        case "Ethereum":
            // The beacon deposit contract for the Stake action, the provider's withdrawal contract otherwise.
            call = [
                "kind": "Evm", "to": kind == "Stake" ? "0x00000000219ab540356cbb839cbe05303d7705fa" : "0x0000000000000000000000000000000000007002",
                "value": kind == "Stake" ? amount : "0", "data": "0x22895118" + String(repeating: "0", count: 64),
            ]
        case "Babylon": call = ["kind": "Psbt", "psbt": "0x70736274ff01" + String(repeating: "0", count: 64), "stakeAction": id]
        default: call = ["kind": "Transaction", "transaction": "0x" + String(repeating: "0", count: 64), "stakeAction": id]
        }
        let transaction: SimulatedTransfer
        switch try walletStore.createTransfer(
            .transaction, principal: principal, walletId: walletId, body: SimulatorJSON.serialize(call, sorted: true), externalId: nil,
            destination: nil)
        {
        case .created(let created), .replayed(let created): transaction = created
        }
        let action: [String: Any] = [
            "id": id, "stakeId": stake["id"] ?? "", "kind": kind, "requester": ["userId": principal.userId, "tokenId": principal.tokenId],
            "requestBody": body, "dateCreated": SimulatedTransfer.format(Date()), "transactionId": transaction.id,
            stakeTransactionKey: transaction.id,
            actionAmountKey: amount,
        ]
        return (id, action)
    }

    /// The actions of a stored stake, oldest first, with their statuses at this moment (internal members kept).
    private static func stakeActionStates(
        _ stake: [String: Any], _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, step: Duration
    ) -> [[String: Any]] {
        let walletId = stake["walletId"] as? String ?? ""
        return documents.all(.stakeAction, orgId: principal.orgId, parent: stake["id"] as? String ?? "").map { document in
            var action = document.json
            let transactionId = action[stakeTransactionKey] as? String
            let progress = transactionProgress(transactionId, walletId: walletId, walletStore, principal, step: step)
            action["status"] = progress.status
            action["failureReason"] = progress.failureReason
            if let transactionId, let transaction = try? walletStore.transfer(transactionId, .transaction, walletId: walletId, principal: principal) {
                action["transactionHash"] = transaction.state(at: Date(), step: step).fields["txHash"]
            }
            return action
        }
    }

    /// The stake's status and staked amount at this moment, from its actions in order.
    private static func stakePosition(
        _ stake: [String: Any], _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, step: Duration
    ) -> (status: String, amount: String) {
        var status = "Staking"
        var amount = Decimal(0)
        for action in stakeActionStates(stake, documents, walletStore, principal, step: step) {
            let progress = action["status"] as? String ?? ""
            let value = Decimal(string: action[actionAmountKey] as? String ?? "0") ?? 0
            let done = progress == "Completed"
            let failed = progress == "Failed" || progress == "Rejected"
            switch action["kind"] as? String {
            case "Stake":
                status = done ? "Active" : failed ? "Failed" : "Staking"
                if done { amount = value }
            case "Deposit":
                if done { amount += value }
            case "Unbond":
                if !failed { status = done ? "Unbond" : "Unbonding" }
            default:  // Withdraw: of the whole position, or part of an Iota one.
                let whole = value >= amount
                if !failed, whole { status = done ? "Withdrawn" : "Withdrawing" }
                if done { amount = whole ? 0 : amount - value }
            }
        }
        return (status, NSDecimalNumber(decimal: amount).stringValue)
    }

    /// A stored stake as Dfns answers it, with its status at this moment (and its actions for a single stake).
    private static func stakeState(
        _ stored: [String: Any], _ documents: DocumentStore, _ walletStore: WalletStore, _ principal: Principal, step: Duration,
        withActions: Bool
    ) -> [String: Any] {
        var stake = publicMembers(stored)
        stake["status"] = stakePosition(stored, documents, walletStore, principal, step: step).status
        if withActions {
            stake["actions"] = stakeActionStates(stored, documents, walletStore, principal, step: step).map(publicMembers)
        }
        return stake
    }
}
