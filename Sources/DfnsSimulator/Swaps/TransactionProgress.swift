import Foundation

/// The status of an operation Dfns executes with a wallet transaction (a swap, an allocation action), read from that
/// transaction at this moment: `PendingPolicyApproval` while a policy holds it, `InProgress` until it is confirmed,
/// `Completed` once it is, `Failed` or `Rejected` with the transaction's reason. The statuses are those of
/// dfns-sdk 1.0.4's `CreateSwapResponse.status`, which Dfns's staking actions share (docs.dfns.co "Create Stake").
extension DfnsSimulator {
    static func transactionProgress(_ transactionId: String?, walletId: String, _ walletStore: WalletStore, _ principal: Principal, step: Duration)
        -> (status: String, failureReason: String?)
    {
        let now = Date()
        guard let transactionId, let transaction = try? walletStore.transfer(transactionId, .transaction, walletId: walletId, principal: principal)
        else { return ("InProgress", nil) }
        let state = transaction.state(at: now, step: step)
        let reason = state.fields["reason"] as? String
        switch state.status {
        case "Pending" where transaction.awaitsApproval(at: now): return ("PendingPolicyApproval", nil)
        case "Confirmed": return ("Completed", nil)
        case "Failed": return ("Failed", reason ?? "transaction \(transactionId) failed")
        case "Rejected": return ("Rejected", reason ?? "transaction \(transactionId) was rejected")
        default: return ("InProgress", nil)
        }
    }

    /// The wallet transaction that executes an operation: a call of `contract` from the wallet, with `value` in
    /// minimum units; `externalId` deduplicates it as the wallets API does.
    static func executingTransaction(
        _ walletStore: WalletStore, principal: Principal, walletId: String, contract: String, value: String, selector: String,
        externalId: String? = nil
    ) throws(APIError) -> SimulatedTransfer {
        let call: [String: Any] = ["kind": "Evm", "to": contract, "value": value, "data": selector + String(repeating: "0", count: 64)]
        switch try walletStore.createTransfer(
            .transaction, principal: principal, walletId: walletId, body: SimulatorJSON.serialize(call, sorted: true), externalId: externalId,
            destination: nil)
        {
        case .created(let transaction), .replayed(let transaction): return transaction
        }
    }
}
