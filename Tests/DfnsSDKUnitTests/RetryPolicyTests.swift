import DfnsSDK
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("delays grow exponentially within jitter bounds and stop at the cap")
    func bounds() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2), jitter: 0.5)
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...12 {
            let ceiling = min(Duration.seconds(2), .milliseconds(100) * (1 << (attempt - 1)))
            for _ in 0..<200 {
                let delay = policy.delay(afterAttempt: attempt, using: &generator)
                #expect(delay <= ceiling && delay >= ceiling * 0.5, "attempt \(attempt): \(delay) outside [\(ceiling * 0.5), \(ceiling)]")
            }
        }
    }

    @Test("no jitter gives exact delays; Retry-After raises them")
    func exactAndRetryAfter() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1), jitter: 0)
        #expect(policy.delay(afterAttempt: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 3) == .milliseconds(400))
        #expect(policy.delay(afterAttempt: 30) == .seconds(1))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(5)) == .seconds(5))
        #expect(policy.delay(afterAttempt: 3, retryAfter: .milliseconds(10)) == .milliseconds(400))
    }

    @Test("only retryable errors within the attempt budget and Retry-After limit are retried")
    func shouldRetry() {
        let policy = RetryPolicy(maxAttempts: 3, maxRetryAfter: .seconds(30))
        let server = DfnsError(code: .server, message: "x")
        #expect(policy.shouldRetry(server, afterAttempt: 1))
        #expect(policy.shouldRetry(server, afterAttempt: 2))
        #expect(!policy.shouldRetry(server, afterAttempt: 3))
        #expect(!policy.shouldRetry(DfnsError(code: .validation, message: "x"), afterAttempt: 1))
        #expect(!policy.shouldRetry(DfnsError(code: .conflict, message: "x"), afterAttempt: 1))
        #expect(policy.shouldRetry(DfnsError(code: .rateLimited, message: "x", retryAfter: .seconds(30)), afterAttempt: 1))
        #expect(!policy.shouldRetry(DfnsError(code: .rateLimited, message: "x", retryAfter: .seconds(31)), afterAttempt: 1))
        #expect(!RetryPolicy.none.shouldRetry(server, afterAttempt: 1))
    }
}
