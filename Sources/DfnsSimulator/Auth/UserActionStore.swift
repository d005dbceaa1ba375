import Synchronization

/// The state of the user-action flow: challenges `/auth/action/init` handed out, the single-use user-action tokens
/// `/auth/action` minted from them, and how many signatures failed (`/_sim/stats`). Signatures are checked outside
/// (``UserActionVerifier``); expired entries are pruned once the tables grow.
final class UserActionStore: Sendable {
    /// A challenge handed out by `/auth/action/init`.
    private struct Challenge {
        let challenge: String
        let principal: Principal
        let method: String
        let path: String
        let payload: String
        let expiresAt: ContinuousClock.Instant
    }

    /// A user-action token minted by `/auth/action`.
    private struct UserAction {
        let principal: Principal
        let method: String
        let path: String
        let payload: String
        let expiresAt: ContinuousClock.Instant
        var used = false
    }

    private struct State {
        var generator: SplitMix64
        var challenges: [String: Challenge] = [:]
        var userActions: [String: UserAction] = [:]
        var lastPrune = ContinuousClock.now
        var signatureFailures = 0

        /// Drops expired challenges and user actions once the tables grow, so a long benchmark keeps memory flat.
        mutating func prune() {
            let now = ContinuousClock.now
            guard challenges.count + userActions.count > 50_000, lastPrune.duration(to: now) > .seconds(10) else { return }
            lastPrune = now
            challenges = challenges.filter { $0.value.expiresAt > now }
            userActions = userActions.filter { $0.value.expiresAt > now }
        }
    }

    private let configuration: SimulatorConfiguration
    private let state: Mutex<State>

    init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        state = Mutex(State(generator: SplitMix64(seed: configuration.seed ^ 0xAC71_0115)))
    }

    /// Stores a new challenge for `method path payload` and returns it with its identifier.
    func issueChallenge(principal: Principal, method: String, path: String, payload: String) -> (challenge: String, identifier: String) {
        state.withLock { state in
            let challenge = Base64Text.url(Array(state.generator.string(64, from: Array("0123456789abcdef")).utf8))
            let identifier = state.generator.dfnsId("ch-") + "." + state.generator.string(24, from: Self.tokenAlphabet)
            state.challenges[identifier] = Challenge(
                challenge: challenge, principal: principal, method: method, path: path, payload: payload,
                expiresAt: .now.advanced(by: configuration.userActionLifetime)
            )
            state.prune()
            return (challenge, identifier)
        }
    }

    /// The challenge string for an identifier issued to `principal`, if still valid (not consumed).
    func pendingChallenge(_ identifier: String, principal: Principal) -> String? {
        state.withLock { state in
            guard let challenge = state.challenges[identifier], challenge.principal == principal,
                challenge.expiresAt > .now
            else { return nil }
            return challenge.challenge
        }
    }

    /// What a consumed challenge signed, and the single-use user-action token minted for it.
    struct SignedAction: Sendable {
        let token: String
        let method: String
        let path: String
        let payload: String
    }

    /// Consumes the challenge and mints a single-use user-action token bound to its request.
    func consumeChallenge(_ identifier: String, principal: Principal) throws(APIError) -> SignedAction {
        try state.withLock { (state) throws(APIError) -> SignedAction in
            guard let challenge = state.challenges.removeValue(forKey: identifier), challenge.principal == principal else {
                throw APIError.challengeInvalid
            }
            let token = "ua-" + state.generator.string(43, from: Self.tokenAlphabet)
            state.userActions[token] = UserAction(
                principal: principal, method: challenge.method, path: challenge.path, payload: challenge.payload,
                expiresAt: .now.advanced(by: configuration.userActionLifetime)
            )
            return SignedAction(token: token, method: challenge.method, path: challenge.path, payload: challenge.payload)
        }
    }

    func recordSignatureFailure() { state.withLock { $0.signatureFailures += 1 } }

    /// Signatures refused so far.
    var signatureFailures: Int { state.withLock { $0.signatureFailures } }

    /// Checks and consumes the user action of a signed request. The token is spent even if the operation then fails.
    func consumeUserAction(_ token: String?, principal: Principal, method: String, path: String, body: [UInt8]) throws(APIError) {
        guard let token else { throw APIError.userActionInvalid }
        let bound: UserAction = try state.withLock { (state) throws(APIError) -> UserAction in
            guard var action = state.userActions[token], action.principal == principal, action.expiresAt > .now else {
                throw APIError.userActionInvalid
            }
            guard !action.used else { throw APIError.userActionUsed }
            action.used = true
            state.userActions[token] = action
            return action
        }
        guard bound.method == method, bound.path == path, payloadMatches(bound.payload, body) else {
            throw APIError.userActionInvalid
        }
    }

    private func payloadMatches(_ payload: String, _ body: [UInt8]) -> Bool {
        // Compared as JSON, with "", "{}" and no body alike (dfns-api.md §2.5): a request without a body is signed with
        // the payload "" (dfns-sdk 1.0.4 `_get_user_action_token`, dfns-sdk-go `createUserActionChallenge`), and
        // dfns-sdk 1.0.4 also signs "" for an empty object it then sends as `{}`.
        if configuration.strictPayloadMatch { return Array(payload.utf8) == body }
        guard let signed = SimulatorJSON.canonical(Array(payload.utf8)), let sent = SimulatorJSON.canonical(body) else {
            return false
        }
        return signed == sent
    }

    private static let tokenAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
