import DfnsSDK
import DfnsWorker

/// A Dfns operation a job submits once and then follows until Dfns says it is done: a transfer, a transaction, a
/// signature. The money-safety rules live here, once for every such kind:
///
/// - every attempt sends the identical body with the same `externalId`, so a replay after a lost answer gets back the
///   entity Dfns already made (dfns-api §6), and a `409` (the externalId bound to another body) proves nothing of
///   this job was created;
/// - once the attempts are used up while the outcome is unknown, the job sends nothing more and looks the entity up
///   by `externalId`; not found after the settle window, nothing was created;
/// - once submitted, the job waits and polls with backoff, spending no attempts, until ``progress(of:)`` says done;
///   only Dfns's own `Failed` or `Rejected` fail it, with Dfns's reason;
/// - an entity a cancel or a speed-up replaced (`replacementId`) is final only once one of the two is mined: until the
///   replacement is, the original may still be (docs.dfns.co/networks/evm), so the job keeps following both.
protocol FollowedOperation: Sendable {
    associatedtype Entity: DfnsModel

    /// `transfer`, `transaction`, `signature`: names it in messages and its id in the checkpoint (`transferId`…).
    var noun: String { get }
    /// What the entity lives under, as the checkpoint names it: (`walletId`, `wa-…`) or (`keyId`, `key-…`).
    var parent: (name: String, id: String) { get }

    /// The creation, with the final body (its `externalId` set).
    func create(_ body: JSONValue) throws -> DfnsRequest<Entity>
    /// A read of the entity.
    func get(_ id: String) throws -> DfnsRequest<Entity>
    /// A page of the parent's entities as raw JSON, for the look-up by `externalId`.
    func page(_ paginationToken: String?) throws -> DfnsRequest<Page<JSONValue>>
    /// Where the entity stands for this job.
    func progress(of entity: Entity) -> OperationProgress
    /// A read of the transaction that replaced the entity (a cancel or a speed-up), or nil for kinds that have none.
    func replacement(_ id: String) throws -> DfnsRequest<Transaction>?
}

extension FollowedOperation {
    func replacement(_ id: String) throws -> DfnsRequest<Transaction>? { nil }
}

/// How far a followed entity got, for the job that follows it.
enum OperationProgress {
    /// Not where the job waits for yet, and not final.
    case moving
    /// Where the job waits for (or further): the job succeeds.
    case done
    /// A speed-up's replacement was mined in the entity's place: the job succeeds with the entity and its
    /// `replacement`.
    case replacedAndDone(JSONValue)
    /// Dfns's final `Failed`, with its reason.
    case failed(String?)
    /// Dfns's final `Rejected` (a policy), with its reason.
    case rejected(String?)
}

extension FollowedOperation {
    /// Runs one attempt of a job whose payload, without the job's own fields, is the Dfns body: its `externalId` is the
    /// payload's, else the job's derived one, set in the body so every attempt sends the identical bytes.
    func follow(_ job: ClaimedJob, payloadBody: JSONValue, context: JobContext) async throws -> JobOutcome {
        let externalId = payloadBody["externalId"]?.stringValue ?? job.derivedExternalId
        var body = payloadBody
        if case .object(var members) = body {
            members["externalId"] = .string(externalId)
            body = .object(members)
        }
        return try await follow(job, body: body, externalId: externalId, context: context)
    }

    /// Runs one attempt of a job that submits `body` (whose `externalId` is `externalId`) and follows the entity.
    private func follow(_ job: ClaimedJob, body: JSONValue, externalId: String, context: JobContext) async throws -> JobOutcome {
        // A counter from the row: clamped, so a hand-edited checkpoint cannot overflow the arithmetic below.
        var polls = 0
        if case .integer(let count)? = job.checkpoint?["polls"] { polls = Int(min(max(count, 0), 1_000_000)) }
        let entity: Entity
        if let id = job.checkpoint?["\(noun)Id"]?.stringValue {
            let read = try get(id)
            entity = try await context.dfns.call { try await $0.send(read) }
        } else if job.reconcileOnly {
            guard let found = try await reconcile(job, externalId: externalId, context: context) else {
                return .deferred(after: context.settleWindow - (job.unknownOutcomeAge ?? .zero))
            }
            entity = found
        } else {
            let creation = try create(body)
            do {
                entity = try await context.send(creation)
            } catch let error as DfnsError where error.code == .conflict {
                // The externalId is bound to another body or parent, so no entity of this job's body exists.
                throw JobFailure.nothingCreated(
                    code: .conflict,
                    message: "externalId \(externalId) is already used by \(noun) \(error.duplicateId ?? "?") with another body or \(parent.name)"
                )
            }
        }
        var progress = progress(of: entity)
        if case .failed = progress, let replacementId = entity.raw["replacementId"]?.stringValue, let read = try replacement(replacementId) {
            progress = try await replaced(job, entity: entity, by: replacementId, read: read, context: context)
        }
        let reference = DfnsReference(id: entity.id, parentId: parent.id)
        switch progress {
        case .failed(let reason):
            throw JobFailure.rejectedByDfns(
                code: .dfnsFailed, message: "Dfns reports the \(noun) Failed: \(reason ?? "no reason given")", entity: JobResult(entity),
                reference: reference
            )
        case .rejected(let reason):
            throw JobFailure.rejectedByDfns(
                code: .dfnsRejected, message: "Dfns reports the \(noun) Rejected: \(reason ?? "no reason given")", entity: JobResult(entity),
                reference: reference
            )
        case .done:
            return .succeeded(result: JobResult(entity), reference: reference)
        case .replacedAndDone(let result):
            return .succeeded(result: JobResult(result), reference: reference)
        case .moving:
            polls += 1
            let checkpoint: JSONValue = .object(["\(noun)Id": .string(entity.id), parent.name: .string(parent.id), "polls": .integer(Int64(polls))])
            return .waiting(
                checkpoint: checkpoint, pollAfter: context.polls.delay(beforePoll: polls), snapshot: JobResult(entity), reference: reference)
        }
    }

    /// Where an entity Dfns reports `Failed` stands when a replacement took its nonce: moving while the replacement is
    /// not final (the original may still be mined meanwhile); a speed-up's replacement mined is the job done (the
    /// payment was made), a cancel's is the job failed (nothing will be mined); a replacement nobody recorded on the
    /// job, once mined, fails it keeping its externalId, since no one here knows whether it paid.
    private func replaced(
        _ job: ClaimedJob, entity: Entity, by replacementId: String, read: DfnsRequest<Transaction>, context: JobContext
    ) async throws -> OperationProgress {
        let replacement = try await context.dfns.call { try await $0.send(read) }
        let action = job.controls?.arrayValue?.last { $0["replacementId"]?.stringValue == replacementId }?["action"]?.stringValue
        switch replacement.status {
        case .confirmed:
            switch action {
            case "speedUp":
                guard case .object(var members) = entity.raw else { return .done }
                members["replacement"] = replacement.raw
                return .replacedAndDone(.object(members))
            case "cancel":
                return .failed("cancelled: its replacement \(replacementId), a 0-value transaction with its nonce, was mined")
            default:
                throw JobFailure.finalKeepingEntity(
                    code: .dfnsReplaced,
                    message:
                        "Dfns reports the \(noun) Failed: \(replacementId), a cancel or a speed-up this job has no record of, was mined with its nonce; "
                        + "check which before sending it again (retry() replays this \(noun), it does not send a new one)",
                    entity: JobResult(entity), reference: DfnsReference(id: entity.id, parentId: parent.id)
                )
            }
        case .failed, .rejected:
            // Dropped: the original's own verdict stands.
            return progress(of: entity)
        default:
            return .moving
        }
    }

    /// The attempts ran out while Dfns may hold the entity: look it up by externalId (sending nothing). Found, it is
    /// followed; not found within the settle window, nil (look again later); not found after it, nothing was created.
    private func reconcile(_ job: ClaimedJob, externalId: String, context: JobContext) async throws -> Entity? {
        let found = try await context.dfns.call { client -> JSONValue? in
            for try await item in client.all({ try page($0) }) where item["externalId"]?.stringValue == externalId {
                return item
            }
            return nil
        }
        if let found { return try Entity(json: found) }
        let age = job.unknownOutcomeAge ?? context.settleWindow
        if age < context.settleWindow { return nil }
        throw JobFailure.nothingCreated(
            code: .attemptsExhausted,
            message: "the attempts are used up (\(job.attempt) of \(job.maxAttempts)) and \(parent.name) \(parent.id) has no \(noun) with externalId "
                + "\(externalId) \(age) after the last attempt whose outcome was unknown: nothing was created"
        )
    }
}

extension ClaimedJob {
    /// The parent (wallet, key) of the entity this job submitted, read from its checkpoint before anything of its
    /// payload; nil before it submitted. A submitted job follows what Dfns holds: its payload was valid when it was
    /// sent, and a stricter check in a newer release must not strand it.
    func submittedParent(noun: String, parentName: String) -> String? {
        guard checkpoint?["\(noun)Id"]?.stringValue != nil else { return nil }
        return checkpoint?[parentName]?.stringValue
    }
}

/// A wallet's transfer or transaction, done at the status the payload's `waitFor` asks.
struct WalletActivityProgress {
    /// How far it must get for the job to succeed.
    enum WaitFor: String { case submitted, broadcasted, confirmed }

    static func of(_ activity: some WalletActivity, waitFor: WaitFor) -> OperationProgress {
        switch activity.status {
        case .failed: .failed(activity.reason)
        case .rejected: .rejected(activity.reason)
        case .confirmed: .done
        case .broadcasted where waitFor != .confirmed: .done
        case _ where waitFor == .submitted: .done
        default: .moving
        }
    }

    /// `waitFor` of a submitted job's payload, as far as it can be read (else `confirmed`: the safe side).
    static func submittedWaitFor(_ payload: JSONValue) -> WaitFor {
        payload["waitFor"]?.stringValue.flatMap(WaitFor.init) ?? .confirmed
    }

    /// Reads `waitFor` (default `confirmed`).
    static func waitFor(_ payload: PayloadReader) throws -> WaitFor {
        let text = try payload.optionalString("waitFor") ?? WaitFor.confirmed.rawValue
        guard let waitFor = WaitFor(rawValue: text) else {
            throw JobFailure.invalidPayload("payload.waitFor must be submitted, broadcasted or confirmed")
        }
        return waitFor
    }
}
