/// The caller a bearer token stands for.
struct Principal: Sendable, Hashable {
    let orgId: String
    let userId: String
    let tokenId: String
    let bearer: String
}
