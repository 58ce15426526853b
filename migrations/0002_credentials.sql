-- What the console knows about each lane's credential besides the secret itself (which lives
-- only in the OS keychain): when it was set, and the result of the last check.
CREATE TABLE credential_events (
    id          INTEGER PRIMARY KEY,
    lane_id     TEXT NOT NULL REFERENCES lanes(lane_id),
    account     TEXT NOT NULL,             -- keychain account: <lane_id>/<integration_user>
    action      TEXT NOT NULL CHECK (action IN ('set', 'delete', 'check')),
    ok          INTEGER,                   -- for checks: 1 passed, 0 failed
    acts_as     TEXT,                      -- for checks: the username the token acts as
    message     TEXT,                      -- for failed checks: why
    at          TEXT NOT NULL
) STRICT;

CREATE INDEX credential_events_lane ON credential_events (lane_id, id);
