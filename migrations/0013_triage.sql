-- Triage (issue 22): several people work one incident. Per event an assignee and an
-- `investigating` mark, tags, and notes; every change audited (event_triaged, event_noted).
CREATE TABLE event_triage (
    event_id      INTEGER PRIMARY KEY REFERENCES events(id),
    assignee      TEXT,
    investigating INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX event_triage_assignee ON event_triage (assignee, event_id) WHERE assignee IS NOT NULL;
CREATE INDEX event_triage_investigating ON event_triage (event_id) WHERE investigating = 1;

CREATE TABLE event_tags (
    event_id INTEGER NOT NULL REFERENCES events(id),
    tag      TEXT NOT NULL,
    PRIMARY KEY (event_id, tag)
) STRICT;
CREATE INDEX event_tags_tag ON event_tags (tag, event_id);

CREATE TABLE event_notes (
    id                   INTEGER PRIMARY KEY,
    event_id             INTEGER NOT NULL REFERENCES events(id),
    author               TEXT NOT NULL,
    author_authenticated INTEGER NOT NULL,
    text                 TEXT NOT NULL,
    at                   TEXT NOT NULL
) STRICT;
CREATE INDEX event_notes_event ON event_notes (event_id, id);
