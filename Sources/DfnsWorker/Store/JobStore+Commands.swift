import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// The commands of the SQL contract, for the CLI and the console: enqueue, cancel, retry, operator actions.
extension JobStore {
    /// `dfns_worker.enqueue(...)`; returns the job id (the existing one for a repeated `uniqueKey`).
    /// - Parameter onBehalfOf: the Dfns end user (`us-…`) the job acts for, who signs its write; nil for the worker's
    ///   own service account.
    public func enqueue(
        kind: String, payload: String, runAt: Date? = nil, queue: String = "default", priority: Int = 0,
        maxAttempts: Int = 20, uniqueKey: String? = nil, onBehalfOf: String? = nil
    ) async throws -> Int64 {
        try await bounded("the enqueue") { [client, logger] in
            let rows = try await client.query(
                """
                SELECT dfns_worker.enqueue(\(kind)::text, \(payload)::jsonb, coalesce(\(runAt)::timestamptz, now()), \(queue)::text,
                                           \(priority)::int, \(maxAttempts)::int, \(uniqueKey)::text, \(onBehalfOf)::text)
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { return id }
            throw WorkerError(.database, "enqueue returned no id")
        }
    }

    /// `dfns_worker.cancel(id)`.
    public func cancel(_ id: Int64) async throws -> Bool {
        try await bounded("the cancel") { try await self.booleanFunction("SELECT dfns_worker.cancel(\(id))") }
    }

    /// Why `cancel` refuses the job now (`dfns_worker.cancel_refusal`), or nil when it would cancel it or there is
    /// no such job.
    public func cancelRefusal(_ id: Int64) async throws -> String? {
        try await bounded("the cancel check") { [client, logger] in
            let rows = try await client.query("SELECT dfns_worker.cancel_refusal(j) FROM dfns_worker.jobs j WHERE j.id = \(id)", logger: logger)
            for try await reason in rows.decode(String?.self) { return reason }
            return nil
        }
    }

    /// `dfns_worker.retry(id)`.
    public func retry(_ id: Int64) async throws -> Bool {
        try await bounded("the retry") { try await self.booleanFunction("SELECT dfns_worker.retry(\(id))") }
    }

    /// Does `action` to job `id` as `actor` (who, for the record) through `dfns_worker.operator_action`: the rules of
    /// `retry()`, `cancel()` and `run_now()`, and the action recorded in the job's `operator_actions`.
    /// - Returns: nil when it was done, else why not (nothing changed).
    public func act(_ action: OperatorAction, on id: Int64, by actor: String) async throws -> String? {
        try await bounded("the operator action") { [client, logger] in
            let rows = try await client.query("SELECT dfns_worker.operator_action(\(id), \(action.rawValue), \(actor))", logger: logger)
            for try await refusal in rows.decode(String?.self) { return refusal }
            return nil
        }
    }

    /// The state of one job, or nil when there is no such job.
    public func state(of id: Int64) async throws -> JobState? {
        try await bounded("the state look-up") { [client, logger] in
            let rows = try await client.query("SELECT state FROM dfns_worker.jobs WHERE id = \(id)", logger: logger)
            for try await state in rows.decode(String.self) { return JobState(rawValue: state) }
            return nil
        }
    }
}
