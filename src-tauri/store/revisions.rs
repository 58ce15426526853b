//! Revisions of an event's payload (migrations/0012): each edit a row, the highest the current
//! one; an approval added once, by someone other than the editor (the table's CHECK, and in team
//! mode the server's trigger, which puts the logins in place of the names sent).

use super::{on_pool, on_tx};
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevisionRow {
    pub event_id: i64,
    pub revision: i64,
    pub payload: String,
    pub changes: String,
    pub editor: String,
    pub editor_authenticated: i64,
    pub reason: String,
    pub protected_override: Option<String>,
    pub created_at: String,
    pub approved_by: Option<String>,
    pub approver_authenticated: Option<i64>,
    pub approval_reason: Option<String>,
    pub approved_at: Option<String>,
}

const COLUMNS: &str = "event_id, revision, payload, changes, editor, editor_authenticated, reason, protected_override,
    created_at, approved_by, approver_authenticated, approval_reason, approved_at";

pub struct NewRevision<'a> {
    pub event_id: i64,
    pub payload: &'a str,
    pub changes: &'a str,
    pub editor: &'a str,
    pub editor_authenticated: bool,
    pub reason: &'a str,
    pub protected_override: Option<&'a str>,
    pub now: &'a str,
}

/// Adds the next revision of the event (in the caller's transaction) and returns it as stored
/// (in team mode the server puts the login in `editor`).
pub async fn insert(conn: &mut super::Tx<'_>, r: &NewRevision<'_>) -> Result<RevisionRow> {
    on_tx!(conn, |conn, sq| {
        let next: i64 = sqlx::query_scalar(&sq(
            "SELECT COALESCE(max(revision), 0) + 1 FROM event_revisions WHERE event_id = ?",
        ))
        .bind(r.event_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(sqlx::query_as::<_, RevisionRow>(&sq(&format!(
            "INSERT INTO event_revisions (event_id, revision, payload, changes, editor, editor_authenticated, reason,
             protected_override, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        )))
        .bind(r.event_id)
        .bind(next)
        .bind(r.payload)
        .bind(r.changes)
        .bind(r.editor)
        .bind(i64::from(r.editor_authenticated))
        .bind(r.reason)
        .bind(r.protected_override)
        .bind(r.now)
        .fetch_one(&mut *conn)
        .await?)
    })
}

/// Every revision of an event, oldest first.
pub async fn list(pool: &super::Pool, event_id: i64) -> Result<Vec<RevisionRow>> {
    on_pool!(pool, |pool, sq| {
        Ok(sqlx::query_as::<_, RevisionRow>(&sq(&format!(
            "SELECT {COLUMNS} FROM event_revisions WHERE event_id = ? ORDER BY revision"
        )))
        .bind(event_id)
        .fetch_all(pool)
        .await?)
    })
}

/// The current (highest) revision of each of these events that has one.
pub async fn current_many(pool: &super::Pool, event_ids: &[i64]) -> Result<Vec<RevisionRow>> {
    let mut out = Vec::new();
    for chunk in event_ids.chunks(super::IN_CHUNK) {
        let text = format!(
            "SELECT {COLUMNS} FROM event_revisions r WHERE event_id IN ({}) AND revision =
             (SELECT max(revision) FROM event_revisions WHERE event_id = r.event_id)",
            super::marks(chunk.len())
        );
        let rows: Vec<RevisionRow> = on_pool!(pool, |pool, sq| {
            let sql = sq(&text);
            let mut q = sqlx::query_as::<_, RevisionRow>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// The current revision of the event (in the caller's transaction): `(revision, approved)`,
/// `None` when the event was never edited.
pub async fn current_state(conn: &mut super::Tx<'_>, event_id: i64) -> Result<Option<(i64, bool)>> {
    let row: Option<(i64, Option<String>)> = on_tx!(conn, |conn, sq| {
        sqlx::query_as(&sq(
            "SELECT revision, approved_by FROM event_revisions WHERE event_id = ? ORDER BY revision DESC LIMIT 1",
        ))
        .bind(event_id)
        .fetch_optional(conn)
        .await?
    });
    Ok(row.map(|(r, a)| (r, a.is_some())))
}

pub struct Approval<'a> {
    pub event_id: i64,
    pub revision: i64,
    pub approver: &'a str,
    pub approver_authenticated: bool,
    pub reason: &'a str,
    pub now: &'a str,
}

/// Approves a revision that is still the current one and not yet approved; returns the row as
/// stored, or `None` when it is no longer current or was approved meanwhile.
pub async fn approve(conn: &mut super::Tx<'_>, a: &Approval<'_>) -> Result<Option<RevisionRow>> {
    on_tx!(conn, |conn, sq| {
        Ok(sqlx::query_as::<_, RevisionRow>(&sq(&format!(
            "UPDATE event_revisions SET approved_by = ?, approver_authenticated = ?, approval_reason = ?, approved_at = ?
             WHERE event_id = ? AND revision = ? AND approved_by IS NULL
               AND revision = (SELECT max(revision) FROM event_revisions WHERE event_id = ?)
             RETURNING {COLUMNS}"
        )))
        .bind(a.approver)
        .bind(i64::from(a.approver_authenticated))
        .bind(a.reason)
        .bind(a.now)
        .bind(a.event_id)
        .bind(a.revision)
        .bind(a.event_id)
        .fetch_optional(conn)
        .await?)
    })
}
