/// How a worker claims and runs jobs. Defaults suit a daemon next to the Dfns API. ``validate()`` holds every value to
/// its range (``Worker`` refuses one that fails), the one set of rules the command line's options also go through.
public struct WorkerConfiguration: Sendable {
    /// Queues to claim from. Default `["default"]`.
    public var queues: [String] = ["default"]
    /// Jobs run at once. Default 16.
    public var concurrency: Int = 16
    /// Most jobs claimed by one statement. The worker claims about `claimAhead` of work at a time (from the
    /// measured job duration), never fewer than `concurrency` nor more than this. Default 1000.
    public var claimBatchSize: Int = 1000
    /// How much work, in time, a worker claims ahead of its free slots. Short jobs get large claims (few round
    /// trips); slow ones small claims (other workers can take the rest). Default 200 ms.
    public var claimAhead: Duration = .milliseconds(200)
    /// Lease of a claimed job; a worker that stops renewing loses it. Default 30 s.
    public var leaseDuration: Duration = .seconds(30)
    /// How often leases of running jobs are renewed; keep it at most a third of the lease. Default 10 s. A job whose
    /// lease went ``unrenewedLimit`` without a renewal (the database is unreachable) is stopped, so it never runs on
    /// after its lease expired and another worker took it.
    public var heartbeatInterval: Duration = .seconds(10)
    /// How often expired leases are looked for. Default 5 s, so a dead worker's job is claimable again within 35 s
    /// (one lease after its last heartbeat, plus one interval).
    public var rescueInterval: Duration = .seconds(5)
    /// Fallback poll when no NOTIFY arrives. Default 2 s.
    public var pollInterval: Duration = .seconds(2)
    /// Longest one attempt may run before it is abandoned as a timeout. Default 120 s.
    public var jobTimeout: Duration = .seconds(120)
    /// On SIGTERM/SIGINT, how long in-flight jobs may finish before they are handed back. Default 20 s.
    public var shutdownGracePeriod: Duration = .seconds(20)
    /// Backoff between attempts: base, doubling per attempt, capped, with 50 % jitter. Defaults 2 s and 10 min.
    public var retryBaseDelay: Duration = .seconds(2)
    public var retryMaxDelay: Duration = .seconds(600)
    /// How often a worker paused by 401/403 probes Dfns. Default 30 s.
    public var authProbeInterval: Duration = .seconds(30)
    /// How many HTTP 403s in a row one job may get while the credentials work for other requests (a permission
    /// missing for that job only) before it fails with `forbidden`. Default 3.
    public var forbiddenAttempts: Int = 3
    /// How long a job whose Dfns entity exists or may exist can keep failing (polls, look-ups) before it counts as
    /// stuck (`dfns_worker_stuck_jobs`, `status`). Such a job never fails on its own. Default 15 minutes.
    public var stuckAfter: Duration = Self.defaultStuckAfter
    public static let defaultStuckAfter: Duration = .seconds(900)
    /// How long an end user has to sign a job's challenge (`signature_deadline`) before the job fails with
    /// `signature_timeout`, nothing sent. Default 10 minutes; at most a day (a login outlives few of those).
    public var signatureTimeout: Duration = .seconds(600)
    /// How often queue depth, in-flight jobs and the paused flag are sampled into metrics. Default 5 s.
    public var metricsSampleInterval: Duration = .seconds(5)
    /// When a job reads its submitted Dfns operation again. Default ``PollSchedule/pollingOnly`` (0.5 s doubling to
    /// 30 s); `run` uses ``PollSchedule/withWebhooks`` (30 s to 5 minutes) when webhook events wake the jobs.
    public var polls: PollSchedule = .pollingOnly
    /// The software version this worker reports in `dfns_worker.workers`. Default `unknown`; `run` sets its own.
    public var version = "unknown"
    /// This process's name in `worker_id`. Default `hostname:pid`.
    public var workerId: String

    /// How long after an attempt ended without an answer a request it sent may still be in progress at Dfns:
    /// `leaseDuration + jobTimeout`, measured on the database's clock (see ``JobContext/settleWindow``).
    public var settleWindow: Duration { leaseDuration + jobTimeout }

    /// How long a held lease may go without a successful renewal before the lease keeper stops its job: the lease minus one
    /// heartbeat (two missed renewals at the usual third of a lease), and never more than two thirds of the lease
    /// whatever the heartbeat, so the job stops well before the lease can expire.
    public var unrenewedLimit: Duration { leaseDuration - min(heartbeatInterval, leaseDuration / 3) }

    public init(workerId: String) {
        self.workerId = workerId
    }

    /// Sets the lease and the intervals that follow from it: heartbeats every third of it (see ``unrenewedLimit``),
    /// rescues every sixth (a dead worker's jobs are claimable within 1.17 leases).
    public mutating func setLease(_ lease: Duration) {
        leaseDuration = lease
        heartbeatInterval = lease / 3
        rescueInterval = lease / 6
    }

    /// One value out of its range: the property, as named here, and what it must be.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public let property: String
        /// What the value must be and what it is, e.g. `must be 1 to 10000 (is 0)`.
        public let requirement: String

        public var description: String { "\(property) \(requirement)" }
    }

    /// Every value out of its range, in declaration order; empty when the configuration can run a worker.
    public var problems: [Problem] {
        var problems: [Problem] = []
        func require(_ property: String, _ holds: Bool, _ requirement: @autoclosure () -> String) {
            if !holds { problems.append(Problem(property: property, requirement: requirement())) }
        }
        // Two bounds, not a ClosedRange: a bound taken from another value (a third of the lease) may fall below the
        // lower one, and that must be a problem to report, not a trap.
        func within(_ property: String, _ value: Duration, _ lower: Duration, _ upper: Duration) {
            require(property, lower <= value && value <= upper, "must be \(lower) to \(upper) (is \(value))")
        }
        require("queues", !queues.isEmpty, "must name at least one queue")
        for name in queues where !Self.isQueueName(name) {
            require(
                "queues", false,
                "has \"\(name.prefix(80))\", not a queue name (1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit)")
        }
        require("concurrency", (1...10_000).contains(concurrency), "must be 1 to 10000 (is \(concurrency))")
        require("claimBatchSize", (1...10_000).contains(claimBatchSize), "must be 1 to 10000 (is \(claimBatchSize))")
        within("claimAhead", claimAhead, .milliseconds(1), .seconds(60))
        within("leaseDuration", leaseDuration, .seconds(3), .seconds(3600))
        within("heartbeatInterval", heartbeatInterval, .milliseconds(100), leaseDuration / 3)
        within("rescueInterval", rescueInterval, .milliseconds(100), leaseDuration)
        within("pollInterval", pollInterval, .milliseconds(10), .seconds(3600))
        within("jobTimeout", jobTimeout, .milliseconds(100), .seconds(86_400))
        within("shutdownGracePeriod", shutdownGracePeriod, .zero, .seconds(3600))
        within("retryBaseDelay", retryBaseDelay, .milliseconds(1), .seconds(86_400))
        within("retryMaxDelay", retryMaxDelay, .milliseconds(1), .seconds(86_400 * 30))
        within("authProbeInterval", authProbeInterval, .milliseconds(100), .seconds(3600))
        require("forbiddenAttempts", (1...1000).contains(forbiddenAttempts), "must be 1 to 1000 (is \(forbiddenAttempts))")
        within("stuckAfter", stuckAfter, .seconds(1), .seconds(86_400 * 30))
        within("signatureTimeout", signatureTimeout, .seconds(1), .seconds(86_400))
        within("metricsSampleInterval", metricsSampleInterval, .milliseconds(10), .seconds(3600))
        within("polls.first", polls.first, .milliseconds(10), .seconds(3600))
        within("polls.ceiling", polls.ceiling, polls.first, .seconds(86_400))
        require("workerId", !workerId.isEmpty && workerId.utf8.count <= 200, "must be 1 to 200 bytes")
        require("version", !version.isEmpty && version.utf8.count <= 100, "must be 1 to 100 bytes")
        return problems
    }

    /// Throws ``WorkerError/Code/configuration`` naming every value out of its range (as River's `Config.validate`).
    public func validate() throws(WorkerError) {
        let problems = problems
        guard problems.isEmpty else {
            throw WorkerError(.configuration, "invalid WorkerConfiguration: " + problems.map(\.description).joined(separator: "; "))
        }
    }

    /// The rule `dfns_worker.validate_job` applies at insert: a queue it refuses could never hold a job.
    public static func isQueueName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 64 else { return false }
        let allowed = { (c: Unicode.Scalar) in c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)) }
        return allowed(first) && name.unicodeScalars.allSatisfy { allowed($0) || "_.:-".unicodeScalars.contains($0) }
    }
}
