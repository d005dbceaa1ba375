import Foundation

/// The versioned SQL that creates and upgrades schema `dfns_worker` (the public SQL contract of design.md).
///
/// Each migration runs once, in its own transaction, under an advisory lock, so several workers may run
/// `migrate` at the same time; re-running is a no-op.
enum SchemaMigrations {
    struct Migration: Sendable {
        let version: Int
        let name: String
        /// For a migration that changes a money rule (how externalIds are derived, what `retry()` may re-key…): the
        /// oldest binary allowed to run against the schema from then on, as the newest version it knows. Recorded in
        /// `schema_migrations.oldest_binary`; older binaries refuse to start and to claim (``JobStore/checkSchema(kinds:)``).
        var oldestBinary: Int? = nil
        let sql: String

        /// The statements, one per `--;` separator (the extended protocol runs one statement at a time).
        var statements: [String] {
            sql.components(separatedBy: "\n--;\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
    }

    /// The newest version this binary knows, which is also the oldest it works on (``JobStore/checkSchema(kinds:)``).
    static var newest: Int { all.map(\.version).max() ?? 0 }

    /// Key of the transaction advisory lock that serialises migrations (`dfns_wor` in ASCII).
    static let advisoryLockKey: Int64 = 0x6466_6E73_5F77_6F72

    static let all: [Migration] = [
        Migration(version: 1, name: "jobs table, kinds, enqueue/cancel/retry, insert validation and NOTIFY", sql: #"""
        CREATE TABLE dfns_worker.job_kinds (
            kind text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
            registered_at timestamptz NOT NULL DEFAULT now()
        );
        --;
        CREATE TABLE dfns_worker.jobs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            queue text NOT NULL DEFAULT 'default' CHECK (queue <> ''),
            kind text NOT NULL,
            payload jsonb NOT NULL DEFAULT '{}'::jsonb,
            state text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'retrying', 'waiting', 'succeeded', 'failed', 'cancelled')),
            priority smallint NOT NULL DEFAULT 0,
            attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
            max_attempts integer NOT NULL DEFAULT 20 CHECK (max_attempts >= 1),
            run_at timestamptz NOT NULL DEFAULT now(),
            unique_key text,
            result jsonb,
            last_error jsonb,
            errors jsonb NOT NULL DEFAULT '[]'::jsonb,
            checkpoint jsonb,
            requeues integer NOT NULL DEFAULT 0,
            lease_token uuid,
            lease_expires_at timestamptz,
            worker_id text,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        --;
        COMMENT ON COLUMN dfns_worker.jobs.checkpoint IS
            'Handler progress kept across attempts (e.g. the Dfns transfer id being polled); not for applications.';
        --;
        COMMENT ON COLUMN dfns_worker.jobs.requeues IS
            'How many times dfns_worker.retry() re-queued the job; part of the derived Dfns externalId.';
        --;
        -- The claim path: due jobs of a queue, highest priority first, then oldest.
        CREATE INDEX jobs_due ON dfns_worker.jobs (queue, priority DESC, run_at, id)
            WHERE state IN ('queued', 'retrying', 'waiting');
        --;
        -- The rescue path: running jobs by lease expiry.
        CREATE INDEX jobs_leases ON dfns_worker.jobs (lease_expires_at) WHERE state = 'running';
        --;
        -- At most one non-cancelled job per unique_key.
        CREATE UNIQUE INDEX jobs_unique_key ON dfns_worker.jobs (unique_key)
            WHERE unique_key IS NOT NULL AND state <> 'cancelled';
        --;
        CREATE INDEX jobs_state_kind ON dfns_worker.jobs (state, kind);
        --;
        -- Refuse what the worker could never run, at INSERT time, with a clear message.
        CREATE FUNCTION dfns_worker.validate_job() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.payload IS NULL OR jsonb_typeof(NEW.payload) <> 'object' THEN
                RAISE EXCEPTION 'dfns_worker: payload must be a JSON object, got %', coalesce(jsonb_typeof(NEW.payload), 'null')
                    USING ERRCODE = '22023', HINT = 'Pass an object such as ''{"network":"EthereumSepolia"}''.';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM dfns_worker.job_kinds WHERE kind = NEW.kind) THEN
                RAISE EXCEPTION 'dfns_worker: unknown job kind "%"', NEW.kind
                    USING ERRCODE = '22023',
                    HINT = 'Known kinds: ' || coalesce((SELECT string_agg(kind, ', ' ORDER BY kind) FROM dfns_worker.job_kinds), 'none (run dfns-worker migrate)') || '.';
            END IF;
            RETURN NEW;
        END $$;
        --;
        CREATE TRIGGER jobs_validate BEFORE INSERT OR UPDATE OF kind, payload ON dfns_worker.jobs
            FOR EACH ROW EXECUTE FUNCTION dfns_worker.validate_job();
        --;
        -- Wake idle workers once per statement and queue, not once per row, so bulk inserts stay cheap.
        CREATE FUNCTION dfns_worker.notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            due_queue text;
        BEGIN
            FOR due_queue IN SELECT DISTINCT queue FROM new_jobs WHERE run_at <= now() LOOP
                PERFORM pg_notify('dfns_worker_jobs', due_queue);
            END LOOP;
            RETURN NULL;
        END $$;
        --;
        CREATE TRIGGER jobs_notify AFTER INSERT ON dfns_worker.jobs
            REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION dfns_worker.notify_jobs();
        --;
        CREATE FUNCTION dfns_worker.enqueue(
            kind text,
            payload jsonb,
            run_at timestamptz DEFAULT now(),
            queue text DEFAULT 'default',
            priority integer DEFAULT 0,
            max_attempts integer DEFAULT 20,
            unique_key text DEFAULT NULL
        ) RETURNS bigint LANGUAGE plpgsql AS $$
        #variable_conflict use_column
        DECLARE
            job_id bigint;
        BEGIN
            INSERT INTO dfns_worker.jobs (kind, payload, run_at, queue, priority, max_attempts, unique_key)
            VALUES (enqueue.kind, enqueue.payload, coalesce(enqueue.run_at, now()), coalesce(enqueue.queue, 'default'),
                    coalesce(enqueue.priority, 0)::smallint, coalesce(enqueue.max_attempts, 20), enqueue.unique_key)
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state <> 'cancelled' DO NOTHING
            RETURNING id INTO job_id;
            IF job_id IS NULL THEN
                SELECT j.id INTO job_id FROM dfns_worker.jobs j
                WHERE j.unique_key = enqueue.unique_key AND j.state <> 'cancelled';
            END IF;
            RETURN job_id;
        END $$;
        --;
        -- Cancels a job that is not running or finished; true when it was cancelled.
        CREATE FUNCTION dfns_worker.cancel(job_id bigint) RETURNS boolean LANGUAGE sql AS $$
            WITH cancelled AS (
                UPDATE dfns_worker.jobs
                SET state = 'cancelled', finished_at = now(), updated_at = now()
                WHERE id = job_id AND state IN ('queued', 'retrying', 'waiting')
                RETURNING 1
            )
            SELECT count(*) > 0 FROM cancelled
        $$;
        --;
        -- Re-queues a failed or cancelled job with a fresh attempt budget; true when it was re-queued.
        CREATE FUNCTION dfns_worker.retry(job_id bigint) RETURNS boolean LANGUAGE sql AS $$
            WITH requeued AS (
                UPDATE dfns_worker.jobs
                SET state = 'queued', attempt = 0, run_at = now(), finished_at = NULL, checkpoint = NULL,
                    requeues = requeues + 1, updated_at = now()
                WHERE id = job_id AND state IN ('failed', 'cancelled')
                RETURNING 1
            )
            SELECT count(*) > 0 FROM requeued
        $$;
        --;
        CREATE FUNCTION dfns_worker.notify_retry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('dfns_worker_jobs', NEW.queue);
            RETURN NULL;
        END $$;
        --;
        CREATE TRIGGER jobs_notify_requeue AFTER UPDATE OF state ON dfns_worker.jobs
            FOR EACH ROW WHEN (NEW.state = 'queued' AND OLD.state IN ('failed', 'cancelled'))
            EXECUTE FUNCTION dfns_worker.notify_retry();
        """#),
        Migration(version: 2, name: "money safety: installation id, stable externalIds, what Dfns may hold, safe cancel/retry", sql: #"""
        -- One row: this installation's id, part of every derived Dfns externalId, so that two databases (or a
        -- re-created schema) driving one Dfns organisation never share one.
        CREATE TABLE dfns_worker.installation (
            id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
            created_at timestamptz NOT NULL DEFAULT now(),
            singleton boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
        );
        --;
        -- The derived externalId of a job: 'dfns-worker-<installation>-<job id>', plus '-r<n>' for the n-th retry
        -- after Dfns reported the earlier entity Failed or Rejected. Built with the id inlined and only immutable
        -- operators (text casts, not `text || bigint`), so PostgreSQL inlines it into the claim.
        DO $$
        DECLARE
            installation text := substr(md5(gen_random_uuid()::text || clock_timestamp()::text), 1, 12);
        BEGIN
            INSERT INTO dfns_worker.installation (id) VALUES (installation);
            EXECUTE format($function$
                CREATE FUNCTION dfns_worker.derived_external_id(job_id bigint, generation integer DEFAULT 0) RETURNS text
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
                    SELECT 'dfns-worker-' || %L || '-' || job_id::text || CASE WHEN generation > 0 THEN '-r' || generation::text ELSE '' END
                $body$
            $function$, installation);
        END $$;
        --;
        ALTER TABLE dfns_worker.jobs
            ADD COLUMN external_id text,
            ADD COLUMN dfns_entity text NOT NULL DEFAULT 'none' CHECK (dfns_entity IN ('none', 'unknown', 'exists', 'failed')),
            ADD COLUMN outcome_unknown_at timestamptz,
            ADD COLUMN failing_since timestamptz,
            ADD COLUMN refusals integer NOT NULL DEFAULT 0 CHECK (refusals >= 0);
        --;
        -- The meaning of each new column (and the changed one), for whoever reads the table with psql.
        DO $$
        DECLARE
            col record;
        BEGIN
            FOR col IN SELECT * FROM (VALUES
                ('external_id', 'The Dfns externalId the job uses when its payload names none; set at the first claim, kept across attempts, restarts and retry() (a new one only after Dfns reported the entity Failed or Rejected).'),
                ('dfns_entity', 'What Dfns may hold for the job: none (nothing was sent that could create it), unknown (a request may have reached Dfns without a definite answer), exists (Dfns accepted it), failed (Dfns reported it Failed or Rejected).'),
                ('outcome_unknown_at', 'When (database clock) the last attempt ended without a definite answer from Dfns; a request may be in progress there until the settle window (lease + job timeout) has passed.'),
                ('failing_since', 'When the current run of failed attempts or polls began; cleared by any attempt that gets an answer. Jobs whose Dfns entity may exist and that fail past a bound are counted as stuck.'),
                ('refusals', 'Consecutive HTTP 403s for this job while the credentials worked for other requests; the job fails at the configured bound.'),
                ('requeues', 'How many times dfns_worker.retry() re-queued the job.')
            ) AS c(name, meaning) LOOP
                EXECUTE format('COMMENT ON COLUMN dfns_worker.jobs.%I IS %L', col.name, col.meaning);
            END LOOP;
        END $$;
        --;
        -- Jobs from version 1 keep the externalId they may already have used at Dfns, and what was known of it.
        UPDATE dfns_worker.jobs SET
            external_id = 'dfns-worker-job-' || id || CASE WHEN requeues > 0 THEN '-r' || requeues ELSE '' END,
            dfns_entity = CASE
                WHEN state = 'succeeded' OR checkpoint ? 'transferId' THEN 'exists'
                WHEN last_error->>'code' IN ('dfns_failed', 'dfns_rejected') THEN 'failed'
                WHEN attempt = 0 AND state <> 'running' AND NOT coalesce(checkpoint ? 'interrupted', false) THEN 'none'
                WHEN state IN ('failed', 'cancelled') AND last_error->>'code' IN ('invalid_payload', 'validation', 'not_found', 'conflict', 'unknown_kind') THEN 'none'
                ELSE 'unknown' END,
            outcome_unknown_at = coalesce(to_timestamp((checkpoint->>'unknownOutcomeAt')::float8), updated_at),
            checkpoint = CASE WHEN checkpoint IS NULL THEN NULL ELSE checkpoint - 'interrupted' - 'unknownOutcomeAt' END;
        --;
        UPDATE dfns_worker.jobs SET outcome_unknown_at = NULL WHERE dfns_entity <> 'unknown';
        --;
        -- The stuck-jobs gauge: jobs failing for a while.
        CREATE INDEX jobs_failing ON dfns_worker.jobs (failing_since) WHERE failing_since IS NOT NULL;
        --;
        -- A job's kind and payload are what was (or may have been) sent to Dfns: they cannot change once it may have
        -- reached Dfns, or while a worker runs it.
        CREATE FUNCTION dfns_worker.guard_submitted_job() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.dfns_entity <> 'none' OR OLD.state = 'running' THEN
                RAISE EXCEPTION 'dfns_worker: job % may already have reached Dfns (dfns_entity %, state %); its kind and payload cannot change', OLD.id, OLD.dfns_entity, OLD.state
                    USING ERRCODE = '55000', HINT = 'Insert a new job instead.';
            END IF;
            RETURN NEW;
        END $$;
        --;
        -- Before jobs_validate (triggers fire in name order), so a job that may exist at Dfns is refused as such.
        CREATE TRIGGER jobs_guard_submitted BEFORE UPDATE OF kind, payload ON dfns_worker.jobs
            FOR EACH ROW WHEN (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.payload IS DISTINCT FROM OLD.payload)
            EXECUTE FUNCTION dfns_worker.guard_submitted_job();
        --;
        -- Why a job cannot be cancelled now, or NULL when it can: only a job that is not running and whose operation
        -- cannot exist at Dfns. (A cancelled row frees its unique_key, so it must never hide a live operation.)
        CREATE FUNCTION dfns_worker.cancel_refusal(job dfns_worker.jobs) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT CASE
                WHEN (job).state NOT IN ('queued', 'retrying', 'waiting') THEN 'it is ' || (job).state
                WHEN (job).dfns_entity = 'exists' THEN 'it was submitted to Dfns'
                    || coalesce(' (' || ((job).result->>'id') || coalesce(', ' || ((job).result->>'status'), '') || ')', '')
                    || ' and may still complete; abort it at Dfns, then let the job record the outcome'
                WHEN (job).dfns_entity <> 'none' THEN 'an attempt reached Dfns without a definite answer, so the operation may exist there; '
                    || 'the job is finding out and will succeed or fail on its own'
            END
        $$;
        --;
        CREATE OR REPLACE FUNCTION dfns_worker.cancel(job_id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE
            job dfns_worker.jobs;
        BEGIN
            SELECT * INTO job FROM dfns_worker.jobs WHERE id = job_id FOR UPDATE;
            IF NOT FOUND OR dfns_worker.cancel_refusal(job) IS NOT NULL THEN
                RETURN false;
            END IF;
            UPDATE dfns_worker.jobs SET state = 'cancelled', finished_at = now(), updated_at = now() WHERE id = job_id;
            RETURN true;
        END $$;
        --;
        -- Re-queues a failed or cancelled job with a fresh attempt budget. Its externalId stays (an entity may exist
        -- for it), except after Dfns reported the entity Failed or Rejected: a replay would return that verdict, so
        -- the job gets a new derived externalId, recorded in external_id.
        CREATE OR REPLACE FUNCTION dfns_worker.retry(job_id bigint) RETURNS boolean LANGUAGE sql AS $$
            WITH requeued AS (
                UPDATE dfns_worker.jobs
                SET state = 'queued', attempt = 0, run_at = now(), finished_at = NULL, refusals = 0, failing_since = NULL,
                    requeues = requeues + 1,
                    external_id = CASE WHEN dfns_entity = 'failed' THEN dfns_worker.derived_external_id(id, requeues + 1) ELSE external_id END,
                    checkpoint = CASE WHEN dfns_entity IN ('failed', 'none') THEN NULL ELSE checkpoint END,
                    dfns_entity = CASE WHEN dfns_entity = 'failed' THEN 'none' ELSE dfns_entity END,
                    updated_at = now()
                WHERE id = job_id AND state IN ('failed', 'cancelled')
                RETURNING 1
            )
            SELECT count(*) > 0 FROM requeued
        $$;
        """#),
        Migration(version: 3, name: "webhooks: events received once, the waiting job of an entity woken at once; controls", sql: #"""
        -- What transfer_control jobs did to the job's Dfns entity (abort, cancel, speed-up): one entry each,
        -- {jobId, action, at, status, replacementId?}, written by the controlling job.
        ALTER TABLE dfns_worker.jobs ADD COLUMN controls jsonb;
        --;
        -- Webhook events a worker accepted, so a replay (Dfns retries and duplicates deliveries; anyone may resend a
        -- captured one) is acknowledged and ignored by every worker of the table. Kept two days: Dfns retries a
        -- delivery for a day, and a stale one (timestampSent over 5 minutes off) is refused before it gets here.
        CREATE TABLE dfns_worker.webhook_events (
            id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
            kind text NOT NULL CHECK (length(kind) <= 128),
            entity_id text CHECK (length(entity_id) <= 128),
            received_at timestamptz NOT NULL DEFAULT now()
        );
        --;
        CREATE INDEX webhook_events_received_at ON dfns_worker.webhook_events (received_at);
        --;
        -- The waiting jobs by the Dfns entity they follow (FollowedOperation's checkpoint), for the wake-up below.
        CREATE INDEX jobs_waiting_entity ON dfns_worker.jobs
            ((coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId')))
            WHERE state = 'waiting';
        --;
        -- Records a verified webhook event. Returns -1 for an event received before (nothing done), else how many
        -- waiting jobs following its entity were made due now; their queues are notified, so any worker picks them up.
        CREATE FUNCTION dfns_worker.receive_webhook_event(event_id text, event_kind text, entity text) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            woken integer := 0;
            job_queue text;
        BEGIN
            INSERT INTO dfns_worker.webhook_events (id, kind, entity_id) VALUES (event_id, event_kind, entity) ON CONFLICT (id) DO NOTHING;
            IF NOT FOUND THEN
                RETURN -1;
            END IF;
            IF random() < 0.01 THEN
                DELETE FROM dfns_worker.webhook_events WHERE received_at < now() - interval '2 days';
            END IF;
            IF entity IS NULL THEN
                RETURN 0;
            END IF;
            FOR job_queue IN
                UPDATE dfns_worker.jobs SET run_at = now(), updated_at = now()
                WHERE state = 'waiting' AND run_at > now()
                  AND coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId') = entity
                RETURNING queue
            LOOP
                woken := woken + 1;
                PERFORM pg_notify('dfns_worker_jobs', job_queue);
            END LOOP;
            RETURN woken;
        END $$;
        """#),
        Migration(version: 4, name: "a fleet for a year: a shared Dfns budget, retention, costs independent of finished rows, insert limits", sql: #"""
        -- One token bucket per Dfns organisation (budget name), drawn from in small grants by every worker of the
        -- database (SharedRateBudget). Rows are updated a few times a second; no index covers the changed columns, so
        -- the updates stay HOT.
        CREATE TABLE dfns_worker.rate_budgets (
            name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
            tokens float8 NOT NULL,
            updated_at timestamptz NOT NULL,
            paused_until timestamptz
        ) WITH (fillfactor = 50);
        --;
        -- Who draws from a budget, with the rate each was configured with: the bucket refills at the smallest rate of
        -- the workers seen in the last 30 seconds, and a worker that loses the database falls back to its share.
        CREATE TABLE dfns_worker.rate_budget_workers (
            budget text NOT NULL,
            worker_id text NOT NULL CHECK (length(worker_id) <= 200),
            requests_per_minute integer NOT NULL CHECK (requests_per_minute > 0),
            seen_at timestamptz NOT NULL,
            PRIMARY KEY (budget, worker_id)
        ) WITH (fillfactor = 50);
        --;
        -- Grants `wanted` requests (at most a quarter second's worth, the bucket's capacity) as a reservation: usable
        -- after wait_ms, once the bucket has refilled for them. The bucket goes below zero for reservations, so workers
        -- are served in the order they asked (fair, and one round trip per grant). During a 429 pause nothing is
        -- granted and wait_ms is the rest of the pause. `workers` is how many workers share the budget. Tokens not
        -- used expire with the grant at the worker: a worker that crashes loses at most one grant, and no grant can
        -- be saved up into a burst.
        CREATE FUNCTION dfns_worker.take_rate_tokens(
            budget text, worker text, per_minute integer, wanted integer,
            OUT granted integer, OUT wait_ms integer, OUT workers integer
        ) LANGUAGE plpgsql AS $$
        DECLARE
            bucket dfns_worker.rate_budgets;
            rate float8;
            capacity float8;
            moment timestamptz := clock_timestamp();
        BEGIN
            INSERT INTO dfns_worker.rate_budget_workers AS w (budget, worker_id, requests_per_minute, seen_at)
            VALUES (budget, worker, greatest(per_minute, 1), moment)
            ON CONFLICT ON CONSTRAINT rate_budget_workers_pkey DO UPDATE SET requests_per_minute = excluded.requests_per_minute, seen_at = excluded.seen_at;
            SELECT min(w.requests_per_minute) / 60.0, count(*) INTO rate, workers
            FROM dfns_worker.rate_budget_workers w WHERE w.budget = take_rate_tokens.budget AND w.seen_at > moment - interval '30 seconds';
            capacity := greatest(1, ceil(rate / 4));
            INSERT INTO dfns_worker.rate_budgets (name, tokens, updated_at) VALUES (budget, capacity, moment) ON CONFLICT (name) DO NOTHING;
            SELECT * INTO bucket FROM dfns_worker.rate_budgets b WHERE b.name = budget FOR UPDATE;
            -- The clock is read again once the row is ours: another grant may have been written while we waited.
            moment := greatest(clock_timestamp(), bucket.updated_at);
            bucket.tokens := least(capacity, bucket.tokens + extract(epoch FROM moment - bucket.updated_at) * rate);
            IF bucket.paused_until > moment THEN
                granted := 0;
                wait_ms := ceil(extract(epoch FROM bucket.paused_until - moment) * 1000);
            ELSE
                granted := least(greatest(wanted, 1), capacity);
                bucket.tokens := bucket.tokens - granted;
                wait_ms := CASE WHEN bucket.tokens >= 0 THEN 0 ELSE ceil(-bucket.tokens / rate * 1000) END;
            END IF;
            UPDATE dfns_worker.rate_budgets b SET tokens = bucket.tokens, updated_at = moment WHERE b.name = budget;
            IF random() < 0.001 THEN
                DELETE FROM dfns_worker.rate_budget_workers w WHERE w.seen_at < moment - interval '1 day';
            END IF;
        END $$;
        --;
        -- Gives back what a stopping worker did not use, and leaves the budget's workers.
        CREATE FUNCTION dfns_worker.return_rate_tokens(budget text, worker text, unused integer) RETURNS void LANGUAGE sql AS $$
            UPDATE dfns_worker.rate_budgets SET tokens = tokens + greatest(unused, 0) WHERE name = budget;
            DELETE FROM dfns_worker.rate_budget_workers WHERE rate_budget_workers.budget = return_rate_tokens.budget AND worker_id = worker;
        $$;
        --;
        -- Dfns answered 429 to one worker: every worker of the budget waits.
        CREATE FUNCTION dfns_worker.pause_rate_budget(budget text, pause_ms integer) RETURNS void LANGUAGE sql AS $$
            UPDATE dfns_worker.rate_budgets
            SET paused_until = greatest(paused_until, clock_timestamp() + least(greatest(pause_ms, 0), 600000) * interval '1 millisecond')
            WHERE name = budget;
        $$;
        --;
        -- Costs independent of finished rows. Active rows (what status, sampling and the console count) and finished
        -- rows by age (what retention deletes, and recent throughput) each get a partial index; the index of every
        -- row by state and kind, which only grew, goes.
        CREATE INDEX jobs_active ON dfns_worker.jobs (queue, kind, state) WHERE state IN ('queued', 'running', 'retrying', 'waiting');
        --;
        CREATE INDEX jobs_finished ON dfns_worker.jobs (finished_at) WHERE state IN ('succeeded', 'failed', 'cancelled');
        --;
        DROP INDEX dfns_worker.jobs_state_kind;
        --;
        -- Claims scan the head of jobs_due, where every claimed job leaves an entry until VACUUM removes it: vacuum this
        -- table after 2 % of it changed (PostgreSQL's default is 20 %), without the cost-based pauses.
        ALTER TABLE dfns_worker.jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02,
                                          autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
        --;
        -- Finished jobs moved out by retention when it archives (dfns-worker prune --archive). Same columns as jobs, in
        -- the same order, plus when the row was archived: a migration adding a column to jobs adds it here too.
        CREATE TABLE dfns_worker.jobs_archive (LIKE dfns_worker.jobs INCLUDING DEFAULTS, archived_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (id));
        --;
        CREATE INDEX jobs_archive_finished_at ON dfns_worker.jobs_archive (finished_at);
        --;
        -- Deletes (or archives) up to batch_size jobs in `job_state` that finished before now() - older_than, oldest
        -- first, skipping rows another transaction holds (a retry() in progress); returns how many. Only finished rows
        -- are touched, so claims never wait on it; callers repeat it until it returns less than batch_size.
        CREATE FUNCTION dfns_worker.prune_jobs(job_state text, older_than interval, batch_size integer, archive boolean DEFAULT false)
        RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            pruned integer;
        BEGIN
            IF job_state NOT IN ('succeeded', 'failed', 'cancelled') THEN
                RAISE EXCEPTION 'dfns_worker: only finished jobs are pruned, not "%"', job_state USING ERRCODE = '22023';
            END IF;
            WITH doomed AS (
                SELECT j.id FROM dfns_worker.jobs j
                WHERE j.state = job_state AND j.finished_at < now() - older_than
                ORDER BY j.finished_at
                LIMIT least(greatest(batch_size, 1), 100000)
                FOR UPDATE SKIP LOCKED
            ), deleted AS (
                DELETE FROM dfns_worker.jobs j USING doomed WHERE j.id = doomed.id AND j.state = job_state RETURNING j.*
            ), archived AS (
                INSERT INTO dfns_worker.jobs_archive SELECT d.*, now() FROM deleted d WHERE archive RETURNING 1
            )
            SELECT count(*) INTO pruned FROM deleted;
            RETURN pruned;
        END $$;
        --;
        -- Webhook events are kept long enough to recognise Dfns's redeliveries (a day of retries), then pruned by the
        -- same scheduled retention as jobs (no longer by chance on insert).
        CREATE OR REPLACE FUNCTION dfns_worker.receive_webhook_event(event_id text, event_kind text, entity text) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            woken integer := 0;
            job_queue text;
        BEGIN
            INSERT INTO dfns_worker.webhook_events (id, kind, entity_id) VALUES (event_id, event_kind, entity) ON CONFLICT (id) DO NOTHING;
            IF NOT FOUND THEN
                RETURN -1;
            END IF;
            IF entity IS NULL THEN
                RETURN 0;
            END IF;
            FOR job_queue IN
                UPDATE dfns_worker.jobs SET run_at = now(), updated_at = now()
                WHERE state = 'waiting' AND run_at > now()
                  AND coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId') = entity
                RETURNING queue
            LOOP
                woken := woken + 1;
                PERFORM pg_notify('dfns_worker_jobs', job_queue);
            END LOOP;
            RETURN woken;
        END $$;
        --;
        CREATE FUNCTION dfns_worker.prune_webhook_events(older_than interval, batch_size integer) RETURNS integer LANGUAGE sql AS $$
            WITH doomed AS (
                SELECT id FROM dfns_worker.webhook_events WHERE received_at < now() - greatest(older_than, interval '1 day')
                ORDER BY received_at LIMIT least(greatest(batch_size, 1), 100000)
            ), deleted AS (
                DELETE FROM dfns_worker.webhook_events e USING doomed WHERE e.id = doomed.id RETURNING 1
            )
            SELECT count(*)::integer FROM deleted
        $$;
        --;
        -- Insert limits, with the same clear messages as the other checks: queue names become metric labels and log
        -- keys, and a payload is sent to Dfns and kept in every row version, so both are bounded. Checked at insert
        -- (and when the queue or payload changes), not on rows already there.
        CREATE OR REPLACE FUNCTION dfns_worker.validate_job() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            size integer;
        BEGIN
            IF NEW.payload IS NULL OR jsonb_typeof(NEW.payload) <> 'object' THEN
                RAISE EXCEPTION 'dfns_worker: payload must be a JSON object, got %', coalesce(jsonb_typeof(NEW.payload), 'null')
                    USING ERRCODE = '22023', HINT = 'Pass an object such as ''{"network":"EthereumSepolia"}''.';
            END IF;
            IF NEW.queue !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$' THEN
                RAISE EXCEPTION 'dfns_worker: queue name "%" is not allowed', left(NEW.queue, 80)
                    USING ERRCODE = '22023', HINT = 'A queue name is 1-64 letters, digits, ''_'', ''.'', '':'' or ''-'', starting with a letter or digit.';
            END IF;
            -- The binary size first: the text can be at most about six times larger (escapes), so most payloads are
            -- never serialised here.
            IF pg_column_size(NEW.payload) > 43690 THEN
                size := octet_length(NEW.payload::text);
                IF size > 262144 THEN
                    RAISE EXCEPTION 'dfns_worker: payload is % bytes, over the 262144 (256 KiB) a job may carry', size
                        USING ERRCODE = '54000', HINT = 'Keep large documents elsewhere and put their reference in the payload.';
                END IF;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM dfns_worker.job_kinds WHERE kind = NEW.kind) THEN
                RAISE EXCEPTION 'dfns_worker: unknown job kind "%"', NEW.kind
                    USING ERRCODE = '22023',
                    HINT = 'Known kinds: ' || coalesce((SELECT string_agg(kind, ', ' ORDER BY kind) FROM dfns_worker.job_kinds), 'none (run dfns-worker migrate)') || '.';
            END IF;
            RETURN NEW;
        END $$;
        --;
        DROP TRIGGER jobs_validate ON dfns_worker.jobs;
        --;
        CREATE TRIGGER jobs_validate BEFORE INSERT OR UPDATE OF kind, payload, queue ON dfns_worker.jobs
            FOR EACH ROW EXECUTE FUNCTION dfns_worker.validate_job();
        """#),
        Migration(version: 5, name: "workers: who is alive, since when, with how many jobs, paused or rate-limited", sql: #"""
        -- One row per running `dfns-worker run`, written every few seconds (WorkerRegistry) and deleted when it stops:
        -- what `status` and the console show as the workers alive (a heartbeat in the last 30 seconds). A row left by a
        -- killed worker stops counting after 30 seconds and is pruned after a day.
        CREATE TABLE dfns_worker.workers (
            worker_id text PRIMARY KEY CHECK (length(worker_id) <= 200),
            host text NOT NULL CHECK (length(host) <= 255),
            pid integer NOT NULL,
            version text NOT NULL CHECK (length(version) <= 64),
            queues text[] NOT NULL,
            concurrency integer NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            heartbeat_at timestamptz NOT NULL DEFAULT now(),
            in_flight integer NOT NULL DEFAULT 0,
            paused text CHECK (length(paused) <= 500),
            rate_limited boolean NOT NULL DEFAULT false
        ) WITH (fillfactor = 50);
        """#),
        Migration(version: 6, name: "the operator console: throughput per minute, search, listing, run-now and recorded operator actions", sql: #"""
        -- Outcomes per minute, written by each batch of outcomes (JobStore.finish) under the writing worker's id, so
        -- workers never wait on each other's rows: the console's throughput and failures of the last 5 and 60 minutes
        -- read at most 60 minutes of these rows instead of counting finished jobs. Pruned after two days.
        CREATE TABLE dfns_worker.job_stats (
            minute timestamptz NOT NULL,
            worker_id text NOT NULL CHECK (length(worker_id) <= 200),
            queue text NOT NULL,
            kind text NOT NULL,
            outcome text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'retried')),
            jobs integer NOT NULL CHECK (jobs > 0),
            PRIMARY KEY (minute, worker_id, queue, kind, outcome)
        ) WITH (fillfactor = 70);
        --;
        -- What operators did to the job (console or CLI), oldest first: {action, by, at}.
        ALTER TABLE dfns_worker.jobs ADD COLUMN operator_actions jsonb;
        --;
        COMMENT ON COLUMN dfns_worker.jobs.operator_actions IS
            'What operators did to the job through dfns_worker.operator_action (console, CLI): [{action, by, at}], oldest first.';
        --;
        ALTER TABLE dfns_worker.jobs_archive ADD COLUMN operator_actions jsonb;
        --;
        -- Archives by column name (jobs_archive ends with archived_at, then the columns added to jobs since), so a
        -- column added to both tables never shifts another.
        CREATE OR REPLACE FUNCTION dfns_worker.prune_jobs(job_state text, older_than interval, batch_size integer, archive boolean DEFAULT false)
        RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            pruned integer;
        BEGIN
            IF job_state NOT IN ('succeeded', 'failed', 'cancelled') THEN
                RAISE EXCEPTION 'dfns_worker: only finished jobs are pruned, not "%"', job_state USING ERRCODE = '22023';
            END IF;
            WITH doomed AS (
                SELECT j.id FROM dfns_worker.jobs j
                WHERE j.state = job_state AND j.finished_at < now() - older_than
                ORDER BY j.finished_at
                LIMIT least(greatest(batch_size, 1), 100000)
                FOR UPDATE SKIP LOCKED
            ), deleted AS (
                DELETE FROM dfns_worker.jobs j USING doomed WHERE j.id = doomed.id AND j.state = job_state RETURNING j.*
            ), archived AS (
                INSERT INTO dfns_worker.jobs_archive
                SELECT (jsonb_populate_record(NULL::dfns_worker.jobs_archive, to_jsonb(d) || jsonb_build_object('archived_at', now()))).*
                FROM deleted d WHERE archive RETURNING 1
            )
            SELECT count(*) INTO pruned FROM deleted;
            RETURN pruned;
        END $$;
        --;
        -- The Dfns entity a job created or follows (transfer, transaction, signature, or what its result names, e.g. a
        -- wallet), and the wallet it acts on: what the console shows and searches by, defined once.
        CREATE FUNCTION dfns_worker.job_dfns_id(checkpoint jsonb, result jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId', result->>'id')
        $$;
        --;
        CREATE FUNCTION dfns_worker.job_wallet_id(checkpoint jsonb, result jsonb, payload jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(checkpoint->>'walletId', result->>'walletId', payload->>'walletId')
        $$;
        --;
        -- What an operator searches a job by, besides its id, its derived externalId (which names the id) and its
        -- unique_key (jobs_unique_key; cancelled ones through jobs_listing): the Dfns entity it created or follows, the
        -- wallet it acts on, the externalId its payload gave. Partial btrees: a job without the field costs nothing
        -- (one GIN index over all of them cost a quarter of the no-op throughput, BENCHMARKS.md).
        CREATE INDEX jobs_dfns_id ON dfns_worker.jobs (dfns_worker.job_dfns_id(checkpoint, result))
            WHERE dfns_worker.job_dfns_id(checkpoint, result) IS NOT NULL;
        --;
        CREATE INDEX jobs_wallet ON dfns_worker.jobs ((payload->>'walletId')) WHERE payload ? 'walletId';
        --;
        CREATE INDEX jobs_given_external_id ON dfns_worker.jobs ((payload->>'externalId')) WHERE payload ? 'externalId';
        --;
        -- The console's job list, newest first per state. Succeeded rows (nearly all of a big table) are left out: a
        -- list of them reads the primary key backwards, where they are the majority.
        CREATE INDEX jobs_listing ON dfns_worker.jobs (state, id) WHERE state <> 'succeeded';
        --;
        -- The smallest job id created at or after `moment`, found by bisecting the primary key (ids grow with
        -- created_at, up to the length of the inserting transactions): the console's time filter without an index on
        -- created_at. NULL when no job was created since.
        CREATE FUNCTION dfns_worker.job_id_at(moment timestamptz) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
        DECLARE
            low bigint;
            high bigint;
            middle bigint;
        BEGIN
            SELECT min(id), max(id) INTO low, high FROM dfns_worker.jobs;
            IF high IS NULL OR (SELECT j.created_at FROM dfns_worker.jobs j WHERE j.id = high) < moment THEN
                RETURN NULL;
            END IF;
            -- The smallest x whose first job at or after it was created at or after `moment` (true at the newest id).
            WHILE low < high LOOP
                middle := low + (high - low) / 2;
                IF (SELECT j.created_at FROM dfns_worker.jobs j WHERE j.id >= middle ORDER BY j.id LIMIT 1) >= moment THEN
                    high := middle;
                ELSE
                    low := middle + 1;
                END IF;
            END LOOP;
            RETURN (SELECT min(j.id) FROM dfns_worker.jobs j WHERE j.id >= low);
        END $$;
        --;
        -- Makes a job that waits for its time due now: a scheduled or retrying job runs, a waiting one asks Dfns now
        -- (as a webhook would). Nothing is sent that the job would not send anyway: the engine's own checks (settle
        -- window, what Dfns may hold) apply when it runs. True when it was made due.
        CREATE FUNCTION dfns_worker.run_now(job_id bigint) RETURNS boolean LANGUAGE sql AS $$
            WITH due AS (
                UPDATE dfns_worker.jobs SET run_at = now(), updated_at = now()
                WHERE id = job_id AND state IN ('queued', 'retrying', 'waiting') AND run_at > now()
                RETURNING queue
            )
            SELECT count(pg_notify('dfns_worker_jobs', queue)) > 0 FROM due
        $$;
        --;
        -- Why an operator action ('retry', 'cancel', 'run_now') cannot be done to the job now, or NULL when it can:
        -- the rules of retry(), cancel() and run_now(), in words an operator can act on.
        CREATE FUNCTION dfns_worker.action_refusal(job dfns_worker.jobs, action text) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT CASE action
                WHEN 'retry' THEN CASE WHEN (job).state NOT IN ('failed', 'cancelled') THEN 'only a failed or cancelled job is retried' END
                WHEN 'cancel' THEN dfns_worker.cancel_refusal(job)
                WHEN 'run_now' THEN CASE
                    WHEN (job).state NOT IN ('queued', 'retrying', 'waiting') THEN 'only a queued, retrying or waiting job is made due'
                    WHEN (job).run_at <= now() THEN 'it is due already; a worker takes it at its turn' END
                ELSE 'there is no action "' || left(action, 40) || '"'
            END
        $$;
        --;
        -- Does `action` to the job as `actor` (who, for the record: a console user, a CLI user@host), through
        -- retry(), cancel() or run_now(), and records it on the job. Returns NULL when done, else why not (nothing
        -- changed, nothing recorded).
        CREATE FUNCTION dfns_worker.operator_action(job_id bigint, action text, actor text) RETURNS text LANGUAGE plpgsql AS $$
        DECLARE
            job dfns_worker.jobs;
            refusal text;
            done boolean;
        BEGIN
            SELECT * INTO job FROM dfns_worker.jobs WHERE id = job_id FOR UPDATE;
            IF NOT FOUND THEN
                RETURN 'there is no job ' || job_id;
            END IF;
            refusal := dfns_worker.action_refusal(job, action);
            IF refusal IS NOT NULL THEN
                RETURN refusal;
            END IF;
            done := CASE action WHEN 'retry' THEN dfns_worker.retry(job_id)
                                WHEN 'cancel' THEN dfns_worker.cancel(job_id)
                                ELSE dfns_worker.run_now(job_id) END;
            IF NOT done THEN
                RETURN 'it changed meanwhile; reload it';
            END IF;
            UPDATE dfns_worker.jobs
            SET operator_actions = coalesce(operator_actions, '[]'::jsonb)
                || jsonb_build_array(jsonb_build_object('action', action, 'by', left(coalesce(actor, 'unknown'), 200), 'at', now()))
            WHERE id = job_id;
            RETURN NULL;
        END $$;
        """#),
        Migration(version: 7, name: "money safety, second round: binaries that fit the schema, externalIds from unique keys, wake-ups while running, clearer retries", oldestBinary: 7, sql: #"""
        -- The oldest binary allowed to run against the schema, as the newest schema version it knows (schema_migrations
        -- .oldest_binary, recorded by migrations that change a money rule): every command that touches jobs refuses to
        -- start when it knows less, and every claim refuses too (a binary started before the migration).
        CREATE FUNCTION dfns_worker.binary_refusal(known integer) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT 'the database schema is at version ' || max(version) || ', which needs a dfns-worker that knows schema version '
                || max(oldest_binary) || ' or newer; this one knows up to ' || known || ': upgrade the binary'
            FROM dfns_worker.schema_migrations
            HAVING coalesce(max(oldest_binary), 0) > known
        $$;
        --;
        CREATE FUNCTION dfns_worker.require_binary(known integer) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
        DECLARE
            refusal text := dfns_worker.binary_refusal(known);
        BEGIN
            IF refusal IS NOT NULL THEN
                RAISE EXCEPTION 'dfns_worker: %', refusal USING ERRCODE = '55000', HINT = 'Stop this worker and start the new release.';
            END IF;
            RETURN true;
        END $$;
        --;
        -- A job with a unique_key and no externalId of its own uses one derived from the key, not from its id:
        -- 'dfns-worker-<installation>-k-<first 32 hex digits of sha256(key)>', plus '-r<n>' after the n-th retry that
        -- followed Dfns's Failed or Rejected verdict. The same key always names the same Dfns operation, so a job
        -- enqueued again after retention pruned the first one replays it at Dfns (transfers, transactions, signatures)
        -- or finds it (wallets) instead of making a second.
        DO $$
        BEGIN
            EXECUTE format($function$
                CREATE FUNCTION dfns_worker.key_external_id(key text, generation integer DEFAULT 0) RETURNS text
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
                    SELECT 'dfns-worker-' || %L || '-k-' || left(encode(sha256(convert_to(key, 'UTF8')), 'hex'), 32)
                        || CASE WHEN generation > 0 THEN '-r' || generation::text ELSE '' END
                $body$
            $function$, (SELECT id FROM dfns_worker.installation));
        END $$;
        --;
        CREATE FUNCTION dfns_worker.key_external_id_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.unique_key IS NOT NULL AND NEW.external_id IS NULL THEN
                NEW.external_id := dfns_worker.key_external_id(NEW.unique_key);
            END IF;
            RETURN NEW;
        END $$;
        --;
        CREATE TRIGGER jobs_key_external_id BEFORE INSERT ON dfns_worker.jobs
            FOR EACH ROW WHEN (NEW.unique_key IS NOT NULL) EXECUTE FUNCTION dfns_worker.key_external_id_on_insert();
        --;
        -- Keyed jobs that were never claimed have sent nothing: they take the key's externalId now.
        UPDATE dfns_worker.jobs SET external_id = dfns_worker.key_external_id(unique_key)
        WHERE unique_key IS NOT NULL AND external_id IS NULL AND state IN ('queued', 'cancelled');
        --;
        -- An operator searching by a key-derived externalId (which does not name its job).
        CREATE INDEX jobs_key_external_id ON dfns_worker.jobs (external_id) WHERE unique_key IS NOT NULL;
        --;
        -- A webhook event about the entity of a running job: the job records it when its attempt ends (a waiting
        -- outcome is due at once), instead of the event being used up while nothing waited.
        ALTER TABLE dfns_worker.jobs ADD COLUMN wake_pending boolean NOT NULL DEFAULT false;
        --;
        CREATE OR REPLACE FUNCTION dfns_worker.receive_webhook_event(event_id text, event_kind text, entity text) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            woken integer := 0;
            job_queue text;
        BEGIN
            INSERT INTO dfns_worker.webhook_events (id, kind, entity_id) VALUES (event_id, event_kind, entity) ON CONFLICT (id) DO NOTHING;
            IF NOT FOUND THEN
                RETURN -1;
            END IF;
            IF random() < 0.01 THEN
                DELETE FROM dfns_worker.webhook_events WHERE received_at < now() - interval '2 days';
            END IF;
            IF entity IS NULL THEN
                RETURN 0;
            END IF;
            FOR job_queue IN
                UPDATE dfns_worker.jobs SET run_at = now(), updated_at = now()
                WHERE state = 'waiting' AND run_at > now()
                  AND coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId') = entity
                RETURNING queue
            LOOP
                woken := woken + 1;
                PERFORM pg_notify('dfns_worker_jobs', job_queue);
            END LOOP;
            -- Running jobs are few (jobs_leases): read them all.
            WITH running AS (
                UPDATE dfns_worker.jobs SET wake_pending = true
                WHERE state = 'running' AND lease_expires_at IS NOT NULL
                  AND coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId') = entity
                RETURNING 1
            )
            SELECT woken + count(*) INTO woken FROM running;
            RETURN woken;
        END $$;
        --;
        -- Re-queues a failed or cancelled job with a fresh attempt budget. Its externalId stays (an entity may exist
        -- for it), except after Dfns reported the entity Failed or Rejected: a replay would return that verdict, so
        -- the job gets a new derived externalId (of its key, else of its id), and the old entity's result goes.
        -- Nothing is done (false) when another job holds its unique_key now.
        CREATE OR REPLACE FUNCTION dfns_worker.retry(job_id bigint) RETURNS boolean LANGUAGE sql AS $$
            WITH requeued AS (
                UPDATE dfns_worker.jobs j
                SET state = 'queued', attempt = 0, run_at = now(), finished_at = NULL, refusals = 0, failing_since = NULL,
                    requeues = requeues + 1,
                    external_id = CASE WHEN dfns_entity <> 'failed' THEN external_id
                                       WHEN unique_key IS NOT NULL THEN dfns_worker.key_external_id(unique_key, requeues + 1)
                                       ELSE dfns_worker.derived_external_id(id, requeues + 1) END,
                    checkpoint = CASE WHEN dfns_entity IN ('failed', 'none') THEN NULL ELSE checkpoint END,
                    result = CASE WHEN dfns_entity IN ('failed', 'none') THEN NULL ELSE result END,
                    dfns_entity = CASE WHEN dfns_entity = 'failed' THEN 'none' ELSE dfns_entity END,
                    wake_pending = false,
                    updated_at = now()
                WHERE id = job_id AND state IN ('failed', 'cancelled')
                  AND NOT EXISTS (SELECT 1 FROM dfns_worker.jobs other
                                  WHERE other.unique_key = j.unique_key AND other.state <> 'cancelled' AND other.id <> j.id)
                RETURNING 1
            )
            SELECT count(*) > 0 FROM requeued
        $$;
        --;
        CREATE OR REPLACE FUNCTION dfns_worker.action_refusal(job dfns_worker.jobs, action text) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT CASE action
                WHEN 'retry' THEN CASE
                    WHEN (job).state NOT IN ('failed', 'cancelled') THEN 'only a failed or cancelled job is retried'
                    ELSE (SELECT 'its unique_key is used by job ' || other.id || ' (' || other.state || ') now'
                          FROM dfns_worker.jobs other
                          WHERE other.unique_key = (job).unique_key AND other.state <> 'cancelled' AND other.id <> (job).id
                          LIMIT 1) END
                WHEN 'cancel' THEN dfns_worker.cancel_refusal(job)
                WHEN 'run_now' THEN CASE
                    WHEN (job).state NOT IN ('queued', 'retrying', 'waiting') THEN 'only a queued, retrying or waiting job is made due'
                    WHEN (job).run_at <= now() THEN 'it is due already; a worker takes it at its turn' END
                ELSE 'there is no action "' || left(action, 40) || '"'
            END
        $$;
        --;
        ALTER TABLE dfns_worker.jobs_archive ADD COLUMN wake_pending boolean;
        """#),
    ]
}
