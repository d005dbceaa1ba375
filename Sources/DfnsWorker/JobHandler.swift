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
    /// A logger carrying `job.id`, `job.kind` and `job.attempt`.
    public let logger: Logger

    public init(dfns: DfnsGateway, logger: Logger) {
        self.dfns = dfns
        self.logger = logger
    }
}

/// How a job attempt ended, when it did not throw.
public enum JobOutcome: Sendable {
    /// Done: `result` is stored (the Dfns entity as returned).
    case succeeded(result: JSONValue)
    /// Submitted and not final yet: poll again after `pollAfter`, keeping `checkpoint`; `snapshot` (the latest
    /// entity) is stored in `result` meanwhile.
    case waiting(checkpoint: JSONValue, pollAfter: Duration, snapshot: JSONValue?)
    /// Nothing done and nothing wrong, but too early to act (e.g. an earlier request may still be in progress at
    /// Dfns): run again after `after`, in the same state, giving back the attempt this run spent.
    case deferred(after: Duration)
}

/// A permanent job failure with a stable code, e.g. `invalid_payload`.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    /// The entity Dfns returned, when the failure is Dfns's verdict (a Failed or Rejected transfer).
    public let result: JSONValue?

    public init(code: String, message: String, result: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.result = result
    }

    /// The payload is unusable; `message` names the field.
    public static func invalidPayload(_ message: String) -> JobFailure {
        JobFailure(code: "invalid_payload", message: message)
    }

    public var description: String { "\(code): \(message)" }
}
