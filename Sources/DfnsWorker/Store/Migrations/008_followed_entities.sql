-- The Dfns entity a job made or follows, as its kind reports it (`DfnsReference` in the job's outcome), in columns
-- the engine owns: the webhook wake-up, the console's search and another job's look-up (transfer_control) key on
-- them, and no longer read a kind's private checkpoint, so a kind added later is woken and found as these are.
ALTER TABLE dfns_worker.jobs ADD COLUMN dfns_id text, ADD COLUMN dfns_parent_id text;
--;
ALTER TABLE dfns_worker.jobs_archive ADD COLUMN dfns_id text, ADD COLUMN dfns_parent_id text;
--;
COMMENT ON COLUMN dfns_worker.jobs.dfns_id IS 'The Dfns entity the job made or follows (a transfer, transaction, signature or wallet id), as its kind reported it; webhook events naming it wake the job.';
--;
COMMENT ON COLUMN dfns_worker.jobs.dfns_parent_id IS 'What that entity lives under: its wallet or key; NULL for a wallet.';
--;
-- Jobs of the kinds of earlier versions: what their checkpoint or result named.
UPDATE dfns_worker.jobs SET
    dfns_id = coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId', result->>'id'),
    dfns_parent_id = coalesce(checkpoint->>'walletId', checkpoint->>'keyId', result->>'walletId', result->>'keyId')
WHERE coalesce(checkpoint->>'transferId', checkpoint->>'transactionId', checkpoint->>'signatureId', result->>'id') IS NOT NULL;
--;
DROP INDEX dfns_worker.jobs_dfns_id;
--;
DROP INDEX dfns_worker.jobs_waiting_entity;
--;
DROP FUNCTION dfns_worker.job_dfns_id(jsonb, jsonb);
--;
DROP FUNCTION dfns_worker.job_wallet_id(jsonb, jsonb, jsonb);
--;
CREATE INDEX jobs_dfns_id ON dfns_worker.jobs (dfns_id) WHERE dfns_id IS NOT NULL;
--;
CREATE INDEX jobs_dfns_parent_id ON dfns_worker.jobs (dfns_parent_id) WHERE dfns_parent_id IS NOT NULL;
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
