-- Batch replays (issue 8): one record per batch preflight, executed (and resumed) by its token.
-- Per-event preflights live in `preflights`; per-event attempts carry `attempts.batch_id`.
CREATE TABLE batches (
    id            INTEGER PRIMARY KEY,
    lane_id       TEXT NOT NULL REFERENCES lanes(lane_id),
    created_at    TEXT NOT NULL,             -- when the batch preflight was taken
    planned_by    TEXT NOT NULL,             -- who ran the batch preflight
    operator      TEXT,                      -- who executed it (set at the first execution)
    reason        TEXT,
    selection     TEXT NOT NULL,             -- JSON: lane, status, reason code, ids
    aggregate     TEXT NOT NULL,             -- JSON: counts by kind and by blocking finding
    preflight_ids TEXT NOT NULL,             -- JSON array, in execution order
    digest        TEXT NOT NULL,             -- SHA-256 over the per-event digests, in order
    ack_token     TEXT NOT NULL,
    -- interrupted: the process running it ended without finishing (found at start-up).
    status        TEXT NOT NULL CHECK (status IN
                      ('planned', 'running', 'paused', 'stopped', 'cancelled', 'interrupted', 'done')),
    holder_pid    INTEGER,                   -- the process running it (as for attempts)
    holder_started TEXT,
    holder_host   TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    summary       TEXT                       -- JSON: the last execution's summary
) STRICT;
CREATE INDEX batches_ack ON batches (ack_token, id);
CREATE INDEX attempts_batch ON attempts (batch_id, event_id) WHERE batch_id IS NOT NULL;
