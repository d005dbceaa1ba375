import Foundation

/// Capped exponential backoff with jitter, honouring Retry-After.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included. Default 4; 1 disables retries.
    public var maxAttempts: Int
    /// Delay before the second attempt, before jitter. Default 250 ms.
    public var baseDelay: Duration
    /// Largest computed delay. Default 10 s.
    public var maxDelay: Duration
    /// Fraction of each delay that is randomised (0 = none, 1 = full jitter). Default 0.5.
    public var jitter: Double
    /// A Retry-After longer than this is not waited for: the error surfaces instead, and the client pauses no longer
    /// than this. Default ``RateLimitPolicy/longestWait``; set it lower to give up on a 429 sooner.
    public var maxRetryAfter: Duration

    /// Every parameter has the default its property documents.
    public init(
        maxAttempts: Int = 4,
        baseDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(10),
        jitter: Double = 0.5,
        maxRetryAfter: Duration = RateLimitPolicy.longestWait
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = min(max(jitter, 0), 1)
        self.maxRetryAfter = maxRetryAfter
    }

    /// The SDK's default.
    public static let `default` = RetryPolicy()
    /// Never retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed.
    ///
    /// The computed delay is `min(maxDelay, baseDelay · 2^(attempt-1))`, less a random share of up to `jitter` of it;
    /// a Retry-After raises it to at least that long.
    public func delay(
        afterAttempt attempt: Int,
        retryAfter: Duration? = nil,
        using generator: inout some RandomNumberGenerator
    ) -> Duration {
        // In seconds, so no attempt count or configured delay can overflow Duration arithmetic.
        let exponent = Double(min(max(attempt - 1, 0), 62))
        let capped = min(maxDelay.seconds, baseDelay.seconds * pow(2, exponent))
        let randomShare = jitter * Double.random(in: 0..<1, using: &generator)
        let delay = Duration.seconds(capped * (1 - randomShare))
        guard let retryAfter else { return delay }
        return max(delay, retryAfter)
    }

    /// ``delay(afterAttempt:retryAfter:using:)`` with the system generator.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator)
    }

    /// Whether to try again after `error` ended attempt `attempt`.
    public func shouldRetry(_ error: DfnsError, afterAttempt attempt: Int) -> Bool {
        guard attempt < maxAttempts, error.isRetryable else { return false }
        if let retryAfter = error.retryAfter, retryAfter > maxRetryAfter { return false }
        return true
    }
}
