import DfnsSDK

extension RetryPolicy {
    /// Backoff of the engine's own database work (writing outcomes, reconnecting LISTEN): 100 ms doubling to 5 s.
    static let database = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(5), jitter: 0.5)
}
