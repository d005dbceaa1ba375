import Logging

/// Keeps the leases of the jobs this worker holds and takes back those of dead workers:
/// - renews every held lease each ``WorkerConfiguration/heartbeatInterval`` and stops the jobs whose lease was lost;
/// - stops a job whose lease went ``WorkerConfiguration/unrenewedLimit`` without a renewal (the database is
///   unreachable), so it never runs on after its lease expired and another worker took it;
/// - every ``WorkerConfiguration/rescueInterval``, makes the jobs of expired leases (dead workers) claimable again,
///   and ends the jobs whose end user did not sign in time (``JobStore/expireSignatures()``): another deadline kept in
///   the rows, swept by the same loop.
struct LeaseKeeper: Sendable {
    let store: JobStore
    let configuration: WorkerConfiguration
    /// The jobs held, buffered or running, with their leases and stops.
    let inFlight: InFlightJobs
    let metrics: WorkerMetrics?
    let logger: Logger
    /// Wakes the source: a finished job, a NOTIFY, the poll, a rescue.
    let wake: AsyncStream<Void>.Continuation

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
            try? await Task.sleep(for: configuration.heartbeatInterval)
            let leases = inFlight.leases()
            guard !leases.isEmpty else { continue }
            let sent = ContinuousClock.now
            do {
                let held = try await store.renewLeases(leases, lease: configuration.leaseDuration)
                inFlight.renewed(held, at: sent)
                metrics?.leasesRenewed(held.count)
                let lost = Set(leases.map(\.id)).subtracting(held)
                if !lost.isEmpty {
                    metrics?.leasesLost(lost.count)
                    logger.warning("leases lost; stopping those jobs", metadata: ["job.ids": "\(lost.sorted())"])
                    inFlight.stop(.leaseLost, ids: lost)
                }
            } catch {
                logger.error("renewing leases failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Sleeps until the oldest unrenewed lease reaches the limit, then stops the jobs past it.
    private func guardUnrenewed() async {
        let limit = configuration.unrenewedLimit
        while !Task.isCancelled {
            let due = (inFlight.oldestRenewal() ?? .now).advanced(by: limit)
            try? await Task.sleep(until: due, clock: .continuous)
            let stopped = inFlight.stop(.leaseLost, renewedBefore: ContinuousClock.now.advanced(by: .zero - limit))
            if stopped > 0 {
                metrics?.leasesLost(stopped)
                logger.error("leases not renewed for \(limit); stopping those jobs before the leases expire", metadata: ["job.count": "\(stopped)"])
            }
        }
    }

    private func rescues() async {
        while !Task.isCancelled {
            do {
                let rescued = try await store.rescueExpiredLeases()
                metrics?.leasesRescued(rescued.count)
                if !rescued.isEmpty {
                    logger.warning("rescued jobs whose lease expired", metadata: ["job.ids": "\(rescued.sorted())"])
                    wake.yield()
                }
            } catch {
                logger.error("rescuing expired leases failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            do {
                let expired = try await store.expireSignatures()
                if !expired.isEmpty {
                    logger.notice("jobs whose end user did not sign in time ended", metadata: ["job.ids": "\(expired.sorted())"])
                    wake.yield()
                }
            } catch {
                logger.error("ending jobs whose signature expired failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: configuration.rescueInterval)
        }
    }
}
