import Logging

/// Keeps the leases of the jobs this worker holds and takes back those of dead workers:
/// - renews every held lease each ``WorkerConfiguration/heartbeatInterval`` and stops the jobs whose lease was lost;
/// - stops a job whose lease went ``WorkerConfiguration/unrenewedLimit`` without a renewal (the database is
///   unreachable), so it never runs on after its lease expired and another worker took it;
/// - every ``WorkerConfiguration/rescueInterval``, makes the jobs of expired leases (dead workers) claimable again.
struct LeaseKeeper: Sendable {
    let shared: WorkerRun

    /// Renews, guards and rescues until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await heartbeats() }
            group.addTask { await guardUnrenewed() }
            group.addTask { await rescues() }
        }
    }

    private func heartbeats() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: shared.configuration.heartbeatInterval)
            let leases = shared.inFlight.leases()
            guard !leases.isEmpty else { continue }
            let sent = ContinuousClock.now
            do {
                let held = try await shared.store.renewLeases(leases, lease: shared.configuration.leaseDuration)
                shared.inFlight.renewed(held, at: sent)
                shared.metrics?.leasesRenewed(held.count)
                let lost = Set(leases.map(\.id)).subtracting(held)
                if !lost.isEmpty {
                    shared.metrics?.leasesLost(lost.count)
                    shared.logger.warning("leases lost; stopping those jobs", metadata: ["job.ids": "\(lost.sorted())"])
                    shared.inFlight.stop(.leaseLost, ids: lost)
                }
            } catch {
                shared.logger.error("renewing leases failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Sleeps until the oldest unrenewed lease reaches the limit, then stops the jobs past it.
    private func guardUnrenewed() async {
        let limit = shared.configuration.unrenewedLimit
        while !Task.isCancelled {
            let due = (shared.inFlight.oldestRenewal() ?? .now).advanced(by: limit)
            try? await Task.sleep(until: due, clock: .continuous)
            let stopped = shared.inFlight.stop(.leaseLost, renewedBefore: ContinuousClock.now.advanced(by: .zero - limit))
            if stopped > 0 {
                shared.metrics?.leasesLost(stopped)
                shared.logger.error("leases not renewed for \(limit); stopping those jobs before the leases expire", metadata: ["job.count": "\(stopped)"])
            }
        }
    }

    private func rescues() async {
        while !Task.isCancelled {
            do {
                let rescued = try await shared.store.rescueExpiredLeases()
                shared.metrics?.leasesRescued(rescued.count)
                if !rescued.isEmpty {
                    shared.logger.warning("rescued jobs whose lease expired", metadata: ["job.ids": "\(rescued.sorted())"])
                    shared.wake.yield()
                }
            } catch {
                shared.logger.error("rescuing expired leases failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: shared.configuration.rescueInterval)
        }
    }
}
