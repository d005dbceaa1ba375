import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Another job's row as a job kind may see it (``JobRows``): the entity it follows, and controls recorded on it.
extension JobStore: JobRows {
    public func job(_ id: Int64) async throws -> JobRow? {
        try await bounded("the job look-up") { [client, logger] in
            let rows = try await client.query(
                "SELECT kind, state, dfns_id, dfns_parent_id FROM dfns_worker.jobs WHERE id = \(id)", logger: logger
            )
            for try await (kind, state, entityId, walletId) in rows.decode((String, String, String?, String?).self) {
                return JobRow(id: id, kind: kind, state: JobState(rawValue: state), entityId: entityId, walletId: walletId)
            }
            return nil
        }
    }

    public func recordControl(on id: Int64, _ entry: JSONValue) async throws {
        // Dfns's text may hold U+0000, which jsonb refuses: the write would fail on every attempt.
        let text = StorableJSON.text(entry)
        try await bounded("the control record") { [client, logger] in
            // Read to the end: an error (a lock timeout) arrives with the rows, and a discarded sequence hides it.
            let rows = try await client.query(
                """
                WITH changed AS (
                    UPDATE dfns_worker.jobs
                    SET controls = coalesce(controls, '[]'::jsonb) || jsonb_build_array(\(text)::jsonb),
                        run_at = CASE WHEN state = 'waiting' THEN now() ELSE run_at END, updated_at = now()
                    WHERE id = \(id)
                    RETURNING queue, state
                )
                SELECT pg_notify('dfns_worker_jobs', queue) FROM changed WHERE state = 'waiting'
                """, logger: logger)
            for try await _ in rows {}
        }
    }
}
