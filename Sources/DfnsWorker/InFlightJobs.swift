import Foundation
import Synchronization

/// The jobs this worker is running: their leases (for heartbeats), start times (for timeouts) and a way to stop
/// each one (at the timeout, the shutdown deadline, or when its lease is lost).
final class InFlightJobs: Sendable {
    /// Why a running job was stopped.
    enum StopReason: Sendable { case timeout, shutdown, leaseLost }

    private struct Entry {
        let token: UUID
        var started: ContinuousClock.Instant
        var stop: (@Sendable () -> Void)?
        var reason: StopReason?
    }

    private let entries = Mutex<[Int64: Entry]>([:])

    var count: Int { entries.withLock { $0.count } }

    func add(_ job: ClaimedJob) {
        entries.withLock { $0[job.id] = Entry(token: job.leaseToken, started: .now) }
    }

    /// Marks the job started and attaches the function that stops its handler; calls it at once if the job was
    /// stopped meanwhile.
    func attach(_ id: Int64, stop: @escaping @Sendable () -> Void) {
        let stopNow = entries.withLock { entries -> Bool in
            entries[id]?.started = .now
            entries[id]?.stop = stop
            return entries[id]?.reason != nil
        }
        if stopNow { stop() }
    }

    /// Removes the job and returns why it was stopped, if it was.
    func remove(_ id: Int64) -> StopReason? {
        entries.withLock { $0.removeValue(forKey: id)?.reason }
    }

    /// The leases to renew.
    func leases() -> [(id: Int64, token: UUID)] {
        entries.withLock { $0.map { ($0.key, $0.value.token) } }
    }

    /// Stops the jobs in `ids` (or all, when nil) that started before `startedBefore`, recording `reason`.
    @discardableResult
    func stop(_ reason: StopReason, ids: Set<Int64>? = nil, startedBefore: ContinuousClock.Instant? = nil) -> Int {
        let stops = entries.withLock { entries -> [@Sendable () -> Void] in
            var stops: [@Sendable () -> Void] = []
            for (id, entry) in entries where entry.reason == nil {
                if let ids, !ids.contains(id) { continue }
                // Only started jobs can run too long; the buffered ones are handed back by the loop.
                if startedBefore != nil, entry.stop == nil { continue }
                if let startedBefore, entry.started >= startedBefore { continue }
                entries[id]?.reason = reason
                if let stop = entry.stop { stops.append(stop) }
            }
            return stops
        }
        for stop in stops { stop() }
        return stops.count
    }
}
