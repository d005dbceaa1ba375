import DfnsSDK

/// A write waiting for the user's passkey: Dfns's challenge for it (started with the user's token) and how to finish
/// it once signed. Adding a kind of write (a transfer) is one more of these; a write the worker carries out keeps its
/// challenge in its job's row instead (``ParkedJobs``).
struct PendingUserAction: Sendable {
    /// What the user is asked to approve, shown on the page.
    let summary: String
    /// Dfns's challenge; its identifier never leaves the server.
    let challenge: UserActionChallenge
    /// After this the page is told to start again (Dfns documents no lifetime for a challenge; it is single-use).
    let expiresAt: ContinuousClock.Instant
    /// Sends the write with the signed challenge; answers what Dfns made.
    let complete: @Sendable (SignedChallenge) async throws -> JSONValue

    /// How long a page may take to have the user sign.
    static let lifetime = Duration.seconds(300)
}
