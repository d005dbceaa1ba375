/// Paces every request one client sends (init, action and the real call alike) and pauses them all after a 429.
///
/// Generic over the clock so tests drive it with a manual clock instead of wall time.
public actor RateLimiter<C: Clock> where C.Duration == Duration {
    private let clock: C
    private var bucket: TokenBucket<C.Instant>?
    private var pausedUntil: C.Instant?
    /// Total time callers spent waiting, for metrics.
    public private(set) var totalWait: Duration = .zero

    /// - Parameters:
    ///   - requestsPerMinute: the budget; nil disables pacing (a 429 still pauses).
    ///   - burst: the largest burst; defaults to a quarter second's worth (see `TokenBucket`).
    public init(requestsPerMinute: Int?, burst: Int? = nil, clock: C) {
        self.clock = clock
        self.bucket = requestsPerMinute.map { TokenBucket(requestsPerMinute: $0, burst: burst, now: clock.now) }
    }

    /// Waits until the caller may send one request.
    public func acquire() async throws {
        let start = clock.now
        if let wait = bucket?.reserve(at: start), wait > .zero {
            try await clock.sleep(until: start.advanced(by: wait), tolerance: nil)
        }
        while let until = pausedUntil, clock.now < until {
            try await clock.sleep(until: until, tolerance: nil)
        }
        totalWait += start.duration(to: clock.now)
    }

    /// Holds every caller until `duration` from now (a 429's Retry-After); extends, never shortens, a pause.
    public func pause(for duration: Duration) {
        let until = clock.now.advanced(by: duration)
        if let pausedUntil, pausedUntil >= until { return }
        pausedUntil = until
    }

    /// True while a 429 pause is in force.
    public var isPaused: Bool {
        guard let pausedUntil else { return false }
        return clock.now < pausedUntil
    }
}

extension RateLimiter where C == ContinuousClock {
    /// A limiter on the continuous clock.
    public init(requestsPerMinute: Int?, burst: Int? = nil) {
        self.init(requestsPerMinute: requestsPerMinute, burst: burst, clock: ContinuousClock())
    }
}
