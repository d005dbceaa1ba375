import Logging

/// Collects job outcomes and writes them back in batches: while one write is in flight the next batch gathers, so
/// under load one statement finishes many jobs and when idle an outcome is written at once.
actor Completer {
    private let store: JobStore
    private let logger: Logger
    private var pending: [JobStore.Completion] = []
    private var flushing = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Outcomes written, by state.
    private(set) var written: [JobState: Int] = [:]
    /// Outcomes refused because the lease was lost meanwhile.
    private(set) var discarded = 0

    init(store: JobStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    func add(_ completion: JobStore.Completion) {
        pending.append(completion)
        guard !flushing else { return }
        flushing = true
        Task { await self.flushLoop() }
    }

    /// Returns once every outcome added so far is written.
    func waitUntilIdle() async {
        guard flushing || !pending.isEmpty else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func flushLoop() async {
        var failures = 0
        while !pending.isEmpty {
            let batch = Array(pending.prefix(2000))
            do {
                let accepted = try await store.finish(batch)
                pending.removeFirst(batch.count)
                failures = 0
                for completion in batch {
                    if accepted.contains(completion.jobId) {
                        written[completion.state, default: 0] += 1
                    } else {
                        discarded += 1
                        logger.warning("job lease lost before its outcome was written; outcome discarded", metadata: [
                            "job.id": "\(completion.jobId)", "job.state": "\(completion.state)",
                        ])
                    }
                }
            } catch {
                // Outcomes are never dropped on a database error: keep them and try again with backoff.
                failures += 1
                logger.error("writing job outcomes failed; will retry", metadata: ["db.error": "\(String(reflecting: error))", "job.count": "\(batch.count)"])
                try? await Task.sleep(for: .milliseconds(min(5000, 100 << min(failures, 6))))
            }
        }
        flushing = false
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}
