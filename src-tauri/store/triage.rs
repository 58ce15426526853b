//! Triage (migrations/0013): per event an assignee and an `investigating` mark, tags and notes.

use super::{on_pool, on_tx};
use crate::error::Result;

/// `(assignee, investigating, updated_by, updated_at)` of an event, if it was ever triaged.
pub type StateRow = (Option<String>, i64, String, String);

/// `(id, author, author_authenticated, text, at)`.
pub type NoteRow = (i64, String, i64, String, String);

pub async fn state(pool: &super::Pool, event_id: i64) -> Result<Option<StateRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT assignee, investigating, updated_by, updated_at FROM event_triage WHERE event_id = ?",
        ))
        .bind(event_id)
        .fetch_optional(pool)
        .await?)
    })
}

pub async fn tags(pool: &super::Pool, event_id: i64) -> Result<Vec<String>> {
    on_pool!(pool, |pool, sq| {
        Ok(
            sqlx::query_scalar(&sq("SELECT tag FROM event_tags WHERE event_id = ? ORDER BY tag"))
                .bind(event_id)
                .fetch_all(pool)
                .await?,
        )
    })
}

pub async fn notes(pool: &super::Pool, event_id: i64) -> Result<Vec<NoteRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT id, author, author_authenticated, text, at FROM event_notes WHERE event_id = ? ORDER BY id",
        ))
        .bind(event_id)
        .fetch_all(pool)
        .await?)
    })
}

/// The event's state in the caller's transaction.
pub async fn state_in(conn: &mut super::Tx<'_>, event_id: i64) -> Result<Option<(Option<String>, i64)>> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query_as(&sq(
            "SELECT assignee, investigating FROM event_triage WHERE event_id = ?",
        ))
        .bind(event_id)
        .fetch_optional(conn)
        .await?)
    })
}

/// Sets the assignee and the mark (an upsert).
pub async fn put_state(
    conn: &mut super::Tx<'_>,
    event_id: i64,
    assignee: Option<&str>,
    investigating: bool,
    by: &str,
    now: &str,
) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "INSERT INTO event_triage (event_id, assignee, investigating, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (event_id) DO UPDATE SET assignee = excluded.assignee, investigating = excluded.investigating,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        ))
        .bind(event_id)
        .bind(assignee)
        .bind(i64::from(investigating))
        .bind(by)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Adds a tag; whether it was new.
pub async fn add_tag(conn: &mut super::Tx<'_>, event_id: i64, tag: &str) -> Result<bool> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query(&sq(
            "INSERT INTO event_tags (event_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
        ))
        .bind(event_id)
        .bind(tag)
        .execute(conn)
        .await?
        .rows_affected()
            > 0)
    })
}

/// Removes a tag; whether it was there.
pub async fn remove_tag(conn: &mut super::Tx<'_>, event_id: i64, tag: &str) -> Result<bool> {
    on_tx!(conn, |conn, sq| {
        Ok(
            sqlx::query(&sq("DELETE FROM event_tags WHERE event_id = ? AND tag = ?"))
                .bind(event_id)
                .bind(tag)
                .execute(conn)
                .await?
                .rows_affected()
                > 0,
        )
    })
}

pub async fn add_note(
    conn: &mut super::Tx<'_>,
    event_id: i64,
    author: &str,
    authenticated: bool,
    text: &str,
    now: &str,
) -> Result<()> {
    on_tx!(conn, |conn, sq| {
        sqlx::query(&sq(
            "INSERT INTO event_notes (event_id, author, author_authenticated, text, at) VALUES (?, ?, ?, ?, ?)",
        ))
        .bind(event_id)
        .bind(author)
        .bind(i64::from(authenticated))
        .bind(text)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(())
    })
}

/// Which of these ids are events (the rest do not exist).
pub async fn existing(pool: &super::Pool, ids: &[i64]) -> Result<Vec<i64>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(super::IN_CHUNK) {
        let text = format!("SELECT id FROM events WHERE id IN ({})", super::marks(chunk.len()));
        let found: Vec<i64> = on_pool!(pool, |pool, sq| {
            let sql = sq(&text);
            let mut q = sqlx::query_scalar(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        out.extend(found);
    }
    Ok(out)
}
