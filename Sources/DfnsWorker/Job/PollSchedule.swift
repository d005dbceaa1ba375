import DfnsSDK

/// When a job that follows a submitted Dfns operation reads it again: the first wait, doubling up to a ceiling.
///
/// Polling alone (the default, 0.5 s doubling to 30 s) is quick for fast chains and gentle on the rate limit for slow
/// ones. With webhooks Dfns says when the operation moves, and the waiting job is woken then; polls only cover lost
/// events, so they start late and stay rare (``withWebhooks``: 30 s doubling to 5 minutes).
public struct PollSchedule: Sendable, Hashable {
    /// The wait before the first poll after the submission.
    public var first: Duration
    /// The longest wait between two polls.
    public var ceiling: Duration

    public init(first: Duration, ceiling: Duration) {
        self.first = first
        self.ceiling = max(first, ceiling)
    }

    /// Polling alone: 0.5 s, 1 s, 2 s … up to 30 s.
    public static let pollingOnly = PollSchedule(first: .milliseconds(500), ceiling: .seconds(30))
    /// Webhooks on: 30 s, 1 min, 2 min … up to 5 minutes.
    public static let withWebhooks = PollSchedule(first: .seconds(30), ceiling: .seconds(300))

    /// The wait before poll number `poll` (1 for the first).
    public func delay(beforePoll poll: Int) -> Duration {
        RetryPolicy(baseDelay: first, maxDelay: ceiling, jitter: 0).delay(afterAttempt: poll)
    }
}
