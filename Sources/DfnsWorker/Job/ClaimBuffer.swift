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
    /// The jobs held, buffered or running, with their leases and stops.
    private let inFlight: InFlightJobs
    /// Where every outcome and hand-back goes.
    private let completer: Completer
    private let policy: OutcomePolicy
    /// Measures job durations (the processor) and sizes claims from them (the source).
    private let pace: ClaimPace
    private let kinds: [String]

    init(
        store: JobStore, configuration: WorkerConfiguration, inFlight: InFlightJobs, completer: Completer, policy: OutcomePolicy, pace: ClaimPace,
        kinds: [String]
    ) {
        self.store = store
        self.configuration = configuration
        self.inFlight = inFlight
        self.completer = completer
        self.policy = policy
        self.pace = pace
        self.kinds = kinds
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
        // Outside the caller's task: a claim PostgreSQL committed must reach the buffer (and be handed back) even when
        // the worker is cancelled meanwhile, or its jobs would sit leased until the lease expires.
        let claimed = try await Task { [store, configuration, kinds] in
            try await store.claim(
                queues: configuration.queues, kinds: kinds, limit: want, workerId: configuration.workerId,
                lease: configuration.leaseDuration
            )
        }.value
        // The lease lasts at least from when the claim was sent: the LeaseKeeper measures from there.
        for job in claimed { inFlight.add(job, leasedAt: sent) }
        jobs.append(contentsOf: claimed)
        return claimed.count
    }

    /// Hands every buffered job back unstarted.
    mutating func handBack() async {
        while let job = jobs.popFirst() {
            _ = inFlight.remove(job.id)
            await completer.add(policy.handBack(job))
        }
    }
}
