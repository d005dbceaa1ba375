/// How long finished jobs (and received webhook events) are kept, and how they are pruned. Defaults keep a week of
/// succeeded jobs and a month of failed and cancelled ones: long enough to answer "what happened to job N" in an
/// incident review, short enough that the table stops growing.
public struct RetentionPolicy: Sendable, Equatable {
    /// Age (since `finished_at`) after which a succeeded job is pruned; nil keeps them. Default 7 days.
    public var succeeded: Duration? = .seconds(7 * 86_400)
    /// Same for failed jobs. Default 30 days.
    public var failed: Duration? = .seconds(30 * 86_400)
    /// Same for cancelled jobs. Default 30 days.
    public var cancelled: Duration? = .seconds(30 * 86_400)
    /// Age after which received webhook events are forgotten. Default 2 days; at least 1 day (Dfns redelivers for a
    /// day, and a forgotten event would be accepted again).
    public var webhookEvents: Duration = .seconds(2 * 86_400)
    /// Rows per statement: each batch is its own short transaction. Default 1000.
    public var batchSize = 1000
    /// Pause between two batches, so pruning a backlog takes a little of the database at a time (at the defaults
    /// up to 10,000 rows a second, 860 million a day). Default 100 ms.
    public var pauseBetweenBatches: Duration = .milliseconds(100)
    /// Move pruned jobs to `dfns_worker.jobs_archive` instead of deleting them. Default false.
    public var archive = false
    /// How often a `run` worker prunes (one worker of the database at a time). Default 10 minutes.
    public var interval: Duration = .seconds(600)

    public init() {}

    /// The ages by final state, for the states that are pruned.
    var ages: [(state: JobState, age: Duration)] {
        [(JobState.succeeded, succeeded), (.failed, failed), (.cancelled, cancelled)].compactMap { state, age in age.map { (state, $0) } }
    }
}
