import DfnsSDK
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Claims due jobs in batches, runs them with bounded concurrency through the registered handlers, renews their
/// leases, rescues jobs of dead workers, and writes outcomes back in batches. A `Service`: run it in the process's
/// `ServiceGroup`; SIGTERM/SIGINT stop claiming, let in-flight jobs finish within the grace period and hand the rest
/// back without spending an attempt.
public final class Worker: Service, Sendable {
    /// Readiness facts for `/health/ready`.
    public struct Health: Sendable {
        public var databaseReachable = true
        public var listenerConnected = false
        public var authFailure: String?
        public var shuttingDown = false
        public var isReady: Bool { databaseReachable && listenerConnected && authFailure == nil && !shuttingDown }
    }

    /// What a `drain` did.
    public struct DrainSummary: Sendable {
        public var claimed = 0
        public var written: [JobState: Int] = [:]
        public var discarded = 0
        public var seconds = 0.0
        /// Set when Dfns refused the credentials (401/403) and the drain stopped early.
        public var authFailure: String?
    }

    private enum Mode { case daemon, drain(maxJobs: Int?, deadline: ContinuousClock.Instant?) }

    private let store: JobStore
    private let registry: JobRegistry
    private let gateway: DfnsGateway
    private let configuration: WorkerConfiguration
    private let databaseURL: DatabaseURL?
    private let logger: Logger
    private let policy: OutcomePolicy
    private let metrics: WorkerMetrics?
    private let healthState = Mutex(Health())
    private let stopRequested = Atomic<Bool>(false)

    /// - Parameters:
    ///   - databaseURL: where the LISTEN connection goes (outside the pool); nil polls only.
    ///   - metrics: where to record metrics (and sample queue depth); nil records none.
    public init(
        store: JobStore, registry: JobRegistry, gateway: DfnsGateway, configuration: WorkerConfiguration,
        databaseURL: DatabaseURL?, metrics: WorkerMetrics? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.store = store
        self.registry = registry
        self.gateway = gateway
        self.configuration = configuration
        self.databaseURL = databaseURL
        self.logger = logger
        self.policy = OutcomePolicy(configuration: configuration)
    }

    /// The current readiness facts.
    public var health: Health {
        get async {
            var health = healthState.withLock { $0 }
            health.authFailure = await gateway.authFailure
            return health
        }
    }

    /// Runs until graceful shutdown.
    public func run() async throws {
        _ = try await withGracefulShutdownHandler {
            try await process(.daemon)
        } onGracefulShutdown: {
            self.requestStop()
        }
    }

    /// Processes every job due now (and those that become due while it runs), then returns.
    public func drain(maxJobs: Int? = nil, maxDuration: Duration? = nil) async throws -> DrainSummary {
        try await withGracefulShutdownHandler {
            try await process(.drain(maxJobs: maxJobs, deadline: maxDuration.map { ContinuousClock.now.advanced(by: $0) }))
        } onGracefulShutdown: {
            self.requestStop()
        }
    }

    /// Stops claiming; in-flight jobs get the grace period.
    public func requestStop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        healthState.withLock { $0.shuttingDown = true }
        wakeContinuation.withLock { $0?.yield() }
    }

    private let wakeContinuation = Mutex<AsyncStream<Void>.Continuation?>(nil)

    // MARK: The loop

    private func process(_ mode: Mode) async throws -> DrainSummary {
        try await store.checkSchema(kinds: registry.kinds)
        let started = ContinuousClock.now
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        wakeContinuation.withLock { $0 = wake }
        let inFlight = InFlightJobs()
        let completer = Completer(store: store, logger: logger)
        let pace = ClaimPace(configuration: configuration)
        var summary = DrainSummary()
        let isDaemon = if case .daemon = mode { true } else { false }

        try await withThrowingTaskGroup(of: Void.self) { background in
            background.addTask { await self.tick(every: self.configuration.pollInterval, wake) }
            background.addTask { await self.heartbeats(inFlight) }
            background.addTask { await self.rescues(wake) }
            background.addTask { await self.watchdog(inFlight) }
            if let metrics { background.addTask { await self.sample(into: metrics, inFlight) } }
            if isDaemon {
                background.addTask { await self.listen(wake) }
            } else {
                healthState.withLock { $0.listenerConnected = true }
            }

            await withDiscardingTaskGroup { jobs in
                var iterator = wakes.makeAsyncIterator()
                var claims = ClaimBuffer(store: store, configuration: configuration, kinds: registry.kinds, inFlight: inFlight, pace: pace)
                var shutdownAt: ContinuousClock.Instant?
                while true {
                    if stopRequested.load(ordering: .sequentiallyConsistent) {
                        if shutdownAt == nil {
                            shutdownAt = .now
                            await claims.handBack(through: completer, policy: policy)
                            logger.info("stopping: no new claims", metadata: ["job.in_flight": "\(inFlight.count)"])
                            // In the background group, so an early finish cancels the timer instead of waiting it out.
                            background.addTask {
                                guard (try? await Task.sleep(for: self.configuration.shutdownGracePeriod)) != nil else { return }
                                let handedBack = inFlight.stop(.shutdown)
                                if handedBack > 0 { self.logger.warning("grace period over; handing unfinished jobs back", metadata: ["job.count": "\(handedBack)"]) }
                            }
                        }
                        if inFlight.count == 0 { break }
                        _ = await iterator.next()
                        continue
                    }
                    if case .drain(let maxJobs, let deadline) = mode {
                        let limitReached = (maxJobs.map { summary.claimed >= $0 } ?? false) || (deadline.map { ContinuousClock.now >= $0 } ?? false)
                        if limitReached {
                            await claims.handBack(through: completer, policy: policy)
                            if inFlight.count == 0 { break }
                            _ = await iterator.next()
                            continue
                        }
                    }
                    if await gateway.authFailure != nil {
                        await claims.handBack(through: completer, policy: policy)
                        guard inFlight.count == 0 else {
                            _ = await iterator.next()
                            continue
                        }
                        // A probe that succeeds means the refusal concerned that job only (a 403 on one wallet): go on.
                        if await gateway.probe() { continue }
                        // A cron batch does not wait for credentials to be fixed: it stops and says why.
                        if !isDaemon { break }
                        try? await Task.sleep(for: configuration.authProbeInterval)
                        continue
                    }
                    while let job = claims.nextToStart() {
                        summary.claimed += 1
                        jobs.addTask {
                            let started = ContinuousClock.now
                            let completion = await self.execute(job, inFlight)
                            let duration = started.duration(to: .now)
                            pace.record(duration)
                            self.record(completion, job: job, duration: duration)
                            await completer.add(completion)
                            wake.yield()
                        }
                    }
                    // Refill the buffer when it runs low.
                    let limit: Int? = if case .drain(let maxJobs?, _) = mode { maxJobs - summary.claimed } else { nil }
                    do {
                        if let claimed = try await claims.refill(limit: limit) {
                            healthState.withLock { $0.databaseReachable = true }
                            if claimed > 0 { continue }
                        }
                    } catch {
                        healthState.withLock { $0.databaseReachable = false }
                        logger.error("claiming jobs failed", metadata: ["db.error": "\(String(reflecting: error))"])
                        try? await Task.sleep(for: .seconds(1))
                        continue
                    }
                    if case .drain = mode, claims.isEmpty, inFlight.count == 0 {
                        // Outcomes written may have made jobs due again (a hand-back, a zero delay): look once more.
                        await completer.waitUntilIdle()
                        if (try? await store.hasDueJobs(queues: configuration.queues, kinds: registry.kinds)) == true { continue }
                        break
                    }
                    _ = await iterator.next()
                }
            }
            await completer.waitUntilIdle()
            background.cancelAll()
        }
        wakeContinuation.withLock { $0 = nil }
        summary.written = await completer.written
        summary.discarded = await completer.discarded
        summary.authFailure = await gateway.authFailure
        summary.seconds = started.duration(to: .now).seconds
        return summary
    }

    /// Runs one claimed job under the per-job timeout and returns how to write it back.
    private func execute(_ job: ClaimedJob, _ inFlight: InFlightJobs) async -> JobStore.Completion {
        var jobLogger = logger
        jobLogger[metadataKey: "job.id"] = "\(job.id)"
        jobLogger[metadataKey: "job.kind"] = "\(job.kind)"
        jobLogger[metadataKey: "job.attempt"] = "\(job.attempt)"
        guard let handler = registry.handler(for: job.kind) else {
            _ = inFlight.remove(job.id)
            return policy.completion(for: job, error: JobFailure(code: .unknownKind, message: "no handler for kind \(job.kind)"), stopped: nil, writeSent: false)
        }
        if let problem = job.unreadablePayload {
            _ = inFlight.remove(job.id)
            return policy.completion(for: job, error: JobFailure.invalidPayload(problem), stopped: nil, writeSent: false)
        }
        let context = JobContext(dfns: gateway, logger: jobLogger, settleWindow: configuration.settleWindow)
        // Stopped before it started (its lease could not be renewed, or the worker is stopping): never run it.
        let handlerTask = Mutex<(task: Task<JobOutcome, any Error>?, cancelled: Bool)>((nil, false))
        guard inFlight.attach(job.id, stop: { handlerTask.withLock { $0.cancelled = true; $0.task?.cancel() } }) else {
            _ = inFlight.remove(job.id)
            return policy.handBack(job)
        }
        // Tells whether the attempt sent a write Dfns may act on (the SDK marks it), for an attempt that is cut short.
        let writes = DfnsWriteRecord()
        let task = Task { try await DfnsWriteRecord.$current.withValue(writes) { try await handler.run(job, context: context) } }
        handlerTask.withLock { state in
            state.task = task
            if state.cancelled { task.cancel() }
        }
        let result = await task.result
        let stopped = inFlight.remove(job.id)
        switch result {
        case .success(let outcome) where stopped == nil || stopped == .timeout:
            return policy.completion(for: job, outcome: outcome)
        case .success:
            return policy.completion(for: job, error: CancellationError(), stopped: stopped, writeSent: writes.writeSent)
        case .failure(let error):
            let completion = policy.completion(for: job, error: error, stopped: stopped, writeSent: writes.writeSent)
            jobLogger.info("job attempt failed", metadata: [
                "job.next_state": "\(completion.state)", "job.error_code": "\(completion.errorCode?.rawValue ?? "")", "job.error": "\(error)",
            ])
            return completion
        }
    }

    // MARK: Background tasks

    private func tick(every interval: Duration, _ wake: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            wake.yield()
        }
    }

    private func heartbeats(_ inFlight: InFlightJobs) async {
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

    private func rescues(_ wake: AsyncStream<Void>.Continuation) async {
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
            try? await Task.sleep(for: configuration.rescueInterval)
        }
    }

    private func record(_ completion: JobStore.Completion, job: ClaimedJob, duration: Duration) {
        guard let metrics else { return }
        let outcome = completion.handedBack ? "handed_back" : completion.state.rawValue
        metrics.jobFinished(kind: job.kind, outcome: outcome, duration: duration)
        if let code = completion.errorCode { metrics.attemptError(code: code.rawValue) }
    }

    /// Samples queue depth and worker state into gauges on an interval (not per scrape), and checks the database.
    private func sample(into metrics: WorkerMetrics, _ inFlight: InFlightJobs) async {
        var lastWait = Duration.zero
        while !Task.isCancelled {
            do {
                metrics.record(try await store.status(stuckAfter: configuration.stuckAfter))
                healthState.withLock { $0.databaseReachable = true }
            } catch {
                healthState.withLock { $0.databaseReachable = false }
                logger.warning("sampling queue status failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            metrics.setInFlight(inFlight.count)
            metrics.setPaused(await gateway.authFailure != nil)
            let wait = await gateway.client.rateLimiterWait
            metrics.rateLimiterWaited(wait - lastWait)
            lastWait = wait
            try? await Task.sleep(for: configuration.metricsSampleInterval)
        }
    }

    /// Stops jobs that ran past the job timeout, and jobs whose lease went `WorkerConfiguration.unrenewedLimit` unrenewed
    /// (the database is unreachable): they stop before the lease expires and another worker may take them.
    private func watchdog(_ inFlight: InFlightJobs) async {
        let unrenewedLimit = configuration.unrenewedLimit
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let now = ContinuousClock.now
            inFlight.stop(.timeout, startedBefore: now.advanced(by: .zero - configuration.jobTimeout))
            let stopped = inFlight.stop(.leaseLost, renewedBefore: now.advanced(by: .zero - unrenewedLimit))
            if stopped > 0 {
                metrics?.leasesLost(stopped)
                logger.error("leases not renewed for \(unrenewedLimit); stopping those jobs before the leases expire", metadata: ["job.count": "\(stopped)"])
            }
        }
    }

    /// Holds a LISTEN connection outside the pool and wakes the loop on each NOTIFY for our queues; reconnects.
    private func listen(_ wake: AsyncStream<Void>.Continuation) async {
        guard let databaseURL else { return }
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: databaseURL.connectionConfiguration(), id: 0, logger: logger
                )
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: "dfns_worker_jobs") { notifications in
                    healthState.withLock { $0.listenerConnected = true }
                    failures = 0
                    wake.yield()
                    for try await notification in notifications where configuration.queues.contains(notification.payload) {
                        wake.yield()
                    }
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                logger.warning("LISTEN connection lost; reconnecting", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            healthState.withLock { $0.listenerConnected = false }
            try? await Task.sleep(for: RetryPolicy.database.delay(afterAttempt: failures))
        }
    }
}
