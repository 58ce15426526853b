//! Replay attempts: the intent committed before a write, its outcome, its settlement, and the
//! event status that follows.

use super::Result;
use super::{on_pool, on_tx};
use crate::domain::preflight::AttemptFacts;

pub async fn latest_attempt(pool: &super::Pool, event_id: i64) -> Result<Option<AttemptFacts>> {
    on_pool!(pool, |pool, sq| {
        let row: Option<(i64, String, String, String)> = sqlx::query_as(&sq("SELECT id, outcome, operator, COALESCE(finished_at, started_at) FROM attempts WHERE event_id = ? ORDER BY id DESC LIMIT 1",))
    .bind(event_id)
    .fetch_optional(pool)
    .await?;
        Ok(row.map(|(attempt_id, outcome, operator, at)| AttemptFacts {
            attempt_id,
            outcome,
            operator,
            at,
        }))
    })
}

pub struct Intent<'a> {
    pub event_id: i64,
    pub preflight_id: i64,
    pub batch_id: Option<i64>,
    pub operator: &'a str,
    pub reason: &'a str,
    pub ack_token: &'a str,
    pub again_reason: Option<&'a str>,
    pub override_reason: Option<&'a str>,
    pub approved_by: Option<&'a str>,
    pub request: &'a str,
    pub holder_pid: i64,
    pub holder_started: &'a str,
    pub holder_host: &'a str,
    pub now: &'a str,
}

pub enum IntentResult {
    Created(i64),
    /// Another attempt of this event is in flight or unsettled (the unique index said so).
    Busy,
    /// The event is no longer in a replayable state (someone else changed it).
    StateChanged(String),
}

/// Inserts the in-flight attempt and moves the event to `in_flight`, in the caller's write
/// transaction. `allowed` are the event states a replay may start from.
pub async fn begin_intent(conn: &mut super::Tx<'_>, i: &Intent<'_>, allowed: &[&str]) -> Result<IntentResult> {
    on_tx!(conn, |conn, sq| {
        let status: Option<String> = sqlx::query_scalar(&sq("SELECT status FROM events WHERE id = ?"))
            .bind(i.event_id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(status) = status else {
            return Ok(IntentResult::StateChanged("the event no longer exists".into()));
        };
        if !allowed.contains(&status.as_str()) {
            return Ok(IntentResult::StateChanged(status));
        }
        let inserted = sqlx::query_scalar::<_, i64>(&sq(
            "INSERT INTO attempts (event_id, preflight_id, batch_id, operator, reason, ack_token, again_reason,
             override_reason, approved_by, request, outcome, holder_pid, holder_started, holder_host, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_flight', ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING id",
        ))
        .bind(i.event_id)
        .bind(i.preflight_id)
        .bind(i.batch_id)
        .bind(i.operator)
        .bind(i.reason)
        .bind(i.ack_token)
        .bind(i.again_reason)
        .bind(i.override_reason)
        .bind(i.approved_by)
        .bind(i.request)
        .bind(i.holder_pid)
        .bind(i.holder_started)
        .bind(i.holder_host)
        .bind(i.now)
        .fetch_optional(&mut *conn)
        .await?;
        // The one unsettled attempt per event is the database's unique index
        // (attempts_one_unsettled): a second one inserts nothing, and the transaction stays
        // usable on either database (a failed statement would abort it on a server).
        let Some(id) = inserted else {
            return Ok(IntentResult::Busy);
        };
        sqlx::query(&sq(
            "UPDATE events SET status = 'in_flight', updated_at = ? WHERE id = ?",
        ))
        .bind(i.now)
        .bind(i.event_id)
        .execute(&mut *conn)
        .await?;
        Ok(IntentResult::Created(id))
    })
}

pub struct Outcome<'a> {
    pub attempt_id: i64,
    pub event_id: i64,
    pub outcome: &'a str,
    pub event_status: &'a str,
    pub http_status: Option<i64>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub record_id: Option<&'a str>,
    pub response: Option<&'a str>,
    pub now: &'a str,
}

/// Records an attempt's outcome and the event's new state, in the caller's transaction.
pub async fn finish(conn: &mut super::Tx<'_>, o: &Outcome<'_>) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE attempts SET outcome = ?, finished_at = ?, http_status = ?, error_code = ?, error_message = ?,
             record_id = ?, response = ?, holder_pid = NULL WHERE id = ?",
        ))
        .bind(o.outcome)
        .bind(o.now)
        .bind(o.http_status)
        .bind(o.error_code)
        .bind(o.error_message)
        .bind(o.record_id)
        .bind(o.response)
        .bind(o.attempt_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(&sq("UPDATE events SET status = ?, updated_at = ? WHERE id = ?"))
            .bind(o.event_status)
            .bind(o.now)
            .bind(o.event_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    })
}

pub async fn set_post_verify(conn: &mut super::Tx<'_>, attempt_id: i64, json: &str) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq("UPDATE attempts SET post_verify = ? WHERE id = ?"))
            .bind(json)
            .bind(attempt_id)
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// An attempt still marked in flight: `(attempt id, event id, pid, started, host)`.
pub type InFlight = (i64, i64, Option<i64>, Option<String>, Option<String>);

pub async fn in_flight(conn: &mut super::Tx<'_>) -> Result<Vec<InFlight>> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query_as(&sq("SELECT id, event_id, holder_pid, holder_started, holder_host FROM attempts WHERE outcome = 'in_flight' ORDER BY id",))
    .fetch_all(&mut *conn)
    .await?)
    })
}

/// The unsettled (unknown-outcome) attempt of an event: `(attempt id, request JSON, started_at)`.
pub async fn unsettled(pool: &super::Pool, event_id: i64) -> Result<Option<(i64, String, String)>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT id, request, started_at FROM attempts WHERE event_id = ? AND outcome = 'unknown_outcome'",
        ))
        .bind(event_id)
        .fetch_optional(pool)
        .await?)
    })
}

/// The events of a batch whose attempt awaits verification, in event order.
pub async fn unknown_in_batch(pool: &super::Pool, batch_id: i64) -> Result<Vec<i64>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_scalar(&sq(
            "SELECT event_id FROM attempts WHERE batch_id = ? AND outcome = 'unknown_outcome' ORDER BY event_id",
        ))
        .bind(batch_id)
        .fetch_all(pool)
        .await?)
    })
}

pub async fn settle(conn: &mut super::Tx<'_>, attempt_id: i64, outcome: &str, settled_by: &str) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "UPDATE attempts SET outcome = ?, settled_by = ? WHERE id = ? AND outcome = 'unknown_outcome'",
        ))
        .bind(outcome)
        .bind(settled_by)
        .bind(attempt_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

pub async fn set_event_status(
    conn: &mut super::Tx<'_>,
    event_id: i64,
    from: &[&str],
    to: &str,
    now: &str,
) -> Result<bool> {
    on_tx!(conn, |conn, sq| {
        let current: Option<String> = sqlx::query_scalar(&sq("SELECT status FROM events WHERE id = ?"))
            .bind(event_id)
            .fetch_optional(&mut *conn)
            .await?;
        match current {
            Some(s) if from.contains(&s.as_str()) => {
                sqlx::query(&sq("UPDATE events SET status = ?, updated_at = ? WHERE id = ?"))
                    .bind(to)
                    .bind(now)
                    .bind(event_id)
                    .execute(&mut *conn)
                    .await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    })
}

/// Every attempt of an event, oldest first, as JSON-ready rows.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AttemptRow {
    pub id: i64,
    pub event_id: i64,
    pub preflight_id: i64,
    pub batch_id: Option<i64>,
    pub operator: String,
    pub reason: String,
    pub ack_token: String,
    pub again_reason: Option<String>,
    pub override_reason: Option<String>,
    pub approved_by: Option<String>,
    pub outcome: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub http_status: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub record_id: Option<String>,
    pub settled_by: Option<String>,
}

pub async fn attempts(pool: &super::Pool, event_id: i64) -> Result<Vec<AttemptRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq("SELECT id, event_id, preflight_id, batch_id, operator, reason, ack_token, again_reason, override_reason,
                approved_by, outcome, started_at, finished_at, http_status, error_code, error_message, record_id, settled_by
           FROM attempts WHERE event_id = ? ORDER BY id",))
    .bind(event_id)
    .fetch_all(pool)
    .await?)
    })
}

/// Whether any attempt is in flight (a cheap check before recovery takes the write lock).
pub async fn any_in_flight(pool: &super::Pool) -> Result<bool> {
    on_pool!(pool, |pool, sq| {
        let any: Option<i64> = sqlx::query_scalar(&sq("SELECT id FROM attempts WHERE outcome = 'in_flight' LIMIT 1"))
            .fetch_optional(pool)
            .await?;
        Ok(any.is_some())
    })
}
