/// The caller a bearer token stands for.
struct Principal: Sendable, Hashable {
    let orgId: String
    let userId: String
    let tokenId: String
    let bearer: String
    /// An end user's login (their own, a delegated one, the one their registration answered): it reaches only the
    /// wallets delegated to them (Dfns's default end-user access, dfns-auth.md §0 and §4).
    var isEndUser = false
}
