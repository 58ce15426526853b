//! Preflights: each one taken is stored whole (its digest and token beside it), newest first.

use super::Result;
use crate::domain::preflight::Preflight;
use sqlx::{SqliteConnection, SqlitePool};

/// Stores a preflight; returns its id.
pub async fn insert(conn: &mut SqliteConnection, p: &Preflight) -> Result<i64> {
    let body = serde_json::to_string(p).map_err(|e| sqlx::Error::Protocol(format!("preflight JSON: {e}")))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO preflights (event_id, taken_at, ack_token, digest, blocking, fallback_owner, body)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(p.event.event_id)
    .bind(&p.taken_at)
    .bind(&p.ack_token)
    .bind(&p.digest)
    .bind(p.blocking().count() as i64)
    .bind(p.owner_is_fallback)
    .bind(body)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The newest preflight of an event: `(id, preflight)`.
pub async fn latest(pool: &SqlitePool, event_id: i64) -> Result<Option<(i64, Preflight)>> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, body FROM preflights WHERE event_id = ? ORDER BY id DESC LIMIT 1")
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
}
