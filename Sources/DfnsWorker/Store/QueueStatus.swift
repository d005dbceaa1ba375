import Foundation

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

    /// A `dfns-worker run` whose heartbeat is recent (within ``aliveWithin``).
    public struct Worker: Sendable, Codable {
        /// How recent a heartbeat keeps a worker alive: 30 s, six heartbeats (``WorkerRegistry`` writes every 5 s).
        public static let aliveWithin: Duration = .seconds(30)

        public let workerId: String
        public let host: String
        public let pid: Int
        public let startedAt: Date
        public let heartbeatAt: Date
        public let inFlight: Int
        /// Why it claims nothing now (Dfns refuses its credentials), or nil.
        public let paused: String?
        /// True while Dfns's 429 pauses its requests.
        public let rateLimited: Bool
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
    /// The workers alive, when asked for (``JobStore/workersAlive()``); empty otherwise.
    public var workers: [Worker]

    public init(
        counts: [Count], oldestDueAgeSeconds: Double?, stuckJobs: Int = 0, finishedWithinSeconds: Double? = nil, workers: [Worker] = []
    ) {
        self.counts = counts
        self.oldestDueAgeSeconds = oldestDueAgeSeconds
        self.stuckJobs = stuckJobs
        self.finishedWithinSeconds = finishedWithinSeconds
        self.workers = workers
    }

    /// Totals by state.
    public var byState: [JobState: Int] {
        counts.reduce(into: [:]) { $0[$1.state, default: 0] += $1.count }
    }
}
