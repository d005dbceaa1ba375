import DfnsSDK

/// The `last_error.code` of a job: one registry for rows, logs (`job.error_code`) and metrics
/// (`dfns_worker_attempt_errors_total{code}`), snake_case. Handlers may add their own (`"my_check_failed"`).
public struct FailureCode: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    /// The payload is unusable for its kind; the message names the field. Nothing was sent.
    public static let invalidPayload: FailureCode = "invalid_payload"
    /// No handler is registered for the job's kind in this worker.
    public static let unknownKind: FailureCode = "unknown_kind"
    /// The attempt ran longer than the job timeout and was abandoned.
    public static let jobTimeout: FailureCode = "job_timeout"
    /// The worker holding the job stopped renewing its lease (written by the rescue, in SQL).
    public static let leaseExpired: FailureCode = "lease_expired"
    /// Dfns reported the transfer `Failed` (its reason in the message).
    public static let dfnsFailed: FailureCode = "dfns_failed"
    /// Dfns, or an approver, `Rejected` the transfer.
    public static let dfnsRejected: FailureCode = "dfns_rejected"
    /// Dfns reports the entity `Failed` because a replacement with its nonce (a cancel or a speed-up nobody recorded on
    /// the job) was mined: final, but whether the payment was made depends on which it was, so `retry()` keeps the
    /// externalId (a replay returns the same entity) instead of sending a new operation.
    public static let dfnsReplaced: FailureCode = "dfns_replaced"
    /// The attempts ran out after unknown outcomes, and Dfns shows nothing was created.
    public static let attemptsExhausted: FailureCode = "attempts_exhausted"
    /// PostgreSQL refused the outcome; it was recorded without its result and checkpoint.
    public static let writeRefused: FailureCode = "write_refused"
    /// A handler failed with an error that is not a Dfns answer.
    public static let `internal`: FailureCode = "internal"
    /// The externalId is bound to another body or wallet at Dfns (409).
    public static let conflict: FailureCode = "conflict"
    /// Dfns refused the operation (403), e.g. a missing permission.
    public static let forbidden: FailureCode = "forbidden"
    /// The end user did not sign the job's challenge before its deadline (`signature_deadline`); nothing was sent, and
    /// `retry()` asks for a new challenge.
    public static let signatureTimeout: FailureCode = "signature_timeout"
    /// Dfns refused the end user's signed challenge (a signature or client data that does not verify, a challenge
    /// spent or expired, a login that ended): nothing was sent; `retry()` asks for a new challenge.
    public static let signatureRefused: FailureCode = "signature_refused"
    /// The job's `on_behalf_of` names no Dfns user, or one the worker's service account may not log in (not an end
    /// user, deactivated, or a missing `Auth:Login:Delegated` permission): nothing was sent.
    public static let endUserLoginRefused: FailureCode = "end_user_login_refused"
    /// The job acts for an end user, but the worker has no seal key (`DFNS_WORKER_SEAL_KEY`) to keep their login, or
    /// another worker's key sealed it: nothing was sent.
    public static let endUsersNotConfigured: FailureCode = "end_users_not_configured"

    /// The code of a Dfns error: `rate_limited`, `server_error`, `not_found`, or the SDK code as is
    /// (`transport`, `timeout`, `unauthorized`, `forbidden`, `conflict`, `validation`, `decoding`, `signing`).
    public init(_ error: DfnsError) {
        switch error.code {
        case .rateLimited: self = "rate_limited"
        case .server: self = "server_error"
        case .notFound: self = "not_found"
        default: self.init(rawValue: "\(error.code)")
        }
    }

    public var description: String { rawValue }
}
