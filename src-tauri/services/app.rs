//! The one entry point that opens everything (database and migrations today; the keychain and
//! the HTTP client join it) for the desktop app, the CLI and the tests alike.

use crate::domain::contract::LaneContract;
use crate::error::Result;
use crate::services::org::Session;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub pool: crate::store::Pool,
    /// The database file; on a server (team mode), the local anchor of this console's audit
    /// checkpoint files (see [`team_anchor`]).
    pub db_path: PathBuf,
    /// Where the database is, as given: the file or the server.
    pub location: crate::store::Location,
    /// The one HTTP client of the process (`org::http_client`: timeouts set once, in `salesforce`).
    pub http: reqwest::Client,
    /// The queue's page reads (a synchronous connection on the blocking pool).
    pub queue_reader: Arc<crate::store::events::QueueReader>,
    /// Put in front of every lane's keychain account: empty, or `demo:` for the demo.
    pub keychain_prefix: String,
    checkpointer: Arc<Checkpointer>,
    /// Connected lanes: token and identity, in memory only, for the life of the process.
    sessions: Arc<tokio::sync::Mutex<HashMap<String, Arc<Session>>>>,
}

impl App {
    /// Opens everything. Refuses a database whose audit log has lost its append-only triggers:
    /// a console that kept appending to an unprotected log would bury the evidence of what
    /// happened to it (docs/AUDIT.md, "Start-up check").
    pub async fn open(db_path: &Path) -> Result<App> {
        let app = App::open_unguarded(db_path).await?;
        if let Err(e) = crate::services::audit::require_triggers(&app.pool).await {
            app.close().await;
            return Err(e);
        }
        Ok(app)
    }

    /// Opens without the trigger check: only for the audit commands that must work on exactly
    /// such a database (verify, list, show, export, restore-triggers).
    pub async fn open_unguarded(db_path: &Path) -> Result<App> {
        let location = crate::store::Location::parse(db_path).map_err(crate::error::Error::InvalidInput)?;
        let password = match &location {
            crate::store::Location::File(_) => None,
            crate::store::Location::Server(s) => crate::services::team::stored_password(s).await?,
        };
        let opened = crate::store::open_location(&location, password.as_ref().map(|p| p.expose())).await;
        let pool = match (opened, &location) {
            (Ok(pool), _) => pool,
            (Err(e @ crate::store::StoreError::Open { .. }), crate::store::Location::Server(s))
                if password.is_none() =>
            {
                return Err(crate::error::Error::Io(format!(
                    "{e} ({})",
                    crate::services::team::login_hint(s)
                )));
            }
            (Err(e), _) => return Err(e.into()),
        };
        drop(password);
        let db_path = match &location {
            crate::store::Location::File(p) => p.clone(),
            crate::store::Location::Server(s) => {
                let anchor = team_anchor(s);
                if let Some(dir) = anchor.parent() {
                    private_dir(dir)?;
                }
                anchor
            }
        };
        let http = crate::services::org::http_client()?;
        let keychain_prefix = crate::store::settings::get(&pool, "keychain_prefix").await?;
        let app = App {
            queue_reader: Arc::new(crate::store::events::QueueReader::new(&pool.source(&db_path))),
            pool,
            db_path,
            location,
            http,
            keychain_prefix: keychain_prefix.unwrap_or_default(),
            sessions: Arc::default(),
            checkpointer: Arc::default(),
        };
        // Before anything else runs: intents left by a dead process become unknown_outcome.
        // On a team server only a login that may write (an operator) recovers: a reviewer's
        // console reads.
        let recovers = !app.pool.is_server() || crate::services::team::whoami(&app).await?.may("operator");
        if recovers {
            crate::services::recovery::recover_orphans(&app).await?;
            crate::services::recovery::recover_batches(&app).await?;
        }
        Ok(app)
    }

    /// The lane's session: connected once per process and contract version, then reused, so a
    /// preflight or replay spends no round trip on the token. A changed contract (its canonical
    /// JSON) or a forgotten session connects again.
    pub async fn session(&self, contract: &LaneContract) -> Result<Arc<Session>> {
        let key = format!("{}\u{0}{}", contract.lane_id(), contract.canonical_json());
        let mut sessions = self.sessions.lock().await;
        if let Some(s) = sessions.get(&key) {
            return Ok(s.clone());
        }
        let s = Arc::new(Session::connect(self, contract).await?);
        sessions.insert(key, s.clone());
        Ok(s)
    }

    /// What the long reads (the audit walker) open: the file, or the server's pool.
    pub fn log_source(&self) -> crate::store::Source {
        self.pool.source(&self.db_path)
    }

    /// Marks this database as the demo's: its lanes' secrets get their own keychain accounts.
    pub async fn mark_demo(&mut self) -> Result<()> {
        crate::store::settings::set(&self.pool, "keychain_prefix", "demo:").await?;
        self.keychain_prefix = "demo:".into();
        Ok(())
    }

    /// Drops a lane's cached session (its secret changed or was deleted).
    pub async fn forget_session(&self, lane_id: &str) {
        let prefix = format!("{lane_id}\u{0}");
        self.sessions.lock().await.retain(|k, _| !k.starts_with(&prefix));
    }

    /// Advances the audit checkpoint in the background, so an operator waiting on a preflight or
    /// a replay does not also wait for the checkpoint's keychain reads and writes and its file.
    /// It starts once no request has come for [`CHECKPOINT_PAUSE`] (the end of a burst), and
    /// at the latest [`CHECKPOINT_AT_MOST`] after the first entry it covers: a steady stream of
    /// replays gets a checkpoint every couple of seconds, not one racing every other request
    /// for the keychain daemon and the disk. Requests that arrive while one is queued are
    /// covered by it; `close` runs the last one at once and waits for it.
    pub fn checkpoint_soon(&self) {
        use std::sync::atomic::Ordering;
        if self.checkpointer.queued.swap(true, Ordering::SeqCst) {
            self.checkpointer.poke.notify_one();
            return;
        }
        let app = self.clone();
        let task = tokio::spawn(async move {
            let woken = app.checkpointer.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let latest = tokio::time::Instant::now() + CHECKPOINT_AT_MOST;
            while !app.checkpointer.closing.load(Ordering::SeqCst) {
                let quiet = (tokio::time::Instant::now() + CHECKPOINT_PAUSE).min(latest);
                tokio::select! {
                    _ = tokio::time::sleep_until(quiet) => break,
                    _ = app.checkpointer.poke.notified() => {}
                    _ = woken.as_mut() => break,
                }
            }
            let _one_at_a_time = app.checkpointer.running.lock().await;
            // From here on, a new request needs a new run: this one may have read the head already.
            app.checkpointer.queued.store(false, Ordering::SeqCst);
            crate::services::audit::checkpoint(&app).await;
            crate::store::wal_checkpoint(&app.pool).await;
        });
        if let Ok(mut tasks) = self.checkpointer.tasks.lock() {
            tasks.retain(|t| !t.is_finished());
            tasks.push(task);
        }
    }

    /// Waits for background checkpoints, then closes the database.
    pub async fn close(&self) {
        self.checkpointer
            .closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.checkpointer.wake.notify_waiters();
        let tasks: Vec<tokio::task::JoinHandle<()>> = match self.checkpointer.tasks.lock() {
            Ok(mut t) => t.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for t in tasks {
            let _ = t.await;
        }
        crate::store::close(&self.pool).await;
    }
}

/// How long a background checkpoint waits for more requests to cover (see
/// [`App::checkpoint_soon`]); `close` waits for it, so nothing is left unsigned at exit.
pub const CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);
/// The longest an audit entry waits for its checkpoint while requests keep coming.
pub const CHECKPOINT_AT_MOST: std::time::Duration = std::time::Duration::from_secs(2);
/// A server's local anchor: the path this machine's audit checkpoint of the team's log is kept
/// under, one per server and database, in the OS data directory. Not per login: the checkpoint
/// is signed with a key in this OS user's keychain, which every login used here shares, so the
/// keychain's record of the signed head and the file must be one (docs/TEAM.md).
pub fn team_anchor(s: &crate::store::ServerUrl) -> PathBuf {
    let name: String = format!("{}_{}_{}", s.host, s.port, s.database)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("replay-console")
        .join("team")
        .join(name)
}

/// Creates the folder of a server's anchor, readable by the user only.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::error::Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// The database when neither `--db` nor `REPLAY_CONSOLE_DB` says otherwise: the OS data
/// directory (`~/.local/share/replay-console/` on Linux).
/// Where the log files go: `REPLAY_CONSOLE_LOG_DIR` if set, else the OS's place for an app's
/// logs (Linux: `$XDG_STATE_HOME/replay-console/logs`, i.e. `~/.local/state/...`; macOS:
/// `~/Library/Logs/replay-console`; Windows: `%LOCALAPPDATA%\replay-console\logs`).
pub fn log_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("REPLAY_CONSOLE_LOG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if cfg!(target_os = "macos") {
        if let Some(home) = dirs::home_dir() {
            return home.join("Library").join("Logs").join("replay-console");
        }
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("replay-console")
        .join("logs")
}

pub fn default_db_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("replay-console")
        .join("replay-console.db")
}

#[derive(Default)]
struct Checkpointer {
    /// Set by `close`: a checkpoint waiting out its pause runs at once.
    closing: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
    /// Another request came while one is queued: its quiet pause starts again.
    poke: tokio::sync::Notify,
    queued: std::sync::atomic::AtomicBool,
    running: tokio::sync::Mutex<()>,
    tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}
