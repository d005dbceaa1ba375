import Foundation
import NIOCore
import Synchronization

/// Delivers webhook events as Dfns does (dfns-api §9): when a transfer, transaction or signature of the organisation
/// changes status, each enabled webhook subscribed to the event's kind (or `*`) gets a signed POST; a delivery not
/// answered 200 is retried with backoff, each retry a new event id with `retryOf`; every delivery is recorded as a
/// webhook event. Seeded ``WebhookFaults`` drop, duplicate and delay deliveries (delays reorder them).
///
/// Statuses follow the clock, so a loop watches them (every 50 ms) while any webhook exists; it holds the stores,
/// never the simulator, and stops with it.
final class WebhookEmitter: Sendable {
    private struct State {
        var generator: SplitMix64
        /// The last status announced per webhook and entity.
        var announced: [String: String] = [:]
        var loop: Task<Void, Never>?
    }

    private let wallets: WalletStore
    private let documents: DocumentStore
    private let configuration: SimulatorConfiguration
    private let state: Mutex<State>

    init(wallets: WalletStore, documents: DocumentStore, configuration: SimulatorConfiguration) {
        self.wallets = wallets
        self.documents = documents
        self.configuration = configuration
        self.state = Mutex(State(generator: SplitMix64(seed: configuration.seed ^ 0xDE11_7E55)))
    }

    deinit { state.withLock { $0.loop?.cancel() } }

    /// Starts watching (once); called when a webhook is created.
    func start() {
        state.withLock { state in
            guard state.loop == nil else { return }
            state.loop = Task { [weak self] in
                while !Task.isCancelled {
                    self?.tick(at: Date())
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
        }
    }

    func stop() { state.withLock { $0.loop?.cancel() } }

    /// One look at every entity: announces each status change to the webhooks that want it.
    private func tick(at now: Date) {
        let webhooks = documents.all(.webhook, orgId: nil).map(\.json).filter { $0["status"] as? String == "Enabled" }
        guard !webhooks.isEmpty else { return }
        let step = configuration.transferStep
        var changes: [(orgId: String, id: String, kind: String, data: [String: Any])] = []
        for entity in [SimulatedTransfer.Entity.transfer, .transaction] {
            for activity in wallets.allTransfers(entity) {
                let json = activity.json(at: now, step: step)
                let status = json["status"] as? String ?? ""
                changes.append((activity.orgId, activity.id, "wallet.\(entity.rawValue).\(Self.verb(status))", ["\(entity.rawValue)Request": json]))
                // An approval a policy opened: pending, then resolved once decided.
                if let approvalId = activity.approvalId, let approval = activity.approvalJSON(at: now, step: step) {
                    let kind = approval["status"] as? String == "Pending" ? "policy.approval.pending" : "policy.approval.resolved"
                    changes.append((activity.orgId, approvalId, kind, ["approval": approval]))
                }
            }
        }
        for signature in documents.all(.signature, orgId: nil) {
            let json = DfnsSimulator.signature(signature, at: now, step: step)
            changes.append(
                (signature.orgId, signature.id, "wallet.signature.\(Self.verb(json["status"] as? String ?? ""))", ["signatureRequest": json]))
        }
        for webhook in webhooks {
            guard let webhookId = webhook["id"] as? String, let url = webhook["url"] as? String, let secret = webhook["secret"] as? String,
                let orgId = documents.orgId(ofWebhook: webhookId)
            else { continue }
            let events = Set(webhook["events"] as? [String] ?? [])
            for change in changes where change.orgId == orgId {
                let key = webhookId + "/" + change.id
                let isNew = state.withLock { state -> Bool in
                    guard state.announced[key] != change.kind else { return false }
                    state.announced[key] = change.kind
                    return true
                }
                guard isNew, !change.kind.hasSuffix(".executing"), events.contains("*") || events.contains(change.kind) else { continue }
                let event: [String: Any] = ["kind": change.kind, "date": SimulatedTransfer.format(now), "data": change.data]
                deliver(event, webhookId: webhookId, orgId: orgId, url: url, secret: secret, attempt: 1, retryOf: nil)
            }
        }
    }

    /// Dfns's verb for a status: `requested` while Pending, then the status in lower case.
    private static func verb(_ status: String) -> String {
        status == "Pending" ? "requested" : status.lowercased()
    }

    private func deliver(_ base: [String: Any], webhookId: String, orgId: String, url: String, secret: String, attempt: Int, retryOf: String?) {
        let faults = configuration.webhookFaults
        let (dropped, copies, delay) = state.withLock { state in
            (
                state.generator.chance(faults.dropRate), state.generator.chance(faults.duplicateRate) ? 2 : 1,
                faults.maxDelayMilliseconds > 0 ? Int.random(in: 0...faults.maxDelayMilliseconds, using: &state.generator) : 0
            )
        }
        let id = documents.newId("whe-")
        let baseBytes = SimulatorJSON.serialize(base)  // Sendable into the delivery task
        Task { [documents, configuration] in
            if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
            let base = SimulatorJSON.parse(baseBytes) as? [String: Any] ?? [:]
            var event = base
            event["id"] = id
            event["deliveryAttempt"] = attempt
            event["timestampSent"] = Int(Date().timeIntervalSince1970)
            event["retryOf"] = retryOf
            var delivery = WebhookSender.Delivery(status: nil, error: "dropped (simulated fault)")
            if !dropped {
                for _ in 0..<copies {
                    delivery = await WebhookSender(timeout: .milliseconds(Int64(configuration.webhookTimeout.secondsValue * 1000))).deliver(
                        event, to: url, secret: secret)
                }
            }
            var record = event
            record["status"] = delivery.status.map(String.init) ?? "failed"
            record["error"] = delivery.error
            record["deliveryFailed"] = delivery.status != 200
            documents.insert(.webhookEvent, id: id, orgId: orgId, parent: webhookId, json: record)
            // Not answered 200: again later, as a new event that names this one.
            if delivery.status != 200, attempt < configuration.webhookRetryDelays.count + 1 {
                try? await Task.sleep(for: configuration.webhookRetryDelays[attempt - 1])
                self.deliver(base, webhookId: webhookId, orgId: orgId, url: url, secret: secret, attempt: attempt + 1, retryOf: id)
            }
        }
    }
}

/// Seeded faults of webhook deliveries; each rate is a probability per delivery.
public struct WebhookFaults: Sendable, Hashable {
    /// Share of deliveries never sent (recorded as failed and retried, as a lost delivery would be).
    public var dropRate: Double
    /// Share of deliveries sent twice with the same event id.
    public var duplicateRate: Double
    /// Each delivery waits a random 0…this many milliseconds first, so deliveries arrive out of order.
    public var maxDelayMilliseconds: Int

    public init(dropRate: Double = 0, duplicateRate: Double = 0, maxDelayMilliseconds: Int = 0) {
        self.dropRate = dropRate
        self.duplicateRate = duplicateRate
        self.maxDelayMilliseconds = maxDelayMilliseconds
    }
}
