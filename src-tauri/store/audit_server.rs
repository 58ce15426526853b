//! The audit log's long reads on a server (team mode): the same snapshot API as the file's
//! read-only connection (store/audit.rs), over one connection of the pool in a
//! `REPEATABLE READ READ ONLY` transaction, so a walk sees one state of the log while other
//! consoles append. Called on the blocking pool: each read waits on the runtime.

use super::audit::{judge_triggers, page_where, select_sql, BadRow, Param, Walked, PG_TRIGGERS};
use super::{sql_numbered, Result};
use crate::domain::audit::row::{Cell, Kind, COLUMNS, COLUMN_DEFS};
use crate::domain::audit::{AuditFilter, EntryRef};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;
use std::ops::ControlFlow;
use std::sync::Mutex;
use tokio::runtime::Handle;

/// Rows fetched per round trip while walking the log.
const CHUNK: u32 = 5_000;

pub struct ServerReader {
    pool: PgPool,
}

/// One read transaction on one connection.
pub struct ServerSnapshot {
    conn: Mutex<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    rt: Handle,
}

impl ServerReader {
    pub fn new(pool: PgPool) -> ServerReader {
        ServerReader { pool }
    }

    pub fn snapshot<T, E: From<super::StoreError>>(
        &self,
        f: impl FnOnce(&ServerSnapshot) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let rt = Handle::current();
        let conn = rt
            .block_on(async {
                let mut c = self.pool.acquire().await?;
                sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *c)
                    .await?;
                Ok::<_, sqlx::Error>(c)
            })
            .map_err(super::StoreError::from)?;
        let snap = ServerSnapshot {
            conn: Mutex::new(conn),
            rt,
        };
        let r = f(&snap);
        let mut conn = snap.conn.into_inner().unwrap_or_else(|p| p.into_inner());
        // A read-only transaction: ending it cannot lose anything. A failure closes the
        // connection instead of returning it to the pool mid-transaction.
        if snap.rt.block_on(sqlx::query("ROLLBACK").execute(&mut *conn)).is_err() {
            conn.close_on_drop();
        }
        r
    }
}

impl ServerSnapshot {
    fn run<T>(&self, f: impl AsyncFnOnce(&mut sqlx::PgConnection) -> sqlx::Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.rt.block_on(f(&mut conn))?)
    }

    pub fn head(&self) -> Result<Option<(i64, String)>> {
        self.run(async |c| {
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(c)
                .await
        })
    }

    pub fn hash_at(&self, seq: i64) -> Result<Option<String>> {
        self.run(async |c| {
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(seq)
                .fetch_optional(c)
                .await
        })
    }

    pub fn mac_at(&self, seq: i64) -> Result<Option<String>> {
        let mac: Option<Option<String>> = self.run(async |c| {
            sqlx::query_scalar("SELECT mac FROM audit_log WHERE seq = $1")
                .bind(seq)
                .fetch_optional(c)
                .await
        })?;
        Ok(mac.flatten())
    }

    pub fn first_mac(&self) -> Result<Option<i64>> {
        self.run(async |c| {
            sqlx::query_scalar("SELECT seq FROM audit_log WHERE mac IS NOT NULL ORDER BY seq LIMIT 1")
                .fetch_optional(c)
                .await
        })
    }

    pub fn count(&self) -> Result<i64> {
        self.run(async |c| sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(c).await)
    }

    pub fn missing_triggers(&self) -> Result<Vec<String>> {
        let rows = self.run(async |c| sqlx::query_as(PG_TRIGGERS).fetch_all(c).await)?;
        Ok(judge_triggers(rows))
    }

    pub fn explain_page(&self, filter: &AuditFilter, newest_first: bool) -> Result<Vec<String>> {
        let (clause, p, order) = page_where(filter, None, newest_first);
        let sql = sql_numbered(&select_sql("EXPLAIN SELECT", &clause, order, Some(200))).into_owned();
        self.run(async |c| bind(sqlx::query_scalar(&sql), &p).fetch_all(c).await)
    }

    /// Every entry matching `clause`, in seq order (or newest first), at most `limit`, fetched
    /// in chunks of [`CHUNK`] by keyset on seq, until `f` breaks.
    pub fn walk_where(
        &self,
        clause: &str,
        params: &[Param],
        newest_first: bool,
        limit: Option<u32>,
        f: &mut dyn FnMut(std::result::Result<&EntryRef<'_>, BadRow>) -> ControlFlow<()>,
    ) -> Result<Walked> {
        let order = if newest_first { "seq DESC" } else { "seq" };
        let mut last: Option<i64> = None;
        let mut left = limit;
        loop {
            let n = left.map_or(CHUNK, |l| l.min(CHUNK));
            if n == 0 {
                return Ok(Walked::Done);
            }
            let mut w: Vec<&str> = Vec::new();
            if !clause.is_empty() {
                w.push(clause);
            }
            let mut p = params.to_vec();
            if let Some(l) = last {
                w.push(if newest_first { "seq < ?" } else { "seq > ?" });
                p.push(Param::Int(l));
            }
            let sql = sql_numbered(&select_sql("SELECT", &w.join(" AND "), order, Some(n))).into_owned();
            let rows: Vec<PgRow> = self.run(async |c| bind(sqlx::query(&sql), &p).fetch_all(c).await)?;
            for row in &rows {
                let flow = match decode(row) {
                    Ok(e) => {
                        last = Some(e.seq);
                        f(Ok(&e))
                    }
                    Err(bad) => {
                        last = bad.seq.or(last);
                        f(Err(bad))
                    }
                };
                if flow.is_break() {
                    return Ok(Walked::Stopped);
                }
            }
            if (rows.len() as u32) < n {
                return Ok(Walked::Done);
            }
            left = left.map(|l| l - n);
        }
    }
}

/// Binds a read's parameters in order (any query kind).
fn bind<'q, Q: Bindable<'q>>(mut q: Q, params: &'q [Param]) -> Q {
    for p in params {
        q = match p {
            Param::Text(t) => q.bind_text(t),
            Param::Int(n) => q.bind_int(*n),
        };
    }
    q
}

trait Bindable<'q> {
    fn bind_text(self, v: &'q str) -> Self;
    fn bind_int(self, v: i64) -> Self;
}

impl<'q> Bindable<'q> for sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    fn bind_text(self, v: &'q str) -> Self {
        self.bind(v)
    }
    fn bind_int(self, v: i64) -> Self {
        self.bind(v)
    }
}

impl<'q, O> Bindable<'q> for sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    fn bind_text(self, v: &'q str) -> Self {
        self.bind(v)
    }
    fn bind_int(self, v: i64) -> Self {
        self.bind(v)
    }
}

/// A row as an entry borrowing the row's text. The server's column types are fixed by the
/// schema; a value that still does not decode is named as a bad row, not a panic.
fn decode(row: &PgRow) -> std::result::Result<EntryRef<'_>, BadRow> {
    let seq: i64 = row.try_get(0).map_err(|_| BadRow {
        seq: None,
        message: "a row whose seq is not an integer".into(),
    })?;
    let bad = |col: &str, why: &str| BadRow {
        seq: Some(seq),
        message: format!("entry {seq}: column `{col}` {why}"),
    };
    let mut e = EntryRef::from_cells(|i| {
        let col = &COLUMN_DEFS[i];
        Ok(match col.kind {
            Kind::Num if i == 0 => Cell::Num(Some(seq)),
            Kind::Num => Cell::Num(
                row.try_get::<Option<i64>, _>(i)
                    .map_err(|_| bad(col.name, "is not an integer"))?,
            ),
            Kind::Text => {
                let v = row
                    .try_get::<Option<&str>, _>(i)
                    .map_err(|_| bad(col.name, "is not text"))?;
                if col.required && v.is_none() {
                    return Err(bad(col.name, "is NULL"));
                }
                Cell::Text(v)
            }
        })
    })?;
    e.mac = row
        .try_get::<Option<&str>, _>(COLUMNS.len())
        .map_err(|_| bad("mac", "is not text"))?;
    Ok(e)
}
