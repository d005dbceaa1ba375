/// How a worker claims and runs jobs. Defaults suit a daemon next to the Dfns API.
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
}
