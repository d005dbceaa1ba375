import DfnsSDK
import Foundation
import Logging
import PostgresNIO

/// Every statement the worker runs against `dfns_worker.jobs`. Claims and write-backs are batched: one round trip
/// claims many jobs, one finishes many, and every write presents the lease token so a worker that lost a lease can
/// never overwrite the row.
public final class JobStore: Sendable {
    /// How a claimed job is written back.
    public struct Completion: Sendable {
        public let jobId: Int64
        let leaseToken: UUID
        /// The job's queue and kind, for the outcome counts (``OutcomeCounter``).
        let queue: String
        let kind: String
        let state: JobState
        /// JSON text, or nil to keep the column.
        private(set) var result: String?
        private(set) var error: String?
        private(set) var checkpoint: String?
        /// Delay until due again (retrying, waiting, handed back); nil keeps `run_at`.
        let delay: Duration?
        /// What becomes of the attempt the claim counted.
        var attemptUse: AttemptUse
        /// The job's attempt number, for an error recorded later (a refused write).
        var attempt = 0
        /// What Dfns may hold afterwards; nil keeps `dfns_entity`. `.unknown` also stamps `outcome_unknown_at`.
        var entity: DfnsEntity?
        /// The entity the job made or follows; nil keeps `dfns_id` and `dfns_parent_id`.
        var reference: DfnsReference?
        /// True starts (or continues) a run of failures (`failing_since`), false ends it, nil keeps it.
        var failing: Bool?
        /// True counts one more HTTP 403 for the job (`refusals`), false resets the count, nil keeps it.
        var refused: Bool?
        /// The `last_error.code` recorded, for logs and metrics.
        var errorCode: FailureCode?
        /// True when the job goes back unfinished (shutdown, lease lost, never started).
        var handedBack = false

        /// How ``OutcomeCounter`` counts it: a job done (`succeeded`, `failed`), an attempt failed with another to
        /// come (`retried`), or not at all (a poll, a job handed back).
        var countedOutcome: String {
            switch state {
            case .succeeded, .failed: state.rawValue
            case .retrying where !handedBack && error != nil: "retried"
            default: ""
            }
        }

        init(job: ClaimedJob, state: JobState, result: String?, error: String?, checkpoint: String?, delay: Duration?, attemptUse: AttemptUse) {
            jobId = job.id
            leaseToken = job.leaseToken
            queue = job.queue
            kind = job.kind
            attempt = job.attempt
            self.state = state
            self.result = result
            self.error = error
            self.checkpoint = checkpoint
            self.delay = delay
            self.attemptUse = attemptUse
        }

        /// A plain outcome for `job` (state and result), for tools that drive the store directly.
        public init(job: ClaimedJob, state: JobState, result: String? = nil) {
            self.init(job: job, state: state, result: result, error: nil, checkpoint: nil, delay: nil, attemptUse: .kept)
        }

        /// This outcome without its result and checkpoint, carrying `error` instead: what is written when PostgreSQL
        /// refused the outcome itself, so the row still records what happened and releases its lease.
        func replacingContent(error: String, code: FailureCode) -> Completion {
            var replaced = self
            replaced.result = nil
            replaced.checkpoint = nil
            replaced.error = error
            replaced.errorCode = code
            return replaced
        }
    }

    public let client: PostgresClient
    private let logger: Logger
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

    /// Runs one engine statement under ``statementTimeout``.
    @discardableResult
    private func bounded<Value: Sendable>(_ statement: String, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await StatementDeadline.run(statementTimeout, statement, operation)
    }

    // MARK: Schema

    /// Applies pending migrations and records `kinds` as known. Safe when several processes migrate at once.
    /// - Parameter version: the newest version to apply (tests of upgrades); nil applies all.
    /// - Returns: the versions applied now (empty when up to date).
    @discardableResult
    public func migrate(kinds: [String], through version: Int? = nil) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(SchemaMigrations.advisoryLockKey))", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS dfns_worker", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS dfns_worker.schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            // The oldest binary allowed (SchemaMigrations.Migration.oldestBinary); the column came with version 7.
            try await connection.query("ALTER TABLE dfns_worker.schema_migrations ADD COLUMN IF NOT EXISTS oldest_binary integer", logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM dfns_worker.schema_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > SchemaMigrations.newest {
                throw WorkerError(.migration, "the database schema is at version \(newest), newer than this dfns-worker knows (\(SchemaMigrations.newest)); upgrade the binary")
            }
            var now: [Int] = []
            for migration in SchemaMigrations.all where !applied.contains(migration.version) && migration.version <= (version ?? .max) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO dfns_worker.schema_migrations (version, name, oldest_binary)
                    VALUES (\(migration.version), \(migration.name), \(migration.oldestBinary))
                    """, logger: logger)
                now.append(migration.version)
            }
            try await connection.query("""
                INSERT INTO dfns_worker.job_kinds (kind) SELECT unnest(\(kinds)::text[]) ON CONFLICT DO NOTHING
                """, logger: logger)
            return now
        }
    }

    /// Fails with a clear error, touching no job, unless the schema is one this binary may work on: migrated at least
    /// to ``SchemaMigrations/newest`` (an older one lacks what this binary relies on: run `migrate`), and no migration
    /// applied since asks for a newer binary (`oldest_binary`, recorded by migrations that change a money rule; a
    /// schema newer than this binary but compatible with it is a rolling upgrade in progress). Records `kinds`.
    ///
    /// Bounded by at least 30 s whatever ``statementTimeout``: a slow answer once at start-up is no reason to exit.
    public func checkSchema(kinds: [String]) async throws {
        try await StatementDeadline.run(max(statementTimeout, .seconds(30)), "the schema check") { [client, logger] in
            let rows = try await client.query("""
                SELECT to_regclass('dfns_worker.jobs') IS NOT NULL, to_regclass('dfns_worker.schema_migrations') IS NOT NULL
                """, logger: logger)
            for try await (jobs, migrations) in rows.decode((Bool, Bool).self) where !jobs || !migrations {
                throw WorkerError(.migration, "schema dfns_worker is missing: run `dfns-worker migrate` first")
            }
            var schema = 0
            for try await version in try await client.query("SELECT coalesce(max(version), 0) FROM dfns_worker.schema_migrations", logger: logger).decode(Int.self) {
                schema = version
            }
            guard schema >= SchemaMigrations.newest else {
                throw WorkerError(.migration, "the database schema is at version \(schema), older than this dfns-worker needs (\(SchemaMigrations.newest)): run `dfns-worker migrate` (the workers already running keep working meanwhile)")
            }
            for try await refusal in try await client.query("SELECT dfns_worker.binary_refusal(\(SchemaMigrations.newest)::integer)", logger: logger).decode(String?.self) {
                if let refusal { throw WorkerError(.migration, refusal) }
            }
            try await client.query("INSERT INTO dfns_worker.job_kinds (kind) SELECT unnest(\(kinds)::text[]) ON CONFLICT DO NOTHING", logger: logger)
        }
    }

    /// The newest schema version this binary knows, which is also the oldest it runs jobs on.
    public static var schemaVersion: Int { SchemaMigrations.newest }

    /// The refusal `dfns_worker.require_binary` raised in a claim, or nil for any other error.
    static func schemaRefusal(_ error: any Error) -> String? {
        guard let error = error as? PSQLError, error.serverInfo?[.sqlState] == "55000",
            let message = error.serverInfo?[.message], message.hasPrefix("dfns_worker: the database schema is at version")
        else { return nil }
        return String(message.dropFirst("dfns_worker: ".count))
    }

    // MARK: Claim, heartbeat, finish, rescue

    /// Claims up to `limit` due jobs of `queues` in one statement (`FOR UPDATE SKIP LOCKED`), highest priority then
    /// oldest first, leasing each for `lease`. One ordered scan of `jobs_due` per queue (an equality on the queue keeps
    /// the index order; `queue = ANY(…)` made PostgreSQL read and sort every due row for each claim, 49 ms per claim
    /// with 100,000 due jobs), so a claim costs what it returns, not what is queued (BENCHMARKS.md, "Big tables").
    /// With several queues, rows one queue's scan locked beyond the limit are released when the statement ends.
    ///
    /// A claim spends an attempt, except for a poll of a waiting job and for a job whose attempts ran out while Dfns
    /// may hold its operation (it may only look it up). The first claim records the job's derived externalId.
    public func claim(queues: [String], kinds: [String], limit: Int, workerId: String, lease: Duration) async throws -> [ClaimedJob] {
        try await bounded("the claim") { try await self.claimStatement(queues: queues, kinds: kinds, limit: limit, workerId: workerId, lease: lease) }
    }

    private func claimStatement(queues: [String], kinds: [String], limit: Int, workerId: String, lease: Duration) async throws -> [ClaimedJob] {
        let leaseSeconds = lease.seconds
        let rows = try await client.query("""
            WITH due AS (
                SELECT d.id, d.state, d.attempt
                FROM unnest(\(queues)::text[]) AS q(name)
                CROSS JOIN LATERAL (
                    SELECT id, state, attempt, priority, run_at FROM dfns_worker.jobs
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
                updated_at = now()
            FROM due
            WHERE j.id = due.id
            RETURNING j.id, j.queue, j.kind, j.payload::text, j.attempt, j.max_attempts, j.checkpoint::text, j.requeues,
                      due.state, j.lease_token, j.external_id, j.dfns_entity,
                      extract(epoch FROM now() - j.outcome_unknown_at)::float8, j.attempt <> due.attempt, j.refusals,
                      extract(epoch FROM now() - j.failing_since)::float8,
                      j.unique_key IS NOT NULL AND j.external_id LIKE dfns_worker.key_external_id(j.unique_key) || '%',
                      j.controls::text
            """, logger: logger)
        var jobs: [ClaimedJob] = []
        for try await (id, queue, kind, payload, attempt, maxAttempts, checkpoint, requeues, previous, token, externalId, entity, unknownAge, spent, refusals, failingAge, fromKey, controls)
            in rows.decode((Int64, String, String, String, Int, Int, String?, Int, String, UUID, String, String, Double?, Bool, Int, Double?, Bool, String?).self)
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
            jobs.append(ClaimedJob(
                id: id, queue: queue, kind: kind,
                payload: parsed, unreadablePayload: unreadable,
                attempt: attempt, maxAttempts: maxAttempts,
                checkpoint: checkpoint.flatMap { try? JSONValue(parsing: Array($0.utf8)) },
                requeues: requeues, claimedFrom: JobState(rawValue: previous), leaseToken: token,
                derivedExternalId: externalId, dfnsEntity: DfnsEntity(rawValue: entity),
                unknownOutcomeAge: unknownAge.map(Duration.clampedSeconds), attemptSpent: spent, refusals: refusals,
                failingFor: failingAge.map(Duration.clampedSeconds), externalIdFromKey: fromKey,
                controls: controls.flatMap { try? JSONValue(parsing: Array($0.utf8)) }
            ))
        }
        return jobs.sorted { $0.id < $1.id }
    }

    /// Extends the leases of jobs still held; returns the ids whose lease this worker still holds.
    public func renewLeases(_ jobs: [(id: Int64, token: UUID)], lease: Duration) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        return try await bounded("the lease renewal") { try await self.renewStatement(jobs, lease: lease) }
    }

    private func renewStatement(_ jobs: [(id: Int64, token: UUID)], lease: Duration) async throws -> Set<Int64> {
        let rows = try await client.query("""
            UPDATE dfns_worker.jobs AS j
            SET lease_expires_at = now() + make_interval(secs => \(lease.seconds)), updated_at = now()
            FROM unnest(\(jobs.map(\.id))::bigint[], \(jobs.map(\.token))::uuid[]) AS r(id, token)
            WHERE j.id = r.id AND j.lease_token = r.token AND j.state = 'running'
            RETURNING j.id
            """, logger: logger)
        return try await Self.ids(rows)
    }

    /// Writes many outcomes in one statement, each only if its lease is still held. Result, state and finished_at
    /// change in the same statement that releases the lease.
    /// - Returns: the ids written; a missing id lost its lease and its outcome was discarded.
    public func finish(_ completions: [Completion]) async throws -> Set<Int64> {
        guard !completions.isEmpty else { return [] }
        return try await bounded("the outcome write") { try await self.finishStatement(completions) }
    }

    private func finishStatement(_ completions: [Completion]) async throws -> Set<Int64> {
        let rows = try await client.query("""
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
                lease_token = NULL, lease_expires_at = NULL, worker_id = NULL, updated_at = now()
            FROM unnest(\(completions.map(\.jobId))::bigint[], \(completions.map(\.leaseToken))::uuid[],
                        \(completions.map(\.state.rawValue))::text[], \(completions.map { $0.result ?? "" })::text[],
                        \(completions.map { $0.error ?? "" })::text[], \(completions.map { $0.checkpoint ?? "" })::text[],
                        \(completions.map { $0.delay.map(Self.delayMilliseconds) ?? -1 })::bigint[], \(completions.map(\.attemptUse.rawValue))::text[],
                        \(completions.map { $0.entity?.rawValue ?? "" })::text[], \(completions.map { Self.flag($0.failing) })::int[],
                        \(completions.map { Self.flag($0.refused) })::int[], \(completions.map { $0.reference?.id ?? "" })::text[],
                        \(completions.map { $0.reference?.parentId ?? "" })::text[])
                 AS r(id, token, state, result, error, checkpoint, delay_ms, attempt_use, entity, failing, refused, dfns_id, dfns_parent_id)
            WHERE j.id = r.id AND j.lease_token = r.token AND j.state = 'running'
            RETURNING j.id
            """, logger: logger)
        return try await Self.ids(rows)
    }

    /// Adds `counts` to this worker's rows of `dfns_worker.job_stats` for the current minute, in one statement.
    func recordOutcomes(_ counts: [OutcomeCounter.Key: Int], by workerId: String) async throws {
        let keys = Array(counts.keys)
        try await bounded("the outcome counts") { [client, logger] in
            try await client.query("""
                INSERT INTO dfns_worker.job_stats AS s (minute, worker_id, queue, kind, outcome, jobs)
                SELECT date_trunc('minute', now()), \(workerId), c.queue, c.kind, c.outcome, c.jobs
                FROM unnest(\(keys.map(\.queue))::text[], \(keys.map(\.kind))::text[], \(keys.map(\.outcome))::text[], \(keys.map { counts[$0]! })::int[])
                     AS c(queue, kind, outcome, jobs)
                ON CONFLICT (minute, worker_id, queue, kind, outcome) DO UPDATE SET jobs = s.jobs + excluded.jobs
                """, logger: logger)
        }
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
        let rows = try await client.query("""
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

    /// True when a job of `queues` and `kinds` is due now and not locked by a claim in progress.
    public func hasDueJobs(queues: [String], kinds: [String]) async throws -> Bool {
        try await bounded("the due-jobs check") { try await self.hasDueJobsStatement(queues: queues, kinds: kinds) }
    }

    private func hasDueJobsStatement(queues: [String], kinds: [String]) async throws -> Bool {
        try await booleanFunction("""
            SELECT EXISTS (SELECT 1 FROM dfns_worker.jobs
                           WHERE state IN ('queued', 'retrying', 'waiting') AND queue = ANY(\(queues)::text[])
                             AND kind = ANY(\(kinds)::text[]) AND run_at <= now())
            """)
    }

    // MARK: Commands

    /// `dfns_worker.enqueue(...)`; returns the job id (the existing one for a repeated `uniqueKey`).
    public func enqueue(
        kind: String, payload: String, runAt: Date? = nil, queue: String = "default", priority: Int = 0,
        maxAttempts: Int = 20, uniqueKey: String? = nil
    ) async throws -> Int64 {
        try await bounded("the enqueue") { [client, logger] in
            let rows = try await client.query("""
                SELECT dfns_worker.enqueue(\(kind)::text, \(payload)::jsonb, coalesce(\(runAt)::timestamptz, now()), \(queue)::text,
                                           \(priority)::int, \(maxAttempts)::int, \(uniqueKey)::text)
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { return id }
            throw WorkerError(.database, "enqueue returned no id")
        }
    }

    /// What a verified webhook event did: nothing (a replay), or how many waiting jobs it made due now.
    public enum WebhookEffect: Sendable, Equatable {
        case replay
        case woke(Int)
    }

    /// `dfns_worker.receive_webhook_event(...)`: records the event once and makes the waiting job following
    /// `entityId` due now.
    public func receiveWebhookEvent(id: String, kind: String, entityId: String?) async throws -> WebhookEffect {
        try await bounded("the webhook event") { [client, logger] in
            let rows = try await client.query("SELECT dfns_worker.receive_webhook_event(\(id)::text, \(kind)::text, \(entityId)::text)", logger: logger)
            for try await woken in rows.decode(Int.self) { return woken < 0 ? .replay : .woke(woken) }
            throw WorkerError(.database, "receive_webhook_event returned nothing")
        }
    }

    /// Writes this worker's row in `dfns_worker.workers` (``WorkerRegistry``).
    func heartbeat(
        workerId: String, host: String, pid: Int, version: String, queues: [String], concurrency: Int, _ beat: WorkerRegistry.Heartbeat
    ) async throws {
        try await bounded("the worker heartbeat") { [client, logger] in
            try await client.query("""
                INSERT INTO dfns_worker.workers AS w (worker_id, host, pid, version, queues, concurrency, in_flight, paused, rate_limited)
                VALUES (\(workerId), \(String(host.prefix(255))), \(pid), \(version), \(queues)::text[], \(concurrency), \(beat.inFlight),
                        \(beat.paused.map { StorableJSON.clean(String($0.prefix(500))) }), \(beat.rateLimited))
                ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now(), in_flight = excluded.in_flight, paused = excluded.paused,
                                                      rate_limited = excluded.rate_limited
                """, logger: logger)
        }
    }

    /// Deletes this worker's row: it stopped.
    func removeWorker(_ workerId: String) async throws {
        try await bounded("the worker removal") { [client, logger] in
            try await client.query("DELETE FROM dfns_worker.workers WHERE worker_id = \(workerId)", logger: logger)
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

    /// Counts of active jobs by queue, kind and state, finished ones of the last `finishedWithin` (none when nil), the
    /// age of the oldest due job, and how many jobs are stuck: their Dfns entity exists or may exist, and every
    /// attempt or poll has failed for longer than `stuckAfter`.
    ///
    /// Every statement reads a partial index (`jobs_active`, `jobs_finished`, `jobs_due`, `jobs_failing`), so the cost
    /// follows active and recently finished rows, not the table: the 5-second sampling of every worker passes nil.
    public func status(stuckAfter: Duration = WorkerConfiguration.defaultStuckAfter, finishedWithin: Duration? = nil) async throws -> QueueStatus {
        try await bounded("the queue status") { try await self.statusStatements(stuckAfter: stuckAfter, finishedWithin: finishedWithin) }
    }

    private func statusStatements(stuckAfter: Duration, finishedWithin: Duration?) async throws -> QueueStatus {
        var counts: [QueueStatus.Count] = []
        let rows = try await client.query("""
            SELECT queue, kind, state, count(*) FROM dfns_worker.jobs
            WHERE state IN ('queued', 'running', 'retrying', 'waiting')
            GROUP BY queue, kind, state
            UNION ALL
            SELECT queue, kind, state, count(*) FROM dfns_worker.jobs
            WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at > now() - make_interval(secs => \(finishedWithin?.seconds ?? 0))
              AND \(finishedWithin != nil)
            GROUP BY queue, kind, state
            ORDER BY 1, 2, 3
            """, logger: logger)
        for try await (queue, kind, state, count) in rows.decode((String, String, String, Int64).self) {
            counts.append(.init(queue: queue, kind: kind, state: JobState(rawValue: state), count: Int(count)))
        }
        var oldest: Double?
        let ages = try await client.query("""
            SELECT extract(epoch FROM now() - min(run_at))::float8 FROM dfns_worker.jobs
            WHERE state IN ('queued', 'retrying', 'waiting') AND run_at <= now()
            """, logger: logger)
        for try await age in ages.decode(Double?.self) { oldest = age }
        var stuck = 0
        let stuckRows = try await client.query("""
            SELECT count(*) FROM dfns_worker.jobs
            WHERE failing_since < now() - make_interval(secs => \(stuckAfter.seconds))
              AND state IN ('retrying', 'waiting') AND dfns_entity IN ('unknown', 'exists')
            """, logger: logger)
        for try await count in stuckRows.decode(Int64.self) { stuck = Int(count) }
        return QueueStatus(counts: counts, oldestDueAgeSeconds: oldest, stuckJobs: stuck, finishedWithinSeconds: finishedWithin?.seconds)
    }

    /// The workers whose heartbeat in `dfns_worker.workers` is recent (the last 30 seconds), for `status` (the
    /// 5-second sampling does not need them).
    public func workersAlive() async throws -> [QueueStatus.Worker] {
        try await bounded("the workers query") { [client, logger] in
            var workers: [QueueStatus.Worker] = []
            let rows = try await client.query("""
                SELECT worker_id, host, pid, started_at, heartbeat_at, in_flight, paused, rate_limited FROM dfns_worker.workers
                WHERE heartbeat_at > now() - make_interval(secs => \(QueueStatus.Worker.aliveWithin.seconds)) ORDER BY worker_id
                """, logger: logger)
            for try await (id, host, pid, started, heartbeat, inFlight, paused, rateLimited)
                in rows.decode((String, String, Int, Date, Date, Int, String?, Bool).self)
            {
                workers.append(.init(
                    workerId: id, host: host, pid: pid, startedAt: started, heartbeatAt: heartbeat, inFlight: inFlight, paused: paused,
                    rateLimited: rateLimited
                ))
            }
            return workers
        }
    }

    /// A delay for `run_at`, within 0 ms and a year, whatever a handler returned.
    private static func delayMilliseconds(_ delay: Duration) -> Int64 {
        min(max(delay.milliseconds, 0), 366 * 86_400_000)
    }

    /// 1, 0 or -1 (keep) for an optional flag column update.
    private static func flag(_ value: Bool?) -> Int32 { value.map { $0 ? 1 : 0 } ?? -1 }

    private func booleanFunction(_ query: PostgresQuery) async throws -> Bool {
        for try await value in try await client.query(query, logger: logger).decode(Bool.self) { return value }
        return false
    }

    private static func ids(_ rows: PostgresRowSequence) async throws -> Set<Int64> {
        var ids = Set<Int64>()
        for try await id in rows.decode(Int64.self) { ids.insert(id) }
        return ids
    }

}

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
            let rows = try await client.query("""
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
