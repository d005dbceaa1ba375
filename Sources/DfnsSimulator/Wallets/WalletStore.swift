import Foundation
import Synchronization

/// Wallets and everything that hangs off them: transfers and transactions (indexed by id, wallet and `externalId`),
/// the replacements cancels and speed-ups race against their originals, the approvals that hold them, and the
/// wallets whose transfers are forbidden. One lock for all of it, because their invariants span them: a transfer
/// belongs to a wallet the caller may see, an approval is a held transfer, a replacement is recorded on its original.
/// Ids, addresses and outcomes are drawn from its own seeded generator.
final class WalletStore: Sendable {
    /// What it counted, for `/_sim/stats`.
    struct Counters: Sendable {
        var walletCreates = 0
        var transferCreates = 0
        var transferReplays = 0
        var transactionCreates = 0
        /// Replacement transactions made by cancels and speed-ups.
        var replacements = 0
        var conflicts = 0
    }

    private struct State {
        var generator: SplitMix64
        var wallets: [SimulatedWallet] = []
        var walletIndex: [String: Int] = [:]
        var walletByExternalId: [String: String] = [:]
        var transfers: [SimulatedTransfer] = []
        var transferIndex: [String: Int] = [:]
        var transfersByWallet: [String: [Int]] = [:]
        var transferByExternalId: [String: Int] = [:]
        /// Wallets whose transfers are refused with 403 (control plane).
        var forbiddenWallets: Set<String> = []
        var counters = Counters()
    }

    private let configuration: SimulatorConfiguration
    /// Read for the create-transfer rule's NUL-reason rate, before this store's lock is taken (never under it).
    private let faults: FaultInjector
    private let state: Mutex<State>

    init(configuration: SimulatorConfiguration, faults: FaultInjector) {
        self.configuration = configuration
        self.faults = faults
        state = Mutex(State(generator: SplitMix64(seed: configuration.seed ^ 0x0A11_E750)))
    }

    func counters() -> Counters { state.withLock { $0.counters } }

    // MARK: Wallets

    /// Creates a wallet, on a new key or `reusing` an existing one of the scheme and curve the network signs with.
    /// `foreign` ones stand for wallets another application of the organisation made (control plane): they do not
    /// count as API creations, and `oddShape` gives them a shape this API version does not have.
    func createWallet(
        principal: Principal, network networkName: String, name: String?, externalId: String?, tags: [String],
        reusing existingKey: SimulatedWallet.SigningKey? = nil, foreign: Bool = false, oddShape: Bool = false
    ) throws(APIError) -> SimulatedWallet {
        guard let network = NetworkCatalog.network(named: networkName) else {
            throw APIError.badRequest("network \(networkName) is not supported")
        }
        let key = NetworkCatalog.key(of: network.family)
        if let existingKey, (existingKey.scheme, existingKey.curve) != key {
            throw APIError.badRequest(
                "key \(existingKey.id) is \(existingKey.scheme)/\(existingKey.curve); \(networkName) signs with \(key.scheme)/\(key.curve)")
        }
        return try state.withLock { (state) throws(APIError) -> SimulatedWallet in
            if configuration.uniqueWalletExternalId, let externalId, let existing = state.walletByExternalId[externalId] {
                throw APIError(409, "Conflicting wallet with same externalId", details: ["duplicate": ["id": existing, "externalId": externalId]])
            }
            let wallet = SimulatedWallet(
                id: state.generator.dfnsId("wa-"),
                network: networkName,
                address: NetworkCatalog.address(for: network, using: &state.generator),
                name: name,
                externalId: externalId,
                tags: tags,
                signingKey: existingKey
                    ?? .init(
                        id: state.generator.dfnsId("key-"), scheme: key.scheme, curve: key.curve,
                        publicKey: NetworkCatalog.publicKey(scheme: key.scheme, using: &state.generator)
                    ),
                dateCreated: SimulatedTransfer.format(Date()),
                delegatedTo: principal.isEndUser ? principal.userId : nil,
                orgId: principal.orgId,
                oddShape: oddShape
            )
            state.walletIndex[wallet.id] = state.wallets.count
            state.wallets.append(wallet)
            if let externalId { state.walletByExternalId[externalId] = wallet.id }
            if !foreign { state.counters.walletCreates += 1 }
            return wallet
        }
    }

    func wallet(_ id: String, principal: Principal) throws(APIError) -> SimulatedWallet {
        try state.withLock { (state) throws(APIError) -> SimulatedWallet in try Self.wallet(id, principal, in: state) }
    }

    /// One page of wallets in creation order; the cursor is the index of the next wallet.
    func listWallets(principal: Principal, limit: Int, after cursor: Int) -> (items: [SimulatedWallet], next: Int?) {
        state.withLock { state in
            let owned = state.wallets.lazy.filter { Self.reaches(principal, $0) }
            let items = Array(owned.dropFirst(cursor).prefix(limit))
            let next = cursor + items.count
            return (items, owned.count > next ? next : nil)
        }
    }

    /// Delegates the organisation's wallets on key `keyId` to end user `userId`.
    func delegate(keyId: String, to userId: String, orgId: String) {
        state.withLock { state in
            for index in state.wallets.indices where state.wallets[index].orgId == orgId && state.wallets[index].signingKey.id == keyId {
                state.wallets[index].delegatedTo = userId
            }
        }
    }

    /// Wallets whose transfers this token may not create (403), as when a permission is scoped to some wallets.
    func setForbiddenWallets(_ ids: Set<String>) { state.withLock { $0.forbiddenWallets = ids } }

    func isForbidden(walletId: String) -> Bool { state.withLock { $0.forbiddenWallets.contains(walletId) } }

    // MARK: Transfers

    enum TransferCreation {
        case created(SimulatedTransfer)
        case replayed(SimulatedTransfer)
    }

    /// Creates a transfer (or a transaction), or answers a replay of the same `externalId` and body with the original.
    func createTransfer(
        _ entity: SimulatedTransfer.Entity = .transfer, principal: Principal, walletId: String, body canonicalBody: [UInt8], externalId: String?,
        destination: String?
    ) throws(APIError) -> TransferCreation {
        let nulReasonRate = faults.rule(.createTransfer)?.nulReasonRate ?? 0
        return try state.withLock { (state) throws(APIError) -> TransferCreation in
            let wallet = try Self.wallet(walletId, principal, in: state)
            let externalKey = externalId.map { [entity.rawValue, principal.orgId, $0].joined(separator: "\u{0}") }
            if let externalId, let externalKey, let index = state.transferByExternalId[externalKey] {
                let existing = state.transfers[index]
                guard existing.walletId == walletId, existing.requestBody == canonicalBody else {
                    state.counters.conflicts += 1
                    throw APIError(
                        409, "Conflicting \(entity.rawValue) with same externalId",
                        details: ["duplicate": ["id": existing.id, "externalId": externalId]])
                }
                state.counters.transferReplays += 1
                return .replayed(existing)
            }
            guard let network = NetworkCatalog.network(named: wallet.network) else {
                throw APIError.badRequest("wallet network \(wallet.network) cannot transfer")
            }
            let outcome: SimulatedTransfer.Outcome
            if state.generator.chance(nulReasonRate) {
                // Text Dfns sends back is not guaranteed to be storable as-is (PostgreSQL refuses U+0000 in jsonb).
                outcome = .rejected(reason: "Blocked by policy \u{0}\"limits\": amount over the daily limit")
            } else if let destination, configuration.deniedDestinations.contains(destination) {
                outcome = .rejected(reason: "Blocked by policy: destination \(destination) is on the deny list")
            } else if state.generator.chance(configuration.rejectedFraction) {
                outcome = .rejected(reason: "Blocked by policy: transfer amount limit exceeded")
            } else if state.generator.chance(configuration.failedFraction) {
                outcome = .failed
            } else if state.generator.chance(configuration.approvalFraction) {
                outcome = .awaitingApproval
            } else {
                outcome = .confirmed
            }
            let isApproval: Bool = if case .awaitingApproval = outcome { true } else { false }
            let transfer = SimulatedTransfer(
                entity: entity,
                id: state.generator.dfnsId(entity.idPrefix),
                walletId: walletId,
                orgId: principal.orgId,
                network: network,
                networkName: wallet.network,
                requester: principal,
                externalId: externalId,
                requestBody: canonicalBody,
                dateRequested: Date(),
                outcome: outcome,
                txHash: NetworkCatalog.transactionHash(for: network, using: &state.generator),
                fee: String(UInt64.random(in: 21_000...2_000_000, using: &state.generator) * 1_000_000_000),
                approvalId: isApproval ? state.generator.dfnsId("ap-") : nil,
                approvalDecision: isApproval ? configuration.approvalDelay.map { (true, Date().addingTimeInterval($0.secondsValue)) } : nil
            )
            let index = state.transfers.count
            state.transfers.append(transfer)
            state.transferIndex[transfer.id] = index
            state.transfersByWallet[walletId, default: []].append(index)
            if let externalKey { state.transferByExternalId[externalKey] = index }
            if entity == .transfer { state.counters.transferCreates += 1 } else { state.counters.transactionCreates += 1 }
            return .created(transfer)
        }
    }

    func transfer(_ id: String, _ entity: SimulatedTransfer.Entity = .transfer, walletId: String, principal: Principal) throws(APIError)
        -> SimulatedTransfer
    {
        try state.withLock { (state) throws(APIError) -> SimulatedTransfer in
            state.transfers[try Self.transferIndex(id, entity, walletId: walletId, principal: principal, in: state)]
        }
    }

    /// Where transfer (or transaction) `id` of `walletId` is, for a caller who may see the wallet; 404 otherwise.
    private static func transferIndex(_ id: String, _ entity: SimulatedTransfer.Entity, walletId: String, principal: Principal, in state: State)
        throws(APIError) -> Int
    {
        _ = try wallet(walletId, principal, in: state)
        guard let index = state.transferIndex[id], state.transfers[index].walletId == walletId, state.transfers[index].entity == entity else {
            throw APIError(404, "\(entity.rawValue) not found", details: ["\(entity.rawValue)Id": id, "walletId": walletId])
        }
        return index
    }

    /// A requester's action on a transfer or transaction, as dfns-sdk 1.0.4 documents them (`abort_transfer`,
    /// `cancel_transfer`, `speed_up_transfer` and their transaction twins): abort only while `Executing` (not signed
    /// yet; it becomes `Failed`; answered with the entity); cancel and speed up only an EVM one that is `Broadcasted` —
    /// answered with a replacement transaction that races the original for its nonce. Anything else is a 400 naming
    /// the status.
    func act(
        _ action: SimulatedTransfer.Action, on id: String, _ entity: SimulatedTransfer.Entity, walletId: String, principal: Principal, at now: Date,
        step: Duration
    ) throws(APIError) -> SimulatedTransfer {
        try state.withLock { (state) throws(APIError) -> SimulatedTransfer in
            let index = try Self.transferIndex(id, entity, walletId: walletId, principal: principal, in: state)
            let status = state.transfers[index].state(at: now, step: step).status
            let noun = entity.noun
            switch action {
            case .abort:
                guard status == "Executing" else {
                    throw APIError(
                        400, "\(noun) \(id) is \(status): only a \(entity.rawValue) in Executing status that is not signed yet can be aborted")
                }
                state.transfers[index].abortedAt = now
            case .cancel, .speedUp:
                guard case .evm = state.transfers[index].network.family else {
                    throw APIError(
                        400,
                        "\(noun) \(id) is on \(state.transfers[index].networkName): only EVM \(entity.rawValue)s can be \(action == .cancel ? "cancelled" : "sped up")"
                    )
                }
                guard status == "Broadcasted" else {
                    throw APIError(
                        400, "\(noun) \(id) is \(status): only a Broadcasted \(entity.rawValue) can be \(action == .cancel ? "cancelled" : "sped up")"
                    )
                }
                // Answered with the replacement transaction (dfns-sdk-python `CancelTransferResponse` and
                // `SpeedUpTransferResponse` are TransactionRequests; docs.dfns.co/api-reference/wallets/cancel-transfer),
                // which races the original (``SimulatedTransfer/Race``). A second request makes a second replacement.
                let original = state.transfers[index]
                let race = SimulatedTransfer.Race(
                    replacementId: state.generator.dfnsId(SimulatedTransfer.Entity.transaction.idPrefix),
                    replacementTxHash: NetworkCatalog.transactionHash(for: original.network, using: &state.generator), action: action,
                    decidedAt: now.addingTimeInterval(step.secondsValue),
                    originalMined: state.generator.chance(configuration.originalMinedFirstFraction)
                )
                var replacement = SimulatedTransfer(
                    entity: .transaction, id: race.replacementId, walletId: walletId, orgId: original.orgId, network: original.network,
                    networkName: original.networkName, requester: principal, externalId: nil,
                    requestBody: Array(#"{"kind":"Transaction","transaction":"\#(original.txHash)"}"#.utf8), dateRequested: now, outcome: .confirmed,
                    txHash: race.replacementTxHash, fee: original.fee,
                    approvalId: nil, approvalDecision: nil
                )
                replacement.replaces = race
                state.transfers[index].replacement = race
                let replacementIndex = state.transfers.count
                state.transfers.append(replacement)
                state.transferIndex[replacement.id] = replacementIndex
                state.transfersByWallet[walletId, default: []].append(replacementIndex)
                state.counters.replacements += 1
                return replacement
            }
            return state.transfers[index]
        }
    }

    func listTransfers(_ entity: SimulatedTransfer.Entity = .transfer, walletId: String, principal: Principal, limit: Int, after cursor: Int)
        throws(APIError) -> (items: [SimulatedTransfer], next: Int?)
    {
        try state.withLock { (state) throws(APIError) -> (items: [SimulatedTransfer], next: Int?) in
            _ = try Self.wallet(walletId, principal, in: state)
            let indexes = (state.transfersByWallet[walletId] ?? []).filter { state.transfers[$0].entity == entity }
            let items = indexes.dropFirst(cursor).prefix(limit).map { state.transfers[$0] }
            let next = cursor + items.count
            return (items, indexes.count > next ? next : nil)
        }
    }

    /// Every transfer (or transaction) of every wallet (control plane, for duplicate checks; history).
    func allTransfers(_ entity: SimulatedTransfer.Entity = .transfer) -> [SimulatedTransfer] {
        state.withLock { $0.transfers.filter { $0.entity == entity } }
    }

    /// Every wallet of every organisation (control plane).
    func allWallets() -> [SimulatedWallet] { state.withLock { $0.wallets } }

    /// Approves or rejects a transfer waiting for approval; false when there is none such.
    func decideApproval(transferId: String, approve: Bool) -> Bool {
        state.withLock { state in
            guard let index = state.transferIndex[transferId], case .awaitingApproval = state.transfers[index].outcome,
                state.transfers[index].approvalDecision.map({ $0.at > Date() }) ?? true
            else { return false }
            state.transfers[index].approvalDecision = (approve, Date())
            return true
        }
    }

    /// Moves a transfer's (or transaction's) timeline so that it is in `status` now, at the start of that stage: the
    /// control plane's way to reach a stage without waiting (`Pending`, `Executing`, `Broadcasted`, `Confirmed`). For a
    /// cancel's or speed-up's replacement, `Confirmed` decides its race with the original now (as seeded).
    func advance(_ id: String, to status: String, step: Duration) -> SimulatedTransfer? {
        guard let stage = ["Pending", "Executing", "Broadcasted", "Confirmed"].firstIndex(of: status) else { return nil }
        return state.withLock { state in
            guard let index = state.transferIndex[id] else { return nil }
            if state.transfers[index].replaces != nil {
                guard status == "Confirmed" else { return nil }
                let now = Date()
                state.transfers[index].replaces?.decidedAt = now
                for original in state.transfers.indices where state.transfers[original].replacement?.replacementId == id {
                    state.transfers[original].replacement?.decidedAt = now
                }
                return state.transfers[index]
            }
            let start = Date().addingTimeInterval(-step.secondsValue * Double(stage) - 0.001)
            // An approved one's timeline starts at the decision.
            if let decision = state.transfers[index].approvalDecision, decision.approved, decision.at <= Date() {
                state.transfers[index].approvalDecision = (true, start)
            } else {
                state.transfers[index].dateRequested = start
            }
            return state.transfers[index]
        }
    }

    /// The approvals of the organisation, oldest first.
    func approvals(principal: Principal) -> [SimulatedTransfer] {
        state.withLock { $0.transfers.filter { $0.orgId == principal.orgId && $0.approvalId != nil } }
    }

    /// The transfer or transaction approval `approvalId` holds; 404 otherwise.
    func approval(_ approvalId: String, principal: Principal) throws(APIError) -> SimulatedTransfer {
        try state.withLock { (state) throws(APIError) -> SimulatedTransfer in
            state.transfers[try Self.approvalIndex(approvalId, principal, in: state)]
        }
    }

    /// `POST /v2/policy-approvals/{id}/decisions`: decides a pending approval once; a second decision is a 400.
    func decide(approvalId: String, principal: Principal, approve: Bool, reason: String?, at now: Date) throws(APIError) -> SimulatedTransfer {
        try state.withLock { (state) throws(APIError) -> SimulatedTransfer in
            let index = try Self.approvalIndex(approvalId, principal, in: state)
            guard state.transfers[index].awaitsApproval(at: now) else { throw APIError(400, "approval \(approvalId) is already resolved") }
            state.transfers[index].approvalDecision = (approve, now)
            state.transfers[index].decision = (principal.userId, reason)
            return state.transfers[index]
        }
    }

    private static func approvalIndex(_ approvalId: String, _ principal: Principal, in state: State) throws(APIError) -> Int {
        guard let index = state.transfers.firstIndex(where: { $0.approvalId == approvalId && $0.orgId == principal.orgId }) else {
            throw APIError(404, "approval not found", details: ["approvalId": approvalId])
        }
        return index
    }

    /// Changes a wallet (name, externalId, tags) and returns it.
    func updateWallet(_ id: String, principal: Principal, _ change: (inout SimulatedWallet) -> Void) throws(APIError) -> SimulatedWallet {
        try state.withLock { (state) throws(APIError) -> SimulatedWallet in
            _ = try Self.wallet(id, principal, in: state)
            let index = state.walletIndex[id]!
            let before = state.wallets[index].externalId
            change(&state.wallets[index])
            if let before, before != state.wallets[index].externalId { state.walletByExternalId[before] = nil }
            if let after = state.wallets[index].externalId { state.walletByExternalId[after] = id }
            return state.wallets[index]
        }
    }

    // MARK: Helpers

    /// Whether `principal` reaches `wallet`: its organisation's, and for an end user only those delegated to them.
    private static func reaches(_ principal: Principal, _ wallet: SimulatedWallet) -> Bool {
        wallet.orgId == principal.orgId && (!principal.isEndUser || wallet.delegatedTo == principal.userId)
    }

    private static func wallet(_ id: String, _ principal: Principal, in state: State) throws(APIError) -> SimulatedWallet {
        guard let index = state.walletIndex[id], reaches(principal, state.wallets[index]) else {
            throw APIError(404, "wallet not found", details: ["walletId": id, "orgId": principal.orgId])
        }
        return state.wallets[index]
    }
}
