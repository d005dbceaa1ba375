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
    /// How often leases of running jobs are renewed. Default 10 s.
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
    /// How often queue depth, in-flight jobs and the paused flag are sampled into metrics. Default 5 s.
    public var metricsSampleInterval: Duration = .seconds(5)
    /// This process's name in `worker_id`. Default `hostname:pid`.
    public var workerId: String

    public init(workerId: String) {
        self.workerId = workerId
    }
}
