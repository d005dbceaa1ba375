/// What becomes of the attempt a claim counted, once the attempt ended (the `attempt` column).
///
/// A claim increments `attempt` unless it only follows or looks up an operation (``ClaimedJob/attemptSpent``); the
/// write-back then keeps it, gives it back, or uses up every attempt left.
enum AttemptUse: String, Sendable {
    /// The attempt counts (or none was spent).
    case kept
    /// The attempt did nothing that should count (handed back, deferred, paused, rate limited): `attempt - 1`.
    case givenBack = "given_back"
    /// Every attempt is used up (`attempt = max_attempts`): from then on the job may only look its operation up.
    case exhausted

    /// ``givenBack`` when `job`'s claim spent an attempt, else ``kept``.
    static func givenBack(by job: ClaimedJob) -> AttemptUse { job.attemptSpent ? .givenBack : .kept }
}
