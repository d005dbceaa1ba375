import DfnsSDK
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The engine as one `Service`: a ``JobSource`` (claims, buffer, wake-ups) feeding a ``JobProcessor`` (bounded task
/// group, per-job timeouts), with a ``LeaseKeeper`` and a ``Completer`` beside them. Run it in the process's
/// `ServiceGroup`; SIGTERM/SIGINT stop claiming, let in-flight jobs finish within the grace period and hand the rest
/// back without spending an attempt. `run` and `drain` wire the same parts and differ only in the source's limits.
public final class Worker: Service, Sendable {
    /// Readiness facts for `/health/ready`.
    public struct Health: Sendable {
        public var databaseReachable = true
        public var listenerConnected = false
        public var authFailure: String?
        public var shuttingDown = false
        /// Why the schema refuses this binary (a newer release's migration changed a money rule): it claims nothing more.
        public var schemaRefusal: String?
        public var isReady: Bool { databaseReachable && listenerConnected && authFailure == nil && !shuttingDown && schemaRefusal == nil }
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

    private let store: JobStore
    private let registry: JobRegistry
    private let gateway: DfnsGateway
    private let configuration: WorkerConfiguration
    private let databaseURL: DatabaseURL?
    private let logger: Logger
    private let policy: OutcomePolicy
    private let metrics: WorkerMetrics?
    private let sharedBudget: SharedRateBudget?
    private let healthBoard = HealthBoard()
    private let stopRequested = Atomic<Bool>(false)
    /// Wakes the running source and the shutdown timer when a stop is requested.
    private let stopListeners = Mutex<(wake: AsyncStream<Void>.Continuation, stop: StopSignal)?>(nil)

    /// - Parameters:
    ///   - databaseURL: where the LISTEN connection goes (outside the pool); nil polls only.
    ///   - metrics: where to record metrics (and sample queue depth); nil records none.
    ///   - sharedBudget: the fleet's Dfns budget the gateway's client draws from; left when the worker stops.
    /// - Throws: ``WorkerError/Code/configuration`` when `configuration` fails ``WorkerConfiguration/validate()``.
    public init(
        store: JobStore, registry: JobRegistry, gateway: DfnsGateway, configuration: WorkerConfiguration,
        databaseURL: DatabaseURL?, metrics: WorkerMetrics? = nil, sharedBudget: SharedRateBudget? = nil, logger: Logger
    ) throws(WorkerError) {
        try configuration.validate()
        self.metrics = metrics
        self.sharedBudget = sharedBudget
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
        var health = healthBoard.current
        health.authFailure = gateway.authFailure
        return health
    }

    /// Runs until graceful shutdown (or cancellation, which hands every job back at once).
    public func run() async throws {
        _ = try await withGracefulShutdownHandler {
            try await process(JobSource.Limits(endsWhenIdle: false))
        } onGracefulShutdown: {
            self.requestStop()
        }
    }

    /// Processes every job due now (and those that become due while it runs), then returns.
    public func drain(maxJobs: Int? = nil, maxDuration: Duration? = nil) async throws -> DrainSummary {
        try await withGracefulShutdownHandler {
            try await process(
                JobSource.Limits(
                    maxJobs: maxJobs, deadline: maxDuration.map { ContinuousClock.now.advanced(by: $0) }, endsWhenIdle: true
                ))
        } onGracefulShutdown: {
            self.requestStop()
        }
    }

    /// Stops claiming; in-flight jobs get the grace period.
    public func requestStop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        healthBoard.update { $0.shuttingDown = true }
        stopListeners.withLock { listeners in
            listeners?.wake.yield()
            listeners?.stop.fire()
        }
    }

    // MARK: Wiring

    /// Wires a source, a processor and the background parts for one `run` or `drain`, which differ only in `limits`.
    private func process(_ limits: JobSource.Limits) async throws -> DrainSummary {
        try await store.checkSchema(kinds: registry.kinds)
        let started = ContinuousClock.now
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let stop = StopSignal()
        stopListeners.withLock { $0 = (wake, stop) }
        if stopRequested.load(ordering: .sequentiallyConsistent) { stop.fire() }
        defer { stopListeners.withLock { $0 = nil } }
        let inFlight = InFlightJobs()
        let completer = Completer(store: store, workerId: configuration.workerId, logger: logger)
        let pace = ClaimPace(configuration: configuration)
        let source = JobSource(
            store: store, configuration: configuration, inFlight: inFlight, completer: completer, health: healthBoard, logger: logger,
            buffer: ClaimBuffer(
                store: store, configuration: configuration, inFlight: inFlight, completer: completer, policy: policy, pace: pace,
                kinds: registry.kinds
            ),
            kinds: registry.kinds, limits: limits, wakes: wakes,
            isStopping: { self.stopRequested.load(ordering: .sequentiallyConsistent) },
            admission: { [gateway, configuration] idle in
                guard gateway.authFailure != nil else { return .open }
                guard idle else { return .hold(retryAfter: nil) }
                // A probe that succeeds means the refusal concerned that job only (a 403 on one wallet): go on.
                if await gateway.probe() { return .open }
                // A cron batch does not wait for credentials to be fixed: it stops and says why.
                return limits.endsWhenIdle ? .end : .hold(retryAfter: configuration.authProbeInterval)
            }
        )
        let processor = JobProcessor(
            store: store, configuration: configuration, inFlight: inFlight, completer: completer, policy: policy, pace: pace, metrics: metrics,
            logger: logger, wake: wake, registry: registry, gateway: gateway
        )
        if limits.endsWhenIdle { healthBoard.update { $0.listenerConnected = true } }
        let wakeUps = WakeUps(
            configuration: configuration, health: healthBoard, logger: logger, wake: wake, databaseURL: limits.endsWhenIdle ? nil : databaseURL
        )
        let leases = LeaseKeeper(store: store, configuration: configuration, inFlight: inFlight, metrics: metrics, logger: logger, wake: wake)

        let claimed = await withDiscardingTaskGroup(returning: Int.self) { background in
            background.addTask(operation: part("wake-ups") { await wakeUps.run() })
            background.addTask(operation: part("leases") { await leases.run() })
            if let metrics { background.addTask(operation: part("metrics") { await self.sample(into: metrics, inFlight) }) }
            if !limits.endsWhenIdle {
                let registry = WorkerRegistry(store: store, configuration: configuration, logger: logger)
                background.addTask(
                    operation: part("registry") { [gateway] in
                        await registry.run { .init(inFlight: inFlight.count, paused: gateway.authFailure, rateLimited: gateway.client.isRateLimited) }
                    })
            }
            background.addTask(
                operation: part("shutdown timer") {
                    // After a stop request, running jobs get the grace period, then are stopped and handed back.
                    await stop.wait()
                    guard !Task.isCancelled else { return }
                    self.logger.info("stopping: no new claims", metadata: ["job.in_flight": "\(inFlight.count)"])
                    guard (try? await Task.sleep(for: self.configuration.shutdownGracePeriod)) != nil else { return }
                    let handedBack = inFlight.stop(.shutdown)
                    if handedBack > 0 {
                        self.logger.warning("grace period over; handing unfinished jobs back", metadata: ["job.count": "\(handedBack)"])
                    }
                })
            let claimed = await processor.run(source)
            logger.info("worker part ended", metadata: ["worker.part": "processor"])
            await completer.waitUntilIdle()
            logger.info("worker part ended", metadata: ["worker.part": "completer"])
            await sharedBudget?.leave()
            background.cancelAll()
            return claimed
        }
        if let refusal = healthBoard.current.schemaRefusal { throw WorkerError(.migration, refusal) }
        var summary = DrainSummary()
        summary.claimed = claimed
        summary.written = await completer.written
        summary.discarded = await completer.discarded
        summary.authFailure = gateway.authFailure
        summary.seconds = started.duration(to: .now).seconds
        return summary
    }

    /// `body`, logging its end (debug): a stop that does not complete names the part still running.
    private func part(_ name: String, _ body: @escaping @Sendable () async -> Void) -> @Sendable () async -> Void {
        { [logger] in
            await body()
            logger.info("worker part ended", metadata: ["worker.part": "\(name)"])
        }
    }

    /// Samples queue depth and worker state into gauges on an interval (not per scrape), and checks the database.
    private func sample(into metrics: WorkerMetrics, _ inFlight: InFlightJobs) async {
        var lastWait = Duration.zero
        var lastSharedWait = Duration.zero
        while !Task.isCancelled {
            do {
                metrics.record(try await store.status(stuckAfter: configuration.stuckAfter))
                healthBoard.update { $0.databaseReachable = true }
            } catch {
                healthBoard.update { $0.databaseReachable = false }
                logger.warning("sampling queue status failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            metrics.setInFlight(inFlight.count)
            metrics.setPaused(gateway.authFailure != nil)
            let wait = gateway.client.rateLimiterWait
            metrics.rateLimiterWaited(wait - lastWait)
            lastWait = wait
            if let usage = await sharedBudget?.usage {
                metrics.rateLimiterWaited(usage.waited - lastSharedWait)
                metrics.setOnFallbackShare(usage.onFallback)
                lastSharedWait = usage.waited
            }
            try? await Task.sleep(for: configuration.metricsSampleInterval)
        }
    }
}
