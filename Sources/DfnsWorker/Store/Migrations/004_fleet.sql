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
