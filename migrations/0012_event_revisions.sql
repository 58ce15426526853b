-- Edit before replay (issue 22): an operator proposes an edited payload as a new revision of
-- the event. The imported payload stays in events.payload (revision 0, never changed); each
-- edit is a row here with its whole payload and its changes against the original. The current
-- revision is the highest; it is replayed only once someone other than its editor approved it
-- and a preflight was taken on it (checked in the replay's intent transaction).
CREATE TABLE event_revisions (
    id                     INTEGER PRIMARY KEY,
    event_id               INTEGER NOT NULL REFERENCES events(id),
    revision               INTEGER NOT NULL CHECK (revision > 0),
    payload                TEXT NOT NULL,        -- the whole edited payload, a JSON object
    changes                TEXT NOT NULL,        -- JSON: [{field, before, after}] against the original
    editor                 TEXT NOT NULL,
    editor_authenticated   INTEGER NOT NULL,     -- 1: a server login (team mode); 0: a declared name
    reason                 TEXT NOT NULL,
    protected_override     TEXT,                 -- why a protected field is edited, when one is
    created_at             TEXT NOT NULL,
    approved_by            TEXT,
    approver_authenticated INTEGER,
    approval_reason        TEXT,
    approved_at            TEXT,
    UNIQUE (event_id, revision),
    CHECK (approved_by IS NULL OR lower(trim(approved_by)) <> lower(trim(editor)))
) STRICT;
