-- The queue's other filters, each served by an index (see tests/it/queue_plans.rs, which checks
-- EXPLAIN QUERY PLAN): lane alone in id order, failure (reason) code, search by external ID or
-- event key, time range.
CREATE INDEX events_lane_id ON events (lane_id, id);
CREATE INDEX events_failure_code ON events (failure_code, id);
CREATE INDEX events_external_id ON events (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX events_event_key ON events (event_key);
CREATE INDEX events_occurred_at ON events (occurred_at);

-- Counts by lane and status, kept current so the first screen never counts a million rows.
-- Imports add their tallies in the same transaction; status changes move one count by trigger.
CREATE TABLE event_counts (
    lane_id TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (lane_id, status)
) STRICT, WITHOUT ROWID;

INSERT INTO event_counts (lane_id, status, n)
    SELECT lane_id, status, count(*) FROM events GROUP BY lane_id, status;

CREATE TRIGGER events_status_count AFTER UPDATE OF status ON events
    WHEN OLD.status <> NEW.status
BEGIN
    UPDATE event_counts SET n = n - 1 WHERE lane_id = OLD.lane_id AND status = OLD.status;
    INSERT INTO event_counts (lane_id, status, n) VALUES (NEW.lane_id, NEW.status, 1)
        ON CONFLICT (lane_id, status) DO UPDATE SET n = n + 1;
END;
