/// How long a 429 from Dfns makes anyone wait: the client that got it (its transport pauses every request of the
/// process), the worker's job that got it (due again after this wait, its attempt given back) and a fleet sharing one
/// budget (the shared pause). One policy, so the three can never disagree.
///
/// Dfns limits an organisation's requests per minute (docs.dfns.co "Rate limits": 100 a minute on trial, 1,000
/// otherwise; dfns-api §8), so no wait longer than a minute is ever needed: a longer `Retry-After` (an hour, a day,
/// `1e300`, a date years away) is read as ``longestWait`` rather than stalling every job of the process behind one
/// header.
public enum RateLimitPolicy {
    /// The longest wait a 429 can impose: 60 s, one window of Dfns's per-minute limit.
    public static let longestWait: Duration = .seconds(60)

    /// The wait after a 429 whose `Retry-After` is missing or unreadable: 1 s.
    public static let defaultWait: Duration = .seconds(1)

    /// The wait a 429 with `retryAfter` (as ``DfnsError/retryAfter`` holds it) imposes.
    public static func wait(retryAfter: Duration?) -> Duration {
        min(retryAfter ?? defaultWait, longestWait)
    }
}
