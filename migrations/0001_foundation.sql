-- Lanes are versioned: every changed contract import adds a row to lane_versions and moves
-- lanes.current_version. Events remember the version they were imported under.
CREATE TABLE lanes (
    lane_id         TEXT PRIMARY KEY NOT NULL,
    current_version INTEGER NOT NULL,
    created_at      TEXT NOT NULL
) STRICT;

CREATE TABLE lane_versions (
    lane_id       TEXT NOT NULL REFERENCES lanes(lane_id),
    version       INTEGER NOT NULL,
    contract_json TEXT NOT NULL,   -- canonical JSON of the validated contract
    source_yaml   TEXT NOT NULL,   -- the file exactly as imported
    source_name   TEXT NOT NULL,
    sha256        TEXT NOT NULL,   -- of contract_json: an unchanged contract adds no version
    imported_at   TEXT NOT NULL,
    PRIMARY KEY (lane_id, version)
) STRICT;

CREATE TABLE imports (
    import_id    INTEGER PRIMARY KEY,
    source_name  TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    format       TEXT NOT NULL,
    records      INTEGER NOT NULL,
    inserted     INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    imported_at  TEXT NOT NULL
) STRICT;

-- status: failed | blocked (as imported), in_flight, replayed, unknown_outcome, discarded (later).
CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    lane_id             TEXT NOT NULL REFERENCES lanes(lane_id),
    lane_version        INTEGER NOT NULL,
    event_key           TEXT NOT NULL,
    source_system       TEXT NOT NULL,
    object              TEXT NOT NULL,
    external_id         TEXT,            -- NULL: the external_id_missing case, stored and flagged
    operation           TEXT NOT NULL CHECK (operation IN ('upsert', 'update', 'insert')),
    payload             TEXT NOT NULL,   -- JSON object, canonical (sorted keys)
    content_hash        BLOB NOT NULL,   -- SHA-256 of the canonical record: re-import vs conflict
    status              TEXT NOT NULL
                        CHECK (status IN ('failed', 'blocked', 'in_flight', 'replayed', 'unknown_outcome', 'discarded')),
    failure_code        TEXT,
    failure_message     TEXT,
    failure_http_status INTEGER,
    occurred_at         TEXT NOT NULL,   -- RFC 3339 UTC, fixed width, so text order is time order
    import_id           INTEGER NOT NULL REFERENCES imports(import_id),
    updated_at          TEXT NOT NULL,
    UNIQUE (lane_id, event_key)
) STRICT;

-- The queue's keyset pages: filter by lane and/or status, ordered by id.
CREATE INDEX events_lane_status_id ON events (lane_id, status, id);
CREATE INDEX events_status_id ON events (status, id);
