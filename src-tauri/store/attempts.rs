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

/// [`latest_attempt`] of many events at once (a batch preflight's thousand), 500 to a query.
pub async fn latest_attempts(
    pool: &super::Pool,
    event_ids: &[i64],
) -> Result<std::collections::HashMap<i64, AttemptFacts>> {
    let mut out = std::collections::HashMap::with_capacity(event_ids.len());
    for ids in event_ids.chunks(super::IN_CHUNK) {
        let marks = super::marks(ids.len());
        let text = format!(
            "SELECT event_id, id, outcome, operator, COALESCE(finished_at, started_at) FROM attempts \
             WHERE id IN (SELECT MAX(id) FROM attempts WHERE event_id IN ({marks}) GROUP BY event_id)"
        );
        let rows: Vec<(i64, i64, String, String, String)> = on_pool!(pool, |pool, sq| {
            let sql = sq(&text);
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        for (event_id, attempt_id, outcome, operator, at) in rows {
            out.insert(
                event_id,
                AttemptFacts {
                    attempt_id,
                    outcome,
                    operator,
                    at,
                },
            );
        }
    }
    Ok(out)
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
    /// The payload revision the preflight was taken on (`None`: the imported payload).
    pub revision: Option<i64>,
}

pub enum IntentResult {
    Created(i64),
    /// Another attempt of this event is in flight or unsettled (the unique index said so).
    Busy,
    /// The event is no longer in a replayable state (someone else changed it).
    StateChanged(String),
    /// The event's payload was edited after the preflight, or its current revision awaits
    /// approval: a refusal code and its message.
    Revision(&'static str, String),
}

/// Whether the event's current revision (`current`: number, approved) lets an intent taken on
/// `preflighted` start.
fn revision_check(preflighted: Option<i64>, current: Option<(i64, bool)>) -> Option<IntentResult> {
    let now = current.map(|(r, _)| r);
    if now != preflighted {
        let what = |r: Option<i64>| r.map_or("the imported payload".to_string(), |n| format!("revision {n}"));
        return Some(IntentResult::Revision(
            "revision_changed",
            format!(
                "the event's payload is now {} (the preflight was taken on {}); run the preflight again",
                what(now),
                what(preflighted)
            ),
        ));
    }
    match current {
        Some((r, false)) => Some(IntentResult::Revision(
            "revision_not_approved",
            format!(
                "revision {r} of the payload is not approved: someone other than its editor approves it \
                 (`events approve-edit ID --revision {r}`) before it is replayed; nothing was sent"
            ),
        )),
        _ => None,
    }
}

/// Inserts the in-flight attempt and moves the event to `in_flight`, in the caller's write
/// transaction. `allowed` are the event states a replay may start from.
pub async fn begin_intent(conn: &mut super::Tx<'_>, i: &Intent<'_>, allowed: &[&str]) -> Result<IntentResult> {
    let mut r = begin_intents(conn, &[(i, allowed)]).await?;
    Ok(r.pop().unwrap_or(IntentResult::Busy))
}

/// [`begin_intent`] for each of several events (a batch's group), in order: their states read
/// in one query, each attempt inserted, and the events that got one moved to `in_flight` in
/// one statement.
pub async fn begin_intents(conn: &mut super::Tx<'_>, items: &[(&Intent<'_>, &[&str])]) -> Result<Vec<IntentResult>> {
    let mut out = Vec::with_capacity(items.len());
    if items.is_empty() {
        return Ok(out);
    }
    let marks = super::marks(items.len());
    // Each event's status and current revision (number, approved), read in the intent's own
    // transaction: an edit or an approval cannot slip in between the check and the intent.
    let text = format!(
        "SELECT e.id, e.status, r.revision, r.approved_by IS NOT NULL FROM events e
         LEFT JOIN event_revisions r ON r.event_id = e.id
              AND r.revision = (SELECT max(revision) FROM event_revisions WHERE event_id = e.id)
         WHERE e.id IN ({marks})"
    );
    let mut moved: Vec<i64> = Vec::with_capacity(items.len());
    let now = items[0].0.now;
    on_tx!(conn, |conn, sq| {
        let sql = sq(&text);
        let mut q = sqlx::query_as::<_, (i64, String, Option<i64>, Option<bool>)>(&sql);
        for (i, _) in items {
            q = q.bind(i.event_id);
        }
        let statuses: std::collections::HashMap<i64, (String, Option<(i64, bool)>)> = q
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(id, status, rev, approved)| (id, (status, rev.map(|r| (r, approved.unwrap_or(false))))))
            .collect();
        for (i, allowed) in items {
            let Some((status, current)) = statuses.get(&i.event_id) else {
                out.push(IntentResult::StateChanged("the event no longer exists".into()));
                continue;
            };
            if !allowed.contains(&status.as_str()) {
                out.push(IntentResult::StateChanged(status.clone()));
                continue;
            }
            if let Some(r) = revision_check(i.revision, *current) {
                out.push(r);
                continue;
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
            match inserted {
                Some(id) => {
                    moved.push(i.event_id);
                    out.push(IntentResult::Created(id));
                }
                None => out.push(IntentResult::Busy),
            }
        }
        if !moved.is_empty() {
            let text = format!(
                "UPDATE events SET status = 'in_flight', updated_at = ? WHERE id IN ({})",
                super::marks(moved.len())
            );
            let sql = sq(&text);
            let mut q = sqlx::query(&sql).bind(now);
            for id in &moved {
                q = q.bind(id);
            }
            q.execute(&mut *conn).await?;
        }
        Ok::<(), super::StoreError>(())
    })?;
    Ok(out)
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
