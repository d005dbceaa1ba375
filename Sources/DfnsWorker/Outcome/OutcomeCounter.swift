import Logging

/// Counts a worker's outcomes per queue, kind and outcome for the console's throughput (`dfns_worker.job_stats`,
/// per minute) in memory, and writes them every ``interval`` in one statement beside the outcome writes. Counting in
/// each outcome write instead cost about a fifth of the no-op throughput (BENCHMARKS.md). A crash loses at most the
/// last interval's counts: statistics, never jobs.
actor OutcomeCounter {
    struct Key: Hashable, Sendable {
        let queue: String
        let kind: String
        /// `succeeded`, `failed` or `retried` (``JobCompletion/countedOutcome``).
        let outcome: String
    }

    /// How long counts gather before they are written. 5 s: the console's smallest window is 5 minutes.
    static let interval: Duration = .seconds(5)

    private let store: JobStore
    private let workerId: String
    private let logger: Logger
    private var counts: [Key: Int] = [:]
    private var timer: Task<Void, Never>?

    init(store: JobStore, workerId: String, logger: Logger) {
        self.store = store
        self.workerId = workerId
        self.logger = logger
    }

    func add(_ keys: [Key]) {
        for key in keys { counts[key, default: 0] += 1 }
        guard timer == nil, !counts.isEmpty else { return }
        timer = Task {
            try? await Task.sleep(for: Self.interval)
            await self.write()
        }
    }

    /// Writes what is counted now (a worker stopping, a drain ending).
    func flush() async {
        timer?.cancel()
        await write()
    }

    private func write() async {
        timer = nil
        guard !counts.isEmpty else { return }
        let taken = counts
        counts = [:]
        do {
            try await store.recordOutcomes(taken, by: workerId)
        } catch {
            // Kept for the next round; the console's throughput lags meanwhile, nothing else depends on it.
            counts.merge(taken, uniquingKeysWith: +)
            logger.warning("writing outcome counts failed; will retry", metadata: ["db.error": "\(String(reflecting: error))"])
            add([])
        }
    }
}
