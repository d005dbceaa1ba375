import CoreMetrics
import DfnsSDK
import Foundation
import Synchronization

/// Every metric the worker exports, created once from one factory, with low-cardinality labels only (kind, outcome,
/// error code, queue, state, endpoint template, status). Names follow Prometheus conventions.
public final class WorkerMetrics: Sendable, DfnsRequestObserver {
    /// Outcomes of an attempt, the `outcome` label of `dfns_worker_jobs_finished_total`.
    public static let outcomes = ["succeeded", "failed", "retrying", "waiting", "handed_back"]

    private let factory: any MetricsFactory
    private let finished: [String: [String: Counter]]
    private let durations: [String: CoreMetrics.Timer]
    private let inFlight: Meter
    private let leaseRenewals: Counter
    private let leaseRescues: Counter
    private let leasesLost: Counter
    private let rateLimited: Counter
    private let rateLimiterWait: FloatingPointCounter
    private let paused: Meter
    private let fallbackShare: Meter
    private let pruned: [JobState: Counter]
    private let oldestFinishedAge: Meter
    private let oldestDueAge: Meter
    private let stuck: Meter
    /// `dfns_worker_webhook_events_total` by outcome (``WebhookIntake/Outcome``).
    private let webhookEvents: [WebhookIntake.Outcome: Counter]
    private let errors = Mutex<[String: Counter]>([:])
    private let requests = Mutex<[String: CoreMetrics.Timer]>([:])
    private let depth = Mutex<[String: Meter]>([:])
    /// Queues with their own `queue` label: the ones this worker serves. Jobs of any other queue an application
    /// invents are counted under `queue="_other"`, so the label stays bounded.
    private let labelledQueues: Set<String>
    static let otherQueues = "_other"

    /// - Parameters:
    ///   - kinds: the registered job kinds (the only values of the `kind` label).
    ///   - queues: the queues this worker serves: each has its depth gauges from the start; the rest share `_other`.
    ///   - version: reported by `dfns_worker_build_info`.
    public init(kinds: [String], queues: [String] = ["default"], version: String, factory: any MetricsFactory) {
        self.factory = factory
        labelledQueues = Set(queues)
        finished = Dictionary(
            uniqueKeysWithValues: kinds.map { kind in
                (
                    kind,
                    Dictionary(
                        uniqueKeysWithValues: Self.outcomes.map { outcome in
                            (
                                outcome,
                                Counter(
                                    label: "dfns_worker_jobs_finished_total", dimensions: [("kind", kind), ("outcome", outcome)], factory: factory)
                            )
                        })
                )
            })
        durations = Dictionary(
            uniqueKeysWithValues: kinds.map { kind in
                (
                    kind,
                    CoreMetrics.Timer(
                        label: "dfns_worker_job_duration_seconds", dimensions: [("kind", kind)], preferredDisplayUnit: .seconds, factory: factory)
                )
            })
        inFlight = Meter(label: "dfns_worker_jobs_in_flight", factory: factory)
        leaseRenewals = Counter(label: "dfns_worker_lease_renewals_total", factory: factory)
        leaseRescues = Counter(label: "dfns_worker_lease_rescues_total", factory: factory)
        leasesLost = Counter(label: "dfns_worker_leases_lost_total", factory: factory)
        rateLimited = Counter(label: "dfns_worker_dfns_rate_limited_total", factory: factory)
        rateLimiterWait = FloatingPointCounter(label: "dfns_worker_rate_limiter_wait_seconds_total", factory: factory)
        paused = Meter(label: "dfns_worker_paused", factory: factory)
        fallbackShare = Meter(label: "dfns_worker_rate_budget_fallback", factory: factory)
        pruned = Dictionary(
            uniqueKeysWithValues: [JobState.succeeded, .failed, .cancelled].map { state in
                (state, Counter(label: "dfns_worker_jobs_pruned_total", dimensions: [("state", state.rawValue)], factory: factory))
            })
        oldestFinishedAge = Meter(label: "dfns_worker_oldest_finished_job_age_seconds", factory: factory)
        oldestDueAge = Meter(label: "dfns_worker_oldest_due_job_age_seconds", factory: factory)
        stuck = Meter(label: "dfns_worker_stuck_jobs", factory: factory)
        webhookEvents = Dictionary(
            uniqueKeysWithValues: WebhookIntake.Outcome.allCases.map { outcome in
                (outcome, Counter(label: "dfns_worker_webhook_events_total", dimensions: [("outcome", outcome.rawValue)], factory: factory))
            })
        Meter(label: "dfns_worker_build_info", dimensions: [("version", version)], factory: factory).set(1)
        record(
            QueueStatus(
                counts: queues.flatMap { queue in JobState.active.map { .init(queue: queue, kind: "", state: $0, count: 0) } },
                oldestDueAgeSeconds: nil
            ))
    }

    /// An attempt of `kind` ended in `outcome` after `duration`.
    func jobFinished(kind: String, outcome: String, duration: Duration) {
        finished[kind]?[outcome]?.increment()
        durations[kind]?.recordNanoseconds(duration.nanoseconds)
    }

    /// An attempt failed with `code` (retried or not).
    func attemptError(code: String) {
        counter(in: errors, key: code) { Counter(label: "dfns_worker_attempt_errors_total", dimensions: [("code", code)], factory: factory) }
            .increment()
    }

    func setInFlight(_ count: Int) { inFlight.set(count) }
    func webhookDelivery(_ outcome: WebhookIntake.Outcome) { webhookEvents[outcome]?.increment() }
    func leasesRenewed(_ count: Int) { leaseRenewals.increment(by: count) }
    func leasesRescued(_ count: Int) { leaseRescues.increment(by: count) }
    func leasesLost(_ count: Int) { leasesLost.increment(by: count) }
    func setPaused(_ isPaused: Bool) { paused.set(isPaused ? 1 : 0) }
    /// Finished jobs of `state` pruned (deleted or archived) by retention.
    func jobsPruned(state: JobState, count: Int) { if count > 0 { pruned[state]?.increment(by: count) } }
    /// Age of the oldest finished job left after a prune (0 when none is).
    func setOldestFinishedAge(_ seconds: Double?) { oldestFinishedAge.set(seconds ?? 0) }
    /// 1 while the shared Dfns budget is unreachable and the worker paces itself at its share.
    func setOnFallbackShare(_ onFallback: Bool) { fallbackShare.set(onFallback ? 1 : 0) }

    /// Records a sampled queue status: depth by queue and state (0 for combinations seen before and now empty).
    func record(_ status: QueueStatus) {
        var totals: [String: Int] = [:]
        for count in status.counts where !count.state.isTerminal {
            let queue = labelledQueues.contains(count.queue) ? count.queue : Self.otherQueues
            totals["\(queue)\u{0}\(count.state)", default: 0] += count.count
        }
        let keys = depth.withLock { Set($0.keys) }.union(totals.keys)
        for key in keys {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            counter(in: depth, key: key) {
                Meter(label: "dfns_worker_queue_jobs", dimensions: [("queue", parts[0]), ("state", parts[1])], factory: factory)
            }.set(totals[key] ?? 0)
        }
        oldestDueAge.set(status.oldestDueAgeSeconds ?? 0)
        stuck.set(status.stuckJobs)
    }

    public func dfnsRequestFinished(_ event: DfnsRequestEvent) {
        let status = event.status.map(String.init) ?? (event.errorCode.map { "\($0)" } ?? "error")
        counter(in: requests, key: "\(event.method) \(event.endpoint) \(status)") {
            Timer(
                label: "dfns_worker_dfns_request_duration_seconds",
                dimensions: [("method", event.method), ("endpoint", event.endpoint), ("status", status)],
                preferredDisplayUnit: .seconds, factory: factory
            )
        }.recordNanoseconds(event.duration.nanoseconds)
        if event.status == 429 { rateLimited.increment() }
    }

    /// Time requests spent held by the rate limiter since the last call.
    func rateLimiterWaited(_ duration: Duration) {
        if duration > .zero { rateLimiterWait.increment(by: duration.seconds) }
    }

    private func counter<Metric>(in cache: borrowing Mutex<[String: Metric]>, key: String, make: () -> Metric) -> Metric {
        cache.withLock { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }
}
