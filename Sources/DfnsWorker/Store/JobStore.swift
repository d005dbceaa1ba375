import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Every statement the engine runs against schema `dfns_worker`, each under ``statementTimeout``, one concern per file:
/// `JobStore+Claims` (leasing due jobs), `+Leases` (renewal, rescue), `+Outcomes` (write-back), `+Commands` (the SQL
/// contract's functions), `+Webhooks`, `+Workers`, `+Status`, `+Schema` (migrations, the start-up check), `+JobRows`.
/// Claims and write-backs are batched: one round trip claims many jobs, one finishes many, and every write presents the
/// lease token so a worker that lost a lease can never overwrite the row.
public final class JobStore: Sendable {
    public let client: PostgresClient

    let logger: Logger

    /// How long a statement of the engine (claim, renewal, outcome write, rescue, look-ups) may go unanswered before
    /// it is given up as lost (``StatementDeadline``). Default 30 s: far above a healthy batch, well below a lease
    /// a stuck worker should not outlive.
    public let statementTimeout: Duration

    public init(client: PostgresClient, logger: Logger, statementTimeout: Duration = .seconds(30)) {
        self.client = client
        self.logger = logger
        self.statementTimeout = statementTimeout
    }

    /// Session settings for the worker's connections, so PostgreSQL itself ends what the worker gives up on: a statement
    /// still running (or waiting for a lock, e.g. behind a migration's `ACCESS EXCLUSIVE`) when ``StatementDeadline``
    /// fires would otherwise commit later — a claim leasing jobs to nobody, which the rescue then marks `unknown` with
    /// an attempt spent. The server's limit is a fifth (at most 5 s) below the worker's, so PostgreSQL has ended the
    /// statement, and rolled it back, before the worker stops waiting for it.
    public static func connectionOptions(statementTimeout: Duration) -> [(String, String)] {
        let milliseconds = max(statementTimeout.milliseconds - min(statementTimeout.milliseconds / 5, 5000), 100)
        return [
            ("statement_timeout", "\(milliseconds)"), ("lock_timeout", "\(milliseconds)"),
            ("idle_in_transaction_session_timeout", "\(milliseconds)"), ("application_name", "dfns-worker"),
        ]
    }

    /// Runs one statement (or a few that answer one question) under ``statementTimeout``: the rule for every statement
    /// of the engine, the console and retention (migrations aside: they run once, from `migrate`, and may take long).
    @discardableResult
    package func bounded<Value: Sendable>(_ statement: String, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await StatementDeadline.run(statementTimeout, statement, operation)
    }

    /// Runs `query`, whose rows nobody needs, reading them to the end: PostgresNIO reports an error met while the
    /// statement runs (a lock timeout, a refused value) with its rows, so a discarded sequence would hide it.
    func execute(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws {
        let rows = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        for try await _ in rows {}
    }

    /// The single boolean a statement answers; false when it answers no row.
    func booleanFunction(_ query: PostgresQuery) async throws -> Bool {
        for try await value in try await client.query(query, logger: logger).decode(Bool.self) { return value }
        return false
    }

    /// The ids in `rows`' single column.
    static func ids(_ rows: PostgresRowSequence) async throws -> Set<Int64> {
        var ids = Set<Int64>()
        for try await id in rows.decode(Int64.self) { ids.insert(id) }
        return ids
    }
}
