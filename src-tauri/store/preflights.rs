//! Preflights: each one taken is stored whole (its digest and token beside it), newest first.

use super::Result;
use super::{on_pool, on_tx};
use crate::domain::preflight::Preflight;

/// Stores a preflight; returns its id.
pub async fn insert(conn: &mut super::Tx<'_>, p: &Preflight) -> Result<i64> {
    on_tx!(conn, |conn, sq| {
        let body = serde_json::to_string(p).map_err(|e| sqlx::Error::Protocol(format!("preflight JSON: {e}")))?;
        let id: i64 = sqlx::query_scalar(&sq(
            "INSERT INTO preflights (event_id, taken_at, ack_token, digest, blocking, fallback_owner, body)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        ))
        .bind(p.event.event_id)
        .bind(&p.taken_at)
        .bind(&p.ack_token)
        .bind(&p.digest)
        .bind(p.blocking().count() as i64)
        .bind(i64::from(p.owner_is_fallback))
        .bind(body)
        .fetch_one(conn)
        .await?;
        Ok(id)
    })
}

/// The newest preflight of an event: `(id, preflight)`.
pub async fn latest(pool: &super::Pool, event_id: i64) -> Result<Option<(i64, Preflight)>> {
    on_pool!(pool, |pool, sq| {
        let row: Option<(i64, String)> = sqlx::query_as(&sq(
            "SELECT id, body FROM preflights WHERE event_id = ? ORDER BY id DESC LIMIT 1",
        ))
        .bind(event_id)
        .fetch_optional(pool)
        .await?;
        match row {
            None => Ok(None),
            Some((id, body)) => {
                let p = serde_json::from_str(&body)
                    .map_err(|e| sqlx::Error::Protocol(format!("stored preflight {id} no longer parses: {e}")))?;
                Ok(Some((id, p)))
            }
        }
    })
}
