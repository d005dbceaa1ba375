import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Outcomes: the batched write-back of how attempts ended (``JobCompletion``), and the counts for the console.
extension JobStore {
    /// Writes many outcomes in one statement, each only if its lease is still held. Result, state and finished_at
    /// change in the same statement that releases the lease.
    /// - Returns: the ids written; a missing id lost its lease and its outcome was discarded.
    public func finish(_ completions: [JobCompletion]) async throws -> Set<Int64> {
        guard !completions.isEmpty else { return [] }
        return try await bounded("the outcome write") { try await self.finishStatement(completions) }
    }

    private func finishStatement(_ completions: [JobCompletion]) async throws -> Set<Int64> {
        let rows = try await client.query(
            """
            UPDATE dfns_worker.jobs AS j
            SET state = r.state,
                result = CASE WHEN r.result = '' THEN j.result ELSE r.result::jsonb END,
                last_error = CASE WHEN r.error = '' THEN j.last_error ELSE r.error::jsonb END,
                errors = CASE WHEN r.error = '' THEN j.errors
                              ELSE (CASE WHEN jsonb_array_length(j.errors) >= 20 THEN j.errors - 0 ELSE j.errors END)
                                   || jsonb_build_array(r.error::jsonb) END,
                checkpoint = CASE WHEN r.checkpoint = '' THEN j.checkpoint ELSE r.checkpoint::jsonb END,
                run_at = CASE WHEN r.state = 'waiting' AND j.wake_pending THEN now()
                              WHEN r.delay_ms < 0 THEN j.run_at ELSE now() + r.delay_ms * interval '1 millisecond' END,
                wake_pending = false,
                attempt = CASE r.attempt_use WHEN 'exhausted' THEN greatest(j.attempt, j.max_attempts)
                                             WHEN 'given_back' THEN j.attempt - 1 ELSE j.attempt END,
                dfns_entity = CASE WHEN r.entity = '' THEN j.dfns_entity ELSE r.entity END,
                dfns_id = CASE WHEN r.dfns_id = '' THEN j.dfns_id ELSE r.dfns_id END,
                dfns_parent_id = CASE WHEN r.dfns_id = '' THEN j.dfns_parent_id ELSE nullif(r.dfns_parent_id, '') END,
                outcome_unknown_at = CASE WHEN r.entity = '' THEN j.outcome_unknown_at WHEN r.entity = 'unknown' THEN now() END,
                failing_since = CASE r.failing WHEN 1 THEN coalesce(j.failing_since, now()) WHEN 0 THEN NULL ELSE j.failing_since END,
                refusals = CASE r.refused WHEN 1 THEN j.refusals + 1 WHEN 0 THEN 0 ELSE j.refusals END,
                finished_at = CASE WHEN r.state IN ('succeeded', 'failed') THEN now() END,
                user_challenge = CASE r.user_op WHEN 'park' THEN r.user_challenge::jsonb WHEN 'keep' THEN j.user_challenge END,
                user_token = CASE r.user_op WHEN 'park' THEN decode(r.user_token, 'base64') WHEN 'keep' THEN j.user_token END,
                signature_deadline = CASE r.user_op WHEN 'park' THEN now() + r.delay_ms * interval '1 millisecond'
                                                    WHEN 'keep' THEN j.signature_deadline END,
                signed_challenge = CASE WHEN r.user_op = 'keep' AND r.signed_challenge <> '' THEN r.signed_challenge::jsonb END,
                lease_token = NULL, lease_expires_at = NULL, worker_id = NULL, updated_at = now()
            FROM unnest(\(completions.map(\.jobId))::bigint[], \(completions.map(\.leaseToken))::uuid[],
                        \(completions.map(\.state.rawValue))::text[], \(completions.map { $0.result ?? "" })::text[],
                        \(completions.map { $0.error ?? "" })::text[], \(completions.map { $0.checkpoint ?? "" })::text[],
                        \(completions.map { $0.delay.map(Self.delayMilliseconds) ?? -1 })::bigint[], \(completions.map(\.attemptUse.rawValue))::text[],
                        \(completions.map { $0.entity?.rawValue ?? "" })::text[], \(completions.map { Self.flag($0.failing) })::int[],
                        \(completions.map { Self.flag($0.refused) })::int[], \(completions.map { $0.reference?.id ?? "" })::text[],
                        \(completions.map { $0.reference?.parentId ?? "" })::text[], \(completions.map(\.userSignature.operation))::text[],
                        \(completions.map(\.userSignature.challenge))::text[], \(completions.map(\.userSignature.sealedTokenBase64))::text[],
                        \(completions.map(\.userSignature.signedChallenge))::text[])
                 AS r(id, token, state, result, error, checkpoint, delay_ms, attempt_use, entity, failing, refused, dfns_id, dfns_parent_id,
                      user_op, user_challenge, user_token, signed_challenge)
            WHERE j.id = r.id AND j.lease_token = r.token AND j.state = 'running'
            RETURNING j.id
            """, logger: logger)
        return try await Self.ids(rows)
    }

    /// Adds `counts` to this worker's rows of `dfns_worker.job_stats` for the current minute, in one statement.
    func recordOutcomes(_ counts: [OutcomeCounter.Key: Int], by workerId: String) async throws {
        let keys = Array(counts.keys)
        try await bounded("the outcome counts") {
            try await self.execute(
                """
                INSERT INTO dfns_worker.job_stats AS s (minute, worker_id, queue, kind, outcome, jobs)
                SELECT date_trunc('minute', now()), \(workerId), c.queue, c.kind, c.outcome, c.jobs
                FROM unnest(\(keys.map(\.queue))::text[], \(keys.map(\.kind))::text[], \(keys.map(\.outcome))::text[], \(keys.map { counts[$0]! })::int[])
                     AS c(queue, kind, outcome, jobs)
                ON CONFLICT (minute, worker_id, queue, kind, outcome) DO UPDATE SET jobs = s.jobs + excluded.jobs
                """)
        }
    }

    /// A delay for `run_at`, within 0 ms and a year, whatever a handler returned.
    private static func delayMilliseconds(_ delay: Duration) -> Int64 {
        min(max(delay.milliseconds, 0), 366 * 86_400_000)
    }

    /// 1, 0 or -1 (keep) for an optional flag column update.
    private static func flag(_ value: Bool?) -> Int32 { value.map { $0 ? 1 : 0 } ?? -1 }
}
