-- A planned create that finds a record with its external ID at the write (the re-read just
-- before it, or Salesforce's DUPLICATE_VALUE on a Unique field) is refused and writes nothing:
-- the attempt's outcome `record_appeared`. SQLite cannot change a CHECK constraint in place, so
-- the table is rebuilt with the same columns, rows and indexes (nothing references it).
CREATE TABLE attempts_v2 (
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
    request         TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN
                        ('in_flight', 'applied', 'rejected', 'precondition_failed',
                         'unknown_outcome', 'not_applied', 'record_appeared')),
    holder_pid      INTEGER,
    holder_started  TEXT,
    holder_host     TEXT,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    http_status     INTEGER,
    error_code      TEXT,
    error_message   TEXT,
    record_id       TEXT,
    response        TEXT,
    post_verify     TEXT,
    settled_by      TEXT
) STRICT;
INSERT INTO attempts_v2 SELECT * FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_v2 RENAME TO attempts;
CREATE INDEX attempts_event ON attempts (event_id, id);
CREATE UNIQUE INDEX attempts_one_unsettled ON attempts (event_id)
    WHERE outcome IN ('in_flight', 'unknown_outcome');
CREATE INDEX attempts_batch ON attempts (batch_id, event_id) WHERE batch_id IS NOT NULL;
