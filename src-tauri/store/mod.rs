//! The local SQLite store: WAL, `synchronous=FULL`, a busy timeout, foreign keys on, migrations
//! embedded and applied at open. SQL lives here, one file per table group.

pub mod alerts;
pub mod attempts;
pub mod audit;
pub mod batches;
pub mod credentials;
pub mod events;
pub mod imports;
pub mod lanes;
pub mod preflights;
pub mod settings;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::time::Duration;

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

/// The database as the services hold it: a pool, one connection, one transaction. Services name
/// these, never the driver's types, so a second database changes only this module.
pub type Pool = SqlitePool;
pub type Conn = sqlx::SqliteConnection;
pub type Tx<'c> = sqlx::Transaction<'c, sqlx::Sqlite>;

/// Another process (the desktop app and a CLI at once) may hold the write lock; wait rather than
/// fail with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page cache of an ordinary connection, and of an import's connection while it imports (in
/// SQLite's unit: negative means KiB).
pub const NORMAL_CACHE: &str = "-4096";
pub const IMPORT_CACHE: &str = "-65536";

/// Closes the database: first moves the write-ahead log into the database and empties it
/// (`wal_checkpoint(TRUNCATE)`), so that no `-wal` of any size is left beside the file, even
/// where the last connection's own checkpoint at close does not finish before the process
/// exits (seen after a 1,000,000-event import: a 1.4 GB log left until the next start). Best
/// effort: a reader elsewhere may keep the log busy, and then SQLite keeps it, safely.
pub async fn close(pool: &Pool) {
    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await;
    pool.close().await;
}

/// Sets a connection's page cache (`NORMAL_CACHE` or `IMPORT_CACHE`).
pub async fn set_cache_size(conn: &mut sqlx::SqliteConnection, size: &str) -> Result<()> {
    sqlx::query(&format!("PRAGMA cache_size = {size}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// A write transaction that takes the write lock at once (`BEGIN IMMEDIATE`): a concurrent
/// writer waits (busy timeout) instead of failing at its first write, and what the transaction
/// read cannot change before it commits. Every durable write of the services goes through one.
pub async fn write_tx(pool: &SqlitePool) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// The same on a connection the caller holds (an import keeps one for its page cache).
pub async fn write_tx_on(conn: &mut sqlx::SqliteConnection) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>> {
    Ok(sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?)
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
        .pragma("temp_store", "memory");
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
pub struct Holder {
    pub pid: i64,
    pub started: String,
    pub host: String,
}
