/// The Dfns entity a job made or follows, as its kind reports it in the attempt's outcome. The engine keeps it in
/// columns of its own (`jobs.dfns_id`, `jobs.dfns_parent_id`): a webhook event naming the entity wakes the job, the
/// console finds the job by either id, and another job reads it through ``JobRows``, all without reading the kind's
/// checkpoint or result.
public struct DfnsReference: Sendable, Hashable {
    /// The entity's Dfns id: a transfer (`xfr-…`), transaction (`tx-…`), signature (`sig-…`), wallet (`wa-…`).
    public let id: String
    /// What the entity lives under: its wallet (`wa-…`) or key (`key-…`); nil for one that lives under nothing else.
    public let parentId: String?

    public init(id: String, parentId: String? = nil) {
        self.id = id
        self.parentId = parentId
    }
}
