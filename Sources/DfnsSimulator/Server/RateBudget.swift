import Synchronization

/// The organisation's request budget (``SimulatorConfiguration/rateLimitPerMinute``): a token bucket refilled at that
/// rate and holding a second's worth (at least one request). It also counts every API request it is asked to admit,
/// for `/_sim/stats`.
final class RateBudget: Sendable {
    /// What it counted, for `/_sim/stats`.
    struct Counters: Sendable {
        var requests = 0
        var rateLimited = 0
        /// Requests that passed authentication, by endpoint (rate-limited ones included).
        var byEndpoint: [SimulatorEndpoint: Int] = [:]
    }

    private struct State {
        var bucketTokens: Double
        var bucketUpdated: ContinuousClock.Instant
        var counters = Counters()
    }

    private let perMinute: Int?
    private let state: Mutex<State>

    init(perMinute: Int?) {
        self.perMinute = perMinute
        state = Mutex(State(bucketTokens: Double(max(1, (perMinute ?? 60) / 60)), bucketUpdated: .now))
    }

    /// Counts the request against the organisation's budget; returns seconds to wait when over it.
    func admit(_ endpoint: SimulatorEndpoint) -> Int? {
        state.withLock { state in
            state.counters.requests += 1
            state.counters.byEndpoint[endpoint, default: 0] += 1
            guard let perMinute else { return nil }
            let rate = Double(perMinute) / 60
            let capacity = max(1, rate.rounded(.down))
            let now = ContinuousClock.now
            let elapsed = state.bucketUpdated.duration(to: now)
            state.bucketTokens = min(capacity, state.bucketTokens + elapsed.secondsValue * rate)
            state.bucketUpdated = now
            if state.bucketTokens >= 1 {
                state.bucketTokens -= 1
                return nil
            }
            state.counters.rateLimited += 1
            return max(1, Int(((1 - state.bucketTokens) / rate).rounded(.up)))
        }
    }

    func counters() -> Counters { state.withLock { $0.counters } }
}
