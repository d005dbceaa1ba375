import DfnsSDK
import Logging
import Synchronization

/// Runs the jobs a ``JobSource`` yields, each in a child task of one task group (bounded by the source, which yields
/// only into a free slot), and writes back how each ended.
///
/// A running job's handler is raced, in a child task of its own, against its stop signal (its timeout, a lost lease,
/// the shutdown deadline), so every stop — and cancellation of the worker — reaches the handler as task cancellation.
/// How it ended goes through ``OutcomePolicy`` to the ``Completer``. `run` and `drain` share this type; they differ
/// only in when their source ends.
struct JobProcessor: Sendable {
    let store: JobStore
    let configuration: WorkerConfiguration
    /// The jobs held, buffered or running, with their leases and stops.
    let inFlight: InFlightJobs
    /// Where every outcome and hand-back goes.
    let completer: Completer
    let policy: OutcomePolicy
    /// Measures job durations (the processor) and sizes claims from them (the source).
    let pace: ClaimPace
    let metrics: WorkerMetrics?
    let logger: Logger
    /// Wakes the source: a finished job, a NOTIFY, the poll, a rescue.
    let wake: AsyncStream<Void>.Continuation
    let registry: JobRegistry
    let gateway: DfnsGateway

    /// Runs every job `source` yields; returns once the source ended and every started job was handed to the completer.
    /// - Returns: how many jobs were started.
    func run(_ source: JobSource) async -> Int {
        await withTaskGroup(of: Void.self, returning: Int.self) { timeouts in
            timeouts.addTask { await self.stopJobsPastTheirTimeout() }
            let started = await withDiscardingTaskGroup(returning: Int.self) { jobs in
                var started = 0
                for await job in source {
                    started += 1
                    jobs.addTask { await self.process(job) }
                }
                return started
            }
            timeouts.cancelAll()
            return started
        }
    }

    /// Fires the stop signal of each running job at its timeout. One timer for all jobs: it sleeps until the oldest
    /// running job's deadline (jobs share one timeout, so no later start can be due earlier). A timer per job cost a
    /// sixth of the engine's no-op throughput (BENCHMARKS.md).
    private func stopJobsPastTheirTimeout() async {
        let timeout = configuration.jobTimeout
        while !Task.isCancelled {
            let due = (inFlight.oldestStart() ?? .now).advanced(by: timeout)
            try? await Task.sleep(until: due, clock: .continuous)
            inFlight.stop(.timeout, startedBefore: ContinuousClock.now.advanced(by: .zero - timeout))
        }
    }

    private func process(_ job: ClaimedJob) async {
        let started = ContinuousClock.now
        let completion = await execute(job)
        let duration = started.duration(to: .now)
        pace.record(duration)
        if let metrics = metrics {
            metrics.jobFinished(kind: job.kind, outcome: completion.handedBack ? "handed_back" : completion.state.rawValue, duration: duration)
            if let code = completion.errorCode { metrics.attemptError(code: code.rawValue) }
        }
        await completer.add(completion)
        wake.yield()
    }

    /// Runs one claimed job until its handler ends or it is stopped, and returns how to write it back.
    private func execute(_ job: ClaimedJob) async -> JobCompletion {
        guard let handler = registry.handler(for: job.kind) else {
            _ = inFlight.remove(job.id)
            return policy.completion(
                for: job, error: JobFailure(code: .unknownKind, message: "no handler for kind \(job.kind)"), stopped: nil, writeSent: false)
        }
        if let problem = job.unreadablePayload {
            _ = inFlight.remove(job.id)
            return policy.completion(for: job, error: JobFailure.invalidPayload(problem), stopped: nil, writeSent: false)
        }
        let stop = StopSignal()
        // Stopped before it started (its lease could not be renewed, or the worker is stopping): never run it.
        guard inFlight.attach(job.id, stop: stop.fire) else {
            _ = inFlight.remove(job.id)
            return policy.handBack(job)
        }
        let context = JobContext(
            dfns: gateway, job: job, logger: logger, settleWindow: configuration.settleWindow, polls: configuration.polls,
            jobs: store
        )
        // Tells whether the attempt sent a write Dfns may act on (the SDK marks it), for an attempt that is cut short.
        let writes = DfnsWriteRecord()
        let result = await withTaskGroup(of: Result<JobOutcome, any Error>.self) { race in
            race.addTask {
                // The handler's end fires the signal too, so the wait below ends on whichever comes first.
                defer { stop.fire() }
                do {
                    return .success(try await DfnsWriteRecord.$current.withValue(writes) { try await handler.run(job, context: context) })
                } catch {
                    return .failure(error)
                }
            }
            // Ends when the handler finished, the job was stopped (timeout, lost lease, shutdown), or the worker's task
            // was cancelled; a stop cancels the handler, whose own end is still awaited.
            await stop.wait()
            race.cancelAll()
            return await race.next() ?? .failure(CancellationError())
        }
        // Cancellation of the worker's task reaches here as a stop without a recorded reason: a shutdown.
        let stopped = inFlight.remove(job.id) ?? (Task.isCancelled ? .shutdown : nil)
        switch result {
        case .success(let outcome) where stopped == nil || stopped == .timeout:
            return policy.completion(for: job, outcome: outcome)
        case .success:
            return policy.completion(for: job, error: CancellationError(), stopped: stopped, writeSent: writes.writeSent)
        case .failure(let error as UserSignatureRequired) where stopped == nil:
            job.logger(from: logger).info(
                "job parked for its end user's signature", metadata: ["dfns.challenge_id": "\(error.challengeIdentifier)"])
            return policy.completion(for: job, error: error, stopped: stopped, writeSent: writes.writeSent)
        case .failure(let error):
            let completion = policy.completion(for: job, error: error, stopped: stopped, writeSent: writes.writeSent)
            job.logger(from: logger).info(
                "job attempt failed",
                metadata: [
                    "job.next_state": "\(completion.state)", "job.error_code": "\(completion.errorCode?.rawValue ?? "")", "job.error": "\(error)",
                ])
            return completion
        }
    }
}
