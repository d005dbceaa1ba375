import Foundation
import Testing

@testable import DfnsSDK
@testable import DfnsWorker

/// The state machine of RELIABILITY.md, row by row, as the engine decides it: how an attempt ended (and what Dfns
/// held before) → the row's next state, what Dfns holds afterwards, the attempt given back or not, the code. No
/// database: `OutcomePolicy` is a pure function of the claimed job and the attempt's end.
@Suite("Outcome of an attempt")
struct OutcomePolicyTests {
    /// How an attempt ended.
    enum End: Sendable, CustomStringConvertible {
        case succeeded, waiting, deferred
        case verdict, nothingCreated, plainFailure
        case dfns(DfnsError.Code, status: Int?, unknown: Bool)
        case stopped(InFlightJobs.StopReason, writeSent: Bool)
        case rateLimited(retryAfter: Duration)
        case internalError(writeSent: Bool)

        var description: String {
            switch self {
            case .succeeded: "succeeded"
            case .waiting: "waiting"
            case .deferred: "deferred"
            case .verdict: "Dfns's verdict"
            case .nothingCreated: "nothing created"
            case .plainFailure: "plain failure"
            case .dfns(let code, let status, let unknown): "\(code) \(status.map(String.init) ?? "-")\(unknown ? " unknown" : "")"
            case .stopped(let reason, let sent): "\(reason)\(sent ? " after a write" : "")"
            case .rateLimited(let after): "429 \(after)"
            case .internalError(let sent): "internal\(sent ? " after a write" : "")"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let from: JobState
        let entity: DfnsEntity
        let attempt: Int
        let spent: Bool
        var refusals = 0
        let end: End
        let state: JobState
        /// What the row's `dfns_entity` becomes; nil: unchanged.
        let entityAfter: DfnsEntity?
        let attemptUse: AttemptUse
        let code: String?

        var testDescription: String { "\(from)/\(entity) attempt \(attempt) of 3, \(end) → \(state)" }
    }

    static let cases: [Case] = [
        // Answers.
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .succeeded, state: .succeeded, entityAfter: .exists, attemptUse: .kept,
            code: nil),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .waiting, state: .waiting, entityAfter: .exists, attemptUse: .kept, code: nil),
        Case(
            from: .retrying, entity: .unknown, attempt: 2, spent: true, end: .deferred, state: .retrying, entityAfter: nil, attemptUse: .givenBack,
            code: nil),
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, end: .deferred, state: .waiting, entityAfter: nil, attemptUse: .kept, code: nil
        ),
        // Failures the handler names.
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, end: .verdict, state: .failed, entityAfter: .failed, attemptUse: .kept,
            code: "dfns_rejected"),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .plainFailure, state: .failed, entityAfter: nil, attemptUse: .kept,
            code: "invalid_payload"),
        Case(
            from: .retrying, entity: .unknown, attempt: 2, spent: true, end: .plainFailure, state: .retrying, entityAfter: nil, attemptUse: .kept,
            code: "invalid_payload"),
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, end: .plainFailure, state: .waiting, entityAfter: nil, attemptUse: .kept,
            code: "invalid_payload"),
        Case(
            from: .retrying, entity: .unknown, attempt: 3, spent: false, end: .nothingCreated, state: .failed, entityAfter: DfnsEntity.none,
            attemptUse: .kept, code: "attempts_exhausted"),
        // Dfns errors before anything was created.
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .dfns(.validation, status: 400, unknown: false), state: .failed,
            entityAfter: nil, attemptUse: .kept, code: "validation"),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .dfns(.server, status: 503, unknown: false), state: .retrying,
            entityAfter: nil, attemptUse: .kept, code: "server_error"),
        Case(
            from: .retrying, entity: .none, attempt: 3, spent: true, end: .dfns(.server, status: 503, unknown: false), state: .failed,
            entityAfter: nil, attemptUse: .kept, code: "server_error"),
        // A write that got no definite answer.
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .dfns(.transport, status: nil, unknown: true), state: .retrying,
            entityAfter: .unknown, attemptUse: .kept, code: "transport"),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .dfns(.server, status: 502, unknown: true), state: .retrying,
            entityAfter: .unknown, attemptUse: .kept, code: "server_error"),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .dfns(.decoding, status: nil, unknown: true), state: .retrying,
            entityAfter: .unknown, attemptUse: .kept, code: "decoding"),
        Case(
            from: .retrying, entity: .none, attempt: 3, spent: true, end: .dfns(.timeout, status: nil, unknown: true), state: .retrying,
            entityAfter: .unknown, attemptUse: .kept, code: "timeout"),
        Case(
            from: .retrying, entity: .unknown, attempt: 3, spent: false, end: .dfns(.server, status: 500, unknown: false), state: .retrying,
            entityAfter: nil, attemptUse: .kept, code: "server_error"),
        Case(
            from: .retrying, entity: .unknown, attempt: 3, spent: false, end: .dfns(.notFound, status: 404, unknown: false), state: .retrying,
            entityAfter: nil, attemptUse: .kept, code: "not_found"),
        // Following an entity Dfns accepted: never failed.
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, end: .dfns(.notFound, status: 404, unknown: false), state: .waiting,
            entityAfter: nil, attemptUse: .kept, code: "not_found"),
        Case(
            from: .waiting, entity: .exists, attempt: 3, spent: false, end: .dfns(.decoding, status: nil, unknown: false), state: .waiting,
            entityAfter: nil, attemptUse: .kept, code: "decoding"),
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, end: .dfns(.server, status: 500, unknown: false), state: .waiting,
            entityAfter: nil, attemptUse: .kept, code: "server_error"),
        // Authentication and rate limits: not the job's fault.
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .dfns(.unauthorized, status: 401, unknown: false), state: .retrying,
            entityAfter: nil, attemptUse: .givenBack, code: "unauthorized"),
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, end: .dfns(.unauthorized, status: 401, unknown: false), state: .waiting,
            entityAfter: nil, attemptUse: .kept, code: "unauthorized"),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, refusals: 0, end: .dfns(.forbidden, status: 403, unknown: false), state: .retrying,
            entityAfter: nil, attemptUse: .givenBack, code: "forbidden"),
        Case(
            from: .retrying, entity: .none, attempt: 1, spent: true, refusals: 2, end: .dfns(.forbidden, status: 403, unknown: false), state: .failed,
            entityAfter: nil, attemptUse: .kept, code: "forbidden"),
        Case(
            from: .retrying, entity: .unknown, attempt: 2, spent: true, refusals: 2, end: .dfns(.forbidden, status: 403, unknown: false),
            state: .retrying, entityAfter: nil, attemptUse: .exhausted, code: "forbidden"),
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, refusals: 5, end: .dfns(.forbidden, status: 403, unknown: false),
            state: .waiting, entityAfter: nil, attemptUse: .kept, code: "forbidden"),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .rateLimited(retryAfter: .seconds(86_400)), state: .retrying,
            entityAfter: nil, attemptUse: .givenBack, code: "rate_limited"),
        // Interrupted attempts.
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .stopped(.shutdown, writeSent: false), state: .queued, entityAfter: nil,
            attemptUse: .givenBack, code: nil),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .stopped(.shutdown, writeSent: true), state: .queued, entityAfter: .unknown,
            attemptUse: .givenBack, code: nil),
        Case(
            from: .waiting, entity: .exists, attempt: 1, spent: false, end: .stopped(.leaseLost, writeSent: true), state: .waiting, entityAfter: nil,
            attemptUse: .kept, code: nil),
        Case(
            from: .retrying, entity: .none, attempt: 3, spent: true, end: .stopped(.timeout, writeSent: false), state: .failed, entityAfter: nil,
            attemptUse: .kept, code: "job_timeout"),
        Case(
            from: .retrying, entity: .none, attempt: 3, spent: true, end: .stopped(.timeout, writeSent: true), state: .retrying,
            entityAfter: .unknown, attemptUse: .kept, code: "job_timeout"),
        Case(
            from: .queued, entity: .none, attempt: 1, spent: true, end: .internalError(writeSent: true), state: .retrying, entityAfter: .unknown,
            attemptUse: .kept, code: "internal"),
    ]

    static let configuration: WorkerConfiguration = {
        var configuration = WorkerConfiguration(workerId: "table")
        configuration.retryBaseDelay = .seconds(2)
        configuration.retryMaxDelay = .seconds(600)
        return configuration
    }()

    /// A claimed job as the engine would hand it to the policy.
    static func job(
        from state: JobState, entity: DfnsEntity, attempt: Int, maxAttempts: Int = 3, spent: Bool, refusals: Int = 0,
        unknownOutcomeAge: Duration? = nil
    ) -> ClaimedJob {
        ClaimedJob(
            id: 1, queue: "default", kind: "transfer", payload: .object([:]), unreadablePayload: nil, attempt: attempt, maxAttempts: maxAttempts,
            checkpoint: nil, requeues: 0, claimedFrom: state, leaseToken: UUID(), derivedExternalId: "dfns-worker-0123456789ab-1",
            dfnsEntity: entity, unknownOutcomeAge: unknownOutcomeAge, attemptSpent: spent, refusals: refusals, failingFor: nil
        )
    }

    @Test("each row of the state machine", arguments: cases)
    func row(_ row: Case) {
        let job = Self.job(from: row.from, entity: row.entity, attempt: row.attempt, spent: row.spent, refusals: row.refusals)
        let policy = OutcomePolicy(configuration: Self.configuration)
        let completion: JobCompletion
        switch row.end {
        case .succeeded: completion = policy.completion(for: job, outcome: .succeeded(result: JobResult(.object([:]))))
        case .waiting:
            completion = policy.completion(
                for: job, outcome: .waiting(checkpoint: .object([:]), pollAfter: .seconds(1), snapshot: nil, reference: nil))
        case .deferred: completion = policy.completion(for: job, outcome: .deferred(after: .seconds(5)))
        case .verdict:
            completion = policy.completion(
                for: job,
                error: JobFailure.rejectedByDfns(code: "dfns_rejected", message: "Rejected", entity: JobResult(.object([:])), reference: nil),
                stopped: nil, writeSent: false
            )
        case .nothingCreated:
            completion = policy.completion(
                for: job, error: JobFailure.nothingCreated(code: "attempts_exhausted", message: "none"), stopped: nil, writeSent: false)
        case .plainFailure:
            completion = policy.completion(for: job, error: JobFailure.invalidPayload("payload.x is required"), stopped: nil, writeSent: false)
        case .dfns(let code, let status, let unknown):
            completion = policy.completion(
                for: job, error: DfnsError(code: code, message: "m", httpStatus: status, outcomeUnknown: unknown), stopped: nil, writeSent: unknown
            )
        case .rateLimited(let after):
            completion = policy.completion(
                for: job, error: DfnsError(code: .rateLimited, message: "m", httpStatus: 429, retryAfter: after), stopped: nil, writeSent: false
            )
            #expect(completion.delay == RateLimitPolicy.longestWait, "a day-long Retry-After is capped")
        case .stopped(let reason, let sent):
            completion = policy.completion(for: job, error: CancellationError(), stopped: reason, writeSent: sent)
        case .internalError(let sent):
            struct HandlerBug: Error {}
            completion = policy.completion(for: job, error: HandlerBug(), stopped: nil, writeSent: sent)
        }
        #expect(completion.state == row.state)
        #expect(completion.entity == row.entityAfter)
        #expect(completion.attemptUse == row.attemptUse)
        #expect(completion.errorCode?.rawValue == row.code)
        if row.state == .failed { #expect(completion.failing != true) }
        if row.state == .waiting || row.state == .retrying {
            #expect(completion.delay.map { $0 >= .zero && $0 <= .seconds(600) } ?? false, "due again within the backoff bounds")
        }
    }

    /// Re-serializing what Dfns sent would turn `1.50` into `1.5` and an integer beyond 64 bits into a rounded double.
    @Test("an entity is stored as the bytes Dfns sent, a built value as written, a NUL replaced either way")
    func resultAsSent() throws {
        let policy = OutcomePolicy(configuration: Self.configuration)
        let job = Self.job(from: .waiting, entity: .exists, attempt: 1, spent: true)
        func transfer(_ text: String) throws -> Transfer {
            let body = Array(text.utf8)
            return try Transfer(json: JSONValue(parsing: body), responseBody: body)
        }
        let sent = #"{"id":"xfr-1", "walletId":"wa-1","status":"Confirmed","fee":1.50,"nonce":123456789012345678901234567890}"#
        let entity = JobResult(try transfer(sent))
        #expect(policy.completion(for: job, outcome: .succeeded(result: entity)).result == sent)
        let waiting = JobOutcome.waiting(checkpoint: .object([:]), pollAfter: .seconds(1), snapshot: entity, reference: nil)
        #expect(policy.completion(for: job, outcome: waiting).result == sent)
        let verdict = JobFailure.rejectedByDfns(code: "dfns_failed", message: "Failed", entity: entity, reference: nil)
        #expect(policy.completion(for: job, error: verdict, stopped: nil, writeSent: false).result == sent)

        let built = JobResult(.object(["n": .integer(1), "a": .string("x")]))
        #expect(policy.completion(for: job, outcome: .succeeded(result: built)).result == #"{"a":"x","n":1}"#)
        let nul = JobResult(try transfer(#"{"id":"xfr-2","walletId":"wa-1","status":"Rejected","reason":"a\u0000b"}"#))
        let stored = try #require(policy.completion(for: job, outcome: .succeeded(result: nul)).result)
        #expect(!stored.contains(#"\u0000"#) && stored.contains("a\u{FFFD}b"))
    }

    @Test("403s: a job with an unknown outcome uses up its attempts instead of failing")
    func forbiddenAfterUnknown() {
        let job = Self.job(from: .retrying, entity: .unknown, attempt: 1, maxAttempts: 20, spent: true, refusals: 2, unknownOutcomeAge: .seconds(1))
        let completion = OutcomePolicy(configuration: Self.configuration).completion(
            for: job, error: DfnsError(code: .forbidden, message: "not authorized", httpStatus: 403), stopped: nil, writeSent: false
        )
        #expect(completion.state == .retrying && completion.attemptUse == .exhausted && completion.refused == true)
    }

    /// One 429 policy (``RateLimitPolicy``): whatever `Retry-After` Dfns sends, the job that got the 429 is due again
    /// after the very wait the SDK's client pauses every request for (and the fleet's shared budget with it), never
    /// longer than a minute and never zero for a missing or unreadable header.
    @Test(
        "a 429 delays the job exactly as long as the client pauses, a minute at most",
        arguments: [nil, "0.25", "30", "60", "61", "86400", "1e300", "Fri, 31 Dec 9999 23:59:59 GMT", "soon", "-3"]
    )
    func oneRateLimitWait(retryAfter header: String?) {
        let error = DfnsError(httpStatus: 429, body: [], retryAfterHeader: header)
        let clientPause = min(RateLimitPolicy.wait(retryAfter: error.retryAfter), RetryPolicy.default.maxRetryAfter)
        let completion = OutcomePolicy(configuration: Self.configuration).completion(
            for: Self.job(from: .queued, entity: .none, attempt: 1, spent: true), error: error, stopped: nil, writeSent: false
        )
        #expect(completion.delay == clientPause)
        #expect(clientPause > .zero && clientPause <= .seconds(60))
        #expect((error.retryAfter ?? .zero) <= .seconds(60), "the error holds what is honoured, not a day")
    }
}
