//! The one entry point that opens everything (database and migrations today; the keychain and
//! the HTTP client join it) for the desktop app, the CLI and the tests alike.

use crate::error::Result;
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub struct App {
    pub pool: SqlitePool,
    pub db_path: PathBuf,
}

impl App {
    pub async fn open(db_path: &Path) -> Result<App> {
        let pool = crate::store::open(db_path).await?;
        let app = App {
            pool,
            db_path: db_path.to_path_buf(),
        };
        // Before anything else runs: intents left by a dead process become unknown_outcome.
        crate::services::recovery::recover_orphans(&app).await?;
        Ok(app)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The database when neither `--db` nor `REPLAY_CONSOLE_DB` says otherwise: the OS data
/// directory (`~/.local/share/replay-console/` on Linux).
pub fn default_db_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("replay-console")
        .join("replay-console.db")
}
