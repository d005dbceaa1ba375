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
