import DfnsSDK

/// What a job kind may read and write of another job's row: the Dfns entity it follows, and a record of what was done
/// to that entity. Implemented by ``JobStore``.
public protocol JobRows: Sendable {
    /// Job `id`, or nil when there is none.
    func job(_ id: Int64) async throws -> JobRow?
    /// Appends `entry` (what the calling job did to job `id`'s Dfns entity, in the calling kind's own shape, with its
    /// `jobId` and `at`) to the job's `controls` and, when it is waiting, makes it due now so it records the entity's new
    /// status at once. The engine keeps and shows entries; only the kinds that know a shape read it
    /// (``ClaimedJob/controls``).
    func recordControl(on id: Int64, _ entry: JSONValue) async throws
}

/// Another job, as ``JobRows`` shows it.
public struct JobRow: Sendable {
    public let id: Int64
    public let kind: String
    public let state: JobState
    /// The Dfns entity the job made or follows (its ``DfnsReference``), nil before it submitted anything.
    public let entityId: String?
    /// What that entity lives under (its wallet or key).
    public let walletId: String?

    public init(id: Int64, kind: String, state: JobState, entityId: String?, walletId: String?) {
        self.id = id
        self.kind = kind
        self.state = state
        self.entityId = entityId
        self.walletId = walletId
    }
}
