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
