import DfnsSDK
import Foundation

/// How a claimed job is written back.
public struct JobCompletion: Sendable {
    public let jobId: Int64
    let leaseToken: UUID
    /// The job's queue and kind, for the outcome counts (``OutcomeCounter``).
    let queue: String
    let kind: String
    let state: JobState
    /// JSON text, or nil to keep the column.
    private(set) var result: String?
    private(set) var error: String?
    private(set) var checkpoint: String?
    /// Delay until due again (retrying, waiting, handed back); nil keeps `run_at`.
    let delay: Duration?
    /// What becomes of the attempt the claim counted.
    var attemptUse: AttemptUse
    /// The job's attempt number, for an error recorded later (a refused write).
    var attempt = 0
    /// What Dfns may hold afterwards; nil keeps `dfns_entity`. `.unknown` also stamps `outcome_unknown_at`.
    var entity: DfnsEntity?
    /// The entity the job made or follows; nil keeps `dfns_id` and `dfns_parent_id`.
    var reference: DfnsReference?
    /// True starts (or continues) a run of failures (`failing_since`), false ends it, nil keeps it.
    var failing: Bool?
    /// True counts one more HTTP 403 for the job (`refusals`), false resets the count, nil keeps it.
    var refused: Bool?
    /// The `last_error.code` recorded, for logs and metrics.
    var errorCode: FailureCode?
    /// True when the job goes back unfinished (shutdown, lease lost, never started).
    var handedBack = false
    /// What becomes of the end-user columns (`user_challenge`, `user_token`, `signature_deadline`, `signed_challenge`).
    var userSignature = UserSignature.cleared

    /// The end-user columns after an attempt.
    enum UserSignature: Sendable {
        /// Cleared: the login and challenge served the attempt (or the job never had them).
        case cleared
        /// The job parks in `awaiting_signature` with Dfns's challenge (JSON text) and the user's sealed login.
        case parked(challenge: String, sealedToken: [UInt8])
        /// Kept, with the signed challenge the claim took put back (JSON text; nil when none): the job never started.
        case kept(signedChallenge: String?)

        /// The `user_op` of the outcome statement: `park`, `keep` or `` (clear).
        var operation: String {
            switch self {
            case .cleared: ""
            case .parked: "park"
            case .kept: "keep"
            }
        }

        /// The columns' values for the outcome statement, `` for none.
        var challenge: String {
            guard case .parked(let challenge, _) = self else { return "" }
            return challenge
        }
        var sealedTokenBase64: String {
            guard case .parked(_, let sealed) = self else { return "" }
            return Data(sealed).base64EncodedString()
        }
        var signedChallenge: String {
            guard case .kept(let signed?) = self else { return "" }
            return signed
        }
    }

    /// How ``OutcomeCounter`` counts it: a job done (`succeeded`, `failed`), an attempt failed with another to
    /// come (`retried`), or not at all (a poll, a job handed back).
    var countedOutcome: String {
        switch state {
        case .succeeded, .failed: state.rawValue
        case .retrying where !handedBack && error != nil: "retried"
        default: ""
        }
    }

    init(job: ClaimedJob, state: JobState, result: String?, error: String?, checkpoint: String?, delay: Duration?, attemptUse: AttemptUse) {
        jobId = job.id
        leaseToken = job.leaseToken
        queue = job.queue
        kind = job.kind
        attempt = job.attempt
        self.state = state
        self.result = result
        self.error = error
        self.checkpoint = checkpoint
        self.delay = delay
        self.attemptUse = attemptUse
    }

    /// A plain outcome for `job` (state and result), for tools that drive the store directly.
    public init(job: ClaimedJob, state: JobState, result: String? = nil) {
        self.init(job: job, state: state, result: result, error: nil, checkpoint: nil, delay: nil, attemptUse: .kept)
    }

    /// This outcome without its result and checkpoint, carrying `error` instead: what is written when PostgreSQL
    /// refused the outcome itself, so the row still records what happened and releases its lease.
    func replacingContent(error: String, code: FailureCode) -> JobCompletion {
        var replaced = self
        replaced.result = nil
        replaced.checkpoint = nil
        replaced.error = error
        replaced.errorCode = code
        return replaced
    }
}
