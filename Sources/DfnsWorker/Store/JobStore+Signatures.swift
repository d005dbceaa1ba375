import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// End users' signatures: the hand-back of a signed challenge (`dfns_worker.sign`), and the end of the jobs whose
/// challenge nobody signed in time.
extension JobStore {
    /// `dfns_worker.sign(id, signedChallenge)`: hands an end user's signed challenge to the job awaiting it.
    /// - Throws: ``WorkerError`` `.notFound` for no such job, `.configuration` with PostgreSQL's reason for a job not
    ///   awaiting a signature, an expired challenge, another job's or a malformed one (nothing changed).
    public func sign(_ id: Int64, signedChallenge: String) async throws {
        try await bounded("the signature hand-back") { [client, logger] in
            do {
                _ = try await client.query("SELECT dfns_worker.sign(\(id), \(signedChallenge)::jsonb)", logger: logger).collect()
            } catch let error as PSQLError {
                guard let message = error.serverInfo?[.message] else { throw error }
                let code = error.serverInfo?[.sqlState] == "P0002" ? WorkerError.Code.notFound : .configuration
                throw WorkerError(code, message + (error.serverInfo?[.hint].map { " (\($0))" } ?? ""))
            }
        }
    }

    /// Ends the jobs whose end user did not sign the challenge before its deadline: failed with `signature_timeout`
    /// when nothing of the job can exist at Dfns; otherwise (an earlier attempt's outcome is unknown) their attempts are
    /// used up so they only look the operation up, and fail only once Dfns shows nothing was created.
    /// - Returns: the ids.
    public func expireSignatures() async throws -> [Int64] {
        try await bounded("the signature expiry") { [client, logger] in
            let rows = try await client.query(
                """
                WITH expired AS (
                    SELECT id, jsonb_build_object(
                               'code', \(FailureCode.signatureTimeout.rawValue)::text,
                               'message', 'end user ' || on_behalf_of || ' did not sign the challenge before its deadline ('
                                   || signature_deadline || '); nothing was sent'
                                   || CASE WHEN dfns_entity = 'none' THEN ', and retry() asks for a new challenge'
                                           ELSE '; an earlier attempt may have created the operation, so the job looks it up at Dfns' END,
                               'attempt', attempt, 'at', now()) AS error
                    FROM dfns_worker.jobs WHERE state = 'awaiting_signature' AND signature_deadline < now()
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE dfns_worker.jobs AS j
                SET state = CASE j.dfns_entity WHEN 'none' THEN 'failed' WHEN 'exists' THEN 'waiting' ELSE 'retrying' END,
                    attempt = CASE WHEN j.dfns_entity = 'unknown' THEN greatest(j.attempt, j.max_attempts) ELSE j.attempt END,
                    finished_at = CASE WHEN j.dfns_entity = 'none' THEN now() END,
                    run_at = now(),
                    last_error = expired.error,
                    errors = (CASE WHEN jsonb_array_length(j.errors) >= 20 THEN j.errors - 0 ELSE j.errors END) || jsonb_build_array(expired.error),
                    user_challenge = NULL, user_token = NULL, signature_deadline = NULL, signed_challenge = NULL, updated_at = now()
                FROM expired
                WHERE j.id = expired.id
                RETURNING j.id
                """, logger: logger)
            return Array(try await Self.ids(rows))
        }
    }
}
