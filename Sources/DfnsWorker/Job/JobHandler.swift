import DfnsSDK
import Logging

/// Runs one kind of job. Register conforming types with ``JobRegistry``; the engine knows no kind by itself.
///
/// Throw ``JobFailure`` for a permanent failure (e.g. ``JobFailure/invalidPayload(_:)``), or let a ``DfnsError``
/// propagate: the engine decides retries on its code. Return ``JobOutcome/waiting(checkpoint:pollAfter:snapshot:)``
/// to be called again later without spending an attempt.
public protocol JobHandler: Sendable {
    /// The `kind` column value, e.g. `create_wallet`: lowercase letters, digits and `_`.
    var kind: String { get }

    /// Processes one claimed job.
    func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome
}

/// What a handler may use while it runs.
public struct JobContext: Sendable {
    /// The process-wide Dfns client (one rate limiter, one signer).
    public let dfns: DfnsGateway
    /// A logger carrying `job.id`, `job.kind` and `job.attempt`, made when asked for (most attempts never log).
    public var logger: Logger {
        guard let job else { return baseLogger }
        return job.logger(from: baseLogger)
    }
    private let baseLogger: Logger
    private let job: ClaimedJob?
    /// How long after an attempt ended without an answer a request it sent may still be in progress at Dfns: the
    /// lease plus the job timeout (a worker that lost its lease stops its jobs before the lease expires, and no
    /// attempt runs longer than the timeout). Compare it with ``ClaimedJob/unknownOutcomeAge``.
    public let settleWindow: Duration
    /// When to read a submitted operation again (``WorkerConfiguration/polls``).
    public let polls: PollSchedule
    /// Other jobs' rows, for a kind that acts on what another job made (`transfer_control`); nil outside the engine.
    public let jobs: (any JobRows)?

    public init(dfns: DfnsGateway, logger: Logger, settleWindow: Duration, polls: PollSchedule = .pollingOnly, jobs: (any JobRows)? = nil) {
        self.dfns = dfns
        self.baseLogger = logger
        self.job = nil
        self.settleWindow = settleWindow
        self.polls = polls
        self.jobs = jobs
    }

    /// Sends a write of this job's operation as the identity the job acts for: the worker's service account, or the
    /// end user of `on_behalf_of` (``EndUserSigning``), whose signature the job may have to wait for. Reads go through
    /// ``dfns`` (the service account reads for every job).
    /// - Throws: ``UserSignatureRequired`` (let it propagate: the job waits for the user), ``JobFailure``, ``DfnsError``.
    public func send<Response>(_ request: DfnsRequest<Response>) async throws -> Response {
        guard let job else { return try await dfns.call { try await $0.send(request) } }
        return try await dfns.send(request, for: job)
    }

    /// The context of one claimed job: its logger gets the job's metadata.
    init(dfns: DfnsGateway, job: ClaimedJob, logger: Logger, settleWindow: Duration, polls: PollSchedule, jobs: any JobRows) {
        self.dfns = dfns
        self.baseLogger = logger
        self.job = job
        self.settleWindow = settleWindow
        self.polls = polls
        self.jobs = jobs
    }
}

/// How a job attempt ended, when it did not throw. A kind names the Dfns entity it made or follows in
/// ``DfnsReference``: the engine keeps it, wakes the job on webhook events about it, and shows it.
public enum JobOutcome: Sendable {
    /// Done: `result` is stored (the Dfns entity as returned), and `reference` when the job made or followed one.
    case succeeded(result: JobResult, reference: DfnsReference? = nil)
    /// Submitted and not final yet: poll again after `pollAfter`, keeping `checkpoint` (the kind's own, read by no one
    /// else); `snapshot` (the latest entity) is stored in `result` meanwhile. `reference` is what the job waits on:
    /// a webhook event naming it makes the job due at once (nil: only the poll does).
    case waiting(checkpoint: JSONValue, pollAfter: Duration, snapshot: JobResult?, reference: DfnsReference?)
    /// Nothing done and nothing wrong, but too early to act (e.g. an earlier request may still be in progress at
    /// Dfns): run again after `after`, in the same state, giving back the attempt this run spent.
    case deferred(after: Duration)
}

/// A permanent job failure with a stable code, e.g. `invalid_payload`.
///
/// A failure ends the job only when nothing at Dfns can still move: while Dfns holds (or may hold) the job's
/// entity, the engine keeps following it unless the failure is Dfns's own verdict (``rejectedByDfns(code:message:entity:reference:)``)
/// or proves nothing was created (``nothingCreated(code:message:)``).
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public let code: FailureCode
    public let message: String
    /// The entity Dfns returned, when the failure is Dfns's verdict (a Failed or Rejected transfer).
    public let result: JobResult?
    /// What the failure proves about Dfns: `.failed` (its verdict), `.none` (nothing of this job exists there), or
    /// nil (nothing).
    public let entity: DfnsEntity?
    /// The entity the verdict is about, kept by the engine as a successful outcome's is.
    public let reference: DfnsReference?

    public init(code: FailureCode, message: String, result: JobResult? = nil, entity: DfnsEntity? = nil, reference: DfnsReference? = nil) {
        self.code = code
        self.message = message
        self.result = result
        self.entity = entity
        self.reference = reference
    }

    /// The payload is unusable; `message` names the field. (It proves nothing about earlier attempts: a payload an
    /// older version sent may fail a stricter check now.)
    public static func invalidPayload(_ message: String) -> JobFailure {
        JobFailure(code: .invalidPayload, message: message)
    }

    /// Dfns reported the job's entity `Failed` or `Rejected`: it will never move.
    public static func rejectedByDfns(code: FailureCode, message: String, entity: JobResult, reference: DfnsReference?) -> JobFailure {
        JobFailure(code: code, message: message, result: entity, entity: .failed, reference: reference)
    }

    /// Dfns's final verdict on an entity that must keep its externalId: `retry()` will replay it, never re-key it (a
    /// replaced transfer whose replacement may have made the payment).
    public static func finalKeepingEntity(code: FailureCode, message: String, entity: JobResult, reference: DfnsReference?) -> JobFailure {
        JobFailure(code: code, message: message, result: entity, entity: .exists, reference: reference)
    }

    /// The job failed and Dfns holds nothing of it (e.g. a look-up after the settle window found nothing).
    public static func nothingCreated(code: FailureCode, message: String) -> JobFailure {
        JobFailure(code: code, message: message, entity: DfnsEntity.none)
    }

    public var description: String { "\(code): \(message)" }
}
