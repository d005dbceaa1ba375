import DfnsSDK
import Foundation
import Logging

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
    /// Attempts used, this one included (a poll of a waiting job, or a look-up after the attempts ran out, does not count).
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
    /// The Dfns `externalId` this job uses when its payload names none (`external_id`): namespaced by the
    /// installation, stable across attempts, restarts and `retry()`; new only after Dfns reported the entity Failed
    /// or Rejected.
    public let derivedExternalId: String
    /// True when ``derivedExternalId`` comes from the job's `unique_key`: an earlier job of the same key, pruned since,
    /// may have used it at Dfns.
    public let externalIdFromKey: Bool
    /// What other jobs did to this job's Dfns entity (the `controls` column, written with ``JobRows/recordControl(on:_:)``),
    /// oldest first; nil when nothing was. Each entry is the recording kind's own shape (with `jobId` and `at`), read by
    /// the kinds that know it: the engine only keeps and shows them.
    public let controls: JSONValue?
    /// The Dfns end user the job acts for (`on_behalf_of`), who signs its write; nil for the worker's service account.
    public let onBehalfOf: String?
    /// The end user's signed challenge `dfns_worker.sign()` handed over, taken off the row by this claim.
    let signedChallenge: JSONValue?
    /// The end user's login kept while the job parked, sealed (``TokenSeal``).
    let sealedUserToken: [UInt8]?
    /// What Dfns may hold for the job before this attempt.
    public let dfnsEntity: DfnsEntity
    /// How long ago, on the database's clock, an earlier attempt ended without a definite answer; nil when none did.
    public let unknownOutcomeAge: Duration?
    /// True when this claim spent an attempt (not for a poll, nor for a look-up after the attempts ran out).
    let attemptSpent: Bool
    /// Consecutive HTTP 403s this job got while the credentials worked for other requests.
    let refusals: Int
    /// How long (database clock) every attempt or poll of the job has been failing; nil when the last one got an answer.
    let failingFor: Duration?

    init(
        id: Int64, queue: String, kind: String, payload: JSONValue, unreadablePayload: String?, attempt: Int, maxAttempts: Int,
        checkpoint: JSONValue?, requeues: Int, claimedFrom: JobState, leaseToken: UUID, derivedExternalId: String,
        dfnsEntity: DfnsEntity, unknownOutcomeAge: Duration?, attemptSpent: Bool, refusals: Int, failingFor: Duration?,
        externalIdFromKey: Bool = false, controls: JSONValue? = nil, onBehalfOf: String? = nil, signedChallenge: JSONValue? = nil,
        sealedUserToken: [UInt8]? = nil
    ) {
        self.onBehalfOf = onBehalfOf
        self.signedChallenge = signedChallenge
        self.sealedUserToken = sealedUserToken
        self.controls = controls
        self.externalIdFromKey = externalIdFromKey
        self.id = id
        self.queue = queue
        self.kind = kind
        self.payload = payload
        self.unreadablePayload = unreadablePayload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.checkpoint = checkpoint
        self.requeues = requeues
        self.claimedFrom = claimedFrom
        self.leaseToken = leaseToken
        self.derivedExternalId = derivedExternalId
        self.dfnsEntity = dfnsEntity
        self.unknownOutcomeAge = unknownOutcomeAge
        self.attemptSpent = attemptSpent
        self.refusals = refusals
        self.failingFor = failingFor
    }

    /// True when an earlier attempt may have reached Dfns with an unknown outcome, or an earlier job of the same
    /// `unique_key` may have used the externalId: the handler must find what was made before creating anything that
    /// Dfns does not deduplicate.
    public var mayHaveRunBefore: Bool { dfnsEntity == .unknown || (externalIdFromKey && dfnsEntity == .none) }

    /// True when the attempts ran out while Dfns may hold the operation: the handler may only look it up (and
    /// follow it when found, or fail proving nothing exists), never send it again.
    public var reconcileOnly: Bool { dfnsEntity == .unknown && !attemptSpent && claimedFrom != .waiting }

    /// `logger` with this job's `job.id`, `job.kind` and `job.attempt`.
    func logger(from logger: Logger) -> Logger {
        var logger = logger
        logger[metadataKey: "job.id"] = "\(id)"
        logger[metadataKey: "job.kind"] = "\(kind)"
        logger[metadataKey: "job.attempt"] = "\(attempt)"
        return logger
    }
}
