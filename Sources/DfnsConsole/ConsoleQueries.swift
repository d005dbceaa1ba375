import DfnsSDK
import DfnsWorker
import Foundation
import Logging
import PostgresNIO

/// The console's reads. Each reads an index: active rows through `jobs_active`/`jobs_listing`, throughput through
/// `job_stats`, a job by its primary key, a search through the ids' partial indexes, so a page costs the same on a
/// table of millions of finished jobs. They run on the console's own small pool with a statement timeout, never on the
/// worker's connections.
struct ConsoleQueries: Sendable {
    /// Throughput and failures of one queue and kind over the last 5 and 60 minutes (`dfns_worker.job_stats`).
    struct Rate: Sendable {
        /// Jobs over the last 5 and 60 minutes.
        struct Counts: Sendable {
            var five = 0
            var sixty = 0

            /// `5 / 60`, as the overview shows it.
            var text: String { "\(five) / \(sixty)" }
        }

        let queue: String
        let kind: String
        var succeeded = Counts()
        var failed = Counts()
        var retried = Counts()
    }

    /// Waiting jobs of one queue and kind at one Dfns status.
    struct Waiting: Sendable {
        let queue: String
        let kind: String
        let dfnsStatus: String
        let count: Int
    }

    struct Overview: Sendable {
        let status: QueueStatus
        let rates: [Rate]
        let waiting: [Waiting]
    }

    /// One row of the job list.
    struct Summary: Sendable {
        let id: Int64
        let queue: String
        let kind: String
        let state: JobState
        let attempt: Int
        let maxAttempts: Int
        let createdAt: Date
        let runAt: Date
        let errorCode: String?
        let errorMessage: String?
        let entityId: String?
        let dfnsStatus: String?
    }

    /// Everything about one job, with what each operator action would answer now.
    struct Detail: Sendable {
        let row: PostgresRandomAccessRow
        /// Why each action cannot be done now, or nil when it can.
        let refusals: [OperatorAction: String?]
    }

    let store: JobStore
    let logger: Logger

    var client: PostgresClient { store.client }

    func overview() async throws -> Overview {
        try await store.bounded("the console overview") { try await self.overviewStatements() }
    }

    private func overviewStatements() async throws -> Overview {
        // Active rows only: finished jobs are counted from job_stats, not by reading the hour's finished rows.
        var status = try await store.status()
        status.workers = try await store.workersAlive()
        var rates: [String: Rate] = [:]
        let rows = try await client.query(
            """
            SELECT queue, kind, outcome,
                   coalesce(sum(jobs) FILTER (WHERE minute >= date_trunc('minute', now()) - interval '4 minutes'), 0)::bigint,
                   sum(jobs)::bigint
            FROM dfns_worker.job_stats
            WHERE minute >= date_trunc('minute', now()) - interval '59 minutes'
            GROUP BY queue, kind, outcome
            """, logger: logger)
        for try await (queue, kind, outcome, five, sixty) in rows.decode((String, String, String, Int64, Int64).self) {
            var rate = rates["\(queue)\u{0}\(kind)"] ?? Rate(queue: queue, kind: kind)
            let counts = Rate.Counts(five: Int(five), sixty: Int(sixty))
            switch outcome {
            case "succeeded": rate.succeeded = counts
            case "failed": rate.failed = counts
            default: rate.retried = counts
            }
            rates["\(queue)\u{0}\(kind)"] = rate
        }
        var waiting: [Waiting] = []
        let waitingRows = try await client.query(
            """
            SELECT queue, kind, coalesce(result->>'status', 'not yet read'), count(*) FROM dfns_worker.jobs
            WHERE state = 'waiting' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """, logger: logger)
        for try await (queue, kind, dfnsStatus, count) in waitingRows.decode((String, String, String, Int64).self) {
            waiting.append(Waiting(queue: queue, kind: kind, dfnsStatus: dfnsStatus, count: Int(count)))
        }
        return Overview(status: status, rates: rates.values.sorted { ($0.queue, $0.kind) < ($1.queue, $1.kind) }, waiting: waiting)
    }

    /// Up to `limit` jobs matching `filter`, newest first, from `filter.before` on.
    func jobs(_ filter: ConsoleJobFilter, limit: Int) async throws -> [Summary] {
        try await store.bounded("the console's job list") { try await self.jobsStatements(filter, limit: limit) }
    }

    private func jobsStatements(_ filter: ConsoleJobFilter, limit: Int) async throws -> [Summary] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func bind(_ value: String) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        // The state is one of JobState.all (checked by the filter), written literally so that PostgreSQL can match
        // the partial index jobs_listing.
        if let state = filter.state { conditions.append("state = '\(state.rawValue)'") }
        if let kind = filter.kind { conditions.append("kind = \(bind(kind))") }
        if let queue = filter.queue { conditions.append("queue = \(bind(queue))") }
        if let before = filter.before { conditions.append("id < \(before)") }
        if let since = filter.since {
            let window = "now() - make_interval(secs => \(since.seconds))"
            conditions.append("id >= coalesce(dfns_worker.job_id_at(\(window)), 9223372036854775807) AND created_at >= \(window)")
        }
        if let search = filter.search {
            // One index scan per id the text may be (see migration 6), united into at most the newest 10,000 ids
            // first: OR-ed in one WHERE, PostgreSQL would misjudge their rarity and read the table backwards.
            let key = bind(search)
            var alternatives = [
                "dfns_id = \(key)",
                "dfns_parent_id = \(key)",
                "payload ? 'walletId' AND payload->>'walletId' = \(key)",
                "payload ? 'externalId' AND payload->>'externalId' = \(key)",
                "unique_key = \(key) AND state <> 'cancelled'",
                // A key-derived externalId (migration 7) does not name its job.
                "unique_key IS NOT NULL AND external_id = \(key)",
                "state = 'cancelled' AND unique_key = \(key)",
            ]
            if let id = Int64(search) { alternatives.append("id = \(id)") }
            // A derived externalId names its job: dfns-worker-<installation>-<id>[-r<n>] (dfns-worker-job-<id> before v2).
            if let match = search.wholeMatch(of: /dfns-worker-(?:[a-z0-9]{12}|job)-([0-9]{1,18})(?:-r[0-9]{1,9})?/), let id = Int64(match.1) {
                alternatives.append("id = \(id) AND external_id = \(key)")
            }
            let union = alternatives.map { "SELECT id FROM dfns_worker.jobs WHERE \($0)" }.joined(separator: " UNION ")
            conditions.append("id = ANY(ARRAY(\(union) ORDER BY 1 DESC LIMIT 10000))")
        }
        let sql = """
            SELECT id, queue, kind, state, attempt, max_attempts, created_at, run_at, last_error->>'code', left(last_error->>'message', 300),
                   dfns_id, result->>'status'
            FROM dfns_worker.jobs
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY id DESC LIMIT \(max(1, min(limit, 500)))
            """
        var summaries: [Summary] = []
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        for try await (id, queue, kind, state, attempt, maxAttempts, created, runAt, code, message, entity, dfnsStatus)
            in rows.decode((Int64, String, String, String, Int, Int, Date, Date, String?, String?, String?, String?).self)
        {
            summaries.append(
                Summary(
                    id: id, queue: queue, kind: kind, state: JobState(rawValue: state), attempt: attempt, maxAttempts: maxAttempts,
                    createdAt: created, runAt: runAt,
                    errorCode: code, errorMessage: message, entityId: entity, dfnsStatus: dfnsStatus
                ))
        }
        return summaries
    }

    /// The kinds and queues for the list's filter menus: `job_kinds`, and the queues workers serve or finished jobs of
    /// in the last two days (`job_stats`), not a scan of the jobs.
    func choices() async throws -> (kinds: [String], queues: [String]) {
        try await store.bounded("the console's filter menus") { try await self.choicesStatements() }
    }

    private func choicesStatements() async throws -> (kinds: [String], queues: [String]) {
        var kinds: [String] = []
        for try await kind in try await client.query("SELECT kind FROM dfns_worker.job_kinds ORDER BY kind", logger: logger).decode(String.self) {
            kinds.append(kind)
        }
        var queues: [String] = []
        let rows = try await client.query(
            """
            SELECT DISTINCT queue FROM dfns_worker.job_stats UNION SELECT unnest(queues) FROM dfns_worker.workers ORDER BY 1
            """, logger: logger)
        for try await queue in rows.decode(String.self) { queues.append(queue) }
        return (kinds, queues)
    }

    /// One job, or nil when there is none with `id`.
    func job(_ id: Int64) async throws -> Detail? {
        try await store.bounded("the console's job page") { try await self.jobStatements(id) }
    }

    private func jobStatements(_ id: Int64) async throws -> Detail? {
        let rows = try await client.query(
            """
            SELECT j.id, j.queue, j.kind, j.state, j.priority, j.attempt, j.max_attempts, j.run_at, j.unique_key,
                   jsonb_pretty(j.payload) AS payload, jsonb_pretty(j.result) AS result, j.errors::text AS errors,
                   jsonb_pretty(j.checkpoint) AS checkpoint, j.requeues, j.worker_id, j.lease_expires_at, j.created_at, j.started_at,
                   j.finished_at, j.updated_at, j.external_id, j.payload->>'externalId' AS payload_external_id, j.dfns_entity,
                   j.outcome_unknown_at, j.failing_since, j.controls::text AS controls, j.operator_actions::text AS operator_actions,
                   j.dfns_id AS entity_id, j.dfns_parent_id AS wallet_id,
                   j.on_behalf_of, j.signature_deadline, jsonb_pretty(j.user_challenge) AS user_challenge,
                   j.result->>'status' AS dfns_status,
                   dfns_worker.action_refusal(j, 'retry') AS retry_refusal, dfns_worker.action_refusal(j, 'cancel') AS cancel_refusal,
                   dfns_worker.action_refusal(j, 'run_now') AS run_now_refusal,
                   w.host AS lease_host, w.heartbeat_at > now() - make_interval(secs => \(QueueStatus.Worker.aliveWithin.seconds)) AS lease_holder_alive
            FROM dfns_worker.jobs j LEFT JOIN dfns_worker.workers w ON w.worker_id = j.worker_id
            WHERE j.id = \(id)
            """, logger: logger)
        for try await row in rows {
            let access = row.makeRandomAccess()
            return Detail(
                row: access,
                refusals: [
                    .retry: try access["retry_refusal"].decode(String?.self),
                    .cancel: try access["cancel_refusal"].decode(String?.self),
                    .runNow: try access["run_now_refusal"].decode(String?.self),
                ])
        }
        return nil
    }
}
