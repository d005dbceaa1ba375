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
