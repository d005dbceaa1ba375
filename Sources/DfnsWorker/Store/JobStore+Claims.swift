import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Claims: the one statement that leases due jobs, and the look for due ones.
extension JobStore {
    /// Claims up to `limit` due jobs of `queues` in one statement (`FOR UPDATE SKIP LOCKED`), highest priority then
    /// oldest first, leasing each for `lease`. One ordered scan of `jobs_due` per queue (an equality on the queue keeps
    /// the index order; `queue = ANY(…)` made PostgreSQL read and sort every due row for each claim, 49 ms per claim
    /// with 100,000 due jobs), so a claim costs what it returns, not what is queued (BENCHMARKS.md, "Big tables").
    /// With several queues, rows one queue's scan locked beyond the limit are released when the statement ends.
    ///
    /// A claim spends an attempt, except for a poll of a waiting job and for a job whose attempts ran out while Dfns
    /// may hold its operation (it may only look it up). The first claim records the job's derived externalId. A claim
    /// takes an end user's signed challenge off the row (``ClaimedJob/signedChallenge``): it is used at most once.
    public func claim(queues: [String], kinds: [String], limit: Int, workerId: String, lease: Duration) async throws -> [ClaimedJob] {
        try await bounded("the claim") { try await self.claimStatement(queues: queues, kinds: kinds, limit: limit, workerId: workerId, lease: lease) }
    }

    private func claimStatement(queues: [String], kinds: [String], limit: Int, workerId: String, lease: Duration) async throws -> [ClaimedJob] {
        let leaseSeconds = lease.seconds
        let rows = try await client.query(
            """
            WITH due AS (
                SELECT d.id, d.state, d.attempt, d.signed_challenge
                FROM unnest(\(queues)::text[]) AS q(name)
                CROSS JOIN LATERAL (
                    SELECT id, state, attempt, priority, run_at, signed_challenge FROM dfns_worker.jobs
                    WHERE queue = q.name AND state IN ('queued', 'retrying', 'waiting') AND run_at <= now()
                      AND kind = ANY(\(kinds)::text[])
                      AND (SELECT dfns_worker.require_binary(\(SchemaMigrations.newest)::integer))
                    ORDER BY priority DESC, run_at, id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ) AS d
                ORDER BY d.priority DESC, d.run_at, d.id
                LIMIT \(limit)
            )
            UPDATE dfns_worker.jobs AS j
            SET state = 'running',
                attempt = CASE WHEN due.state = 'waiting' OR (j.dfns_entity = 'unknown' AND j.attempt >= j.max_attempts)
                               THEN j.attempt ELSE j.attempt + 1 END,
                external_id = coalesce(j.external_id, dfns_worker.derived_external_id(j.id)),
                lease_token = gen_random_uuid(),
                lease_expires_at = now() + make_interval(secs => \(leaseSeconds)),
                worker_id = \(workerId),
                started_at = coalesce(j.started_at, now()),
                signed_challenge = NULL,
                updated_at = now()
            FROM due
            WHERE j.id = due.id
            RETURNING j.id, j.queue, j.kind, j.payload::text, j.attempt, j.max_attempts, j.checkpoint::text, j.requeues,
                      due.state, j.lease_token, j.external_id, j.dfns_entity,
                      extract(epoch FROM now() - j.outcome_unknown_at)::float8, j.attempt <> due.attempt, j.refusals,
                      extract(epoch FROM now() - j.failing_since)::float8,
                      j.unique_key IS NOT NULL AND j.external_id LIKE dfns_worker.key_external_id(j.unique_key) || '%',
                      j.controls::text, j.on_behalf_of, due.signed_challenge::text, j.user_token
            """, logger: logger)
        var jobs: [ClaimedJob] = []
        for try await (
            id, queue, kind, payload, attempt, maxAttempts, checkpoint, requeues, previous, token, externalId, entity, unknownAge, spent, refusals,
            failingAge, fromKey, controls, onBehalfOf, signedChallenge, userToken
        )
            in rows.decode(
                (
                    Int64, String, String, String, Int, Int, String?, Int, String, UUID, String, String, Double?, Bool, Int, Double?, Bool, String?,
                    String?, String?, ByteBuffer?
                ).self
            )
        {
            var parsed = JSONValue.object([:])
            var unreadable: String?
            do {
                parsed = try JSONValue(parsing: Array(payload.utf8))
            } catch let error as JSONValue.ParseError {
                // PostgreSQL stores deeper nesting than the parser reads; name the member it was in.
                unreadable = "payload\(error.member.map { ".\($0)" } ?? "") could not be read: \(error.message)"
            } catch {
                unreadable = "payload could not be read: \(error)"
            }
            jobs.append(
                ClaimedJob(
                    id: id, queue: queue, kind: kind,
                    payload: parsed, unreadablePayload: unreadable,
                    attempt: attempt, maxAttempts: maxAttempts,
                    checkpoint: checkpoint.flatMap { try? JSONValue(parsing: Array($0.utf8)) },
                    requeues: requeues, claimedFrom: JobState(rawValue: previous), leaseToken: token,
                    derivedExternalId: externalId, dfnsEntity: DfnsEntity(rawValue: entity),
                    unknownOutcomeAge: unknownAge.map(Duration.clampedSeconds), attemptSpent: spent, refusals: refusals,
                    failingFor: failingAge.map(Duration.clampedSeconds), externalIdFromKey: fromKey,
                    controls: controls.flatMap { try? JSONValue(parsing: Array($0.utf8)) }, onBehalfOf: onBehalfOf,
                    signedChallenge: signedChallenge.flatMap { try? JSONValue(parsing: Array($0.utf8)) },
                    sealedUserToken: userToken.map { Array($0.readableBytesView) }
                ))
        }
        return jobs.sorted { $0.id < $1.id }
    }

    /// True when a job of `queues` and `kinds` is due now and not locked by a claim in progress.
    public func hasDueJobs(queues: [String], kinds: [String]) async throws -> Bool {
        try await bounded("the due-jobs check") { try await self.hasDueJobsStatement(queues: queues, kinds: kinds) }
    }

    private func hasDueJobsStatement(queues: [String], kinds: [String]) async throws -> Bool {
        try await booleanFunction(
            """
            SELECT EXISTS (SELECT 1 FROM dfns_worker.jobs
                           WHERE state IN ('queued', 'retrying', 'waiting') AND queue = ANY(\(queues)::text[])
                             AND kind = ANY(\(kinds)::text[]) AND run_at <= now())
            """)
    }
}
