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
