import DfnsSDK
import Synchronization

/// Sizes claims from how long jobs take: a claim holds about `claimAhead` of work for all slots, between
/// `concurrency` and `claimBatchSize` jobs. No-op jobs get claims of a thousand; Dfns calls of ~50 ms at concurrency
/// 16 get ~64; jobs of seconds get one slot's worth, leaving the rest to other workers.
final class ClaimPace: Sendable {
    private let concurrency: Int
    private let maximum: Int
    private let ahead: Double
    /// Exponential moving average of job duration, in seconds; nil until a job finished.
    private let average = Mutex<Double?>(nil)

    init(configuration: WorkerConfiguration) {
        concurrency = max(1, configuration.concurrency)
        maximum = max(concurrency, configuration.claimBatchSize)
        ahead = configuration.claimAhead.seconds
    }

    func record(_ duration: Duration) {
        let seconds = duration.seconds
        average.withLock { $0 = $0.map { $0 * 0.9 + seconds * 0.1 } ?? seconds }
    }

    /// Jobs to hold (buffered and not started) after the next claim.
    var claimSize: Int {
        guard let average = average.withLock({ $0 }) else { return concurrency }
        let jobs = Double(concurrency) * ahead / max(average, 1e-6)
        return Int(min(Double(maximum), max(Double(concurrency), jobs.rounded())))
    }
}
