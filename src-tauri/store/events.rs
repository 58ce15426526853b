use super::Result;
use crate::domain::event::{format_time, NewEvent};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};

pub enum Inserted {
    New,
    /// The same key with the same content is already stored.
    Same,
    /// The same key with different content: `(existing id, import that brought it)`.
    Conflict(i64, i64),
}

/// Rows per INSERT statement: one statement for many rows is most of the import's speed.
/// 64 rows x 16 columns stays far below SQLite's limit on bound parameters.
pub const INSERT_BATCH: usize = 64;

fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO events (lane_id, lane_version, event_key, source_system, object, external_id, operation,
                             payload, content_hash, status, failure_code, failure_message, failure_http_status,
                             occurred_at, import_id, updated_at) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    sql.push_str(" ON CONFLICT (lane_id, event_key) DO NOTHING RETURNING lane_id, event_key");
    sql
}

/// Inserts a batch of events (each with its lane version) and says, per event, whether it was
/// new, already stored with the same content, or a conflict. Runs in the caller's transaction.
pub async fn insert_batch(
    conn: &mut SqliteConnection,
    events: &[(&NewEvent, i64)],
    import_id: i64,
    now: &str,
) -> Result<Vec<Inserted>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let hashes: Vec<[u8; 32]> = events.iter().map(|(e, _)| e.content_hash()).collect();
    let sql = insert_sql(events.len());
    let mut q = sqlx::query_as::<_, (String, String)>(&sql);
    for ((e, version), hash) in events.iter().zip(&hashes) {
        q = q
            .bind(&e.lane_id)
            .bind(*version)
            .bind(&e.event_key)
            .bind(&e.source_system)
            .bind(&e.object)
            .bind(&e.external_id)
            .bind(e.operation.as_str())
            .bind(e.payload_json())
            .bind(&hash[..])
            .bind(e.status.as_str())
            .bind(e.failure.as_ref().map(|f| f.code.as_str()))
            .bind(e.failure.as_ref().map(|f| f.message.as_str()))
            .bind(e.failure.as_ref().and_then(|f| f.http_status).map(i64::from))
            .bind(format_time(e.occurred_at))
            .bind(import_id)
            .bind(now);
    }
    let inserted: std::collections::HashSet<(String, String)> = q.fetch_all(&mut *conn).await?.into_iter().collect();
    let mut out = Vec::with_capacity(events.len());
    // A key that appears twice in one batch was inserted by its first occurrence only.
    let mut claimed: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    for ((e, _), hash) in events.iter().zip(&hashes) {
        let key = (e.lane_id.as_str(), e.event_key.as_str());
        let first = claimed.insert(key);
        if first && inserted.contains(&(e.lane_id.clone(), e.event_key.clone())) {
            out.push(Inserted::New);
            continue;
        }
        let (id, existing, by_import): (i64, Vec<u8>, i64) =
            sqlx::query_as("SELECT id, content_hash, import_id FROM events WHERE lane_id = ? AND event_key = ?")
                .bind(&e.lane_id)
                .bind(&e.event_key)
                .fetch_one(&mut *conn)
                .await?;
        out.push(if existing == hash[..] {
            Inserted::Same
        } else {
            Inserted::Conflict(id, by_import)
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub lane_id: Option<String>,
    pub status: Option<String>,
    pub failure_code: Option<String>,
    /// A prefix of the external ID or of the event key.
    pub search: Option<String>,
    /// `occurred_at` bounds, fixed-width UTC text (inclusive, exclusive).
    pub since: Option<String>,
    pub until: Option<String>,
}

#[derive(Debug, Clone)]
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
    pub payload: Option<String>,
}

const COLUMNS: &str = "id, lane_id, lane_version, event_key, source_system, object, external_id, operation, status,
    failure_code, failure_message, failure_http_status, occurred_at, import_id, updated_at";

fn row(r: &SqliteRow, with_payload: bool) -> EventRow {
    EventRow {
        id: r.get("id"),
        lane_id: r.get("lane_id"),
        lane_version: r.get("lane_version"),
        event_key: r.get("event_key"),
        source_system: r.get("source_system"),
        object: r.get("object"),
        external_id: r.get("external_id"),
        operation: r.get("operation"),
        status: r.get("status"),
        failure_code: r.get("failure_code"),
        failure_message: r.get("failure_message"),
        failure_http_status: r.get("failure_http_status"),
        occurred_at: r.get("occurred_at"),
        import_id: r.get("import_id"),
        updated_at: r.get("updated_at"),
        payload: if with_payload { r.get("payload") } else { None },
    }
}

fn page_query<'a>(head: &str, filter: &'a Filter, after: i64, limit: i64) -> QueryBuilder<'a, Sqlite> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("{head} FROM events WHERE id > "));
    q.push_bind(after);
    if let Some(lane) = &filter.lane_id {
        q.push(" AND lane_id = ").push_bind(lane);
    }
    if let Some(status) = &filter.status {
        q.push(" AND status = ").push_bind(status);
    }
    if let Some(code) = &filter.failure_code {
        q.push(" AND failure_code = ").push_bind(code);
    }
    if let Some(prefix) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        // A range, not LIKE: it uses the indexes and treats % and _ as the characters they are.
        let end = format!("{prefix}\u{10FFFF}");
        q.push(" AND ((external_id >= ")
            .push_bind(prefix.to_string())
            .push(" AND external_id < ")
            .push_bind(end.clone())
            .push(") OR (event_key >= ")
            .push_bind(prefix.to_string())
            .push(" AND event_key < ")
            .push_bind(end)
            .push("))");
    }
    if let Some(since) = &filter.since {
        q.push(" AND occurred_at >= ").push_bind(since);
    }
    if let Some(until) = &filter.until {
        q.push(" AND occurred_at < ").push_bind(until);
    }
    q.push(" ORDER BY id LIMIT ").push_bind(limit);
    q
}

/// One keyset page: rows with `id > after`, in id order. The caller's next cursor is the last id.
pub async fn page(pool: &SqlitePool, filter: &Filter, after: i64, limit: i64) -> Result<Vec<EventRow>> {
    let rows = page_query(&format!("SELECT {COLUMNS}"), filter, after, limit)
        .build()
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(|r| row(r, false)).collect())
}

/// The query plan of a page query, one line per step: tests assert no full scan.
pub async fn explain_page(pool: &SqlitePool, filter: &Filter) -> Result<Vec<String>> {
    let rows = page_query(&format!("EXPLAIN QUERY PLAN SELECT {COLUMNS}"), filter, 0, 50)
        .build()
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(|r| r.get::<String, _>("detail")).collect())
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<Option<EventRow>> {
    let r = sqlx::query(&format!("SELECT {COLUMNS}, payload FROM events WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(r.as_ref().map(|r| row(r, true)))
}

/// `(lane_id, status, count)` for every non-empty pair, from the maintained counts.
pub async fn counts(pool: &SqlitePool) -> Result<Vec<(String, String, i64)>> {
    Ok(
        sqlx::query_as("SELECT lane_id, status, n FROM event_counts WHERE n > 0 ORDER BY lane_id, status")
            .fetch_all(pool)
            .await?,
    )
}

/// Adds an import's tallies to the counts, in the import's transaction.
pub async fn add_counts(
    conn: &mut SqliteConnection,
    tallies: &std::collections::HashMap<(String, String), i64>,
) -> Result<()> {
    for ((lane, status), n) in tallies {
        sqlx::query(
            "INSERT INTO event_counts (lane_id, status, n) VALUES (?, ?, ?)
             ON CONFLICT (lane_id, status) DO UPDATE SET n = n + excluded.n",
        )
        .bind(lane)
        .bind(status)
        .bind(n)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
