//! The audit log table. Appends go through sqlx inside the caller's write transaction; reads
//! that walk many entries (verify, export, checkpoint) go through a separate read-only rusqlite
//! connection, which hands out borrowed column text: a million rows without a million
//! allocations. Both link the same SQLite (libsqlite3-sys).

use super::on_tx;
use super::{Result, StoreError};
use crate::domain::audit::row::{Cell, Kind, COLUMNS, COLUMN_DEFS};
use crate::domain::audit::{chain_hash, AuditDraft, AuditEntry, AuditFilter, EntryRef, GENESIS};
use rusqlite::types::ValueRef;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::LazyLock;

/// The triggers that make the table append-only, and a phrase each one's SQL must contain:
/// a trigger of the right name whose body no longer aborts protects nothing.
pub const TRIGGERS: [(&str, &str); 2] = [
    ("audit_log_no_update", "BEFORE UPDATE ON audit_log"),
    ("audit_log_no_delete", "BEFORE DELETE ON audit_log"),
];

/// The triggers' SQL as in migrations/0003_audit.sql, for `audit restore-triggers`.
pub const TRIGGER_SQL: &str = "
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed');
END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted');
END;";

/// The head of the log as an appender needs it: where the next entry goes, and which log it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendHead {
    pub seq: i64,
    pub hash: String,
    /// Whether the head entry carries a MAC (the log is MAC'd from some entry on).
    pub has_mac: bool,
    /// The hash of entry 1: the log's id. `None` if entry 1 is missing (a tampered log).
    pub log_id: Option<String>,
}

/// The head, read inside the caller's write transaction.
pub async fn append_head(conn: &mut super::Tx<'_>) -> Result<Option<AppendHead>> {
    on_tx!(conn, |conn, sq| {
        let head: Option<(i64, String, bool, Option<String>)> = sqlx::query_as(&sq("SELECT seq, hash, mac IS NOT NULL, (SELECT hash FROM audit_log WHERE seq = 1) FROM audit_log ORDER BY seq DESC LIMIT 1",))
    .fetch_optional(&mut *conn)
    .await?;
        Ok(head.map(|(seq, hash, has_mac, log_id)| AppendHead {
            seq,
            hash,
            has_mac,
            log_id,
        }))
    })
}

/// The authenticated login of a server session (team mode), read inside the caller's
/// transaction; `None` for a file, where there are no logins.
pub async fn session_login(conn: &mut super::Tx<'_>) -> Result<Option<String>> {
    Ok(match conn {
        super::Tx::Sqlite(_) => None,
        super::Tx::Pg(t) => Some(
            sqlx::query_scalar("SELECT session_user::text")
                .fetch_one(&mut **t)
                .await?,
        ),
    })
}

/// The entry a draft becomes after `head`: sequence number, normalised text, link and hash.
pub fn build_entry(
    d: &AuditDraft,
    at: &str,
    os_user: &str,
    host: &str,
    head: Option<&AppendHead>,
) -> Result<AuditEntry> {
    let (seq, prev_hash) = match head {
        Some(h) => (h.seq + 1, h.hash.clone()),
        None => (1, GENESIS.to_string()),
    };
    // Empty optional text is stored as NULL (see `ColumnType::normalised`).
    let mut e = AuditEntry::from_draft(d, seq, at, os_user, host, prev_hash);
    e.hash = chain_hash(&e.prev_hash, &e).ok_or_else(|| {
        StoreError::Sql(sqlx::Error::Protocol(format!(
            "the audit log's head hash at entry {} is malformed; run `audit verify`",
            seq - 1
        )))
    })?;
    Ok(e)
}

/// Inserts a built entry with its MAC. The caller holds a write transaction (BEGIN IMMEDIATE)
/// and read the head inside it, so no other writer can slip an entry in between.
pub async fn insert(conn: &mut super::Tx<'_>, e: &AuditEntry, mac: Option<&str>) -> Result<()> {
    insert_many(conn, &[(e, mac)]).await
}

/// Entries (already chained, in order) with their MACs, [`INSERT_ROWS`] to a statement: a
/// batch's hundreds of entries cost a few statements, not one each.
pub async fn insert_many(conn: &mut super::Tx<'_>, entries: &[(&AuditEntry, Option<&str>)]) -> Result<()> {
    for rows in entries.chunks(INSERT_ROWS) {
        on_tx!(&mut *conn, |conn, sq| {
            let text = insert_sql(rows.len());
            let sql = sq(&text);
            let mut q = sqlx::query(&sql);
            for (e, mac) in rows {
                for c in e.as_entry_ref().cells() {
                    q = match c {
                        Cell::Num(n) => q.bind(n),
                        Cell::Text(s) => q.bind(s),
                    };
                }
                q = q.bind(*mac);
            }
            q.execute(&mut *conn).await?;
            Ok::<(), StoreError>(())
        })?;
    }
    Ok(())
}

/// Appends one entry without a MAC, chained to the last, as the console did before entries
/// carried MACs: tests and benchmarks use it to make such an "old" log. The console itself
/// appends through `services::audit::record`, which adds the MAC.
pub async fn append(
    conn: &mut super::Tx<'_>,
    d: &AuditDraft,
    at: &str,
    os_user: &str,
    host: &str,
) -> Result<AuditEntry> {
    let head = append_head(conn).await?;
    let e = build_entry(d, at, os_user, host, head.as_ref())?;
    insert(conn, &e, None).await?;
    Ok(e)
}

/// The append-only triggers that are missing or whose body no longer aborts (on a server: a
/// disabled trigger counts as missing).
pub async fn missing_triggers(pool: &super::Pool) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = match pool {
        super::Pool::Sqlite(p) => {
            sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
                .fetch_all(p)
                .await?
        }
        super::Pool::Pg(p) => sqlx::query_as(PG_TRIGGERS).fetch_all(p).await?,
    };
    Ok(judge_triggers(rows))
}

/// A server's triggers on the audit log, each as its definition and its function's body
/// (`public.` dropped, so the definition reads as the migration wrote it).
pub(super) const PG_TRIGGERS: &str = "SELECT t.tgname::text,
        replace(pg_get_triggerdef(t.oid), 'public.', '') || ' ' || p.prosrc
   FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
  WHERE t.tgrelid = 'audit_log'::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D'";

pub(super) fn judge_triggers(rows: Vec<(String, Option<String>)>) -> Vec<String> {
    TRIGGERS
        .iter()
        .filter(|(name, phrase)| {
            !rows.iter().any(|(n, sql)| {
                let sql = sql.as_deref().unwrap_or("").to_ascii_uppercase();
                let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                n == name
                    && sql.contains(&phrase.to_ascii_uppercase())
                    && (sql.contains("RAISE(ABORT") || sql.contains("RAISE EXCEPTION"))
            })
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Re-creates the triggers (after `audit verify` passed). Idempotent.
pub async fn restore_triggers(pool: &super::Pool) -> Result<()> {
    match pool {
        super::Pool::Sqlite(p) => {
            sqlx::raw_sql(TRIGGER_SQL).execute(p).await?;
        }
        super::Pool::Pg(p) => {
            sqlx::raw_sql(PG_TRIGGER_SQL).execute(p).await?;
        }
    }
    Ok(())
}

/// The server's triggers as in migrations/postgres/0001_schema.sql (functions and triggers),
/// for `audit restore-triggers`.
const PG_TRIGGER_SQL: &str = "
CREATE OR REPLACE FUNCTION audit_log_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: entries cannot be changed';
END $$;
CREATE OR REPLACE FUNCTION audit_log_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: entries cannot be deleted';
END $$;
CREATE OR REPLACE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_no_update();
CREATE OR REPLACE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_no_delete();
CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_delete();
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_delete;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate;";

/// A bind parameter of a filtered read.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Int(i64),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(s) => rusqlite::types::ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Param::Int(n) => rusqlite::types::ToSqlOutput::Owned(rusqlite::types::Value::Integer(*n)),
        })
    }
}

/// The WHERE clauses of a filter (joined with AND) and their parameters, in order.
pub fn filter_sql(f: &AuditFilter) -> (Vec<&'static str>, Vec<Param>) {
    let mut w = Vec::new();
    let mut p = Vec::new();
    let mut text = |v: &Option<String>, clause: &'static str| {
        if let Some(v) = v {
            w.push(clause);
            p.push(Param::Text(v.clone()));
        }
    };
    text(&f.lane_id, "lane_id = ?");
    text(&f.operator, "actor = ?");
    text(&f.action, "action = ?");
    text(&f.outcome, "outcome = ?");
    text(&f.external_id, "external_id = ?");
    text(&f.since, "at >= ?");
    text(&f.until, "at < ?");
    if let Some(id) = f.event_id {
        w.push("event_id = ?");
        p.push(Param::Int(id));
    }
    if let Some(id) = f.batch_id {
        w.push("batch_id = ?");
        p.push(Param::Int(id));
    }
    (w, p)
}

/// Every column of the table, in the domain's order, then the MAC.
pub(super) static COLUMNS_SQL: LazyLock<String> = LazyLock::new(|| format!("{}, mac", COLUMNS.join(", ")));

/// The insert of one entry: its columns and the MAC.
/// Rows in one INSERT of [`insert_many`] (about 25 parameters a row, well inside SQLite's
/// and PostgreSQL's limits).
const INSERT_ROWS: usize = 100;

fn insert_sql(rows: usize) -> String {
    let row = format!("({})", super::marks(COLUMNS.len() + 1));
    format!(
        "INSERT INTO audit_log ({}) VALUES {}",
        *COLUMNS_SQL,
        vec![row; rows].join(", ")
    )
}

/// A read-only connection for long reads. Each public method reads in one transaction, so what
/// it sees is one consistent state of the log even while the app appends.
pub enum LogReader {
    File(rusqlite::Connection),
    Server(super::audit_server::ServerReader),
}

/// A row that cannot even be read as an entry (a column of the wrong type, text that is not
/// UTF-8): possible only in a database edited outside the app.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub seq: Option<i64>,
    pub message: String,
}

/// How a walk through the log went.
pub enum Walked {
    Done,
    Stopped,
}

impl LogReader {
    /// Opens the reader of a database: its own read-only connection to the file, or the
    /// server's pool. Call it on the blocking pool (a server's reads wait on the runtime).
    pub fn open(source: &super::Source) -> Result<LogReader> {
        match source {
            super::Source::File(path) => LogReader::open_file(path),
            super::Source::Server(pool) => Ok(LogReader::Server(super::audit_server::ServerReader::new(pool.clone()))),
        }
    }

    fn open_file(path: &Path) -> Result<LogReader> {
        use rusqlite::OpenFlags;
        // Read-write open (no create) with query_only: a read-only open of a WAL database
        // fails when its -shm file does not exist yet.
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            source: sqlx::Error::Protocol(e.to_string()),
        })?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        // Large sequential reads: memory-map the file and keep a big page cache.
        conn.execute_batch("PRAGMA query_only = 1; PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;")?;
        Ok(LogReader::File(conn))
    }

    /// Runs `f` inside one read transaction.
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Snapshot<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match self {
            LogReader::File(conn) => {
                let tx = conn.unchecked_transaction().map_err(StoreError::from)?;
                let r = f(&Snapshot::File(FileSnapshot { conn: &tx }));
                drop(tx);
                r
            }
            LogReader::Server(reader) => reader.snapshot(|s| f(&Snapshot::Server(s))),
        }
    }
}

/// The log as of one read transaction.
pub enum Snapshot<'a> {
    File(FileSnapshot<'a>),
    Server(&'a super::audit_server::ServerSnapshot),
}

/// Each read of a snapshot, on whichever database it is.
macro_rules! both {
    ($(pub fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Snapshot<'_> {
            $(pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                match self {
                    Snapshot::File(s) => s.$name($($arg),*),
                    Snapshot::Server(s) => s.$name($($arg),*),
                }
            })*
        }
    };
}

both! {
    pub fn head(&self) -> Result<Option<(i64, String)>>;
    pub fn hash_at(&self, seq: i64) -> Result<Option<String>>;
    pub fn mac_at(&self, seq: i64) -> Result<Option<String>>;
    pub fn first_mac(&self) -> Result<Option<i64>>;
    pub fn count(&self) -> Result<i64>;
    pub fn missing_triggers(&self) -> Result<Vec<String>>;
    pub fn explain_page(&self, filter: &AuditFilter, newest_first: bool) -> Result<Vec<String>>;
    pub fn walk_where(&self, clause: &str, params: &[Param], newest_first: bool, limit: Option<u32>, f: &mut dyn FnMut(std::result::Result<&EntryRef<'_>, BadRow>) -> ControlFlow<()>) -> Result<Walked>;
}

impl Snapshot<'_> {
    /// One entry with its predecessor's hash (for `audit show`).
    pub fn entry(&self, seq: i64) -> Result<Option<AuditEntry>> {
        let mut out = None;
        self.walk_where("seq = ?", &[Param::Int(seq)], false, Some(1), &mut |r| {
            if let Ok(e) = r {
                out = Some(e.to_entry());
            }
            ControlFlow::Break(())
        })?;
        Ok(out)
    }

    /// Entries after `after` (or before it, newest first) matching `filter`, at most `limit`.
    pub fn page(
        &self,
        filter: &AuditFilter,
        after: Option<i64>,
        limit: u32,
        newest_first: bool,
    ) -> Result<Vec<AuditEntry>> {
        let (clause, p, _) = page_where(filter, after, newest_first);
        let mut out = Vec::with_capacity(limit as usize);
        self.walk_where(&clause, &p, newest_first, Some(limit), &mut |r| {
            if let Ok(e) = r {
                out.push(e.to_entry());
            }
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    /// Every entry with `seq > after` matching `filter`, oldest first, until `f` breaks.
    pub fn walk(
        &self,
        after: i64,
        filter: &AuditFilter,
        f: &mut dyn FnMut(std::result::Result<&EntryRef<'_>, BadRow>) -> ControlFlow<()>,
    ) -> Result<Walked> {
        let (mut w, mut p) = filter_sql(filter);
        w.push("seq > ?");
        p.push(Param::Int(after));
        self.walk_where(&w.join(" AND "), &p, false, None, f)
    }
}

/// A snapshot of the file's log (one read transaction of the reader's own connection).
pub struct FileSnapshot<'a> {
    conn: &'a rusqlite::Connection,
}

impl FileSnapshot<'_> {
    pub fn head(&self) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map(Some)
            .or_else(none_if_no_rows)?)
    }

    pub fn hash_at(&self, seq: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hash FROM audit_log WHERE seq = ?")?
            .query_row([seq], |r| r.get(0))
            .map(Some)
            .or_else(none_if_no_rows)?)
    }

    /// An entry's MAC column.
    pub fn mac_at(&self, seq: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT mac FROM audit_log WHERE seq = ?")?
            .query_row([seq], |r| r.get::<_, Option<String>>(0))
            .or_else(none_if_no_rows)?)
    }

    /// The first entry that carries a MAC (a scan, stopped at the first hit: entries carry
    /// MACs from some entry on, so in a log written since then this is entry 1).
    pub fn first_mac(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq FROM audit_log WHERE mac IS NOT NULL ORDER BY seq LIMIT 1")?
            .query_row([], |r| r.get(0))
            .map(Some)
            .or_else(none_if_no_rows)?)
    }

    pub fn count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?)
    }

    pub fn missing_triggers(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(judge_triggers(rows))
    }

    /// The query plan of a page of [`Snapshot::page`] (first page): which index serves a filter.
    pub fn explain_page(&self, filter: &AuditFilter, newest_first: bool) -> Result<Vec<String>> {
        let (clause, p, order) = page_where(filter, None, newest_first);
        let sql = select_sql("EXPLAIN QUERY PLAN SELECT", &clause, order, Some(200));
        let mut st = self.conn.prepare(&sql)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(&p), |r| r.get::<_, String>(3))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn walk_where(
        &self,
        clause: &str,
        params: &[Param],
        newest_first: bool,
        limit: Option<u32>,
        f: &mut dyn FnMut(std::result::Result<&EntryRef<'_>, BadRow>) -> ControlFlow<()>,
    ) -> Result<Walked> {
        let order = if newest_first { "seq DESC" } else { "seq" };
        let mut st = self.conn.prepare(&select_sql("SELECT", clause, order, limit))?;
        let mut rows = st.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            let flow = match decode(row) {
                Ok(e) => f(Ok(&e)),
                Err(bad) => f(Err(bad)),
            };
            if flow.is_break() {
                return Ok(Walked::Stopped);
            }
        }
        Ok(Walked::Done)
    }
}

/// The WHERE clause, parameters and order of a page of entries.
pub(super) fn page_where(
    filter: &AuditFilter,
    after: Option<i64>,
    newest_first: bool,
) -> (String, Vec<Param>, &'static str) {
    let (mut w, mut p) = filter_sql(filter);
    if let Some(a) = after {
        w.push(if newest_first { "seq < ?" } else { "seq > ?" });
        p.push(Param::Int(a));
    }
    (w.join(" AND "), p, if newest_first { "seq DESC" } else { "seq" })
}

pub(super) fn select_sql(select: &str, clause: &str, order: &str, limit: Option<u32>) -> String {
    let mut sql = format!("{select} {} FROM audit_log", *COLUMNS_SQL);
    if !clause.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(clause);
    }
    sql.push_str(" ORDER BY ");
    sql.push_str(order);
    if let Some(l) = limit {
        sql.push_str(&format!(" LIMIT {l}"));
    }
    sql
}

fn none_if_no_rows<T>(e: rusqlite::Error) -> rusqlite::Result<Option<T>> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        other => Err(other),
    }
}

/// A row as an entry borrowing the row's text.
fn decode<'r>(row: &'r rusqlite::Row<'_>) -> std::result::Result<EntryRef<'r>, BadRow> {
    let seq = match row.get_ref(0) {
        Ok(ValueRef::Integer(n)) => n,
        _ => {
            return Err(BadRow {
                seq: None,
                message: "a row whose seq is not an integer".into(),
            })
        }
    };
    let bad = |col: &str, why: &str| BadRow {
        seq: Some(seq),
        message: format!("entry {seq}: column `{col}` {why}"),
    };
    let opt_text = |i: usize, col: &str| -> std::result::Result<Option<&'r str>, BadRow> {
        match row.get_ref(i) {
            Ok(ValueRef::Null) => Ok(None),
            Ok(ValueRef::Text(b)) => std::str::from_utf8(b)
                .map(Some)
                .map_err(|_| bad(col, "is not UTF-8 text")),
            _ => Err(bad(col, "is not text")),
        }
    };
    let text = |i: usize, col: &str| opt_text(i, col)?.ok_or_else(|| bad(col, "is NULL"));
    let num = |i: usize, col: &str| -> std::result::Result<Option<i64>, BadRow> {
        match row.get_ref(i) {
            Ok(ValueRef::Null) => Ok(None),
            Ok(ValueRef::Integer(n)) => Ok(Some(n)),
            _ => Err(bad(col, "is not an integer")),
        }
    };
    let mut e = EntryRef::from_cells(|i| {
        let col = &COLUMN_DEFS[i];
        Ok(match (col.kind, col.required) {
            (Kind::Num, _) if i == 0 => Cell::Num(Some(seq)),
            (Kind::Num, _) => Cell::Num(num(i, col.name)?),
            (Kind::Text, true) => Cell::Text(Some(text(i, col.name)?)),
            (Kind::Text, false) => Cell::Text(opt_text(i, col.name)?),
        })
    })?;
    e.mac = opt_text(COLUMNS.len(), "mac")?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_or_emptied_trigger_does_not_count() {
        let good = |n: &str, on: &str| {
            (
                n.to_string(),
                Some(format!("CREATE TRIGGER {n} {on}\nBEGIN SELECT RAISE(ABORT, 'no'); END")),
            )
        };
        assert!(
            judge_triggers(vec![
                good("audit_log_no_update", "BEFORE UPDATE ON audit_log"),
                good("audit_log_no_delete", "before  delete on audit_log"),
            ])
            .is_empty(),
            "the migration's triggers pass, whatever the case and spacing"
        );
        let hollow = (
            "audit_log_no_delete".to_string(),
            Some("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END".into()),
        );
        assert_eq!(
            judge_triggers(vec![good("audit_log_no_update", "BEFORE UPDATE ON audit_log"), hollow]),
            vec!["audit_log_no_delete".to_string()],
            "a trigger that no longer aborts protects nothing"
        );
    }
}
