import DequeModule

/// The jobs a worker claimed ahead of its free slots, and the claims that refill them.
///
/// Claiming ahead lets one statement serve many short jobs; ``ClaimPace`` sizes each claim from how long jobs take.
/// Buffered jobs are leased and heartbeated like running ones (they are in ``InFlightJobs``) and go back unstarted,
/// their attempt given back, when the worker stops, reaches a drain limit or is paused.
struct ClaimBuffer {
    private var jobs = Deque<ClaimedJob>()
    private let store: JobStore
    private let configuration: WorkerConfiguration
    private let kinds: [String]
    private let inFlight: InFlightJobs
    private let pace: ClaimPace

    init(store: JobStore, configuration: WorkerConfiguration, kinds: [String], inFlight: InFlightJobs, pace: ClaimPace) {
        self.store = store
        self.configuration = configuration
        self.kinds = kinds
        self.inFlight = inFlight
        self.pace = pace
    }

    var isEmpty: Bool { jobs.isEmpty }
    var count: Int { jobs.count }

    /// The next buffered job, when a slot is free (`inFlight` counts the buffered jobs too).
    mutating func nextToStart() -> ClaimedJob? {
        guard !jobs.isEmpty, inFlight.count - jobs.count < configuration.concurrency else { return nil }
        return jobs.removeFirst()
    }

    /// Claims when fewer jobs than slots are buffered: as many as ``ClaimPace`` asks for, and no more than `limit`.
    /// - Returns: how many jobs were claimed; nil when no claim was due.
    mutating func refill(limit: Int?) async throws -> Int? {
        var want = pace.claimSize - jobs.count
        if let limit { want = min(want, limit - jobs.count) }
        guard jobs.count < configuration.concurrency, want > 0 else { return nil }
        let sent = ContinuousClock.now
        let claimed = try await store.claim(
            queues: configuration.queues, kinds: kinds, limit: want, workerId: configuration.workerId, lease: configuration.leaseDuration
        )
        // The lease lasts at least from when the claim was sent: the watchdog measures from there.
        for job in claimed { inFlight.add(job, leasedAt: sent) }
        jobs.append(contentsOf: claimed)
        return claimed.count
    }

    /// Hands every buffered job back unstarted.
    mutating func handBack(through completer: Completer, policy: OutcomePolicy) async {
        while let job = jobs.popFirst() {
            _ = inFlight.remove(job.id)
            await completer.add(policy.handBack(job))
        }
    }
}
