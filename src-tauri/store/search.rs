//! The full-text index (migrations/0015_search.sql, postgres/0008_search.sql): the words of
//! each event (domain/search.rs) in SQLite's FTS5 table or the server's tsvector table, how far
//! the index goes (`search_index.indexed_through`), and the steps that extend it and keep an
//! edited event's row current. The queue's page query reads it (store/events.rs).

use super::on_tx;
use super::Result;
use crate::domain::search::{document, Searchable};

/// How far the index goes (every event with id up to it is indexed), and how many events lie
/// past it.
pub async fn state(pool: &super::Pool) -> Result<(i64, i64)> {
    super::on_pool!(pool, |p, sq| {
        let through: i64 = sqlx::query_scalar("SELECT indexed_through FROM search_index WHERE id = 1")
            .fetch_one(p)
            .await?;
        let left: i64 = sqlx::query_scalar(&sq("SELECT count(*) FROM events WHERE id > ?"))
            .bind(through)
            .fetch_one(p)
            .await?;
        Ok((through, left))
    })
}

/// One stored event as the index reads it.
#[derive(sqlx::FromRow)]
struct Stored {
    id: i64,
    external_id: Option<String>,
    event_key: String,
    failure_code: Option<String>,
    failure_message: Option<String>,
    payload: String,
}

/// The words of a stored event with its revisions' payloads (in revision order).
fn words_of(e: &Stored, revisions: &[String]) -> Result<String> {
    let mut payloads: Vec<&str> = Vec::with_capacity(1 + revisions.len());
    payloads.push(&e.payload);
    payloads.extend(revisions.iter().map(String::as_str));
    document(
        &Searchable {
            external_id: e.external_id.as_deref(),
            event_key: &e.event_key,
            failure_code: e.failure_code.as_deref(),
            failure_message: e.failure_message.as_deref(),
        },
        &payloads,
    )
    .map_err(|m| {
        super::StoreError::Sql(sqlx::Error::Protocol(format!(
            "the stored payload of event {} is not JSON: {m}",
            e.id
        )))
    })
}

const EVENT_COLUMNS: &str = "id, external_id, event_key, failure_code, failure_message, payload";

/// The next `limit` events past the index's mark go into it, and the mark moves to the last of
/// them; in the caller's write transaction (which serialises it with imports and with other
/// consoles doing the same). Returns how many were indexed: 0 when the index is current.
pub async fn index_next(tx: &mut super::Tx<'_>, limit: i64) -> Result<usize> {
    match tx {
        super::Tx::Sqlite(t) => index_next_sqlite(t, limit).await,
        super::Tx::Pg(t) => index_next_pg(t, limit).await,
    }
}

/// The SQLite form: read, made into words and inserted on the transaction's own connection
/// through its raw handle (as the import's inserts: sqlx's per-row hand-over would be most of
/// the time on a million events).
async fn index_next_sqlite(t: &mut sqlx::Transaction<'_, sqlx::Sqlite>, limit: i64) -> Result<usize> {
    let mut handle = t.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    let run = || -> Result<usize> {
        // SAFETY: `raw` is the open connection of `handle`, whose lock keeps every other user
        // (sqlx's worker) away until this returns; `from_handle` never closes it.
        let db = unsafe { rusqlite::Connection::from_handle(raw) }?;
        let through: i64 = db.query_row("SELECT indexed_through FROM search_index WHERE id = 1", [], |r| {
            r.get(0)
        })?;
        let mut read = db.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let events = read
            .query_map(rusqlite::params![through, limit], |r| {
                Ok(Stored {
                    id: r.get(0)?,
                    external_id: r.get(1)?,
                    event_key: r.get(2)?,
                    failure_code: r.get(3)?,
                    failure_message: r.get(4)?,
                    payload: r.get(5)?,
                })
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok(0);
        };
        let mut revisions = std::collections::HashMap::<i64, Vec<String>>::new();
        let mut revs = db.prepare_cached(
            "SELECT event_id, payload FROM event_revisions WHERE event_id > ?1 AND event_id <= ?2 ORDER BY event_id, revision",
        )?;
        for row in revs.query_map(rusqlite::params![through, last], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let (id, payload): (i64, String) = row?;
            revisions.entry(id).or_default().push(payload);
        }
        let mut insert = db.prepare_cached("INSERT INTO event_search (rowid, doc) VALUES (?1, ?2)")?;
        for e in &events {
            let words = words_of(e, revisions.get(&e.id).map_or(&[][..], Vec::as_slice))?;
            insert.execute(rusqlite::params![e.id, words])?;
        }
        db.execute("UPDATE search_index SET indexed_through = ?1 WHERE id = 1", [last])?;
        Ok(events.len())
    };
    match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
        _ => run(),
    }
}

/// The server's form: one read, one insert of the batch's words as tsvectors.
async fn index_next_pg(t: &mut sqlx::Transaction<'_, sqlx::Postgres>, limit: i64) -> Result<usize> {
    let through: i64 = sqlx::query_scalar("SELECT indexed_through FROM search_index WHERE id = 1")
        .fetch_one(&mut **t)
        .await?;
    let events: Vec<Stored> = sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(through)
    .bind(limit)
    .fetch_all(&mut **t)
    .await?;
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(0);
    };
    let mut revisions = std::collections::HashMap::<i64, Vec<String>>::new();
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT event_id, payload FROM event_revisions WHERE event_id > $1 AND event_id <= $2 ORDER BY event_id, revision",
    )
    .bind(through)
    .bind(last)
    .fetch_all(&mut **t)
    .await?;
    for (id, payload) in rows {
        revisions.entry(id).or_default().push(payload);
    }
    let mut ids = Vec::with_capacity(events.len());
    let mut docs = Vec::with_capacity(events.len());
    for e in &events {
        ids.push(e.id);
        docs.push(words_of(e, revisions.get(&e.id).map_or(&[][..], Vec::as_slice))?);
    }
    sqlx::query(
        "INSERT INTO event_search (event_id, doc)
         SELECT id, to_tsvector('simple', d) FROM UNNEST($1::bigint[], $2::text[]) AS w(id, d)",
    )
    .bind(&ids)
    .bind(&docs)
    .execute(&mut **t)
    .await?;
    sqlx::query("UPDATE search_index SET indexed_through = $1 WHERE id = 1")
        .bind(last)
        .execute(&mut **t)
        .await?;
    Ok(events.len())
}

/// The words an event is indexed under now (with its revisions so far), or `None` when the
/// index does not reach it yet (the catch-up will index it as it is then). Read inside the
/// write transaction that changes the event, before and after the change, for [`replace`].
pub async fn words_now(tx: &mut super::Tx<'_>, id: i64) -> Result<Option<String>> {
    on_tx!(tx, |c, sq| {
        let through: i64 = sqlx::query_scalar("SELECT indexed_through FROM search_index WHERE id = 1")
            .fetch_one(&mut *c)
            .await?;
        if id > through {
            return Ok(None);
        }
        let Some(e) = sqlx::query_as::<_, Stored>(&sq(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?")))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
        else {
            return Ok(None);
        };
        let revisions: Vec<String> = sqlx::query_scalar(&sq(
            "SELECT payload FROM event_revisions WHERE event_id = ? ORDER BY revision",
        ))
        .bind(id)
        .fetch_all(&mut *c)
        .await?;
        Ok(Some(words_of(&e, &revisions)?))
    })
}

/// Replaces an indexed event's words (`before` as [`words_now`] gave them before the change,
/// `after` since). SQLite's contentless index removes a row by being given its words again.
pub async fn replace(tx: &mut super::Tx<'_>, id: i64, before: &str, after: &str) -> Result<()> {
    if before == after {
        return Ok(());
    }
    match tx {
        super::Tx::Sqlite(t) => {
            sqlx::query("INSERT INTO event_search (event_search, rowid, doc) VALUES ('delete', ?, ?)")
                .bind(id)
                .bind(before)
                .execute(&mut **t)
                .await?;
            sqlx::query("INSERT INTO event_search (rowid, doc) VALUES (?, ?)")
                .bind(id)
                .bind(after)
                .execute(&mut **t)
                .await?;
        }
        super::Tx::Pg(t) => {
            sqlx::query("UPDATE event_search SET doc = to_tsvector('simple', $1) WHERE event_id = $2")
                .bind(after)
                .bind(id)
                .execute(&mut **t)
                .await?;
        }
    }
    Ok(())
}

/// Once a large catch-up ends. SQLite: merges the index's segments into one, so a search reads
/// one list per word. A server: fresh statistics of the words, so the planner knows a common
/// word from a rare one (PostgreSQL lets only the table's owner do it; for anyone else it is a
/// warning, and the server's autovacuum does it later).
pub async fn optimize(pool: &super::Pool) -> Result<()> {
    match pool {
        super::Pool::Sqlite(p) => {
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
            sqlx::query("INSERT INTO event_search (event_search) VALUES ('optimize')")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        super::Pool::Pg(p) => {
            sqlx::query("ANALYZE event_search").execute(p).await?;
        }
    }
    Ok(())
}
