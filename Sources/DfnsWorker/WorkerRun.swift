import Logging

/// What the parts of one `run` or `drain` share: the store and configuration, the jobs held (``InFlightJobs``), the
/// write-back (``Completer``) and the rules it applies (``OutcomePolicy``), claim sizing, readiness, metrics, and the
/// wake-up of the ``JobSource``. Made once per run by ``Worker``.
struct WorkerRun: Sendable {
    let store: JobStore
    let configuration: WorkerConfiguration
    /// The jobs held, buffered or running, with their leases and stops.
    let inFlight: InFlightJobs
    /// Where every outcome and hand-back goes.
    let completer: Completer
    let policy: OutcomePolicy
    /// Measures job durations (the processor) and sizes claims from them (the source).
    let pace: ClaimPace
    /// Readiness, as the parts learn it.
    let health: HealthBoard
    let metrics: WorkerMetrics?
    let logger: Logger
    /// Wakes the source: a finished job, a NOTIFY, the poll, a rescue.
    let wake: AsyncStream<Void>.Continuation
}
