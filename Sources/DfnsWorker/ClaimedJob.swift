import DfnsSDK
import Foundation

/// A job this worker holds the lease of.
public struct ClaimedJob: Sendable, Identifiable {
    public let id: Int64
    public let queue: String
    public let kind: String
    /// The row's payload (always a JSON object: the database refuses anything else).
    public let payload: JSONValue
    /// Why the stored payload could not be read (e.g. nested deeper than the JSON parser allows); such a job fails
    /// with `invalid_payload` before its handler runs.
    let unreadablePayload: String?
    /// Attempts used, this one included (a poll of a waiting job does not count).
    public let attempt: Int
    public let maxAttempts: Int
    /// What the handler stored on earlier attempts, e.g. the Dfns id it is polling.
    public let checkpoint: JSONValue?
    /// How many times `dfns_worker.retry()` re-queued the job.
    public let requeues: Int
    /// The state the job was claimed from (`queued`, `retrying` or `waiting`).
    public let claimedFrom: JobState
    /// The lease; every write about the job must present it.
    public let leaseToken: UUID

    /// The Dfns `externalId` this job uses when its payload names none: stable across attempts and restarts,
    /// new after a manual `dfns_worker.retry()` (Dfns answers a replay of a failed transfer with the failure).
    public var derivedExternalId: String {
        requeues == 0 ? "dfns-worker-job-\(id)" : "dfns-worker-job-\(id)-r\(requeues)"
    }

    /// True when an earlier attempt may have reached Dfns with an unknown outcome: the handler should reconcile
    /// before creating anything that Dfns does not deduplicate.
    public var mayHaveRunBefore: Bool {
        attempt > 1 || checkpoint?["interrupted"] == .bool(true)
    }

    /// When an earlier attempt last ended without an answer (connection lost, a timeout, a shutdown or a dead
    /// worker): a request it sent may still be in progress at Dfns.
    public var unknownOutcomeAt: Date? {
        switch checkpoint?["unknownOutcomeAt"] {
        case .number(let seconds)?: Date(timeIntervalSince1970: seconds)
        case .integer(let seconds)?: Date(timeIntervalSince1970: Double(seconds))
        default: nil
        }
    }
}
