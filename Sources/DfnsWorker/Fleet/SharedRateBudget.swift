import DfnsSDK
import Logging
import PostgresNIO

/// One Dfns request budget for every worker of a database: Dfns limits the organisation, so three hosts pacing
/// themselves at the limit each would send three times it and spend their time in 429 pauses.
///
/// Tokens come from a bucket row in PostgreSQL (`dfns_worker.take_rate_tokens`) in grants of a quarter second's
/// worth, so a busy worker makes a few round trips a second, not one per request. A grant is a reservation: the
/// bucket goes below zero and the grant says when it may be used, so busy workers are served in the order they asked.
/// Unused tokens expire with their grant (one second after it starts): a crashed worker loses at most one grant and
/// nobody saves tokens up into a burst; a stopping worker gives them back. A 429 anywhere pauses the whole budget. When PostgreSQL does not answer a grant within a second, the
/// worker paces itself at its share (the budget over the workers last seen) and asks the database again after five
/// seconds. The client's own per-process limit stays an upper bound. BENCHMARKS.md, "A fleet on one budget".
public actor SharedRateBudget: DfnsRequestBudget {
    /// What the budget is and how it is drawn from. Defaults as documented per property.
    public struct Configuration: Sendable {
        /// The budget's name: one per Dfns organisation. Default `default`.
        public var name = "default"
        /// The organisation's requests per minute, shared by the workers (the smallest value among them wins).
        public var requestsPerMinute: Int
        /// This worker's id in `rate_budget_workers`.
        public var workerId: String
        /// How long granted tokens stay usable. Default 1 s.
        public var grantLifetime: Duration = .seconds(1)
        /// How long a grant may take before the worker falls back to its share. Default 1 s.
        public var answerTimeout: Duration = .seconds(1)
        /// How long the worker paces itself before asking the database again. Default 5 s.
        public var fallbackPeriod: Duration = .seconds(5)

        public init(name: String = "default", requestsPerMinute: Int, workerId: String) {
            self.name = name
            self.requestsPerMinute = requestsPerMinute
            self.workerId = workerId
        }
    }

    private let configuration: Configuration
    private let client: PostgresClient
    private let logger: Logger
    private var tokens = 0
    private var grantExpires = ContinuousClock.now
    /// Callers waiting for a token, served in arrival order (a job is never starved by later ones).
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiter: UInt64 = 0
    /// The task handing tokens to the waiters, while there are any.
    private var serving: Task<Void, Never>?
    /// Set while the database does not answer: this worker's share, paced locally until `until`.
    private var fallback: (bucket: TokenBucket<ContinuousClock.Instant>, until: ContinuousClock.Instant)?
    /// Workers sharing the budget at the last grant (the fallback divides by it).
    private var workers = 1
    private var waited = Duration.zero
    private var grants = 0

    public init(configuration: Configuration, client: PostgresClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    /// Time callers spent waiting for the budget, and grants received.
    public var usage: (waited: Duration, grants: Int, onFallback: Bool) { (waited, grants, fallback != nil) }

    public func acquire() async throws {
        try Task.checkCancellation()
        if waiters.isEmpty, tokens > 0, ContinuousClock.now < grantExpires {
            tokens -= 1
            return
        }
        let start = ContinuousClock.now
        defer { waited += start.duration(to: .now) }
        let id = nextWaiter
        nextWaiter += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Queued before the cancellation handler's task can reach the actor: `cancel` always finds it.
                waiters.append((id, continuation))
                if serving == nil { serving = Task { await self.serve() } }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// A cancelled caller (its job stopped) leaves the line at once; one already served has nothing to leave.
    private func cancel(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    /// Hands tokens to the waiters in order: from the current grant, from the fallback share, or from a new grant.
    private func serve() async {
        defer { serving = nil }
        while !waiters.isEmpty {
            let now = ContinuousClock.now
            if tokens > 0, now < grantExpires {
                tokens -= 1
                waiters.removeFirst().continuation.resume()
            } else if let share = fallback, now < share.until {
                var bucket = share.bucket
                let wait = bucket.reserve(at: now)
                fallback = (bucket, share.until)
                if wait > .zero { try? await Task.sleep(for: wait) }
                if !waiters.isEmpty { waiters.removeFirst().continuation.resume() }
            } else {
                await askForGrant()
            }
        }
    }

    /// Asks PostgreSQL for a grant and sleeps until it may be used (or, during a 429 pause, until the pause ends).
    private func askForGrant() async {
        let wanted = max(1, Int((Double(configuration.requestsPerMinute) / 240).rounded(.up)))
        do {
            let (granted, waitMilliseconds, sharing) = try await StatementDeadline.run(configuration.answerTimeout, "the rate grant") {
                [client, configuration] in
                let rows = try await client.query(
                    """
                    SELECT granted, wait_ms, workers FROM dfns_worker.take_rate_tokens(
                        \(configuration.name), \(configuration.workerId), \(configuration.requestsPerMinute)::int, \(wanted)::int)
                    """)
                for try await row in rows.decode((Int, Int, Int).self) { return row }
                throw WorkerError(.database, "take_rate_tokens returned nothing")
            }
            if fallback != nil {
                logger.info("shared Dfns budget reachable again", metadata: ["rate.budget": "\(configuration.name)"])
                fallback = nil
            }
            workers = max(1, sharing)
            // A reservation is waited out in full (a minute at most, whatever the row says); a 429 pause a second at a
            // time, asking again after each (another worker's 429 may have extended it).
            let wait = min(max(waitMilliseconds, 0), granted > 0 ? 60_000 : 1000)
            if wait > 0 { try? await Task.sleep(for: .milliseconds(wait)) }
            if granted > 0 {
                tokens = granted
                grantExpires = ContinuousClock.now.advanced(by: configuration.grantLifetime)
                grants += 1
            }
        } catch {
            let share = max(1, configuration.requestsPerMinute / workers)
            logger.warning(
                "shared Dfns budget unreachable; pacing at this worker's share",
                metadata: [
                    "rate.budget": "\(configuration.name)", "rate.share_per_minute": "\(share)", "db.error": "\(String(reflecting: error))",
                ])
            let now = ContinuousClock.now
            fallback = (TokenBucket(requestsPerMinute: share, now: now), now.advanced(by: configuration.fallbackPeriod))
        }
    }

    public nonisolated func pause(for duration: Duration) {
        Task { await self.pauseEveryone(for: duration) }
    }

    private func pauseEveryone(for duration: Duration) async {
        do {
            try await StatementDeadline.run(configuration.answerTimeout, "the rate pause") { [client, configuration] in
                // Read to the end: PostgresNIO reports a statement's error while its rows are read.
                for try await _ in try await client.query(
                    "SELECT dfns_worker.pause_rate_budget(\(configuration.name), \(Int(duration.milliseconds))::int)")
                {}
            }
        } catch {
            logger.warning("could not pause the shared Dfns budget", metadata: ["db.error": "\(String(reflecting: error))"])
        }
        // The local grant is spent too: requests sent now would meet the same 429.
        tokens = 0
    }

    /// Gives back unused tokens and leaves the budget (a stopping worker's share goes to the others at once).
    public func leave() async {
        let unused = ContinuousClock.now < grantExpires ? tokens : 0
        tokens = 0
        do {
            try await StatementDeadline.run(configuration.answerTimeout, "the rate return") { [client, configuration] in
                for try await _ in try await client.query(
                    "SELECT dfns_worker.return_rate_tokens(\(configuration.name), \(configuration.workerId), \(unused)::int)")
                {}
            }
        } catch {
            logger.debug("could not leave the shared Dfns budget", metadata: ["db.error": "\(String(reflecting: error))"])
        }
    }
}
