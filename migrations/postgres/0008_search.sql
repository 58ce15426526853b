-- Find anything (issue 22), as migrations/0015_search.sql: the same words (made in Rust,
-- domain/search.rs) as a tsvector of the 'simple' configuration (no stemming, no stop words),
-- one row per indexed event, searched through a GIN index.
CREATE TABLE event_search (
    event_id  BIGINT PRIMARY KEY REFERENCES events(id),
    doc       tsvector NOT NULL
);
CREATE INDEX event_search_doc ON event_search USING gin (doc);

CREATE TABLE search_index (
    id               BIGINT PRIMARY KEY CHECK (id = 1),
    indexed_through  BIGINT NOT NULL
);
INSERT INTO search_index (id, indexed_through) VALUES (1, 0);
