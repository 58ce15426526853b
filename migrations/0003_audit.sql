-- The audit log: append-only, hash-chained. Every preflight, refusal, replay, outcome, discard,
-- verification, import and credential change is an entry. The triggers make the app's own
-- connection unable to edit or delete one; the hash chain (and a signed checkpoint kept outside
-- the database) makes an edit by anyone else with the file detectable.
CREATE TABLE audit_log (
    seq              INTEGER PRIMARY KEY,   -- 1, 2, 3, ... with no gaps
    at               TEXT NOT NULL,         -- UTC, fixed-width RFC 3339 with milliseconds
    action           TEXT NOT NULL,
    actor            TEXT NOT NULL,         -- the operator's name, or `system`
    os_user          TEXT NOT NULL,
    host             TEXT NOT NULL,
    lane_id          TEXT,
    lane_version     INTEGER,
    event_id         INTEGER,
    attempt_id       INTEGER,
    batch_id         INTEGER,
    -- The contract's log dimensions.
    integration_user TEXT,
    external_id      TEXT,
    record_type      TEXT,
    operation_type   TEXT,
    reason           TEXT,
    ack_token        TEXT,
    outcome          TEXT,
    detail           TEXT NOT NULL,         -- canonical JSON: before/after, request, response
    prev_hash        TEXT NOT NULL,         -- hex; 64 zeros for the first entry
    hash             TEXT NOT NULL          -- hex SHA-256, see domain/audit.rs
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted');
END;

-- The reviewer's filters (`audit list`, `audit export`). Each ends in seq, so a filtered page is
-- an index range read in keyset order (WHERE x = ? AND seq > ? ORDER BY seq LIMIT n).
CREATE INDEX audit_log_event ON audit_log (event_id, seq) WHERE event_id IS NOT NULL;
CREATE INDEX audit_log_lane ON audit_log (lane_id, seq) WHERE lane_id IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_outcome ON audit_log (outcome, seq) WHERE outcome IS NOT NULL;
CREATE INDEX audit_log_external_id ON audit_log (external_id, seq) WHERE external_id IS NOT NULL;
-- Time windows (--since/--until, incident windows): `at` is fixed-width UTC text, so it sorts as
-- time does.
CREATE INDEX audit_log_at ON audit_log (at);
