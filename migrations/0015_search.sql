-- Find anything (issue 22): a full-text index over each event's external ID, event key, failure
-- code and message and payload values (the words made in Rust, domain/search.rs). Contentless:
-- the index keeps the words, not the text (the events table has it), so a row is removed with
-- FTS5's 'delete' command and the words it was given (made again from the stored event);
-- `detail=none` keeps only which events hold a word, not where, and `columnsize=0` no lengths,
-- so it stays small on a million events (no phrases, no ranking). The rowid is the event's id.
CREATE VIRTUAL TABLE event_search USING fts5(
    doc,
    content = '',
    columnsize = 0,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- How far the index goes: every event with id <= indexed_through is in it. Events are added
-- after the import that brought them commits (services/search.rs), so the import keeps its
-- speed; ids only grow (all writes are serialised), so one number says what is left to do.
CREATE TABLE search_index (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through  INTEGER NOT NULL
) STRICT;
INSERT INTO search_index (id, indexed_through) VALUES (1, 0);
