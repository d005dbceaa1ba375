/// What `dfns-worker status` reports.
public struct QueueStatus: Sendable, Codable {
    public struct Count: Sendable, Codable {
        public let queue: String
        public let kind: String
        public let state: JobState
        public let count: Int
    }

    public let counts: [Count]
    /// Seconds the oldest due (queued, retrying or waiting) job has been due; nil when none is.
    public let oldestDueAgeSeconds: Double?

    /// Totals by state.
    public var byState: [JobState: Int] {
        counts.reduce(into: [:]) { $0[$1.state, default: 0] += $1.count }
    }
}
