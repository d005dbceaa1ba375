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
