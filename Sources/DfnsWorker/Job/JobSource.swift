import Logging

/// The jobs a worker may start, as an AsyncSequence over PostgreSQL.
///
/// It claims ahead of free slots (``ClaimBuffer``, sized by ``ClaimPace``) and yields a job only when a slot is free,
/// so the consumer's concurrency is bounded by the source. With nothing to yield it waits for a wake-up (NOTIFY, the
/// poll, a finished job, a rescue; see ``WakeUps`` and ``LeaseKeeper``). It ends — handing its unstarted jobs back,
/// attempts unspent — when the worker stops or is cancelled, when a limit is reached, when ``admission`` says so, or,
/// for a drain, when nothing is due, buffered or running.
struct JobSource: AsyncSequence, Sendable {
    typealias Element = ClaimedJob

    /// When a source ends on its own.
    struct Limits: Sendable {
        /// Most jobs to yield; nil for no limit.
        var maxJobs: Int?
        /// No job is yielded after this.
        var deadline: ContinuousClock.Instant?
        /// End once nothing is due, buffered or running (a drain); otherwise wait for more (a daemon).
        var endsWhenIdle: Bool
    }

    /// Whether jobs may start now, asked before each one.
    enum Admission: Sendable {
        case open
        /// Hand the buffer back and wait: for `retryAfter`, or for the next wake-up when nil.
        case hold(retryAfter: Duration?)
        /// Hand the buffer back and end.
        case end
    }

    let store: JobStore
    let configuration: WorkerConfiguration
    /// The jobs held, buffered or running, with their leases and stops.
    let inFlight: InFlightJobs
    /// Where every outcome and hand-back goes.
    let completer: Completer
    /// Readiness, as the parts learn it.
    let health: HealthBoard
    let logger: Logger
    /// The claims and the jobs claimed ahead; each iteration starts from this (empty) one.
    let buffer: ClaimBuffer
    let kinds: [String]
    let limits: Limits
    let wakes: AsyncStream<Void>
    /// True once the worker was asked to stop.
    let isStopping: @Sendable () -> Bool
    /// Asked before each job with whether no job is running (e.g. the auth pause: hold, probe when idle).
    let admission: @Sendable (_ idle: Bool) async -> Admission

    func makeAsyncIterator() -> Iterator {
        Iterator(source: self, buffer: buffer, wakes: wakes.makeAsyncIterator())
    }

    struct Iterator: AsyncIteratorProtocol {
        let source: JobSource
        var buffer: ClaimBuffer
        var wakes: AsyncStream<Void>.Iterator
        var yielded = 0

        mutating func next() async -> ClaimedJob? {
            while true {
                if Task.isCancelled || source.isStopping() || limitReached {
                    return await end()
                }
                switch await source.admission(source.inFlight.count == buffer.count) {
                case .open:
                    break
                case .end:
                    return await end()
                case .hold(let retryAfter):
                    await buffer.handBack()
                    if let retryAfter { try? await Task.sleep(for: retryAfter) } else { _ = await wakes.next() }
                    continue
                }
                if let job = buffer.nextToStart() {
                    yielded += 1
                    return job
                }
                do {
                    if let claimed = try await buffer.refill(limit: source.limits.maxJobs.map { $0 - yielded }) {
                        source.health.update { $0.databaseReachable = true }
                        if claimed > 0 { continue }
                    }
                } catch let error where JobStore.schemaRefusal(error) != nil {
                    // A newer release migrated the schema under a rule this binary does not know: claim nothing more,
                    // let the running jobs finish, and stop (the worker's run ends with this error).
                    let refusal = JobStore.schemaRefusal(error)!
                    source.health.update { $0.schemaRefusal = refusal }
                    source.logger.critical("the schema refuses this binary; stopping", metadata: ["db.error": "\(refusal)"])
                    return await end()
                } catch {
                    source.health.update { $0.databaseReachable = false }
                    source.logger.error("claiming jobs failed", metadata: ["db.error": "\(String(reflecting: error))"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                if source.limits.endsWhenIdle, buffer.isEmpty, source.inFlight.count == 0 {
                    // Outcomes written may have made jobs due again (a hand-back, a zero delay): look once more.
                    await source.completer.waitUntilIdle()
                    if (try? await source.store.hasDueJobs(queues: source.configuration.queues, kinds: source.kinds)) == true { continue }
                    return nil
                }
                _ = await wakes.next()
            }
        }

        private var limitReached: Bool {
            (source.limits.maxJobs.map { yielded >= $0 } ?? false) || (source.limits.deadline.map { ContinuousClock.now >= $0 } ?? false)
        }

        private mutating func end() async -> ClaimedJob? {
            await buffer.handBack()
            return nil
        }
    }
}
