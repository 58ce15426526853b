-- Preflights (what the operator saw and acknowledged) and attempts (each replay try).
CREATE TABLE preflights (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events(id),
    taken_at    TEXT NOT NULL,
    ack_token   TEXT NOT NULL,
    digest      TEXT NOT NULL,
    blocking    INTEGER NOT NULL,          -- how many blocking findings
    fallback_owner INTEGER NOT NULL,       -- the owner was the lane's fallback owner (alerts)
    body        TEXT NOT NULL              -- the whole preflight as JSON
) STRICT;
CREATE INDEX preflights_event ON preflights (event_id, id);

CREATE TABLE attempts (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events(id),
    preflight_id    INTEGER NOT NULL REFERENCES preflights(id),
    batch_id        INTEGER,
    operator        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    ack_token       TEXT NOT NULL,
    again_reason    TEXT,
    override_reason TEXT,
    approved_by     TEXT,
    request         TEXT NOT NULL,         -- the exact request, as JSON
    outcome         TEXT NOT NULL CHECK (outcome IN
                        ('in_flight', 'applied', 'rejected', 'precondition_failed',
                         'unknown_outcome', 'not_applied')),
    -- Who holds an in-flight attempt: at start-up, an attempt whose holder is gone becomes
    -- unknown_outcome; one whose holder still runs (another instance) is left alone.
    holder_pid      INTEGER,
    holder_started  TEXT,
    holder_host     TEXT,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    http_status     INTEGER,
    error_code      TEXT,
    error_message   TEXT,
    record_id       TEXT,
    response        TEXT,                  -- JSON
    post_verify     TEXT,                  -- JSON: what the record looked like after
    settled_by      TEXT                   -- for unknown outcomes: the verify that settled it
) STRICT;
CREATE INDEX attempts_event ON attempts (event_id, id);
-- At most one unsettled attempt per event, enforced by the database itself: two processes that
-- both pass the gate cannot both commit an intent, so an event is never written twice by accident.
CREATE UNIQUE INDEX attempts_one_unsettled ON attempts (event_id)
    WHERE outcome IN ('in_flight', 'unknown_outcome');
