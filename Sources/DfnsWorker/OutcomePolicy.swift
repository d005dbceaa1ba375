import DfnsSDK
import Foundation

/// Turns how an attempt ended into the row's next state, deciding retries on typed errors only.
struct OutcomePolicy: Sendable {
    let configuration: WorkerConfiguration

    func completion(for job: ClaimedJob, outcome: JobOutcome) -> JobStore.Completion {
        switch outcome {
        case .succeeded(let result):
            return completion(job, .succeeded, result: result.jsonString)
        case .waiting(let checkpoint, let pollAfter, let snapshot):
            return completion(job, .waiting, result: snapshot?.jsonString, checkpoint: checkpoint.jsonString, delay: pollAfter)
        case .deferred(let after):
            let state: JobState = job.claimedFrom == .waiting ? .waiting : .retrying
            return completion(job, state, delay: after, refund: job.claimedFrom == .waiting ? 0 : 1)
        }
    }

    /// A job claimed but never started, given back as it was: same state, attempt refunded, nothing recorded.
    func handBack(_ job: ClaimedJob) -> JobStore.Completion {
        var handedBack = completion(job, job.claimedFrom, delay: .zero, refund: job.claimedFrom == .waiting ? 0 : 1)
        handedBack.handedBack = true
        return handedBack
    }

    func completion(for job: ClaimedJob, error: any Error, stopped: InFlightJobs.StopReason?) -> JobStore.Completion {
        let isPoll = job.claimedFrom == .waiting
        switch stopped {
        case .shutdown, .leaseLost:
            // Handed back unfinished: no attempt spent; the next attempt knows this one may have reached Dfns.
            var handedBack = completion(job, job.claimedFrom, checkpoint: Self.markedUnknown(job), delay: .zero, refund: isPoll ? 0 : 1)
            handedBack.handedBack = true
            return handedBack
        case .timeout:
            return retryable(
                job, code: "job_timeout", message: "the attempt ran longer than \(configuration.jobTimeout) and was abandoned", retryAfter: nil,
                checkpoint: Self.markedUnknown(job)
            )
        case nil:
            break
        }
        if let failure = error as? JobFailure {
            return completion(job, .failed, result: failure.result?.jsonString, error: Self.errorJSON(job, code: failure.code, message: failure.message))
        }
        guard let error = error as? DfnsError else {
            return retryable(job, code: "internal", message: "\(error)", retryAfter: nil)
        }
        let code = Self.code(of: error)
        let recorded = Self.errorJSON(job, code: code, message: error.message, httpStatus: error.httpStatus, dfnsErrorId: error.dfnsErrorId)
        switch error.code {
        case .unauthorized, .forbidden:
            // Not the job's fault: give the attempt back and wait while the worker is paused.
            return completion(job, isPoll ? .waiting : .retrying, error: recorded, delay: configuration.authProbeInterval, refund: isPoll ? 0 : 1)
        case .rateLimited:
            return completion(job, isPoll ? .waiting : .retrying, error: recorded, delay: error.retryAfter ?? .seconds(1), refund: isPoll ? 0 : 1)
        default:
            guard error.isRetryable else { return completion(job, .failed, error: recorded) }
            return retryable(
                job, code: code, message: error.message, retryAfter: error.retryAfter, httpStatus: error.httpStatus, dfnsErrorId: error.dfnsErrorId,
                // No answer at all: the request may still be in progress at Dfns. (A 5xx is an answer: reconciled by
                // the next attempt, as every retry is, but nothing is left running.)
                checkpoint: [.transport, .timeout].contains(error.code) ? Self.markedUnknown(job) : nil
            )
        }
    }

    private func retryable(
        _ job: ClaimedJob, code: String, message: String, retryAfter: Duration?, httpStatus: Int? = nil, dfnsErrorId: String? = nil,
        checkpoint: String? = nil
    ) -> JobStore.Completion {
        if job.claimedFrom == .waiting {
            // A failed poll of a submitted operation: poll again later, spending nothing.
            return completion(
                job, .waiting, error: Self.errorJSON(job, code: code, message: message, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId),
                checkpoint: checkpoint, delay: backoff(job.attempt, retryAfter)
            )
        }
        guard job.attempt < job.maxAttempts else {
            let final = "attempts exhausted (\(job.attempt) of \(job.maxAttempts)); last: \(message)"
            return completion(job, .failed, error: Self.errorJSON(job, code: code, message: final, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId))
        }
        return completion(
            job, .retrying, error: Self.errorJSON(job, code: code, message: message, httpStatus: httpStatus, dfnsErrorId: dfnsErrorId),
            checkpoint: checkpoint, delay: backoff(job.attempt, retryAfter)
        )
    }

    /// The job's checkpoint marked "this attempt may have reached Dfns and got no answer, as of now", so the next
    /// attempt reconciles first and a handler can wait for a request Dfns may still be processing.
    static func markedUnknown(_ job: ClaimedJob) -> String {
        var checkpoint = job.checkpoint?.objectValue ?? [:]
        checkpoint["interrupted"] = .bool(true)
        checkpoint["unknownOutcomeAt"] = .number(Date().timeIntervalSince1970)
        return JSONValue.object(checkpoint).jsonString
    }

    /// Capped exponential backoff with 50 % jitter, at least Retry-After.
    func backoff(_ attempt: Int, _ retryAfter: Duration?) -> Duration {
        let policy = RetryPolicy(baseDelay: configuration.retryBaseDelay, maxDelay: configuration.retryMaxDelay, jitter: 0.5)
        return policy.delay(afterAttempt: attempt, retryAfter: retryAfter)
    }

    private func completion(
        _ job: ClaimedJob, _ state: JobState, result: String? = nil, error: (json: String, code: String)? = nil,
        checkpoint: String? = nil, delay: Duration? = nil, refund: Int32 = 0
    ) -> JobStore.Completion {
        var completion = JobStore.Completion(
            jobId: job.id, leaseToken: job.leaseToken, state: state, result: result, error: error?.json, checkpoint: checkpoint,
            delay: delay, refund: refund
        )
        completion.errorCode = error?.code
        return completion
    }

    /// The `last_error` object: `{code, message, httpStatus?, dfnsErrorId?, attempt, at}`.
    static func errorJSON(_ job: ClaimedJob, code: String, message: String, httpStatus: Int? = nil, dfnsErrorId: String? = nil) -> (json: String, code: String) {
        var object: [String: JSONValue] = [
            "code": .string(code), "message": .string(String(message.prefix(2000))), "attempt": .integer(Int64(job.attempt)),
            "at": .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
        ]
        if let httpStatus { object["httpStatus"] = .integer(Int64(httpStatus)) }
        if let dfnsErrorId { object["dfnsErrorId"] = .string(dfnsErrorId) }
        return (JSONValue.object(object).jsonString, code)
    }

    /// The snake_case code stored in `last_error` for an SDK error.
    static func code(of error: DfnsError) -> String {
        switch error.code {
        case .rateLimited: "rate_limited"
        case .server: "server_error"
        case .notFound: "not_found"
        case .policyPending: "policy_pending"
        default: "\(error.code)"
        }
    }
}
