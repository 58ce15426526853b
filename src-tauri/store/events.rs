//! Events: the import's inserts (a key seen again with the same content is unchanged, with
//! other content a conflict), the queue's keyset pages (async, and the synchronous reader the
//! window pages with), counts by lane and status, and each event's status.

use super::Result;
use super::{on_pool, on_tx};
use crate::domain::event::{format_time, NewEvent};
use sqlx::Row;

pub enum Inserted {
    New,
    /// The same key with the same content is already stored.
    Same,
    /// The same key with different content: `(existing id, import that brought it)`.
    Conflict(i64, i64),
}

/// Rows the import hands to one [`insert_batch`] on SQLite: each row is its own run of one
/// prepared statement, so this only sets how often the connection's lock is taken.
pub const INSERT_BATCH: usize = 1024;

/// Rows per COPY chunk on a server (see [`insert_batch`]): one look-up of the chunk's keys and
/// one COPY per chunk, so the round trips and the statements' fixed costs are spread over many
/// rows (chosen by measurement, docs/BENCHMARKS.md, "Team mode").
pub const SERVER_BATCH: usize = 4096;

/// The most rows a batch holds on either database (what callers keep slack for).
pub const MAX_BATCH: usize = if SERVER_BATCH > INSERT_BATCH {
    SERVER_BATCH
} else {
    INSERT_BATCH
};

/// How many events the import hands to [`insert_batch`] at a time on this database.
pub fn batch_rows(tx: &super::Tx<'_>) -> usize {
    match tx {
        super::Tx::Sqlite(_) => INSERT_BATCH,
        super::Tx::Pg(_) => SERVER_BATCH,
    }
}

const INSERT_ONE: &str = "INSERT INTO events (lane_id, lane_version, event_key, source_system, object, external_id,
    operation, payload, content_hash, status, failure_code, failure_message, failure_http_status, occurred_at, import_id,
    updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
    ON CONFLICT (lane_id, event_key) DO NOTHING";

/// An event ready to be inserted: with its lane version, and the parts that cost CPU to
/// make (the content hash, the payload's JSON text, the time's text) made beforehand, so the
/// import makes them on its reading thread while the database takes the previous batch. The
/// payload is kept as its JSON text only (`event.payload` is emptied): that is all an insert
/// needs, and the parsed form is most of an event's memory.
pub struct NewRow {
    pub event: NewEvent,
    pub version: i64,
    pub hash: [u8; 32],
    pub payload_json: String,
    pub occurred_at: String,
}

impl NewRow {
    pub fn new(mut event: NewEvent, version: i64) -> NewRow {
        let (hash, payload_json) = event.content_hash_and_payload_json();
        event.payload = serde_json::Map::new();
        NewRow {
            hash,
            payload_json,
            occurred_at: format_time(event.occurred_at),
            event,
            version,
        }
    }
}

/// Inserts a batch of events (each with its lane version) and says, per event, whether it was
/// new, already stored with the same content, or a conflict. Runs in the caller's transaction.
/// On a server one query looks the batch's keys up and the new events go in by COPY
/// (store/events_copy.rs), with the same result per event.
pub async fn insert_batch(
    conn: &mut super::Tx<'_>,
    rows: &[&NewRow],
    import_id: i64,
    now: &str,
) -> Result<Vec<Inserted>> {
    match conn {
        super::Tx::Pg(t) => super::events_copy::insert_batch(t, rows, import_id, now).await,
        super::Tx::Sqlite(t) => insert_batch_sqlite(t, rows, import_id, now).await,
    }
}

/// The SQLite form of [`insert_batch`]: one prepared single-row statement run per event on the
/// transaction's own connection, through its raw handle (rusqlite, the same SQLite library).
/// sqlx's SQLite driver copies every bound value into an argument list and hands each statement
/// to its worker thread; for a million rows that was most of the import's time (docs/BENCHMARKS.md,
/// "Import at the speed of SQLite"). The handle stays locked (sqlx's worker cannot touch it) until
/// the rows are in.
async fn insert_batch_sqlite(
    t: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    rows: &[&NewRow],
    import_id: i64,
    now: &str,
) -> Result<Vec<Inserted>> {
    let mut handle = t.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    let run = || -> std::result::Result<Vec<Inserted>, rusqlite::Error> {
        // SAFETY: `raw` is the open connection of `handle`, whose lock keeps every other user
        // (sqlx's worker) away until this returns; `from_handle` never closes it.
        let db = unsafe { rusqlite::Connection::from_handle(raw) }?;
        let mut insert = db.prepare_cached(INSERT_ONE)?;
        let mut find =
            db.prepare_cached("SELECT id, content_hash, import_id FROM events WHERE lane_id = ?1 AND event_key = ?2")?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let e = &row.event;
            let failure = e.failure.as_ref();
            let added = insert.execute(rusqlite::params![
                e.lane_id,
                row.version,
                e.event_key,
                e.source_system,
                e.object,
                e.external_id,
                e.operation.as_str(),
                row.payload_json,
                &row.hash[..],
                e.status.as_str(),
                failure.map(|f| f.code.as_str()),
                failure.map(|f| f.message.as_str()),
                failure.and_then(|f| f.http_status).map(i64::from),
                row.occurred_at,
                import_id,
                now,
            ])?;
            if added == 1 {
                out.push(Inserted::New);
                continue;
            }
            // The key is stored already (by an earlier import, or earlier in this one).
            let (id, existing, by_import): (i64, Vec<u8>, i64) = find
                .query_row(rusqlite::params![e.lane_id, e.event_key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            out.push(if existing == row.hash[..] {
                Inserted::Same
            } else {
                Inserted::Conflict(id, by_import)
            });
        }
        Ok(out)
    };
    // The inserts are synchronous: on a multi-threaded runtime the worker says so, so other
    // tasks (the window's) move to another thread meanwhile.
    let result = match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
        _ => run(),
    };
    Ok(result?)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub lane_id: Option<String>,
    pub status: Option<String>,
    /// Any of these statuses (with `status`, both apply).
    pub statuses: Vec<String>,
    pub failure_code: Option<String>,
    /// A prefix of the external ID or of the event key.
    pub search: Option<String>,
    /// Full-text: events whose indexed words hold every word of the query (store/search.rs).
    pub text: Option<crate::domain::search::TextQuery>,
    /// Only these events (a server's full-text search of a rare word, [`rare_matches`]).
    pub ids_in: Option<Vec<i64>>,
    /// `occurred_at` bounds, fixed-width UTC text (inclusive, exclusive).
    pub since: Option<String>,
    pub until: Option<String>,
    /// Triage: events assigned to this person, carrying this tag, marked `investigating`.
    pub assignee: Option<String>,
    pub tag: Option<String>,
    pub investigating: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub lane_id: String,
    pub lane_version: i64,
    pub event_key: String,
    pub source_system: String,
    pub object: String,
    pub external_id: Option<String>,
    pub operation: String,
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub failure_http_status: Option<i64>,
    pub occurred_at: String,
    pub import_id: i64,
    pub updated_at: String,
    /// Only filled by `get`: listings leave the payload out.
    #[sqlx(default)]
    pub payload: Option<String>,
}

const COLUMNS: &str = "id, lane_id, lane_version, event_key, source_system, object, external_id, operation, status,
    failure_code, failure_message, failure_http_status, occurred_at, import_id, updated_at";

/// A bound value of a page query.
#[derive(Debug, Clone)]
enum Param {
    Int(i64),
    Text(String),
}

/// The page query, built once for both connections (sqlx for EXPLAIN, rusqlite for the pages),
/// in SQLite's form or a server's (`server`: only the full-text part differs).
fn page_sql(head: &str, filter: &Filter, after: i64, limit: i64, server: bool) -> (String, Vec<Param>) {
    // A full-text search on SQLite walks the FTS5 index in id order and joins each match to its
    // event (CROSS JOIN keeps that order of the loops): a page stops after `limit` matches,
    // however many events hold the words. On a server the GIN index gives the matching ids.
    let fts = filter.text.as_ref().filter(|_| !server);
    let (from, id) = match fts {
        Some(_) => (
            "event_search CROSS JOIN events ON events.id = event_search.rowid",
            "event_search.rowid",
        ),
        None => ("events", "id"),
    };
    let mut sql = format!("{head} FROM {from} WHERE {id} > ?");
    let mut params = vec![Param::Int(after)];
    if let Some(q) = fts {
        sql.push_str(" AND event_search MATCH ?");
        params.push(Param::Text(q.fts5()));
    }
    if let Some(q) = filter.text.as_ref().filter(|_| server) {
        sql.push_str(" AND id IN (SELECT event_id FROM event_search WHERE doc @@ to_tsquery('simple', ?))");
        params.push(Param::Text(q.tsquery()));
    }
    if let Some(lane) = &filter.lane_id {
        sql.push_str(" AND lane_id = ?");
        params.push(Param::Text(lane.clone()));
    }
    if let Some(status) = &filter.status {
        sql.push_str(" AND status = ?");
        params.push(Param::Text(status.clone()));
    }
    if !filter.statuses.is_empty() {
        sql.push_str(&format!(" AND status IN ({})", super::marks(filter.statuses.len())));
        for st in &filter.statuses {
            params.push(Param::Text(st.clone()));
        }
    }
    if let Some(code) = &filter.failure_code {
        sql.push_str(" AND failure_code = ?");
        params.push(Param::Text(code.clone()));
    }
    if let Some(prefix) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        // A range, not LIKE: it uses the indexes and treats % and _ as the characters they are.
        let end = format!("{prefix}\u{10FFFF}");
        sql.push_str(" AND ((external_id >= ? AND external_id < ?) OR (event_key >= ? AND event_key < ?))");
        for v in [prefix.to_string(), end.clone(), prefix.to_string(), end] {
            params.push(Param::Text(v));
        }
    }
    if let Some(ids) = &filter.ids_in {
        // Literals: integers the database gave, never text from outside.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        sql.push_str(&format!(" AND id IN ({list})"));
    }
    if let Some(since) = &filter.since {
        sql.push_str(" AND occurred_at >= ?");
        params.push(Param::Text(since.clone()));
    }
    if let Some(until) = &filter.until {
        sql.push_str(" AND occurred_at < ?");
        params.push(Param::Text(until.clone()));
    }
    // Triage filters: the few triaged events, by their own indexes.
    if let Some(a) = &filter.assignee {
        sql.push_str(" AND id IN (SELECT event_id FROM event_triage WHERE assignee = ?)");
        params.push(Param::Text(a.clone()));
    }
    if let Some(t) = &filter.tag {
        sql.push_str(" AND id IN (SELECT event_id FROM event_tags WHERE tag = ?)");
        params.push(Param::Text(t.clone()));
    }
    if filter.investigating {
        sql.push_str(" AND id IN (SELECT event_id FROM event_triage WHERE investigating = 1)");
    }
    sql.push_str(&format!(" ORDER BY {id} LIMIT ?"));
    params.push(Param::Int(limit));
    (sql, params)
}

/// Binds a page query's parameters in order.
macro_rules! bind_all {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                Param::Int(i) => q.bind(i),
                Param::Text(t) => q.bind(t),
            };
        }
        q
    }};
}

/// One keyset page through the async pool (the window reads files through [`QueueReader`]).
pub async fn page(pool: &super::Pool, filter: &Filter, after: i64, limit: i64) -> Result<Vec<EventRow>> {
    let server = pool.is_server();
    if let (super::Pool::Pg(p), Some(text)) = (pool, &filter.text) {
        if let Some(ids) = rare_matches(p, &text.tsquery(), after).await? {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            // The page among the few matches, by primary key, with the other filters.
            let f = Filter {
                text: None,
                ids_in: Some(ids),
                ..filter.clone()
            };
            let (sql, params) = page_sql(&format!("SELECT {COLUMNS}"), &f, after, limit, true);
            let sql = super::sql_numbered(&sql);
            return Ok(bind_all!(sqlx::query_as::<_, EventRow>(&sql), params)
                .fetch_all(p)
                .await?);
        }
    }
    on_pool!(pool, |pool, sq| {
        let (sql, params) = page_sql(&format!("SELECT {COLUMNS}"), filter, after, limit, server);
        let sql = sq(&sql);
        Ok(bind_all!(sqlx::query_as::<_, EventRow>(&sql), params)
            .fetch_all(pool)
            .await?)
    })
}

/// At most this many matches of a search count as rare on a server (see [`rare_matches`]).
const RARE_MATCHES: i64 = 2000;

/// A server's full-text search, first through the GIN index alone: the ids past `after` whose
/// words match, when there are at most [`RARE_MATCHES`] of them; `None` when there are more.
/// PostgreSQL's planner cannot know how rare a word it has no statistics for (an external ID,
/// a record Id) and would walk the whole table in id order testing each row (a quarter of a
/// second on a million events); a common word is best found that way, and `None` leaves it to
/// the ordinary page query. Measured in docs/BENCHMARKS.md ("Team mode: search").
async fn rare_matches(p: &sqlx::PgPool, tsquery: &str, after: i64) -> Result<Option<Vec<i64>>> {
    let mut tx = p.begin().await?;
    // Only the GIN index's bitmap may answer this one statement.
    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL enable_indexscan = off")
        .execute(&mut *tx)
        .await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT event_id FROM event_search WHERE doc @@ to_tsquery('simple', $1) AND event_id > $2 LIMIT $3",
    )
    .bind(tsquery)
    .bind(after)
    .bind(RARE_MATCHES + 1)
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok((ids.len() as i64 <= RARE_MATCHES).then_some(ids))
}

/// A keyset page of `(id, external_id, failure_message, payload)`: what a queue export writes.
pub async fn page_payloads(
    pool: &super::Pool,
    filter: &Filter,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Option<String>, Option<String>, String)>> {
    let server = pool.is_server();
    on_pool!(pool, |pool, sq| {
        let (sql, params) = page_sql(
            "SELECT id, external_id, failure_message, payload",
            filter,
            after,
            limit,
            server,
        );
        let sql = sq(&sql);
        Ok(bind_all!(sqlx::query_as(&sql), params).fetch_all(pool).await?)
    })
}

/// The query plan of a page query, one line per step: tests assert no full scan.
pub async fn explain_page(pool: &super::Pool, filter: &Filter) -> Result<Vec<String>> {
    Ok(match pool {
        super::Pool::Sqlite(p) => {
            let (sql, params) = page_sql(&format!("EXPLAIN QUERY PLAN SELECT {COLUMNS}"), filter, 0, 50, false);
            bind_all!(sqlx::query(&sql), params)
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| r.get::<String, _>("detail"))
                .collect()
        }
        super::Pool::Pg(p) => {
            let (sql, params) = page_sql(&format!("EXPLAIN SELECT {COLUMNS}"), filter, 0, 50, true);
            let sql = super::sql_numbered(&sql);
            bind_all!(sqlx::query_scalar(&sql), params).fetch_all(p).await?
        }
    })
}

/// The queue's pages through a plain synchronous connection: a page is 50 small rows, and the
/// async driver's per-row hand-over cost several times SQLite's own work (docs/BENCHMARKS.md).
/// One connection, opened on first use; callers run it on the blocking pool.
/// On a server there is no such cost to avoid: the reader pages through the pool.
pub struct QueueReader {
    path: std::path::PathBuf,
    conn: std::sync::Mutex<Option<rusqlite::Connection>>,
    server: Option<super::Pool>,
}

impl QueueReader {
    pub fn new(source: &super::Source) -> QueueReader {
        match source {
            super::Source::File(path) => QueueReader {
                path: path.to_path_buf(),
                conn: std::sync::Mutex::new(None),
                server: None,
            },
            super::Source::Server(pool) => QueueReader {
                path: std::path::PathBuf::new(),
                conn: std::sync::Mutex::new(None),
                server: Some(super::Pool::Pg(pool.clone())),
            },
        }
    }

    fn open(&self) -> Result<rusqlite::Connection> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| super::StoreError::Open {
            path: self.path.display().to_string(),
            source: sqlx::Error::Protocol(e.to_string()),
        })?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        conn.execute_batch(&format!(
            "PRAGMA query_only = 1; PRAGMA cache_size = {};",
            super::NORMAL_CACHE
        ))?;
        Ok(conn)
    }

    /// One keyset page: rows with `id > after`, in id order.
    pub fn page(&self, filter: &Filter, after: i64, limit: i64) -> Result<Vec<EventRow>> {
        if let Some(pool) = &self.server {
            return tokio::runtime::Handle::current().block_on(page(pool, filter, after, limit));
        }
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(self.open()?);
        }
        let Some(conn) = slot.as_ref() else {
            return Ok(Vec::new());
        };
        let (sql, params) = page_sql(&format!("SELECT {COLUMNS}"), filter, after, limit, false);
        let mut stmt = conn.prepare_cached(&sql)?;
        let values: Vec<rusqlite::types::Value> = params
            .into_iter()
            .map(|p| match p {
                Param::Int(i) => rusqlite::types::Value::Integer(i),
                Param::Text(t) => rusqlite::types::Value::Text(t),
            })
            .collect();
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
            Ok(EventRow {
                id: r.get(0)?,
                lane_id: r.get(1)?,
                lane_version: r.get(2)?,
                event_key: r.get(3)?,
                source_system: r.get(4)?,
                object: r.get(5)?,
                external_id: r.get(6)?,
                operation: r.get(7)?,
                status: r.get(8)?,
                failure_code: r.get(9)?,
                failure_message: r.get(10)?,
                failure_http_status: r.get(11)?,
                occurred_at: r.get(12)?,
                import_id: r.get(13)?,
                updated_at: r.get(14)?,
                payload: None,
            })
        })?;
        let mut out = Vec::with_capacity(limit.max(0) as usize);
        for row in rows {
            out.push(row?);
        }
        Ok(out)
    }
}

pub async fn get(pool: &super::Pool, id: i64) -> Result<Option<EventRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(
            sqlx::query_as::<_, EventRow>(&sq(&format!("SELECT {COLUMNS}, payload FROM events WHERE id = ?")))
                .bind(id)
                .fetch_optional(pool)
                .await?,
        )
    })
}

/// [`get`] of many events (a batch preflight's thousand), 500 to a query; those that exist.
pub async fn get_many(pool: &super::Pool, ids: &[i64]) -> Result<Vec<EventRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(super::IN_CHUNK) {
        let text = format!(
            "SELECT {COLUMNS}, payload FROM events WHERE id IN ({})",
            super::marks(chunk.len())
        );
        let rows: Vec<EventRow> = on_pool!(pool, |pool, sq| {
            let sql = sq(&text);
            let mut q = sqlx::query_as::<_, EventRow>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// `(lane_id, status, count)` for every non-empty pair, from the maintained counts.
pub async fn counts(pool: &super::Pool) -> Result<Vec<(String, String, i64)>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT lane_id, status, n FROM event_counts WHERE n > 0 ORDER BY lane_id, status",
        ))
        .fetch_all(pool)
        .await?)
    })
}

/// Adds an import's tallies to the counts, in the import's transaction.
pub async fn add_counts(
    conn: &mut super::Tx<'_>,
    tallies: &std::collections::HashMap<(String, String), i64>,
) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        for ((lane, status), n) in tallies {
            sqlx::query(&sq("INSERT INTO event_counts (lane_id, status, n) VALUES (?, ?, ?)
             ON CONFLICT (lane_id, status) DO UPDATE SET n = event_counts.n + excluded.n"))
            .bind(lane)
            .bind(status)
            .bind(n)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    })
}

/// An event's status, inside the caller's transaction; `None` when there is no such event.
pub async fn status(conn: &mut super::Tx<'_>, id: i64) -> Result<Option<String>> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query_scalar(&sq("SELECT status FROM events WHERE id = ?"))
            .bind(id)
            .fetch_optional(conn)
            .await?)
    })
}
