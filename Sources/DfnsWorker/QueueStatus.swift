/// What `dfns-worker status` reports.
public struct QueueStatus: Sendable, Codable {
    /// How many jobs of one queue and kind are in one state.
    public struct Count: Sendable, Codable {
        public let queue: String
        public let kind: String
        public let state: JobState
        public let count: Int

        public init(queue: String, kind: String, state: JobState, count: Int) {
            self.queue = queue
            self.kind = kind
            self.state = state
            self.count = count
        }
    }

    /// Active jobs (queued, running, retrying, waiting), and finished ones of the last ``finishedWithinSeconds``.
    public let counts: [Count]
    /// Seconds the oldest due (queued, retrying or waiting) job has been due; nil when none is.
    public let oldestDueAgeSeconds: Double?
    /// Jobs whose Dfns entity exists or may exist and whose attempts or polls have all failed for longer than the
    /// bound (`WorkerConfiguration.stuckAfter`): they cannot fail on their own, so an operator must look.
    public let stuckJobs: Int
    /// The window finished jobs were counted over (seconds before now); nil when they were not counted.
    public let finishedWithinSeconds: Double?

    public init(counts: [Count], oldestDueAgeSeconds: Double?, stuckJobs: Int = 0, finishedWithinSeconds: Double? = nil) {
        self.counts = counts
        self.oldestDueAgeSeconds = oldestDueAgeSeconds
        self.stuckJobs = stuckJobs
        self.finishedWithinSeconds = finishedWithinSeconds
    }

    /// Totals by state.
    public var byState: [JobState: Int] {
        counts.reduce(into: [:]) { $0[$1.state, default: 0] += $1.count }
    }
}
