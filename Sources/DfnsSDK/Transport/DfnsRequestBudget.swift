/// A request budget shared beyond one client: every process that sends to the same Dfns organisation draws from it
/// (the worker's implementation hands out small grants through PostgreSQL).
///
/// Dfns limits the organisation, not the caller, so a per-process limiter alone lets a fleet send a multiple of the
/// limit and spend its time in 429 pauses. The client consults the budget after its own limiter, which stays an
/// upper bound for the process.
public protocol DfnsRequestBudget: Sendable {
    /// Waits until one more request may be sent.
    func acquire() async throws
    /// Dfns answered 429: hold every holder of the budget for `duration`.
    func pause(for duration: Duration)
}
