import Synchronization

/// The fault plan, a ``FaultRule`` per ``SimulatorEndpoint`` class (configured, or replaced through `/_sim/faults`):
/// draws each request's faults from its own seeded generator, keeps 429 bursts going, and counts what it injected
/// for `/_sim/stats`.
final class FaultInjector: Sendable {
    /// What a fault draw decided for one request.
    struct Decision: Sendable {
        var latency: Duration = .zero
        var serverErrorStatus: Int?
        var rateLimited = false
        var retryAfter = "1"
        var loseResponse = false
        var serverErrorAfterCommit = false
        var garble = false
        var notFound = false
    }

    /// What it injected, for `/_sim/stats`.
    struct Counters: Sendable {
        var injectedServerErrors = 0
        var injectedRateLimits = 0
        var lostResponses = 0
        var serverErrorsAfterCommit = 0
        var garbledResponses = 0
        var injectedNotFound = 0
    }

    private struct State {
        var generator: SplitMix64
        var rules: [SimulatorEndpoint: FaultRule]
        var burstRemaining: [SimulatorEndpoint: Int] = [:]
        var counters = Counters()
    }

    private let state: Mutex<State>

    init(configuration: SimulatorConfiguration) {
        state = Mutex(State(generator: SplitMix64(seed: configuration.seed ^ 0xFA17_5EED), rules: configuration.faults))
    }

    /// The rule for `endpoint`, if the plan has one.
    func rule(_ endpoint: SimulatorEndpoint) -> FaultRule? {
        state.withLock { $0.rules[endpoint] }
    }

    /// How long a proxy in front of `endpoint` waits for the answer before it gives up with a 502; nil for none.
    func proxyTimeout(_ endpoint: SimulatorEndpoint) -> Duration? {
        guard let milliseconds = rule(endpoint)?.proxyTimeoutMilliseconds, milliseconds > 0 else { return nil }
        return .milliseconds(milliseconds)
    }

    /// Draws the faults for one request to `endpoint`: at most one of a 429, a 5xx before processing, a 404 (reads),
    /// or one of the after-commit faults (lost answer, 502, garbled body).
    func draw(_ endpoint: SimulatorEndpoint) -> Decision {
        state.withLock { state in
            var decision = Decision()
            guard let rule = state.rules[endpoint] else { return decision }
            decision.latency = .milliseconds(rule.latencyMilliseconds)
            decision.retryAfter = rule.rateLimitRetryAfter
            if let remaining = state.burstRemaining[endpoint], remaining > 0 {
                state.burstRemaining[endpoint] = remaining - 1
                decision.rateLimited = true
            } else if state.generator.chance(rule.rateLimitBurstRate) {
                state.burstRemaining[endpoint] = rule.rateLimitBurstLength - 1
                decision.rateLimited = true
            } else if state.generator.chance(rule.serverErrorRate) {
                decision.serverErrorStatus = [500, 502, 503].randomElement(using: &state.generator)
            } else if endpoint == .read, state.generator.chance(rule.notFoundRate) {
                decision.notFound = true
            } else if state.generator.chance(rule.lostAfterCommitRate) {
                decision.loseResponse = true
            } else if state.generator.chance(rule.serverErrorAfterCommitRate) {
                decision.serverErrorAfterCommit = true
            } else {
                decision.garble = state.generator.chance(rule.garbledResponseRate)
            }
            if decision.rateLimited { state.counters.injectedRateLimits += 1 }
            if decision.serverErrorStatus != nil { state.counters.injectedServerErrors += 1 }
            if decision.loseResponse { state.counters.lostResponses += 1 }
            if decision.serverErrorAfterCommit { state.counters.serverErrorsAfterCommit += 1 }
            if decision.garble { state.counters.garbledResponses += 1 }
            if decision.notFound { state.counters.injectedNotFound += 1 }
            return decision
        }
    }

    /// Replaces the fault plan (control plane); bursts under way end.
    func setRules(_ rules: [SimulatorEndpoint: FaultRule]) {
        state.withLock {
            $0.rules = rules
            $0.burstRemaining = [:]
        }
    }

    func counters() -> Counters { state.withLock { $0.counters } }
}
