/// The state of a job row (`dfns_worker.jobs.state`).
public struct JobState: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Waiting for `run_at`.
    public static let queued = JobState(rawValue: "queued")
    /// Claimed by a worker that holds its lease.
    public static let running = JobState(rawValue: "running")
    /// An attempt failed; due again at `run_at`.
    public static let retrying = JobState(rawValue: "retrying")
    /// Submitted to Dfns; its outcome is polled at `run_at` without spending attempts.
    public static let waiting = JobState(rawValue: "waiting")
    /// Acts for an end user (`on_behalf_of`) and waits for their signature of the challenge in `user_challenge`, handed
    /// back with `dfns_worker.sign()`; not claimable until then.
    public static let awaitingSignature = JobState(rawValue: "awaiting_signature")
    /// Finished; `result` holds the Dfns entity.
    public static let succeeded = JobState(rawValue: "succeeded")
    /// Finished for good; `last_error` says why.
    public static let failed = JobState(rawValue: "failed")
    /// Cancelled by `dfns_worker.cancel`.
    public static let cancelled = JobState(rawValue: "cancelled")

    /// Every state, in lifecycle order.
    public static let all: [JobState] = [.queued, .running, .retrying, .waiting, .awaitingSignature, .succeeded, .failed, .cancelled]

    /// The states of a job not finished yet, in lifecycle order.
    public static let active: [JobState] = [.queued, .running, .retrying, .waiting, .awaitingSignature]

    /// The states a job waits for its `run_at` in (claimable once due).
    public static let claimable: [JobState] = [.queued, .retrying, .waiting]

    /// True for succeeded, failed and cancelled.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }

    public var description: String { rawValue }
}
