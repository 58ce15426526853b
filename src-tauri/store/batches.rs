//! Batch replays: the batch record, its selection, and which of its events already have an
//! attempt under it (what makes a resumed batch never write an event twice).

use super::Result;
use super::{on_pool, on_tx};

/// The event ids a batch selection names: a lane, optionally a status and a failure code, in id
/// order. With no status, the replayable ones (failed and blocked).
pub async fn select_events(
    pool: &super::Pool,
    lane_id: &str,
    status: Option<&str>,
    failure_code: Option<&str>,
) -> Result<Vec<i64>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_scalar(&sq("SELECT id FROM events
          WHERE lane_id = ?1
            AND (CASE WHEN CAST(?2 AS TEXT) IS NULL THEN status IN ('failed', 'blocked') ELSE status = ?2 END)
            AND (CAST(?3 AS TEXT) IS NULL OR failure_code = ?3)
          ORDER BY id"))
        .bind(lane_id)
        .bind(status)
        .bind(failure_code)
        .fetch_all(pool)
        .await?)
    })
}

/// `(event id, lane id)` for the given ids that exist.
pub async fn event_lanes(pool: &super::Pool, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    on_pool!(pool, |pool, sq| {
        let mut out = Vec::with_capacity(ids.len());
        // Chunked: SQLite limits bound parameters per statement.
        for chunk in ids.chunks(super::IN_CHUNK) {
            let marks = super::marks(chunk.len());
            let sql = format!("SELECT id, lane_id FROM events WHERE id IN ({marks})");
            let sql = sq(&sql);
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            out.extend(q.fetch_all(pool).await?);
        }
        Ok(out)
    })
}

pub struct NewBatch<'a> {
    pub lane_id: &'a str,
    pub created_at: &'a str,
    pub planned_by: &'a str,
    pub selection: &'a str,
}

/// Inserts the batch before its preflights (they are audited with its id); `finish_plan` fills
/// in the rest in the same transaction.
pub async fn insert(conn: &mut super::Tx<'_>, b: &NewBatch<'_>) -> Result<i64> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query_scalar(&sq("INSERT INTO batches (lane_id, created_at, planned_by, selection, aggregate, preflight_ids, digest, ack_token, status)
         VALUES (?, ?, ?, ?, '{}', '[]', '', '', 'planned') RETURNING id",))
    .bind(b.lane_id)
    .bind(b.created_at)
    .bind(b.planned_by)
    .bind(b.selection)
    .fetch_one(conn)
    .await?)
    })
}

pub async fn finish_plan(
    conn: &mut super::Tx<'_>,
    id: i64,
    aggregate: &str,
    preflight_ids: &str,
    digest: &str,
    ack_token: &str,
) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE batches SET aggregate = ?, preflight_ids = ?, digest = ?, ack_token = ? WHERE id = ?",
        ))
        .bind(aggregate)
        .bind(preflight_ids)
        .bind(digest)
        .bind(ack_token)
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// A whole batch: what its history line shows (`head`, reachable as the row's own fields), its
/// selection, the preflights it binds, its token and its summary.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchRow {
    #[sqlx(flatten)]
    pub head: BatchListRow,
    pub selection: String,
    pub preflight_ids: String,
    pub digest: String,
    pub ack_token: String,
    pub summary: Option<String>,
}

impl std::ops::Deref for BatchRow {
    type Target = BatchListRow;
    fn deref(&self) -> &BatchListRow {
        &self.head
    }
}

const COLS: &str = "id, lane_id, created_at, planned_by, operator, reason, selection, aggregate, preflight_ids,
    digest, ack_token, status, started_at, finished_at, summary";

pub async fn get(pool: &super::Pool, id: i64) -> Result<Option<BatchRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(&format!("SELECT {COLS} FROM batches WHERE id = ?")))
            .bind(id)
            .fetch_optional(pool)
            .await?)
    })
}

/// The newest batch whose acknowledgment token is `token`.
pub async fn by_token(pool: &super::Pool, token: &str) -> Result<Option<BatchRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(&format!(
            "SELECT {COLS} FROM batches WHERE ack_token = ? ORDER BY id DESC LIMIT 1"
        )))
        .bind(token)
        .fetch_optional(pool)
        .await?)
    })
}

pub async fn start(
    conn: &mut super::Tx<'_>,
    id: i64,
    operator: &str,
    reason: &str,
    now: &str,
    holder: &super::Holder,
) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE batches SET status = 'running', operator = COALESCE(operator, ?), reason = COALESCE(reason, ?),
             started_at = COALESCE(started_at, ?), finished_at = NULL,
             holder_pid = ?, holder_started = ?, holder_host = ? WHERE id = ?",
        ))
        .bind(operator)
        .bind(reason)
        .bind(now)
        .bind(holder.pid)
        .bind(&holder.started)
        .bind(&holder.host)
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    })
}

pub async fn finish(conn: &mut super::Tx<'_>, id: i64, status: &str, summary: &str, now: &str) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE batches SET status = ?, summary = ?, finished_at = ? WHERE id = ?",
        ))
        .bind(status)
        .bind(summary)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Which of the events already have an attempt under this batch (checked inside the intents'
/// write transaction, so two runs of one batch cannot both start one).
pub async fn attempted(
    conn: &mut super::Tx<'_>,
    batch_id: i64,
    event_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    let mut out = std::collections::HashSet::new();
    for chunk in event_ids.chunks(super::IN_CHUNK) {
        let text = format!(
            "SELECT DISTINCT event_id FROM attempts WHERE batch_id = ? AND event_id IN ({})",
            super::marks(chunk.len())
        );
        let rows: Vec<i64> = on_tx!(&mut *conn, |conn, sq| {
            let sql = sq(&text);
            let mut q = sqlx::query_scalar(&sql).bind(batch_id);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(conn).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// Batches marked running: `(id, lane, holder pid, started, host)`.
pub type RunningBatch = (i64, String, Option<i64>, Option<String>, Option<String>);

pub async fn running(conn: &mut super::Tx<'_>) -> Result<Vec<RunningBatch>> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query_as(&sq("SELECT id, lane_id, holder_pid, holder_started, holder_host FROM batches WHERE status = 'running' ORDER BY id",))
    .fetch_all(conn)
    .await?)
    })
}

/// A running batch whose process is gone: `interrupted` (resumable with its token).
pub async fn interrupt(conn: &mut super::Tx<'_>, id: i64, now: &str) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE batches SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'",
        ))
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Written attempts of a batch that have no post-verify yet (a process died between the outcome
/// and the read-back): `(attempt id, event id, record id)`.
pub async fn unverified_writes(pool: &super::Pool, batch_id: i64) -> Result<Vec<(i64, i64, String)>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq("SELECT id, event_id, record_id FROM attempts
          WHERE batch_id = ? AND outcome = 'applied' AND post_verify IS NULL AND record_id IS NOT NULL
          ORDER BY id"))
        .bind(batch_id)
        .fetch_all(pool)
        .await?)
    })
}

/// The bodies of many stored preflights by id (a batch's thousand), 500 to a query.
pub async fn preflight_bodies(pool: &super::Pool, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(super::IN_CHUNK) {
        let text = format!(
            "SELECT id, body FROM preflights WHERE id IN ({})",
            super::marks(chunk.len())
        );
        let rows: Vec<(i64, String)> = on_pool!(pool, |pool, sq| {
            let sql = sq(&text);
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// The attempts of a batch, per event: `(event id, attempt id, outcome, error code, record id)`.
pub type BatchAttempt = (i64, i64, String, Option<String>, Option<String>);

pub async fn attempts(pool: &super::Pool, batch_id: i64) -> Result<Vec<BatchAttempt>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT event_id, id, outcome, error_code, record_id FROM attempts WHERE batch_id = ? ORDER BY id",
        ))
        .bind(batch_id)
        .fetch_all(pool)
        .await?)
    })
}

/// A batch as the window's history lists it: no per-event ids, no summary lists.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchListRow {
    pub id: i64,
    pub lane_id: String,
    pub created_at: String,
    pub planned_by: String,
    pub operator: Option<String>,
    pub reason: Option<String>,
    pub status: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub aggregate: String,
}

/// Batches newest first, those with an id below `before` (keyset), at most `limit`.
pub async fn list(pool: &super::Pool, before: Option<i64>, limit: u32) -> Result<Vec<BatchListRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT id, lane_id, created_at, planned_by, operator, reason, status, started_at, finished_at, aggregate
           FROM batches WHERE (CAST(?1 AS BIGINT) IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2",
        ))
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?)
    })
}

/// `(batch id, attempt outcome, count)` over the attempts of the given batches: what every run
/// of each batch came to, resumed runs included.
pub async fn attempt_counts(pool: &super::Pool, batch_ids: &[i64]) -> Result<Vec<(i64, String, i64)>> {
    on_pool!(pool, |pool, sq| {
        let mut out = Vec::new();
        for chunk in batch_ids.chunks(super::IN_CHUNK) {
            let marks = super::marks(chunk.len());
            // `IS NOT NULL` lets the partial index attempts_batch serve the IN list.
            let sql = format!(
                "SELECT batch_id, outcome, count(*) FROM attempts
              WHERE batch_id IS NOT NULL AND batch_id IN ({marks}) GROUP BY batch_id, outcome"
            );
            let sql = sq(&sql);
            let mut q = sqlx::query_as::<_, (i64, String, i64)>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            out.extend(q.fetch_all(pool).await?);
        }
        Ok(out)
    })
}

/// Whether any batch is marked running (a cheap check before recovery takes the write lock).
pub async fn any_running(pool: &super::Pool) -> Result<bool> {
    on_pool!(pool, |pool, sq| {
        let any: Option<i64> = sqlx::query_scalar(&sq("SELECT id FROM batches WHERE status = 'running' LIMIT 1"))
            .fetch_optional(pool)
            .await?;
        Ok(any.is_some())
    })
}
