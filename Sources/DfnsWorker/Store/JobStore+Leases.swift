import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Leases: renewals of held jobs, and the rescue of jobs whose worker stopped renewing.
extension JobStore {
    /// Extends the leases of jobs still held; returns the ids whose lease this worker still holds.
    public func renewLeases(_ jobs: [(id: Int64, token: UUID)], lease: Duration) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        return try await bounded("the lease renewal") { try await self.renewStatement(jobs, lease: lease) }
    }

    private func renewStatement(_ jobs: [(id: Int64, token: UUID)], lease: Duration) async throws -> Set<Int64> {
        let rows = try await client.query(
            """
            UPDATE dfns_worker.jobs AS j
            SET lease_expires_at = now() + make_interval(secs => \(lease.seconds)), updated_at = now()
            FROM unnest(\(jobs.map(\.id))::bigint[], \(jobs.map(\.token))::uuid[]) AS r(id, token)
            WHERE j.id = r.id AND j.lease_token = r.token AND j.state = 'running'
            RETURNING j.id
            """, logger: logger)
        return try await Self.ids(rows)
    }

    /// Makes jobs whose lease expired claimable again (their worker died or was cut off). The attempt they spent
    /// stays spent, and whatever they may have sent to Dfns is unknown now: a job following a submitted entity goes
    /// back to waiting, any other to retrying (never to failed: its operation may exist). `run_at` is kept, so they
    /// go back to the head of the queue rather than behind a backlog.
    /// - Returns: the rescued job ids.
    public func rescueExpiredLeases() async throws -> [Int64] {
        try await bounded("the lease rescue") { try await self.rescueStatement() }
    }

    private func rescueStatement() async throws -> [Int64] {
        let rows = try await client.query(
            """
            WITH expired AS (
                SELECT id, jsonb_build_object(
                           'code', \(FailureCode.leaseExpired.rawValue)::text,
                           'message', 'the worker holding the job stopped renewing its lease; the attempt''s outcome is unknown',
                           'attempt', attempt, 'at', now()) AS error
                FROM dfns_worker.jobs WHERE state = 'running' AND lease_expires_at < now()
                FOR UPDATE SKIP LOCKED
            )
            UPDATE dfns_worker.jobs AS j
            SET state = CASE WHEN j.dfns_entity = 'exists' THEN 'waiting' ELSE 'retrying' END,
                dfns_entity = CASE WHEN j.dfns_entity IN ('exists', 'failed') THEN j.dfns_entity ELSE 'unknown' END,
                outcome_unknown_at = CASE WHEN j.dfns_entity IN ('exists', 'failed') THEN j.outcome_unknown_at ELSE now() END,
                failing_since = coalesce(j.failing_since, now()),
                last_error = expired.error,
                errors = (CASE WHEN jsonb_array_length(j.errors) >= 20 THEN j.errors - 0 ELSE j.errors END) || jsonb_build_array(expired.error),
                lease_token = NULL, lease_expires_at = NULL, worker_id = NULL, updated_at = now()
            FROM expired
            WHERE j.id = expired.id
            RETURNING j.id
            """, logger: logger)
        return Array(try await Self.ids(rows))
    }
}
