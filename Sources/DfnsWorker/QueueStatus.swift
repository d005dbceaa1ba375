/// What `dfns-worker status` reports.
public struct QueueStatus: Sendable, Codable {
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

    public let counts: [Count]
    /// Seconds the oldest due (queued, retrying or waiting) job has been due; nil when none is.
    public let oldestDueAgeSeconds: Double?

    public init(counts: [Count], oldestDueAgeSeconds: Double?) {
        self.counts = counts
        self.oldestDueAgeSeconds = oldestDueAgeSeconds
    }

    /// Totals by state.
    public var byState: [JobState: Int] {
        counts.reduce(into: [:]) { $0[$1.state, default: 0] += $1.count }
    }
}
