import Synchronization

/// When each job's handler ran, on which worker (``RecordingJob``).
public final class ExecutionLog: Sendable {
    public struct Run: Sendable {
        public let job: Int64
        public let tag: String
        public let started: ContinuousClock.Instant
        public let ended: ContinuousClock.Instant
    }

    private let entries = Mutex<(running: [String: Int], runs: [Run])>(([:], []))

    public init() {}

    public var runs: [Run] { entries.withLock { $0.runs } }

    /// Handlers of `tag` running now.
    public func running(_ tag: String) -> Int { entries.withLock { $0.running[tag] ?? 0 } }

    public func start(_ tag: String) { entries.withLock { $0.running[tag, default: 0] += 1 } }

    public func record(_ run: Run) {
        entries.withLock {
            $0.running[run.tag, default: 0] -= 1
            $0.runs.append(run)
        }
    }
}
