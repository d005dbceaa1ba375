import Foundation
import Synchronization

/// Who a bearer token stands for: one organisation and one user, a principal per configured token, or the principal
/// of a token the organisation made (``AccountStore``: personal access tokens, service accounts); the tokens the
/// control plane revoked; and how many requests were refused for want of a valid token (`/_sim/stats`).
final class PrincipalStore: Sendable {
    private struct State {
        /// Bearer tokens revoked through the control plane: answered 401 as Dfns does for a revoked token.
        var revokedBearers: Set<String> = []
        var unauthorized = 0
    }

    /// The organisation every token belongs to.
    let orgId: String
    /// The user the configured tokens stand for.
    let userId: String
    private let principals: [String: Principal]
    private let accounts: AccountStore
    private let state = Mutex(State())

    /// The ids are the first draws of the configured seed, as they were before the stores were split, so a seed
    /// keeps naming its organisation, user and tokens the same way.
    init(configuration: SimulatorConfiguration, accounts: AccountStore) {
        self.accounts = accounts
        var generator = SplitMix64(seed: configuration.seed)
        let orgId = generator.dfnsId("or-")
        let userId = generator.dfnsId("us-")
        var principals: [String: Principal] = [:]
        for token in configuration.authTokens {
            principals[token] = Principal(orgId: orgId, userId: userId, tokenId: generator.dfnsId("to-"), bearer: token)
        }
        self.orgId = orgId
        self.userId = userId
        self.principals = principals
        // The configured tokens' user, as `/auth/users` shows it.
        try? accounts.add(
            AccountStore.User(
                userId: userId, orgId: orgId, username: "admin@\(orgId).simulator.dfns", kind: "CustomerEmployee",
                credentialUuid: accounts.newId("cr-"), dateCreated: Date(), isRegistered: true))
    }

    /// The principal of a bearer token; counts refusals unless `counting` is false (a public route).
    func principal(bearer: String?, counting: Bool = true) -> Principal? {
        state.withLock { state in
            guard let bearer, !state.revokedBearers.contains(bearer), let principal = principals[bearer] ?? accounts.principal(bearer: bearer) else {
                if counting { state.unauthorized += 1 }
                return nil
            }
            return principal
        }
    }

    /// Replaces the set of revoked bearer tokens (control plane); an empty set restores every token.
    func setRevokedBearers(_ bearers: Set<String>) {
        state.withLock { $0.revokedBearers = bearers }
    }

    /// The principal of the organisation, for control-plane operations that act as one of its applications.
    var anyPrincipal: Principal? { principals.values.first }

    /// Requests refused with 401 so far.
    var unauthorized: Int { state.withLock { $0.unauthorized } }
}
