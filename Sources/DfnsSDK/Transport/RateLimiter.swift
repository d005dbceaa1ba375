import Synchronization

/// Paces every request one client sends (init, action and the real call alike) and pauses them all after a 429.
///
/// A lock rather than an actor: every request passes through here (three per signed write), and the state is a
/// reservation taken in one step; callers sleep outside the lock. Generic over the clock so tests drive it with a
/// manual clock instead of wall time.
public final class RateLimiter<C: Clock>: Sendable where C.Duration == Duration, C: Sendable, C.Instant: Sendable {
    private struct State {
        var bucket: TokenBucket<C.Instant>?
        var pausedUntil: C.Instant?
        var totalWait: Duration = .zero
    }

    private let clock: C
    private let state: Mutex<State>

    /// - Parameters:
    ///   - requestsPerMinute: the budget; nil disables pacing (a 429 still pauses).
    ///   - burst: the largest burst; defaults to a quarter second's worth (see `TokenBucket`).
    ///   - clock: the clock pacing is measured with (a test clock in tests).
    public init(requestsPerMinute: Int?, burst: Int? = nil, clock: C) {
        self.clock = clock
        self.state = Mutex(State(bucket: requestsPerMinute.map { TokenBucket(requestsPerMinute: $0, burst: burst, now: clock.now) }))
    }

    /// Total time callers spent waiting, for metrics.
    public var totalWait: Duration { state.withLock { $0.totalWait } }

    /// Waits until the caller may send one request.
    public func acquire() async throws {
        let start = clock.now
        var wake = state.withLock { state -> C.Instant? in
            guard let wait = state.bucket?.reserve(at: start), wait > .zero else { return nil }
            return start.advanced(by: wait)
        }
        while true {
            if let wake { try await clock.sleep(until: wake, tolerance: nil) }
            let now = clock.now
            wake = state.withLock { state -> C.Instant? in
                if let until = state.pausedUntil, now < until { return until }
                state.totalWait += start.duration(to: now)
                return nil
            }
            if wake == nil { return }
        }
    }

    /// Holds every caller until `duration` from now (a 429's Retry-After); extends, never shortens, a pause.
    public func pause(for duration: Duration) {
        let until = clock.now.advanced(by: duration)
        state.withLock { state in
            if let pausedUntil = state.pausedUntil, pausedUntil >= until { return }
            state.pausedUntil = until
        }
    }

    /// True while a 429 pause is in force.
    public var isPaused: Bool {
        let now = clock.now
        return state.withLock { state in state.pausedUntil.map { now < $0 } ?? false }
    }
}

extension RateLimiter where C == ContinuousClock {
    /// A limiter on the continuous clock.
    public convenience init(requestsPerMinute: Int?, burst: Int? = nil) {
        self.init(requestsPerMinute: requestsPerMinute, burst: burst, clock: ContinuousClock())
    }
}
