-- Jobs on behalf of end users (design.md, "End users"): a job names the Dfns end user it acts for; the worker logs
-- them in (delegated login), asks Dfns for the user-action challenge of the operation and parks the row in
-- 'awaiting_signature' with the challenge readable by the application; the application's frontend has the user sign
-- it and hands the signed challenge back with dfns_worker.sign(); the worker completes the action with the same
-- login (dfns-auth.md §4: every official SDK's init and complete reuse one token) and follows the operation as any job.
ALTER TABLE dfns_worker.jobs
    ADD COLUMN on_behalf_of text,
    ADD COLUMN user_challenge jsonb,
    ADD COLUMN signed_challenge jsonb,
    ADD COLUMN user_token bytea,
    ADD COLUMN signature_deadline timestamptz;
--;
-- Archived rows are the rows whole (a finished job's login and signature columns are empty).
ALTER TABLE dfns_worker.jobs_archive
    ADD COLUMN on_behalf_of text,
    ADD COLUMN user_challenge jsonb,
    ADD COLUMN signed_challenge jsonb,
    ADD COLUMN user_token bytea,
    ADD COLUMN signature_deadline timestamptz;
--;
ALTER TABLE dfns_worker.jobs DROP CONSTRAINT jobs_state_check;
--;
ALTER TABLE dfns_worker.jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'retrying', 'waiting', 'awaiting_signature', 'succeeded', 'failed', 'cancelled'));
--;
ALTER TABLE dfns_worker.jobs ADD CONSTRAINT jobs_on_behalf_of_check CHECK (on_behalf_of ~ '^us-[A-Za-z0-9-]{1,100}$');
--;
COMMENT ON COLUMN dfns_worker.jobs.on_behalf_of IS 'The Dfns end user (us-...) the job acts for, who signs its operation with their own credential; NULL: the worker''s own service account.';
--;
COMMENT ON COLUMN dfns_worker.jobs.user_challenge IS 'While awaiting_signature: the user-action challenge Dfns returned for the job''s operation, to be signed by the end user and handed back with dfns_worker.sign(). Not a secret.';
--;
COMMENT ON COLUMN dfns_worker.jobs.signed_challenge IS 'The end user''s signed challenge handed over by dfns_worker.sign(); taken (and cleared) by the claim that completes the action, so it is used at most once.';
--;
COMMENT ON COLUMN dfns_worker.jobs.user_token IS 'The end user''s login while the job needs it, sealed with AES-256-GCM under the workers'' DFNS_WORKER_SEAL_KEY and bound to the job id; cleared when the job stops needing it.';
--;
COMMENT ON COLUMN dfns_worker.jobs.signature_deadline IS 'While awaiting_signature: when the challenge expires; dfns_worker.sign() refuses it afterwards and the worker fails the job with signature_timeout.';
--;
-- The user the job acts for and the operation the user is asked to sign cannot change once the job may have reached
-- Dfns or while the user is asked to sign it.
CREATE OR REPLACE FUNCTION dfns_worker.guard_submitted_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.dfns_entity <> 'none' OR OLD.state IN ('running', 'awaiting_signature') THEN
        RAISE EXCEPTION 'dfns_worker: job % may already have reached Dfns or awaits its user''s signature (dfns_entity %, state %); its kind, payload and user cannot change', OLD.id, OLD.dfns_entity, OLD.state
            USING ERRCODE = '55000', HINT = 'Insert a new job instead.';
    END IF;
    RETURN NEW;
END $$;
--;
DROP TRIGGER jobs_guard_submitted ON dfns_worker.jobs;
--;
CREATE TRIGGER jobs_guard_submitted BEFORE UPDATE OF kind, payload, on_behalf_of ON dfns_worker.jobs FOR EACH ROW
    WHEN (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.payload IS DISTINCT FROM OLD.payload OR NEW.on_behalf_of IS DISTINCT FROM OLD.on_behalf_of)
    EXECUTE FUNCTION dfns_worker.guard_submitted_job();
--;
DROP FUNCTION dfns_worker.enqueue(text, jsonb, timestamptz, text, integer, integer, text);
--;
CREATE FUNCTION dfns_worker.enqueue(kind text, payload jsonb, run_at timestamptz DEFAULT now(), queue text DEFAULT 'default',
                                    priority integer DEFAULT 0, max_attempts integer DEFAULT 20, unique_key text DEFAULT NULL,
                                    on_behalf_of text DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    job_id bigint;
BEGIN
    IF enqueue.on_behalf_of IS NOT NULL AND enqueue.on_behalf_of !~ '^us-[A-Za-z0-9-]{1,100}$' THEN
        RAISE EXCEPTION 'dfns_worker: on_behalf_of "%" is not a Dfns user id', left(enqueue.on_behalf_of, 80)
            USING ERRCODE = '22023', HINT = 'Name the end user by their Dfns id, e.g. ''us-2a5n0-mhs7s-9kd8rhuhc4arbk1v''.';
    END IF;
    INSERT INTO dfns_worker.jobs (kind, payload, run_at, queue, priority, max_attempts, unique_key, on_behalf_of)
    VALUES (enqueue.kind, enqueue.payload, coalesce(enqueue.run_at, now()), coalesce(enqueue.queue, 'default'),
            coalesce(enqueue.priority, 0)::smallint, coalesce(enqueue.max_attempts, 20), enqueue.unique_key, enqueue.on_behalf_of)
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state <> 'cancelled' DO NOTHING
    RETURNING id INTO job_id;
    IF job_id IS NULL THEN
        SELECT j.id INTO job_id FROM dfns_worker.jobs j
        WHERE j.unique_key = enqueue.unique_key AND j.state <> 'cancelled';
    END IF;
    RETURN job_id;
END $$;
--;
-- The application hands the end user's signed challenge back: accepted only for a job awaiting it, before its
-- deadline, for the challenge the job holds, in the shape the official SDKs send to POST /auth/action
-- ({challengeIdentifier, firstFactor: {kind, credentialAssertion}, secondFactor?}); anything else raises an exception
-- naming the job and changes nothing. Dfns verifies the signature itself when the worker completes the action.
CREATE FUNCTION dfns_worker.sign(job_id bigint, signed_challenge jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    job dfns_worker.jobs;
    factor jsonb;
BEGIN
    SELECT * INTO job FROM dfns_worker.jobs WHERE id = job_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dfns_worker: there is no job %', job_id USING ERRCODE = 'P0002';
    END IF;
    IF job.state <> 'awaiting_signature' THEN
        RAISE EXCEPTION 'dfns_worker: job % is %, not awaiting_signature: a signed challenge is taken once, while the job awaits it', job_id, job.state
            USING ERRCODE = '55000', HINT = 'Read user_challenge again when the job is awaiting_signature.';
    END IF;
    IF job.signature_deadline < now() THEN
        RAISE EXCEPTION 'dfns_worker: the challenge of job % expired at %', job_id, job.signature_deadline
            USING ERRCODE = '55000', HINT = 'The worker fails the job with signature_timeout; dfns_worker.retry() asks for a new challenge.';
    END IF;
    IF signed_challenge IS NULL OR jsonb_typeof(signed_challenge) <> 'object' OR pg_column_size(signed_challenge) > 65536 THEN
        RAISE EXCEPTION 'dfns_worker: the signed challenge for job % must be a JSON object of at most 64 KiB', job_id USING ERRCODE = '22023';
    END IF;
    IF signed_challenge->>'challengeIdentifier' IS DISTINCT FROM job.user_challenge->>'challengeIdentifier' THEN
        RAISE EXCEPTION 'dfns_worker: the signed challenge is not the challenge job % awaits (its challengeIdentifier differs)', job_id
            USING ERRCODE = '22023', HINT = 'Sign the job''s user_challenge, as it is now.';
    END IF;
    FOREACH factor IN ARRAY ARRAY[signed_challenge->'firstFactor']
                            || CASE WHEN signed_challenge ? 'secondFactor' THEN ARRAY[signed_challenge->'secondFactor'] ELSE '{}'::jsonb[] END LOOP
        IF jsonb_typeof(factor) IS DISTINCT FROM 'object' OR factor->>'kind' NOT IN ('Fido2', 'Key', 'PasswordProtectedKey')
           OR jsonb_typeof(factor->'credentialAssertion') IS DISTINCT FROM 'object'
           OR jsonb_typeof(factor->'credentialAssertion'->'credId') IS DISTINCT FROM 'string'
           OR jsonb_typeof(factor->'credentialAssertion'->'clientData') IS DISTINCT FROM 'string'
           OR jsonb_typeof(factor->'credentialAssertion'->'signature') IS DISTINCT FROM 'string'
           OR (factor->>'kind' = 'Fido2' AND jsonb_typeof(factor->'credentialAssertion'->'authenticatorData') IS DISTINCT FROM 'string') THEN
            RAISE EXCEPTION 'dfns_worker: the signed challenge for job % is malformed: firstFactor (and any secondFactor) must be {kind: Fido2, Key or PasswordProtectedKey, credentialAssertion: {credId, clientData, signature%}} with string members', job_id, ', authenticatorData for Fido2'
                USING ERRCODE = '22023';
        END IF;
    END LOOP;
    UPDATE dfns_worker.jobs SET signed_challenge = sign.signed_challenge, state = 'queued', run_at = now(), updated_at = now() WHERE id = job_id;
    PERFORM pg_notify('dfns_worker_jobs', job.queue);
END $$;
--;
-- The application learns at once that a job waits for its user: the payload is the job id.
CREATE FUNCTION dfns_worker.notify_awaiting_signature() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dfns_worker_awaiting_signature', NEW.id::text);
    RETURN NULL;
END $$;
--;
CREATE TRIGGER jobs_notify_awaiting_signature AFTER UPDATE OF state ON dfns_worker.jobs FOR EACH ROW
    WHEN (NEW.state = 'awaiting_signature' AND OLD.state IS DISTINCT FROM 'awaiting_signature')
    EXECUTE FUNCTION dfns_worker.notify_awaiting_signature();
--;
-- A job awaiting its user's signature is cancelled as a queued one is: nothing was sent (the login is dropped).
CREATE OR REPLACE FUNCTION dfns_worker.cancel_refusal(job dfns_worker.jobs) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN (job).state NOT IN ('queued', 'retrying', 'waiting', 'awaiting_signature') THEN 'it is ' || (job).state
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
    UPDATE dfns_worker.jobs SET state = 'cancelled', finished_at = now(), updated_at = now(),
        user_challenge = NULL, signed_challenge = NULL, user_token = NULL, signature_deadline = NULL
    WHERE id = job_id;
    RETURN true;
END $$;
--;
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
            user_challenge = NULL, signed_challenge = NULL, user_token = NULL, signature_deadline = NULL,
            updated_at = now()
        WHERE id = job_id AND state IN ('failed', 'cancelled')
          AND NOT EXISTS (SELECT 1 FROM dfns_worker.jobs other
                          WHERE other.unique_key = j.unique_key AND other.state <> 'cancelled' AND other.id <> j.id)
        RETURNING 1
    )
    SELECT count(*) > 0 FROM requeued
$$;
--;
CREATE INDEX jobs_awaiting_signature ON dfns_worker.jobs (signature_deadline) WHERE state = 'awaiting_signature';
--;
DROP INDEX dfns_worker.jobs_active;
--;
CREATE INDEX jobs_active ON dfns_worker.jobs (queue, kind, state) WHERE state IN ('queued', 'running', 'retrying', 'waiting', 'awaiting_signature');
