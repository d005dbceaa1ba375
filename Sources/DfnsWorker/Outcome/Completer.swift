import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Collects job outcomes and writes them back in batches: while one write is in flight the next batch gathers, so
/// under load one statement finishes many jobs and when idle an outcome is written at once.
///
/// No outcome can hold the others back: when PostgreSQL refuses a batch for its data, the batch is split until only
/// the refused outcomes are left, and each of those is written without its content, its error saying why. Only an
/// unreachable database makes a batch wait and try again.
actor Completer {
    private let store: JobStore
    /// The outcomes written, counted for the console's throughput.
    private let counter: OutcomeCounter
    private let logger: Logger
    private var pending: [JobCompletion] = []
    /// Lease tokens of the pending outcomes already written (or given up), removed from `pending` after each round.
    private var settled: Set<UUID> = []
    private var flushing = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// Outcomes written, by state.
    private(set) var written: [JobState: Int] = [:]
    /// Outcomes refused because the lease was lost meanwhile.
    private(set) var discarded = 0

    init(store: JobStore, workerId: String, logger: Logger) {
        self.store = store
        counter = OutcomeCounter(store: store, workerId: workerId, logger: logger)
        self.logger = logger
    }

    func add(_ completion: JobCompletion) {
        pending.append(completion)
        guard !flushing else { return }
        flushing = true
        Task { await self.flushLoop() }
    }

    /// Returns once every outcome added so far is written, and counted in `dfns_worker.job_stats`.
    func waitUntilIdle() async {
        if flushing || !pending.isEmpty {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        await counter.flush()
    }

    private func flushLoop() async {
        var failures = 0
        while !pending.isEmpty {
            let batch = Array(pending.prefix(2000))
            do {
                try await write(batch)
                failures = 0
            } catch {
                // Outcomes are never dropped because the database is unreachable: keep them and try again with backoff.
                failures += 1
                logger.error(
                    "writing job outcomes failed; will retry", metadata: ["db.error": "\(String(reflecting: error))", "job.count": "\(batch.count)"])
                try? await Task.sleep(for: RetryPolicy.database.delay(afterAttempt: failures))
            }
            pending.removeAll { settled.contains($0.leaseToken) }
            settled = []
        }
        flushing = false
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Writes `batch`, splitting it when PostgreSQL refuses its data. Throws only when the database cannot take the
    /// statement at all (connection lost, server shutting down): what was written so far stays settled.
    private func write(_ batch: [JobCompletion]) async throws {
        do {
            await record(batch, accepted: try await store.finish(batch))
        } catch let error as PSQLError where Self.isRefusedData(error) {
            guard batch.count == 1 else {
                let middle = batch.count / 2
                try await write(Array(batch[..<middle]))
                try await write(Array(batch[middle...]))
                return
            }
            let refusal =
                "PostgreSQL refused this job's outcome (\(error.serverInfo?[.sqlState] ?? "?"): \(error.serverInfo?[.message] ?? "no message")); "
                + "it was recorded without its result and checkpoint"
            logger.error(
                "a job outcome was refused by PostgreSQL; writing it without its content",
                metadata: [
                    "job.id": "\(batch[0].jobId)", "db.error": "\(error.serverInfo?[.message] ?? "")",
                ])
            let fallback = batch[0].replacingContent(
                error: OutcomePolicy.errorJSON(attempt: batch[0].attempt, code: .writeRefused, message: refusal), code: .writeRefused)
            do {
                await record([fallback], accepted: try await store.finish([fallback]))
            } catch let error as PSQLError where Self.isRefusedData(error) {
                // Cannot happen with the content removed; if it does, the lease expires and the job runs again.
                settled.insert(fallback.leaseToken)
                discarded += 1
                logger.critical(
                    "a job outcome could not be written at all; its lease will expire",
                    metadata: [
                        "job.id": "\(fallback.jobId)", "db.error": "\(error.serverInfo?[.message] ?? "")",
                    ])
            }
        }
    }

    private func record(_ batch: [JobCompletion], accepted: Set<Int64>) async {
        var counted: [OutcomeCounter.Key] = []
        for completion in batch {
            settled.insert(completion.leaseToken)
            if accepted.contains(completion.jobId) {
                written[completion.state, default: 0] += 1
                let outcome = completion.countedOutcome
                if !outcome.isEmpty { counted.append(.init(queue: completion.queue, kind: completion.kind, outcome: outcome)) }
            } else {
                discarded += 1
                logger.warning(
                    "job lease lost before its outcome was written; outcome discarded",
                    metadata: [
                        "job.id": "\(completion.jobId)", "job.state": "\(completion.state)",
                    ])
            }
        }
        if !counted.isEmpty { await counter.add(counted) }
    }

    /// True when PostgreSQL refused the statement for the data it carries (SQLSTATE classes 22 data exception, 23
    /// integrity constraint, 54 program limit), as opposed to not being able to run it now.
    private static func isRefusedData(_ error: PSQLError) -> Bool {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return ["22", "23", "54"].contains(String(state.prefix(2)))
    }
}
