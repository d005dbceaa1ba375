import Foundation
import Synchronization

/// The jobs this worker holds, buffered or running: their leases (for heartbeats, and when each was last known
/// renewed) and a way to stop each running one (at its timeout, the shutdown deadline, or when its lease is lost or
/// can no longer be renewed).
final class InFlightJobs: Sendable {
    /// Why a running job was stopped.
    enum StopReason: Sendable { case timeout, shutdown, leaseLost }

    private struct Entry {
        let token: UUID
        /// When the job started running; nil while it waits in the claim buffer.
        var started: ContinuousClock.Instant?
        /// When the statement that last leased or renewed it was sent: the lease lasts at least until then + lease.
        var renewed: ContinuousClock.Instant
        var stop: (@Sendable () -> Void)?
        var reason: StopReason?
    }

    private let entries = Mutex<[Int64: Entry]>([:])

    var count: Int { entries.withLock { $0.count } }

    /// Records a claimed job; `leasedAt` is when the claim statement was sent.
    func add(_ job: ClaimedJob, leasedAt: ContinuousClock.Instant) {
        entries.withLock { $0[job.id] = Entry(token: job.leaseToken, renewed: leasedAt) }
    }

    /// Marks the job started and attaches the function that stops its handler.
    /// - Returns: false when the job was stopped before it started (its lease was lost, or the worker is stopping):
    ///   the caller must not run it.
    func attach(_ id: Int64, stop: @escaping @Sendable () -> Void) -> Bool {
        entries.withLock { entries -> Bool in
            guard entries[id]?.reason == nil else { return false }
            entries[id]?.started = .now
            entries[id]?.stop = stop
            return true
        }
    }

    /// Removes the job and returns why it was stopped, if it was.
    func remove(_ id: Int64) -> StopReason? {
        entries.withLock { $0.removeValue(forKey: id)?.reason }
    }

    /// The leases to renew.
    func leases() -> [(id: Int64, token: UUID)] {
        entries.withLock { $0.map { ($0.key, $0.value.token) } }
    }

    /// The oldest last renewal among the held leases (nil when none is held): the next lease that can run out.
    func oldestRenewal() -> ContinuousClock.Instant? {
        entries.withLock { $0.values.lazy.filter { $0.reason == nil }.map(\.renewed).min() }
    }

    /// The earliest start among the running jobs not stopped yet (nil when none runs): the next one that can time out.
    func oldestStart() -> ContinuousClock.Instant? {
        entries.withLock { $0.values.lazy.filter { $0.reason == nil }.compactMap(\.started).min() }
    }

    /// Records that the leases of `ids` were renewed by a statement sent at `sentAt`.
    func renewed(_ ids: Set<Int64>, at sentAt: ContinuousClock.Instant) {
        entries.withLock { entries in
            for id in ids {
                guard let renewed = entries[id]?.renewed else { continue }
                entries[id]?.renewed = max(renewed, sentAt)
            }
        }
    }

    /// Stops the jobs in `ids` (or all, when nil) not stopped yet, recording `reason`; returns how many.
    /// - Parameters:
    ///   - startedBefore: only running jobs that started before this (timeouts).
    ///   - renewedBefore: only jobs whose lease was last renewed before this (leases about to expire unrenewed).
    @discardableResult
    func stop(
        _ reason: StopReason, ids: Set<Int64>? = nil, startedBefore: ContinuousClock.Instant? = nil,
        renewedBefore: ContinuousClock.Instant? = nil
    ) -> Int {
        let (marked, stops) = entries.withLock { entries -> (Int, [@Sendable () -> Void]) in
            var marked = 0
            var stops: [@Sendable () -> Void] = []
            for (id, entry) in entries where entry.reason == nil {
                if let ids, !ids.contains(id) { continue }
                if let startedBefore, !(entry.started.map { $0 < startedBefore } ?? false) { continue }
                if let renewedBefore, entry.renewed >= renewedBefore { continue }
                entries[id]?.reason = reason
                marked += 1
                if let stop = entry.stop { stops.append(stop) }
            }
            return (marked, stops)
        }
        for stop in stops { stop() }
        return marked
    }
}
