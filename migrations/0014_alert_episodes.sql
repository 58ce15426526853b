-- Alerts that reach their owner (issue 22): an episode is the span during which one of a
-- lane's critical alerts is active. The console that opens an episode (the unique index makes
-- that one console) sends the lane's webhook once for it, retried on failure; the episode ends
-- when a later check finds the alert inactive, and the next activation is a new episode.
CREATE TABLE alert_episodes (
    id          INTEGER PRIMARY KEY,
    lane_id     TEXT NOT NULL,
    code        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    notified_at TEXT,             -- the webhook answered 2xx
    attempts    INTEGER NOT NULL, -- webhook sends tried
    last_error  TEXT
) STRICT;
CREATE UNIQUE INDEX alert_episodes_open ON alert_episodes (lane_id, code) WHERE ended_at IS NULL;
