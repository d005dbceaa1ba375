/// A token bucket that hands out reservations: each request takes a token now or is told how long to wait for it.
///
/// Reserving ahead (tokens may go negative) keeps waiters in arrival order without polling. Pure value type, so its
/// pacing is tested with synthetic instants.
public struct TokenBucket<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// Tokens the bucket holds when full: the largest burst allowed.
    public let capacity: Double
    /// Tokens added per second.
    public let refillPerSecond: Double
    private var tokens: Double
    private var updatedAt: Instant

    /// A bucket for `requestsPerMinute`, starting full.
    /// - Parameters:
    ///   - requestsPerMinute: the sustained rate.
    ///   - burst: the largest burst; defaults to a quarter second's worth of requests (at least 1). Smaller than the
    ///     server's own bucket on purpose: pacing at the exact limit from an equal bucket leaves the server's bucket
    ///     empty, so network jitter alone turns requests into 429s; a smaller burst keeps a cushion there.
    ///   - now: the instant the bucket starts full at.
    public init(requestsPerMinute: Int, burst: Int? = nil, now: Instant) {
        precondition(requestsPerMinute > 0, "requestsPerMinute must be positive")
        refillPerSecond = Double(requestsPerMinute) / 60
        capacity = Double(max(1, burst ?? Int((Double(requestsPerMinute) / 240).rounded(.up))))
        tokens = capacity
        updatedAt = now
    }

    /// Takes one token and returns how long the caller must wait before using it (zero when one was available).
    public mutating func reserve(at now: Instant) -> Duration {
        refill(at: now)
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / refillPerSecond * 1e9).rounded(.up)))
    }

    /// Tokens available now (negative while callers wait on reservations).
    public mutating func available(at now: Instant) -> Double {
        refill(at: now)
        return tokens
    }

    private mutating func refill(at now: Instant) {
        guard now > updatedAt else { return }
        let elapsed = updatedAt.duration(to: now)
        tokens = min(capacity, tokens + elapsed.seconds * refillPerSecond)
        updatedAt = now
    }
}
