import Foundation

/// A transfer or a wallet transaction as the simulator stores it (Dfns gives both the same lifecycle); its status is
/// derived from the clock, so it moves without timers.
struct SimulatedTransfer: Sendable {
    /// How the transfer ends, drawn at creation.
    enum Outcome: Sendable {
        case confirmed, failed
        case rejected(reason: String)
        case awaitingApproval
    }

    /// Which collection of the wallet it belongs to.
    enum Entity: String, Sendable {
        case transfer, transaction
        var idPrefix: String { self == .transfer ? "xfr-" : "tx-" }
        var noun: String { self == .transfer ? "Transfer" : "Transaction" }
    }

    /// What a requester may do to it after creation.
    enum Action: String, Sendable {
        case abort, cancel
        case speedUp = "speed-up"
    }

    let entity: Entity
    let id: String
    let walletId: String
    let orgId: String
    let network: NetworkCatalog.Network
    let networkName: String
    let requester: Principal
    let externalId: String?
    /// The request body, canonical JSON.
    let requestBody: [UInt8]
    /// When it was requested; the control plane moves it back to advance the clock-derived status.
    var dateRequested: Date
    let outcome: Outcome
    let txHash: String
    let fee: String
    let approvalId: String?
    /// When an approval is (or will be, with an automatic approval delay) decided: approve → the timeline restarts
    /// then; reject → Rejected.
    var approvalDecision: (approved: Bool, at: Date)?
    /// Who decided through `/v2/policy-approvals/{id}/decisions`, and why (nil for the control plane or a timer).
    var decision: (userId: String, reason: String?)?
    /// When the requester aborted it while it was `Executing`: `Failed` from then on.
    var abortedAt: Date?
    /// The replacement transaction a cancel or a speed-up broadcast with this one's nonce (the latest, if several).
    var replacement: Race?
    /// On a replacement transaction: the race it runs against the original.
    var replaces: Race?
    /// The replacement a cancel or a speed-up broadcast.
    var replacementId: String? { replacement?.replacementId }

    /// A cancel or a speed-up re-broadcasts with the same nonce, so exactly one of the original and its replacement is
    /// mined. Dfns answers the request with the replacement and warns that "if the original transaction confirms before
    /// the replacement is mined, the operation will fail" (docs.dfns.co/networks/evm): the original may still be mined
    /// after the request was accepted. Which status the original shows meanwhile is not documented; here it stays
    /// `Broadcasted` until one is mined at `decidedAt`, then is `Confirmed` (mined first) or `Failed` (replaced).
    struct Race: Sendable {
        let replacementId: String
        let replacementTxHash: String
        let action: Action
        /// When one of the two is mined (the control plane may bring it forward).
        var decidedAt: Date
        let originalMined: Bool
    }

    /// True while the transfer waits for an approval decision.
    func awaitsApproval(at now: Date) -> Bool {
        guard case .awaitingApproval = outcome else { return false }
        return approvalDecision.map { now < $0.at } ?? true
    }

    /// The status at `now`, and the dates that go with it.
    func state(at now: Date, step: Duration) -> (status: String, fields: [String: Any]) {
        if let abortedAt, now >= abortedAt {
            return ("Failed", ["datePolicyResolved": Self.format(abortedAt), "reason": "\(entity.noun) aborted by the requester"])
        }
        if let race = replaces {
            let fields: [String: Any] = ["txHash": txHash, "dateBroadcasted": Self.format(dateRequested)]
            guard now >= race.decidedAt else { return ("Broadcasted", fields) }
            guard !race.originalMined else {
                return ("Failed", fields.merging(["reason": "the original transaction was mined first; this replacement was dropped"]) { $1 })
            }
            return ("Confirmed", fields.merging(["dateConfirmed": Self.format(race.decidedAt), "fee": fee]) { $1 })
        }
        if let race = replacement {
            let (status, fields) = timeline(at: now, step: step)
            guard now >= race.decidedAt else { return (status == "Confirmed" || status == "Failed" ? "Broadcasted" : status, fields) }
            guard race.originalMined else {
                let what = race.action == .cancel ? "a 0-value transaction (cancel)" : "the same transaction with higher fees (speed-up)"
                return ("Failed", fields.merging(["reason": "replaced by \(race.replacementId), \(what), mined with its nonce"]) { $1 })
            }
            return ("Confirmed", fields.merging(["dateConfirmed": Self.format(race.decidedAt), "fee": fee]) { $1 })
        }
        return timeline(at: now, step: step)
    }

    /// A speed-up whose replacement was mined at `now`: the payment was made, under the replacement's hash.
    func spedUpMined(at now: Date) -> Bool {
        replacement.map { $0.action == .speedUp && !$0.originalMined && now >= $0.decidedAt } ?? false
    }

    /// The status its own timeline gives at `now`: stages of `step`, approvals, the seeded outcome.
    private func timeline(at now: Date, step: Duration) -> (status: String, fields: [String: Any]) {
        let stepSeconds = step.secondsValue
        var start = dateRequested
        switch outcome {
        case .awaitingApproval:
            guard let decision = approvalDecision, now >= decision.at else { return ("Pending", ["approvalId": approvalId ?? ""]) }
            guard decision.approved else {
                return (
                    "Rejected", ["approvalId": approvalId ?? "", "datePolicyResolved": Self.format(decision.at), "reason": "Rejected by an approver"]
                )
            }
            start = decision.at
        case .rejected(let reason):
            if now.timeIntervalSince(start) >= stepSeconds {
                return ("Rejected", ["datePolicyResolved": Self.format(start.addingTimeInterval(stepSeconds)), "reason": reason])
            }
            return ("Pending", [:])
        case .confirmed, .failed:
            break
        }
        let elapsed = now.timeIntervalSince(start)
        func at(_ steps: Double) -> String { Self.format(start.addingTimeInterval(stepSeconds * steps)) }
        var fields: [String: Any] = approvalId.map { ["approvalId": $0] } ?? [:]
        if elapsed < stepSeconds { return ("Pending", fields) }
        fields["datePolicyResolved"] = at(1)
        if elapsed < 2 * stepSeconds { return ("Executing", fields) }
        fields["txHash"] = txHash
        fields["dateBroadcasted"] = at(2)
        if elapsed < 3 * stepSeconds { return ("Broadcasted", fields) }
        if case .failed = outcome {
            fields["reason"] = "Transaction reverted on chain: insufficient funds for gas"
            return ("Failed", fields)
        }
        fields["dateConfirmed"] = at(3)
        fields["fee"] = fee
        return ("Confirmed", fields)
    }

    func json(at now: Date, step: Duration) -> [String: Any] {
        let (status, fields) = state(at: now, step: step)
        var object: [String: Any] = [
            "id": id, "walletId": walletId, "network": networkName, "status": status,
            "requester": ["userId": requester.userId, "tokenId": requester.tokenId],
            "requestBody": SimulatorJSON.parse(requestBody) ?? [:],
            "dateRequested": Self.format(dateRequested),
        ]
        if entity == .transfer {
            object["metadata"] = ["asset": ["symbol": network.symbol, "decimals": network.decimals, "verified": true]]
        }
        object["externalId"] = externalId
        object["replacementId"] = replacementId
        for (key, value) in fields { object[key] = value }
        return object
    }

    /// The approval a `RequestApproval` policy opened for it (`/v2/policy-approvals`), or nil when none did.
    func approvalJSON(at now: Date, step: Duration) -> [String: Any]? {
        guard let approvalId else { return nil }
        var status = "Pending"
        var object: [String: Any] = [
            "id": approvalId, "initiatorId": requester.userId,
            "activity": ["kind": "Wallets:Sign", "\(entity.rawValue)Request": json(at: now, step: step)],
            "dateCreated": Self.format(dateRequested), "dateUpdated": Self.format(dateRequested),
            "policyEvaluations": [["policyId": "plc-sim-approval", "triggered": true, "reason": "RequestApproval policy"]],
            "decisions": [] as [Any],
        ]
        if let decided = approvalDecision, now >= decided.at {
            status = decided.approved ? "Approved" : "Denied"
            object["dateResolved"] = Self.format(decided.at)
            object["dateUpdated"] = Self.format(decided.at)
            var entry: [String: Any] = ["userId": decision?.userId ?? "us-sim-approver", "date": Self.format(decided.at), "value": status]
            entry["reason"] = decision?.reason
            object["decisions"] = [entry]
        }
        object["status"] = status
        return object
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
