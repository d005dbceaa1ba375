-- Schema dfns_worker as migrations 1 to 9 make it (Store/Migrations): every table, index, trigger
-- and the live definition of every function, from pg_dump --schema-only. Generated, never edited: change the
-- schema with a new migration, then run DFNS_WRITE_SCHEMA=1 swift test --filter SchemaFileTests.
-- <installation> stands for the installation's id (dfns_worker.installation), baked into externalIds.

CREATE SCHEMA dfns_worker;

CREATE TABLE dfns_worker.jobs (
    id bigint NOT NULL,
    queue text DEFAULT 'default'::text NOT NULL,
    kind text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    state text DEFAULT 'queued'::text NOT NULL,
    priority smallint DEFAULT 0 NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 20 NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    unique_key text,
    result jsonb,
    last_error jsonb,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    checkpoint jsonb,
    requeues integer DEFAULT 0 NOT NULL,
    lease_token uuid,
    lease_expires_at timestamp with time zone,
    worker_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    external_id text,
    dfns_entity text DEFAULT 'none'::text NOT NULL,
    outcome_unknown_at timestamp with time zone,
    failing_since timestamp with time zone,
    refusals integer DEFAULT 0 NOT NULL,
    controls jsonb,
    operator_actions jsonb,
    wake_pending boolean DEFAULT false NOT NULL,
    dfns_id text,
    dfns_parent_id text,
    on_behalf_of text,
    user_challenge jsonb,
    signed_challenge jsonb,
    user_token bytea,
    signature_deadline timestamp with time zone,
    CONSTRAINT jobs_attempt_check CHECK ((attempt >= 0)),
    CONSTRAINT jobs_dfns_entity_check CHECK ((dfns_entity = ANY (ARRAY['none'::text, 'unknown'::text, 'exists'::text, 'failed'::text]))),
    CONSTRAINT jobs_max_attempts_check CHECK ((max_attempts >= 1)),
    CONSTRAINT jobs_on_behalf_of_check CHECK ((on_behalf_of ~ '^us-[A-Za-z0-9-]{1,100}$'::text)),
    CONSTRAINT jobs_queue_check CHECK ((queue <> ''::text)),
    CONSTRAINT jobs_refusals_check CHECK ((refusals >= 0)),
    CONSTRAINT jobs_state_check CHECK ((state = ANY (ARRAY['queued'::text, 'running'::text, 'retrying'::text, 'waiting'::text, 'awaiting_signature'::text, 'succeeded'::text, 'failed'::text, 'cancelled'::text])))
)
WITH (autovacuum_vacuum_scale_factor='0.02', autovacuum_vacuum_insert_scale_factor='0.02', autovacuum_analyze_scale_factor='0.02', autovacuum_vacuum_cost_delay='0');

COMMENT ON COLUMN dfns_worker.jobs.checkpoint IS 'Handler progress kept across attempts (e.g. the Dfns transfer id being polled); not for applications.';

COMMENT ON COLUMN dfns_worker.jobs.requeues IS 'How many times dfns_worker.retry() re-queued the job.';

COMMENT ON COLUMN dfns_worker.jobs.external_id IS 'The Dfns externalId the job uses when its payload names none; set at the first claim, kept across attempts, restarts and retry() (a new one only after Dfns reported the entity Failed or Rejected).';

COMMENT ON COLUMN dfns_worker.jobs.dfns_entity IS 'What Dfns may hold for the job: none (nothing was sent that could create it), unknown (a request may have reached Dfns without a definite answer), exists (Dfns accepted it), failed (Dfns reported it Failed or Rejected).';

COMMENT ON COLUMN dfns_worker.jobs.outcome_unknown_at IS 'When (database clock) the last attempt ended without a definite answer from Dfns; a request may be in progress there until the settle window (lease + job timeout) has passed.';

COMMENT ON COLUMN dfns_worker.jobs.failing_since IS 'When the current run of failed attempts or polls began; cleared by any attempt that gets an answer. Jobs whose Dfns entity may exist and that fail past a bound are counted as stuck.';

COMMENT ON COLUMN dfns_worker.jobs.refusals IS 'Consecutive HTTP 403s for this job while the credentials worked for other requests; the job fails at the configured bound.';

COMMENT ON COLUMN dfns_worker.jobs.operator_actions IS 'What operators did to the job through dfns_worker.operator_action (console, CLI): [{action, by, at}], oldest first.';

COMMENT ON COLUMN dfns_worker.jobs.dfns_id IS 'The Dfns entity the job made or follows (a transfer, transaction, signature or wallet id), as its kind reported it; webhook events naming it wake the job.';

COMMENT ON COLUMN dfns_worker.jobs.dfns_parent_id IS 'What that entity lives under: its wallet or key; NULL for a wallet.';

COMMENT ON COLUMN dfns_worker.jobs.on_behalf_of IS 'The Dfns end user (us-...) the job acts for, who signs its operation with their own credential; NULL: the worker''s own service account.';

COMMENT ON COLUMN dfns_worker.jobs.user_challenge IS 'While awaiting_signature: the user-action challenge Dfns returned for the job''s operation, to be signed by the end user and handed back with dfns_worker.sign(). Not a secret.';

COMMENT ON COLUMN dfns_worker.jobs.signed_challenge IS 'The end user''s signed challenge handed over by dfns_worker.sign(); taken (and cleared) by the claim that completes the action, so it is used at most once.';

COMMENT ON COLUMN dfns_worker.jobs.user_token IS 'The end user''s login while the job needs it, sealed with AES-256-GCM under the workers'' DFNS_WORKER_SEAL_KEY and bound to the job id; cleared when the job stops needing it.';

COMMENT ON COLUMN dfns_worker.jobs.signature_deadline IS 'While awaiting_signature: when the challenge expires; dfns_worker.sign() refuses it afterwards and the worker fails the job with signature_timeout.';

CREATE FUNCTION dfns_worker.action_refusal(job dfns_worker.jobs, action text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
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

CREATE FUNCTION dfns_worker.binary_refusal(known integer) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT 'the database schema is at version ' || max(version) || ', which needs a dfns-worker that knows schema version '
        || max(oldest_binary) || ' or newer; this one knows up to ' || known || ': upgrade the binary'
    FROM dfns_worker.schema_migrations
    HAVING coalesce(max(oldest_binary), 0) > known
$$;

CREATE FUNCTION dfns_worker.cancel(job_id bigint) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION dfns_worker.cancel_refusal(job dfns_worker.jobs) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE
        WHEN (job).state NOT IN ('queued', 'retrying', 'waiting', 'awaiting_signature') THEN 'it is ' || (job).state
        WHEN (job).dfns_entity = 'exists' THEN 'it was submitted to Dfns'
            || coalesce(' (' || ((job).result->>'id') || coalesce(', ' || ((job).result->>'status'), '') || ')', '')
            || ' and may still complete; abort it at Dfns, then let the job record the outcome'
        WHEN (job).dfns_entity <> 'none' THEN 'an attempt reached Dfns without a definite answer, so the operation may exist there; '
            || 'the job is finding out and will succeed or fail on its own'
    END
$$;

CREATE FUNCTION dfns_worker.derived_external_id(job_id bigint, generation integer DEFAULT 0) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
            SELECT 'dfns-worker-' || '<installation>' || '-' || job_id::text || CASE WHEN generation > 0 THEN '-r' || generation::text ELSE '' END
        $$;

CREATE FUNCTION dfns_worker.enqueue(kind text, payload jsonb, run_at timestamp with time zone DEFAULT now(), queue text DEFAULT 'default'::text, priority integer DEFAULT 0, max_attempts integer DEFAULT 20, unique_key text DEFAULT NULL::text, on_behalf_of text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql
    AS $_$
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
END $_$;

CREATE FUNCTION dfns_worker.guard_submitted_job() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.dfns_entity <> 'none' OR OLD.state IN ('running', 'awaiting_signature') THEN
        RAISE EXCEPTION 'dfns_worker: job % may already have reached Dfns or awaits its user''s signature (dfns_entity %, state %); its kind, payload and user cannot change', OLD.id, OLD.dfns_entity, OLD.state
            USING ERRCODE = '55000', HINT = 'Insert a new job instead.';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION dfns_worker.job_id_at(moment timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql STABLE
    AS $$
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

CREATE FUNCTION dfns_worker.key_external_id(key text, generation integer DEFAULT 0) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
            SELECT 'dfns-worker-' || '<installation>' || '-k-' || left(encode(sha256(convert_to(key, 'UTF8')), 'hex'), 32)
                || CASE WHEN generation > 0 THEN '-r' || generation::text ELSE '' END
        $$;

CREATE FUNCTION dfns_worker.key_external_id_on_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.unique_key IS NOT NULL AND NEW.external_id IS NULL THEN
        NEW.external_id := dfns_worker.key_external_id(NEW.unique_key);
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION dfns_worker.notify_awaiting_signature() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('dfns_worker_awaiting_signature', NEW.id::text);
    RETURN NULL;
END $$;

CREATE FUNCTION dfns_worker.notify_jobs() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    due_queue text;
BEGIN
    FOR due_queue IN SELECT DISTINCT queue FROM new_jobs WHERE run_at <= now() LOOP
        PERFORM pg_notify('dfns_worker_jobs', due_queue);
    END LOOP;
    RETURN NULL;
END $$;

CREATE FUNCTION dfns_worker.notify_retry() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('dfns_worker_jobs', NEW.queue);
    RETURN NULL;
END $$;

CREATE FUNCTION dfns_worker.operator_action(job_id bigint, action text, actor text) RETURNS text
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION dfns_worker.pause_rate_budget(budget text, pause_ms integer) RETURNS void
    LANGUAGE sql
    AS $$
    UPDATE dfns_worker.rate_budgets
    SET paused_until = greatest(paused_until, clock_timestamp() + least(greatest(pause_ms, 0), 600000) * interval '1 millisecond')
    WHERE name = budget;
$$;

CREATE FUNCTION dfns_worker.prune_jobs(job_state text, older_than interval, batch_size integer, archive boolean DEFAULT false) RETURNS integer
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION dfns_worker.prune_webhook_events(older_than interval, batch_size integer) RETURNS integer
    LANGUAGE sql
    AS $$
    WITH doomed AS (
        SELECT id FROM dfns_worker.webhook_events WHERE received_at < now() - greatest(older_than, interval '1 day')
        ORDER BY received_at LIMIT least(greatest(batch_size, 1), 100000)
    ), deleted AS (
        DELETE FROM dfns_worker.webhook_events e USING doomed WHERE e.id = doomed.id RETURNING 1
    )
    SELECT count(*)::integer FROM deleted
$$;

CREATE FUNCTION dfns_worker.receive_webhook_event(event_id text, event_kind text, entity text) RETURNS integer
    LANGUAGE plpgsql
    AS $$
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
        WHERE dfns_id = entity AND state = 'waiting' AND run_at > now()
        RETURNING queue
    LOOP
        woken := woken + 1;
        PERFORM pg_notify('dfns_worker_jobs', job_queue);
    END LOOP;
    -- A running job (a poll in progress) records the event when it finishes: its waiting outcome is due at once.
    WITH running AS (
        UPDATE dfns_worker.jobs SET wake_pending = true
        WHERE dfns_id = entity AND state = 'running'
        RETURNING 1
    )
    SELECT woken + count(*) INTO woken FROM running;
    RETURN woken;
END $$;

CREATE FUNCTION dfns_worker.require_binary(known integer) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    refusal text := dfns_worker.binary_refusal(known);
BEGIN
    IF refusal IS NOT NULL THEN
        RAISE EXCEPTION 'dfns_worker: %', refusal USING ERRCODE = '55000', HINT = 'Stop this worker and start the new release.';
    END IF;
    RETURN true;
END $$;

CREATE FUNCTION dfns_worker.retry(job_id bigint) RETURNS boolean
    LANGUAGE sql
    AS $$
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

CREATE FUNCTION dfns_worker.return_rate_tokens(budget text, worker text, unused integer) RETURNS void
    LANGUAGE sql
    AS $$
    UPDATE dfns_worker.rate_budgets SET tokens = tokens + greatest(unused, 0) WHERE name = budget;
    DELETE FROM dfns_worker.rate_budget_workers WHERE rate_budget_workers.budget = return_rate_tokens.budget AND worker_id = worker;
$$;

CREATE FUNCTION dfns_worker.run_now(job_id bigint) RETURNS boolean
    LANGUAGE sql
    AS $$
    WITH due AS (
        UPDATE dfns_worker.jobs SET run_at = now(), updated_at = now()
        WHERE id = job_id AND state IN ('queued', 'retrying', 'waiting') AND run_at > now()
        RETURNING queue
    )
    SELECT count(pg_notify('dfns_worker_jobs', queue)) > 0 FROM due
$$;

CREATE FUNCTION dfns_worker.sign(job_id bigint, signed_challenge jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION dfns_worker.take_rate_tokens(budget text, worker text, per_minute integer, wanted integer, OUT granted integer, OUT wait_ms integer, OUT workers integer) RETURNS record
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION dfns_worker.validate_job() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
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
END $_$;

CREATE TABLE dfns_worker.installation (
    id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    singleton boolean DEFAULT true NOT NULL,
    CONSTRAINT installation_id_check CHECK ((id ~ '^[a-z0-9]{12}$'::text)),
    CONSTRAINT installation_singleton_check CHECK (singleton)
);

CREATE TABLE dfns_worker.job_kinds (
    kind text NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT job_kinds_kind_check CHECK ((kind ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

CREATE TABLE dfns_worker.job_stats (
    minute timestamp with time zone NOT NULL,
    worker_id text NOT NULL,
    queue text NOT NULL,
    kind text NOT NULL,
    outcome text NOT NULL,
    jobs integer NOT NULL,
    CONSTRAINT job_stats_jobs_check CHECK ((jobs > 0)),
    CONSTRAINT job_stats_outcome_check CHECK ((outcome = ANY (ARRAY['succeeded'::text, 'failed'::text, 'retried'::text]))),
    CONSTRAINT job_stats_worker_id_check CHECK ((length(worker_id) <= 200))
)
WITH (fillfactor='70');

CREATE TABLE dfns_worker.jobs_archive (
    id bigint NOT NULL,
    queue text DEFAULT 'default'::text NOT NULL,
    kind text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    state text DEFAULT 'queued'::text NOT NULL,
    priority smallint DEFAULT 0 NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 20 NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    unique_key text,
    result jsonb,
    last_error jsonb,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL,
    checkpoint jsonb,
    requeues integer DEFAULT 0 NOT NULL,
    lease_token uuid,
    lease_expires_at timestamp with time zone,
    worker_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    external_id text,
    dfns_entity text DEFAULT 'none'::text NOT NULL,
    outcome_unknown_at timestamp with time zone,
    failing_since timestamp with time zone,
    refusals integer DEFAULT 0 NOT NULL,
    controls jsonb,
    archived_at timestamp with time zone DEFAULT now() NOT NULL,
    operator_actions jsonb,
    wake_pending boolean,
    dfns_id text,
    dfns_parent_id text,
    on_behalf_of text,
    user_challenge jsonb,
    signed_challenge jsonb,
    user_token bytea,
    signature_deadline timestamp with time zone
);

ALTER TABLE dfns_worker.jobs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME dfns_worker.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE dfns_worker.rate_budget_workers (
    budget text NOT NULL,
    worker_id text NOT NULL,
    requests_per_minute integer NOT NULL,
    seen_at timestamp with time zone NOT NULL,
    CONSTRAINT rate_budget_workers_requests_per_minute_check CHECK ((requests_per_minute > 0)),
    CONSTRAINT rate_budget_workers_worker_id_check CHECK ((length(worker_id) <= 200))
)
WITH (fillfactor='50');

CREATE TABLE dfns_worker.rate_budgets (
    name text NOT NULL,
    tokens double precision NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    paused_until timestamp with time zone,
    CONSTRAINT rate_budgets_name_check CHECK (((length(name) >= 1) AND (length(name) <= 64)))
)
WITH (fillfactor='50');

CREATE TABLE dfns_worker.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    oldest_binary integer
);

CREATE TABLE dfns_worker.webhook_events (
    id text NOT NULL,
    kind text NOT NULL,
    entity_id text,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_events_entity_id_check CHECK ((length(entity_id) <= 128)),
    CONSTRAINT webhook_events_id_check CHECK (((length(id) >= 1) AND (length(id) <= 128))),
    CONSTRAINT webhook_events_kind_check CHECK ((length(kind) <= 128))
);

CREATE TABLE dfns_worker.workers (
    worker_id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    version text NOT NULL,
    queues text[] NOT NULL,
    concurrency integer NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    heartbeat_at timestamp with time zone DEFAULT now() NOT NULL,
    in_flight integer DEFAULT 0 NOT NULL,
    paused text,
    rate_limited boolean DEFAULT false NOT NULL,
    CONSTRAINT workers_host_check CHECK ((length(host) <= 255)),
    CONSTRAINT workers_paused_check CHECK ((length(paused) <= 500)),
    CONSTRAINT workers_version_check CHECK ((length(version) <= 64)),
    CONSTRAINT workers_worker_id_check CHECK ((length(worker_id) <= 200))
)
WITH (fillfactor='50');

ALTER TABLE ONLY dfns_worker.installation
    ADD CONSTRAINT installation_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dfns_worker.installation
    ADD CONSTRAINT installation_singleton_key UNIQUE (singleton);

ALTER TABLE ONLY dfns_worker.job_kinds
    ADD CONSTRAINT job_kinds_pkey PRIMARY KEY (kind);

ALTER TABLE ONLY dfns_worker.job_stats
    ADD CONSTRAINT job_stats_pkey PRIMARY KEY (minute, worker_id, queue, kind, outcome);

ALTER TABLE ONLY dfns_worker.jobs_archive
    ADD CONSTRAINT jobs_archive_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dfns_worker.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dfns_worker.rate_budget_workers
    ADD CONSTRAINT rate_budget_workers_pkey PRIMARY KEY (budget, worker_id);

ALTER TABLE ONLY dfns_worker.rate_budgets
    ADD CONSTRAINT rate_budgets_pkey PRIMARY KEY (name);

ALTER TABLE ONLY dfns_worker.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY dfns_worker.webhook_events
    ADD CONSTRAINT webhook_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dfns_worker.workers
    ADD CONSTRAINT workers_pkey PRIMARY KEY (worker_id);

CREATE INDEX jobs_active ON dfns_worker.jobs USING btree (queue, kind, state) WHERE (state = ANY (ARRAY['queued'::text, 'running'::text, 'retrying'::text, 'waiting'::text, 'awaiting_signature'::text]));

CREATE INDEX jobs_archive_finished_at ON dfns_worker.jobs_archive USING btree (finished_at);

CREATE INDEX jobs_awaiting_signature ON dfns_worker.jobs USING btree (signature_deadline) WHERE (state = 'awaiting_signature'::text);

CREATE INDEX jobs_dfns_id ON dfns_worker.jobs USING btree (dfns_id) WHERE (dfns_id IS NOT NULL);

CREATE INDEX jobs_dfns_parent_id ON dfns_worker.jobs USING btree (dfns_parent_id) WHERE (dfns_parent_id IS NOT NULL);

CREATE INDEX jobs_due ON dfns_worker.jobs USING btree (queue, priority DESC, run_at, id) WHERE (state = ANY (ARRAY['queued'::text, 'retrying'::text, 'waiting'::text]));

CREATE INDEX jobs_failing ON dfns_worker.jobs USING btree (failing_since) WHERE (failing_since IS NOT NULL);

CREATE INDEX jobs_finished ON dfns_worker.jobs USING btree (finished_at) WHERE (state = ANY (ARRAY['succeeded'::text, 'failed'::text, 'cancelled'::text]));

CREATE INDEX jobs_given_external_id ON dfns_worker.jobs USING btree (((payload ->> 'externalId'::text))) WHERE (payload ? 'externalId'::text);

CREATE INDEX jobs_key_external_id ON dfns_worker.jobs USING btree (external_id) WHERE (unique_key IS NOT NULL);

CREATE INDEX jobs_leases ON dfns_worker.jobs USING btree (lease_expires_at) WHERE (state = 'running'::text);

CREATE INDEX jobs_listing ON dfns_worker.jobs USING btree (state, id) WHERE (state <> 'succeeded'::text);

CREATE UNIQUE INDEX jobs_unique_key ON dfns_worker.jobs USING btree (unique_key) WHERE ((unique_key IS NOT NULL) AND (state <> 'cancelled'::text));

CREATE INDEX jobs_wallet ON dfns_worker.jobs USING btree (((payload ->> 'walletId'::text))) WHERE (payload ? 'walletId'::text);

CREATE INDEX webhook_events_received_at ON dfns_worker.webhook_events USING btree (received_at);

CREATE TRIGGER jobs_guard_submitted BEFORE UPDATE OF kind, payload, on_behalf_of ON dfns_worker.jobs FOR EACH ROW WHEN (((new.kind IS DISTINCT FROM old.kind) OR (new.payload IS DISTINCT FROM old.payload) OR (new.on_behalf_of IS DISTINCT FROM old.on_behalf_of))) EXECUTE FUNCTION dfns_worker.guard_submitted_job();

CREATE TRIGGER jobs_key_external_id BEFORE INSERT ON dfns_worker.jobs FOR EACH ROW WHEN ((new.unique_key IS NOT NULL)) EXECUTE FUNCTION dfns_worker.key_external_id_on_insert();

CREATE TRIGGER jobs_notify AFTER INSERT ON dfns_worker.jobs REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT EXECUTE FUNCTION dfns_worker.notify_jobs();

CREATE TRIGGER jobs_notify_awaiting_signature AFTER UPDATE OF state ON dfns_worker.jobs FOR EACH ROW WHEN (((new.state = 'awaiting_signature'::text) AND (old.state IS DISTINCT FROM 'awaiting_signature'::text))) EXECUTE FUNCTION dfns_worker.notify_awaiting_signature();

CREATE TRIGGER jobs_notify_requeue AFTER UPDATE OF state ON dfns_worker.jobs FOR EACH ROW WHEN (((new.state = 'queued'::text) AND (old.state = ANY (ARRAY['failed'::text, 'cancelled'::text])))) EXECUTE FUNCTION dfns_worker.notify_retry();

CREATE TRIGGER jobs_validate BEFORE INSERT OR UPDATE OF kind, payload, queue ON dfns_worker.jobs FOR EACH ROW EXECUTE FUNCTION dfns_worker.validate_job();
