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
