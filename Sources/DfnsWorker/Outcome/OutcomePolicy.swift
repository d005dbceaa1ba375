import DfnsSDK
import Foundation

/// Turns how an attempt ended into the row's next state, deciding on typed errors only, by the rules of
/// RELIABILITY.md ("The state machine"): an operation is never sent twice, and a row never says `failed` while Dfns
/// holds, or may hold, an entity that can still move.
///
/// - Dfns accepted it (`exists`): errors keep the job `waiting` and polling, spending nothing; only Dfns's verdict
///   (`Failed`/`Rejected`) fails it.
/// - A request may have reached Dfns without an answer (`unknown`): attempts are spent as usual, but when they run
///   out the job keeps looking the operation up (spending nothing) instead of failing, until it finds it or proves
///   nothing exists.
/// - Nothing can exist (`none`): retryable errors retry with backoff until the attempts run out, others fail.
struct OutcomePolicy: Sendable {
    let configuration: WorkerConfiguration

    func completion(for job: ClaimedJob, outcome: JobOutcome) -> JobCompletion {
        switch outcome {
        case .succeeded(let result, let reference):
            var succeeded = completion(job, .succeeded, result: StorableJSON.text(result))
            succeeded.reference = reference
            succeeded.entity = .exists
            succeeded.failing = false
            succeeded.refused = false
            return succeeded
        case .waiting(let checkpoint, let pollAfter, let snapshot, let reference):
            var waiting = completion(
                job, .waiting, result: snapshot.map(StorableJSON.text), checkpoint: StorableJSON.text(checkpoint), delay: pollAfter
            )
            waiting.reference = reference
            waiting.entity = .exists
            waiting.failing = false
            waiting.refused = false
            return waiting
        case .deferred(let after):
            return completion(job, job.claimedFrom == .waiting ? .waiting : .retrying, delay: after, attemptUse: .givenBack(by: job))
        }
    }

    /// A job claimed but never started, given back as it was: same state, attempt refunded, nothing recorded.
    func handBack(_ job: ClaimedJob) -> JobCompletion {
        var handedBack = completion(job, job.claimedFrom, delay: .zero, attemptUse: .givenBack(by: job))
        handedBack.handedBack = true
        handedBack.userSignature = .kept(signedChallenge: job.signedChallenge.map(StorableJSON.text))
        return handedBack
    }

    /// The job acts for an end user who has yet to sign its write: parked until `dfns_worker.sign()` or the signature
    /// timeout, the attempt given back (nothing was sent).
    private func awaitingSignature(_ job: ClaimedJob, _ required: UserSignatureRequired) -> JobCompletion {
        var parked = completion(job, .awaitingSignature, delay: configuration.signatureTimeout, attemptUse: .givenBack(by: job))
        parked.userSignature = .parked(challenge: StorableJSON.text(required.challenge), sealedToken: required.sealedToken)
        parked.failing = false
        parked.refused = false
        return parked
    }

    /// - Parameter writeSent: the attempt sent a write Dfns may act on (``DfnsWriteRecord``): when it is cut short,
    ///   or ends in an error that is no answer from Dfns, what Dfns holds is unknown.
    func completion(for job: ClaimedJob, error: any Error, stopped: InFlightJobs.StopReason?, writeSent: Bool) -> JobCompletion {
        let interrupted = writeSent ? mayHaveSent(job) : nil
        switch stopped {
        case .shutdown, .leaseLost:
            // Handed back unfinished, spending nothing.
            var handedBack = completion(job, job.claimedFrom, delay: .zero, attemptUse: .givenBack(by: job))
            handedBack.entity = interrupted
            handedBack.handedBack = true
            return handedBack
        case .timeout:
            return retry(
                job, code: .jobTimeout, message: "the attempt ran longer than \(configuration.jobTimeout) and was abandoned", entity: interrupted
            )
        case nil:
            break
        }
        if let required = error as? UserSignatureRequired { return awaitingSignature(job, required) }
        if let failure = error as? JobFailure {
            if failure.entity == .failed || failure.entity == .exists {
                // Dfns's final verdict: `failed` lets retry() re-key, `exists` keeps the externalId (finalKeepingEntity).
                var verdict = completion(
                    job, .failed, result: failure.result.map(StorableJSON.text), error: errorJSON(job, code: failure.code, message: failure.message))
                verdict.entity = failure.entity
                verdict.reference = failure.reference
                verdict.failing = false
                return verdict
            }
            return retry(job, code: failure.code, message: failure.message, entity: failure.entity, permanent: true)
        }
        guard let error = error as? DfnsError else {
            // Not a Dfns answer (a handler's own error): whatever the attempt sent is unknown.
            return retry(job, code: .internal, message: "\(error)", entity: interrupted)
        }
        let code = FailureCode(error)
        let recorded = errorJSON(job, code: code, message: error.message, httpStatus: error.httpStatus, dfnsErrorId: error.dfnsErrorId)
        switch error.code {
        case .unauthorized:
            // Not the job's fault: give the attempt back and wait while the worker is paused.
            return paused(job, error: recorded, refused: nil)
        case .forbidden:
            guard job.refusals + 1 >= configuration.forbiddenAttempts else { return paused(job, error: recorded, refused: true) }
            // The probe between these refusals succeeded (the job ran again): a permission is missing for this job.
            let message =
                "Dfns refused this job \(job.refusals + 1) times in a row (HTTP \(error.httpStatus ?? 403)) while the credentials "
                + "worked for other requests: a permission is missing for it. Dfns said: \(error.message)"
            switch job.dfnsEntity {
            case .none:
                var failed = completion(
                    job, .failed, error: errorJSON(job, code: code, message: message, httpStatus: error.httpStatus, dfnsErrorId: error.dfnsErrorId))
                failed.refused = true
                failed.failing = false
                return failed
            case .unknown where job.claimedFrom != .waiting:
                // An earlier attempt may have created it: stop sending, use up the attempts, so the job only looks it
                // up from now on (and fails once Dfns shows nothing was created).
                var exhausted = retry(job, code: code, message: message, httpStatus: error.httpStatus, dfnsErrorId: error.dfnsErrorId, entity: nil)
                exhausted.attemptUse = .exhausted
                exhausted.refused = true
                return exhausted
            default:
                return retry(job, code: code, message: message, httpStatus: error.httpStatus, dfnsErrorId: error.dfnsErrorId, entity: nil)
            }
        case .rateLimited:
            // Dfns did not process it: same state, nothing spent, due again after Retry-After (capped).
            return completion(
                job, job.claimedFrom == .waiting ? .waiting : .retrying, error: recorded,
                delay: RateLimitPolicy.wait(retryAfter: error.retryAfter), attemptUse: .givenBack(by: job)
            )
        default:
            return retry(
                job, code: code, message: error.message, httpStatus: error.httpStatus, dfnsErrorId: error.dfnsErrorId,
                retryAfter: error.retryAfter, entity: error.outcomeUnknown ? mayHaveSent(job) : nil,
                permanent: !(error.isRetryable || error.outcomeUnknown)
            )
        }
    }

    /// An attempt that failed. `entity` is what the failure says Dfns holds (nil: as before); `permanent` failures
    /// end the job only when Dfns holds nothing of it.
    private func retry(
        _ job: ClaimedJob, code: FailureCode, message: String, httpStatus: Int? = nil, dfnsErrorId: String? = nil,
        retryAfter: Duration? = nil, entity: DfnsEntity?, permanent: Bool = false
    ) -> JobCompletion {
        let held = entity ?? job.dfnsEntity
        var next: JobCompletion
        if job.claimedFrom == .waiting || held == .exists {
            // Following an entity Dfns accepted: poll again later, spending nothing; only Dfns's verdict ends it.
            next = completion(
                job, .waiting, error: errorJSON(job, code: code, message: message, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId),
                delay: max(followBackoff(job), retryAfter ?? .zero), attemptUse: .givenBack(by: job)
            )
        } else if held == .unknown {
            // Dfns may hold the operation: never failed. Once the attempts run out the job only looks it up.
            let exhausted = job.attempt >= job.maxAttempts
            let note =
                exhausted
                ? " (attempts exhausted, \(job.attempt) of \(job.maxAttempts): looking the operation up at Dfns before calling the job failed)" : ""
            next = completion(
                job, .retrying, error: errorJSON(job, code: code, message: message + note, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId),
                delay: exhausted ? max(followBackoff(job), retryAfter ?? .zero) : backoff(job.attempt, retryAfter)
            )
        } else if !permanent, job.attempt < job.maxAttempts {
            next = completion(
                job, .retrying, error: errorJSON(job, code: code, message: message, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId),
                delay: backoff(job.attempt, retryAfter)
            )
        } else {
            let final = permanent ? message : "attempts exhausted (\(job.attempt) of \(job.maxAttempts)); last: \(message)"
            next = completion(job, .failed, error: errorJSON(job, code: code, message: final, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId))
            next.failing = false
            next.entity = entity
            next.refused = false
            return next
        }
        next.entity = entity
        next.failing = true
        next.refused = false
        return next
    }

    /// 401/403 while the worker pauses: not the job's fault; same state, the attempt given back, due after a probe.
    private func paused(_ job: ClaimedJob, error: (json: String, code: FailureCode), refused: Bool?) -> JobCompletion {
        var paused = completion(
            job, job.claimedFrom == .waiting ? .waiting : .retrying, error: error, delay: configuration.authProbeInterval,
            attemptUse: .givenBack(by: job)
        )
        paused.refused = refused
        return paused
    }

    /// `.unknown` unless Dfns already accepted or judged the job's entity (then nothing changes).
    private func mayHaveSent(_ job: ClaimedJob) -> DfnsEntity? {
        job.dfnsEntity == .exists || job.dfnsEntity == .failed ? nil : .unknown
    }

    /// Capped exponential backoff with 50 % jitter, at least Retry-After.
    func backoff(_ attempt: Int, _ retryAfter: Duration?) -> Duration {
        let policy = RetryPolicy(baseDelay: configuration.retryBaseDelay, maxDelay: configuration.retryMaxDelay, jitter: 0.5)
        return policy.delay(afterAttempt: attempt, retryAfter: retryAfter.map { min($0, configuration.retryMaxDelay) })
    }

    /// Backoff for a job that spends no attempts (polls, look-ups): half the time it has been failing, within the
    /// retry bounds, so a job that fails for an hour is tried about every half hour at most.
    private func followBackoff(_ job: ClaimedJob) -> Duration {
        min(configuration.retryMaxDelay, max(configuration.retryBaseDelay, (job.failingFor ?? .zero) / 2))
    }

    private func completion(
        _ job: ClaimedJob, _ state: JobState, result: String? = nil, error: (json: String, code: FailureCode)? = nil,
        checkpoint: String? = nil, delay: Duration? = nil, attemptUse: AttemptUse = .kept
    ) -> JobCompletion {
        var completion = JobCompletion(
            job: job, state: state, result: result, error: error?.json, checkpoint: checkpoint, delay: delay, attemptUse: attemptUse
        )
        completion.errorCode = error?.code
        return completion
    }

    private func errorJSON(_ job: ClaimedJob, code: FailureCode, message: String, httpStatus: Int? = nil, dfnsErrorId: String? = nil) -> (
        json: String, code: FailureCode
    ) {
        (Self.errorJSON(attempt: job.attempt, code: code, message: message, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId), code)
    }

    /// The `last_error` object: `{code, message, httpStatus?, dfnsErrorId?, attempt, at}`, the message at most 2,000
    /// characters.
    static func errorJSON(attempt: Int, code: FailureCode, message: String, httpStatus: Int? = nil, dfnsErrorId: String? = nil) -> String {
        var object: [String: JSONValue] = [
            "code": .string(code.rawValue), "message": .string(String(message.prefix(2000))), "attempt": .integer(Int64(attempt)),
            "at": .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
        ]
        if let httpStatus { object["httpStatus"] = .integer(Int64(httpStatus)) }
        if let dfnsErrorId { object["dfnsErrorId"] = .string(dfnsErrorId) }
        return StorableJSON.text(.object(object))
    }
}
