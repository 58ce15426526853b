//! The store: the local SQLite file (WAL, `synchronous=FULL`, a busy timeout, foreign keys on)
//! or a shared PostgreSQL server (team mode), migrations for both embedded and applied at open.
//! SQL lives here, one file per table group.

pub mod alerts;
pub mod attempts;
pub mod audit;
pub mod audit_server;
pub mod batches;
pub mod credentials;
pub mod events;
mod events_copy;
pub mod groups;
pub mod imports;
pub mod lanes;
pub mod leases;
pub mod location;
pub mod preflights;
pub mod revisions;
pub mod search;
pub mod settings;
pub mod team;
pub mod triage;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

pub use location::{Location, ServerUrl};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot create the folder for the database {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("cannot apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// From the read-only connection that walks the audit log (store/audit.rs).
    #[error("database error: {0}")]
    Read(#[from] rusqlite::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The database as the services hold it: the embedded SQLite file (one person) or a shared
/// PostgreSQL server (team mode, issue 17). Services name this, never the driver's types; each
/// store function runs the same statement on either (`on_pool!`, `on_tx!`), or its own form
/// where the two dialects differ.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// One write transaction (see [`write_tx`]).
pub enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Pg(sqlx::Transaction<'c, sqlx::Postgres>),
}

/// One connection held for a while (an import keeps one for its page cache).
pub enum Conn {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

/// What the long reads (the audit walker) open: the file, or the server's pool.
#[derive(Clone, Debug)]
pub enum Source {
    File(std::path::PathBuf),
    Server(PgPool),
}

impl Pool {
    /// The long reads' source: `path` for a file, the pool itself for a server.
    pub fn source(&self, path: &Path) -> Source {
        match self {
            Pool::Sqlite(_) => Source::File(path.to_path_buf()),
            Pool::Pg(p) => Source::Server(p.clone()),
        }
    }

    /// The SQLite pool of a file, for tests and benchmarks that reach into the file with SQL of
    /// their own; `None` on a server.
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Pool::Sqlite(p) => Some(p),
            Pool::Pg(_) => None,
        }
    }

    /// Whether this is a shared server (team mode).
    pub fn is_server(&self) -> bool {
        matches!(self, Pool::Pg(_))
    }

    pub async fn acquire(&self) -> Result<Conn> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            Pool::Pg(p) => Conn::Pg(p.acquire().await?),
        })
    }
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// Values bound in one `IN (…)` list: well inside SQLite's limit on a statement's parameters.
pub const IN_CHUNK: usize = 500;

/// `?, ?, …`: the placeholders of an `IN (…)` list of `n` values.
pub fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// A statement as SQLite takes it: `?` placeholders, unchanged.
pub fn sql_as_is(sql: &str) -> Cow<'_, str> {
    Cow::Borrowed(sql)
}

/// A statement as PostgreSQL takes it: each `?` outside quotes becomes `$1`, `$2`, … in order.
/// The store writes every statement once, with `?`, and this gives the server's form.
pub fn sql_numbered(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            // `?2`: SQLite's numbered form, already numbered.
            (None, '?') if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'') | (None, '"') => {
                quote = Some(ch);
                out.push(ch);
            }
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Runs `$body` on whichever database a [`Pool`] is: `$c` is the driver's pool, `$q` writes a
/// statement's placeholders in that database's form (`sql_as_is` or `sql_numbered`).
macro_rules! on_pool {
    ($pool:expr, |$c:ident, $q:ident| $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($c) => {
                #[allow(unused_variables)]
                let $q = $crate::store::sql_as_is;
                $body
            }
            $crate::store::Pool::Pg($c) => {
                #[allow(unused_variables)]
                let $q = $crate::store::sql_numbered;
                $body
            }
        }
    };
}

/// The same for a [`Tx`]: `$c` is the transaction's connection (`&mut`, reborrow it with
/// `&mut *$c` to use it twice).
macro_rules! on_tx {
    ($tx:expr, |$c:ident, $q:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut **t;
                #[allow(unused_variables)]
                let $q = $crate::store::sql_as_is;
                $body
            }
            $crate::store::Tx::Pg(t) => {
                let $c: &mut sqlx::PgConnection = &mut **t;
                #[allow(unused_variables)]
                let $q = $crate::store::sql_numbered;
                $body
            }
        }
    };
}
pub(crate) use {on_pool, on_tx};

/// Another process (the desktop app and a CLI at once) may hold the write lock; wait rather than
/// fail with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page cache of an ordinary connection, and of an import's connection while it imports (in
/// SQLite's unit: negative means KiB). 32 MB imports 1,000,000 events as fast as 64 MB did
/// (docs/BENCHMARKS.md) and keeps the desktop build's import under 150 MB resident: that binary
/// starts at about 50 MB, the GTK and WebKit libraries it links.
pub const NORMAL_CACHE: &str = "-4096";
pub const IMPORT_CACHE: &str = "-32768";

/// The key of the advisory lock every write transaction on a server takes first: the console's
/// writes are serialised there as `BEGIN IMMEDIATE` serialises them in SQLite, so what a
/// transaction read (the audit head, an event's status) cannot change before it commits, and
/// no "could not serialize" or deadlock can reach a user. Writes are short: no network call is
/// ever made inside one (the replay protocol commits its intent first).
const WRITE_LOCK: i64 = 0x7265_706c_6179; // "replay"

/// Closes the database. SQLite: first moves the write-ahead log into the database and empties
/// it (`wal_checkpoint(TRUNCATE)`), so that no `-wal` of any size is left beside the file, even
/// where the last connection's own checkpoint at close does not finish before the process
/// exits (seen after a 1,000,000-event import: a 1.4 GB log left until the next start). Best
/// effort: a reader elsewhere may keep the log busy, and then SQLite keeps it, safely. It does
/// not wait: a TRUNCATE checkpoint waits (busy timeout) for any writer to finish, so a command
/// run beside a long import would sit until the import ended; with no busy timeout on this one
/// statement it gives up at once, and the writer's own close truncates the log later.
pub async fn close(pool: &Pool) {
    match pool {
        Pool::Sqlite(p) => {
            if let Ok(mut c) = p.acquire().await {
                if sqlx::query("PRAGMA busy_timeout = 0").execute(&mut *c).await.is_ok() {
                    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *c).await;
                }
                // Not back into the pool with no busy timeout.
                let _ = sqlx::Connection::close(c.detach()).await;
            }
            p.close().await;
        }
        Pool::Pg(p) => p.close().await,
    }
}

/// Moves what the write-ahead log holds into the database without waiting for readers or
/// writers (SQLite's PASSIVE checkpoint): done in the background after a burst of work. Nothing
/// to do on a server.
pub async fn wal_checkpoint(pool: &Pool) {
    if let Pool::Sqlite(p) = pool {
        let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(p).await;
    }
}

/// Sets a connection's page cache (`NORMAL_CACHE` or `IMPORT_CACHE`). The server manages its
/// own memory: nothing to set there.
pub async fn set_cache_size(conn: &mut Conn, size: &str) -> Result<()> {
    if let Conn::Sqlite(c) = conn {
        sqlx::query(&format!("PRAGMA cache_size = {size}"))
            .execute(&mut **c)
            .await?;
    }
    Ok(())
}

/// A write transaction that takes the write lock at once: `BEGIN IMMEDIATE` in SQLite (a
/// concurrent writer waits, busy timeout, instead of failing at its first write), the
/// advisory lock [`WRITE_LOCK`] on a server. What the transaction read cannot change before it
/// commits. Every durable write of the services goes through one.
pub async fn write_tx(pool: &Pool) -> Result<Tx<'static>> {
    Ok(match pool {
        Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
        Pool::Pg(p) => {
            let mut t = p.begin().await?;
            lock_writes(&mut t).await?;
            Tx::Pg(t)
        }
    })
}

/// The same on a connection the caller holds (an import keeps one for its page cache).
pub async fn write_tx_on(conn: &mut Conn) -> Result<Tx<'_>> {
    Ok(match conn {
        Conn::Sqlite(c) => Tx::Sqlite(sqlx::Connection::begin_with(&mut **c, "BEGIN IMMEDIATE").await?),
        Conn::Pg(c) => {
            let mut t = sqlx::Connection::begin(&mut **c).await?;
            lock_writes(&mut t).await?;
            Tx::Pg(t)
        }
    })
}

async fn lock_writes(t: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK)
        .execute(t)
        .await?;
    Ok(())
}

/// Opens the database a [`Location`] names: the SQLite file, or the server with the person's
/// password (from their keychain; `None` where the server needs none).
pub async fn open_location(location: &Location, password: Option<&str>) -> Result<Pool> {
    match location {
        Location::File(path) => Ok(Pool::Sqlite(open(path).await?)),
        Location::Server(s) => Ok(Pool::Pg(open_server(s, password).await?)),
    }
}

/// Connects to a shared server and brings its schema up to date (migrations/postgres/, which
/// mirror the SQLite set). The error names the server as shown, never a password.
pub async fn open_server(s: &ServerUrl, password: Option<&str>) -> Result<PgPool> {
    let mut options: PgConnectOptions = s.connect_options().map_err(|source| StoreError::Open {
        path: s.shown(),
        source,
    })?;
    if let Some(p) = password {
        options = options.password(p);
    }
    options = options.application_name("replay-console");
    let pool = PgPoolOptions::new()
        .max_connections(6)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            path: s.shown(),
            source,
        })?;
    // Migrations need the schema's owner (the administrator); a person's login only checks that
    // the schema is current, so a console never tries DDL it may not run.
    let migrator = sqlx::migrate!("./migrations/postgres");
    let applied: Vec<i64> =
        match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&pool)
            .await
        {
            Ok(v) => v,
            // A login the team has not given a role: the server's refusal says so.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {
                pool.close().await;
                return Err(StoreError::Sql(sqlx::Error::Database(e)));
            }
            Err(_) => Vec::new(),
        };
    if migrator.iter().any(|m| !applied.contains(&m.version)) {
        if let Err(e) = migrator.run(&pool).await {
            pool.close().await;
            return Err(StoreError::Open {
                path: s.shown(),
                source: sqlx::Error::Protocol(format!(
                    "the team database's schema is missing or older than this console, and this login cannot \
                     update it ({e}); an administrator runs `replay-console --db … team init` once"
                )),
            });
        }
    }
    Ok(pool)
}

pub async fn open(path: &Path) -> Result<SqlitePool> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
    }
    private_database_files(path);
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // 4 MiB of page cache per connection (four at most): the queue's reads need little, and
        // the window's resident memory stays bounded on a million events. An import raises its
        // own connection's cache for the length of its transaction (IMPORT_CACHE).
        .pragma("cache_size", NORMAL_CACHE)
        .pragma("temp_store", "memory")
        // The write-ahead log is moved into the database in the background, after a burst of
        // work (`wal_checkpoint`, from App::checkpoint_soon), not by whichever commit crosses
        // SQLite's default 1,000 pages: that commit would wait for the copy and its fsync, which
        // was the slowest few percent of preflights and replays. 10,000 pages (40 MiB) stays the
        // limit at which a commit still does it, for long imports.
        .pragma("wal_autocheckpoint", "10000");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// The database holds the audit log and who replayed what: readable by the user only. A new
/// database file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm files
/// the database file's mode); an existing one, and its -wal and -shm, lose any group and other
/// access. Best effort: a failure here is SQLite's to report when it opens the file.
fn private_database_files(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            // symlink_metadata: never change the mode of whatever a planted link points to.
            if let Ok(m) = std::fs::symlink_metadata(&p) {
                if m.file_type().is_file() && m.permissions().mode() & 0o077 != 0 {
                    let _ =
                        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m.permissions().mode() & 0o700));
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Current UTC time in the store's fixed-width text form.
pub fn now_text() -> String {
    crate::domain::event::format_time(chrono::Utc::now())
}

/// Which process holds an in-flight attempt or a running batch: its pid, a start stamp that
/// survives pid reuse (boot id + start time in clock ticks on Linux), and the host. Plain values,
/// filled in by `services::holder::me`.
#[derive(Clone)]
pub struct Holder {
    pub pid: i64,
    pub started: String,
    pub host: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes_and_numbered_ones_kept() {
        assert_eq!(
            sql_numbered("SELECT a FROM t WHERE b = ? AND c = '?' AND d = \"?\" AND e IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = \"?\" AND e IN ($2, $3)"
        );
        assert_eq!(
            sql_numbered("WHERE (CAST(?1 AS BIGINT) IS NULL OR id < ?1) LIMIT ?2"),
            "WHERE (CAST($1 AS BIGINT) IS NULL OR id < $1) LIMIT $2"
        );
        assert_eq!(sql_numbered("SELECT 'it''s ?' , ?"), "SELECT 'it''s ?' , $1");
        assert!(matches!(sql_numbered("SELECT 1"), Cow::Borrowed(_)));
    }
}
