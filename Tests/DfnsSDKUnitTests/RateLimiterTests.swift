import DfnsSDK
import DfnsTestSupport
import Testing

@Suite("Rate limiter pacing, on a manual clock")
struct RateLimiterTests {
    @Test("a token bucket allows its burst, then one request per refill interval")
    func bucket() {
        let start = ManualClock.Instant(offset: .zero)
        var bucket = TokenBucket(requestsPerMinute: 600, burst: 10, now: start)
        for _ in 0..<10 { #expect(bucket.reserve(at: start) == .zero) }
        #expect(bucket.reserve(at: start) == .milliseconds(100))
        #expect(bucket.reserve(at: start) == .milliseconds(200))
        // One second later the two reservations are paid back and 8 tokens are free again.
        let later = start.advanced(by: .seconds(1))
        #expect(bucket.available(at: later) == 8)
        // Refill never exceeds the burst.
        #expect(bucket.available(at: later.advanced(by: .seconds(60))) == 10)
    }

    @Test("the default burst is a quarter second's worth")
    func defaultBurst() {
        #expect(TokenBucket(requestsPerMinute: 1000, now: ManualClock.Instant(offset: .zero)).capacity == 5)
        #expect(TokenBucket(requestsPerMinute: 30, now: ManualClock.Instant(offset: .zero)).capacity == 1)
    }

    @Test("concurrent callers are released one refill interval apart", .timeLimit(.minutes(1)))
    func pacing() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 60, burst: 1, clock: clock)
        let released = Recorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await limiter.acquire()
                    await released.append(clock.now.offset)
                }
            }
            await clock.waitForSleepers(2)
            #expect(await released.values == [.zero])
            clock.advance(by: .seconds(1))
            await clock.waitForSleepers(1)
            while await released.values.count < 2 { await Task.yield() }
            clock.advance(by: .seconds(1))
            try await group.waitForAll()
        }
        #expect(await released.values == [.zero, .seconds(1), .seconds(2)])
        #expect(limiter.totalWait == .seconds(3))
    }

    @Test("a 429 pause holds every caller until it ends", .timeLimit(.minutes(1)))
    func pause() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: nil, clock: clock)
        try await limiter.acquire()
        limiter.pause(for: .seconds(5))
        limiter.pause(for: .seconds(2))
        #expect(limiter.isPaused)
        let waiter = Task {
            try await limiter.acquire()
            return clock.now.offset
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1, "a shorter pause must not shorten the longer one")
        clock.advance(by: .seconds(1))
        #expect(try await waiter.value == .seconds(5))
        #expect(!limiter.isPaused)
    }
}

/// Collects release times from concurrent tasks.
private actor Recorder {
    private(set) var values: [Duration] = []
    func append(_ value: Duration) { values.append(value) }
}
