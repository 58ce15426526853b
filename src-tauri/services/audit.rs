//! The audit log: writing it (every service that changes something records it here, inside the
//! same transaction as the change), checkpointing its head after each commit, verifying it, and
//! the reviewer's views. Exports are in [`export`].

pub mod export;

use super::Progress;
use crate::app::App;
use crate::domain::audit::checkpoint::{self, AuditCheckpoint};
use crate::domain::audit::mac::MacKey;
use crate::domain::audit::{
    before_after_diff, chain_hash, parse_time_bound, AuditDraft, AuditEntry, AuditFieldChange, AuditFilter,
    AuditProblem, AuditProblemKind, ChainMode, ChainVerifier, GENESIS,
};
use crate::error::{Error, Result};
use crate::keychain::{self, KeychainError, Secret};
use crate::store;
use crate::store::audit::LogReader;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use std::collections::HashMap;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("no audit entry {0}")]
    NoEntry(i64),
    #[error("the checkpoint file {path} is unreadable: {why}")]
    CheckpointUnreadable { path: String, why: String },
    /// The writer refuses to advance a checkpoint that the log no longer agrees with: doing so
    /// would sign over the evidence.
    #[error("the audit checkpoint was not advanced: {0}. Run `replay-console audit verify`.")]
    CheckpointConflict(String),
    #[error(
        "the audit log's append-only triggers are missing or altered ({0}): entries could have been edited or \
         deleted outside the console. The console will not change this database until they are restored. \
         Run `replay-console audit verify`; if it passes, `replay-console audit restore-triggers` re-creates them."
    )]
    TriggersMissing(String),
    #[error("the audit log does not verify, so its triggers are not restored: {0}")]
    NotVerified(String),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    /// Entries carry MACs from some entry on, and the key that makes them cannot be had: an
    /// entry written now could not be told from a forged one, so none is written.
    #[error(
        "the audit log's key ({account}) is not available ({why}); the console does not write audit entries it \
         cannot authenticate, so this change was not made. Unlock the keychain (or run where the log's key is) and retry."
    )]
    MacKeyUnavailable { account: String, why: String },
    #[error("entry {0} is not a recorded checkpoint loss (see `audit verify`)")]
    NotALoss(i64),
    #[error("the checkpoint loss at entry {seq} was already acknowledged at entry {by_seq}")]
    AlreadyAcknowledged { seq: i64, by_seq: i64 },
}

impl From<AuditError> for Error {
    fn from(e: AuditError) -> Error {
        match e {
            AuditError::NoEntry(_) | AuditError::NotALoss(_) => Error::NotFound(e.to_string()),
            AuditError::AlreadyAcknowledged { .. } => Error::InvalidInput(e.to_string()),
            AuditError::MacKeyUnavailable { .. } => Error::Refused {
                code: "audit_key_unavailable".into(),
                message: e.to_string(),
            },
            _ => Error::Io(e.to_string()),
        }
    }
}

/// The OS user and host recorded with every entry.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".into())
}

/// Without USER in the environment (services, some sandboxes), the name of this process's uid in
/// /etc/passwd, so an audit entry still says who ran it.
#[cfg(unix)]
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        let id: u32 = f.next()?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(not(unix))]
fn user_from_passwd() -> Option<String> {
    None
}

pub fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Appends an entry inside the caller's write transaction, with its MAC under the log's key.
/// After the commit, call [`checkpoint`].
pub async fn record(conn: &mut SqliteConnection, draft: &AuditDraft) -> Result<AuditEntry> {
    debug_assert!(
        crate::domain::audit::ACTIONS.contains(&draft.action.as_str()),
        "audit action `{}` is not in domain::audit::ACTIONS (the UI labels every listed action)",
        draft.action
    );
    let head = store::audit::append_head(conn).await?;
    let e = store::audit::build_entry(draft, &store::now_text(), &os_user(), &host(), head.as_ref())?;
    let has_macs = head.as_ref().is_some_and(|h| h.has_mac);
    // The log is named by its first entry's hash: this entry's own, for a new log.
    let log_id = match &head {
        Some(h) => h.log_id.clone(),
        None => Some(e.hash.clone()),
    };
    let key = match log_id {
        Some(id) => mac_key_for_append(&id, has_macs, e.seq).await?,
        // Entry 1 is gone (a tampered log): `audit verify` names that; no key can be named.
        None => None,
    };
    let mac = key.as_ref().and_then(|k| k.mac_hex(&e.hash));
    store::audit::insert(conn, &e, mac.as_deref()).await?;
    Ok(e)
}

/// Log keys already read from the keychain (the Ed25519 key and the MAC key derived from it),
/// per log id, for the life of the process: one keychain round trip per log and process, not
/// one per entry or per checkpoint. A log's key never changes once made.
type LogKeys = (ed25519_dalek::SigningKey, MacKey);

fn log_keys() -> &'static Mutex<HashMap<String, LogKeys>> {
    static KEYS: OnceLock<Mutex<HashMap<String, LogKeys>>> = OnceLock::new();
    KEYS.get_or_init(Mutex::default)
}

fn cached_keys(log_id: &str) -> Option<LogKeys> {
    log_keys().lock().ok()?.get(log_id).cloned()
}

fn cache_keys(log_id: &str, key: &ed25519_dalek::SigningKey) -> MacKey {
    let mac = MacKey::derive(&key.to_bytes());
    if let Ok(mut m) = log_keys().lock() {
        m.insert(log_id.to_string(), (key.clone(), mac.clone()));
    }
    mac
}

/// The MAC key an append uses. The log's key (the checkpoint's Ed25519 seed) is created with
/// its first MAC'd entry when it has none yet, together with the keychain's head record saying
/// from which entry MACs are required. A log that already carries MACs is never continued
/// without its key: that entry could not be told from a forged one.
async fn mac_key_for_append(log_id: &str, log_has_macs: bool, next_seq: i64) -> Result<Option<MacKey>> {
    if let Some((_, k)) = cached_keys(log_id) {
        return Ok(Some(k));
    }
    let account = checkpoint::key_account(log_id);
    let unavailable = |why: String| {
        Error::from(AuditError::MacKeyUnavailable {
            account: account.clone(),
            why,
        })
    };
    let key = match keychain::get(&account).await {
        Ok(s) => checkpoint::decode_key(s.expose())
            .ok_or_else(|| unavailable("the keychain entry is not an audit key".into()))?,
        Err(KeychainError::NotFound(_)) if !log_has_macs => {
            let key = match create_signing_key(&account).await {
                Ok(k) => k,
                // A locked or refusing keychain: as when it is unreachable, the log goes on
                // without MACs (none of its entries has one yet) and verify says so.
                Err(e) => {
                    tracing::warn!("audit entry written without a MAC: the log's key could not be made: {e}");
                    return Ok(None);
                }
            };
            // Remember from which entry MACs start, unless the keychain already knows this log.
            if matches!(read_head(log_id).await, Ok(None)) {
                let head = AuditKeychainHead {
                    log_id: log_id.to_string(),
                    seq: 0,
                    hash: GENESIS.to_string(),
                    at: store::now_text(),
                    macs_from: Some(next_seq),
                };
                if let Err(e) = write_head(&head).await {
                    tracing::warn!("the audit head record was not written: {e}");
                }
            }
            key
        }
        Err(KeychainError::NotFound(_)) => return Err(unavailable("it is not in this keychain".into())),
        Err(e) if !log_has_macs => {
            // No entry of this log carries a MAC yet, so one without is no different from
            // the ones before; `audit verify` says the log is not MAC'd.
            tracing::warn!("audit entry written without a MAC: {e}");
            return Ok(None);
        }
        Err(e) => return Err(unavailable(e.to_string())),
    };
    Ok(Some(cache_keys(log_id, &key)))
}

/// The MAC key of a log being written in bulk outside `record` (the benchmark's generator):
/// made with the log's key if there is none, exactly as its first `record` would.
pub async fn mac_key_for_new_log(log_id: &str) -> Result<Option<MacKey>> {
    mac_key_for_append(log_id, false, 1).await
}

/// A new random Ed25519 key stored under `account`; if another process created one at the same
/// moment, the one the keychain kept.
async fn create_signing_key(account: &str) -> Result<ed25519_dalek::SigningKey> {
    use rand::RngCore;
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(&mut *seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    keychain::set(account, Secret::new(checkpoint::encode_key(&key))).await?;
    checkpoint::decode_key(keychain::get(account).await?.expose()).ok_or_else(|| {
        Error::from(AuditError::CheckpointConflict(format!(
            "the keychain entry {account} is not an audit signing key"
        )))
    })
}

/// What the keychain remembers of a log next to its key: the last head a checkpoint signed,
/// and from which entry every entry must carry a MAC. A database and checkpoint file restored
/// together from an older copy cannot take the keychain back with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditKeychainHead {
    pub log_id: String,
    /// 0 when the key was made and no checkpoint signed yet.
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub macs_from: Option<i64>,
}

/// The keychain account of a log's head record.
pub fn head_account(log_id: &str) -> String {
    format!("audit-head:{}", &log_id[..log_id.len().min(32)])
}

/// The keychain account naming the log that lives at a database path (its canonical form), so a
/// whole log replaced by another at the same path is named.
pub fn path_account(db: &Path) -> String {
    use sha2::{Digest, Sha256};
    let p = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let digest = Sha256::digest(p.as_os_str().as_encoded_bytes());
    format!("audit-log:{}", &hex::encode(digest)[..32])
}

async fn read_head(log_id: &str) -> std::result::Result<Option<AuditKeychainHead>, KeychainError> {
    match keychain::get(&head_account(log_id)).await {
        Ok(s) => Ok(serde_json::from_str(s.expose()).ok()),
        Err(KeychainError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn write_head(h: &AuditKeychainHead) -> std::result::Result<(), KeychainError> {
    let text = serde_json::to_string(h).unwrap_or_default();
    keychain::set(&head_account(&h.log_id), Secret::new(text)).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PathRecord {
    log_id: String,
    path: String,
}

async fn read_path_log(db: &Path) -> std::result::Result<Option<String>, KeychainError> {
    match keychain::get(&path_account(db)).await {
        // An empty log id: the path was deliberately reset (`forget_log_at`).
        Ok(s) => Ok(serde_json::from_str::<PathRecord>(s.expose())
            .ok()
            .map(|r| r.log_id)
            .filter(|l| !l.is_empty())),
        Err(KeychainError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn write_path_log(db: &Path, log_id: &str) -> std::result::Result<(), KeychainError> {
    let r = PathRecord {
        log_id: log_id.to_string(),
        path: std::fs::canonicalize(db)
            .unwrap_or_else(|_| db.to_path_buf())
            .display()
            .to_string(),
    };
    keychain::set(
        &path_account(db),
        Secret::new(serde_json::to_string(&r).unwrap_or_default()),
    )
    .await
}

/// Forgets which log lives at `db`, for a caller that deliberately replaces the database with a
/// new one (the demo, which starts fresh at each launch): the new log is then not reported as a
/// replacement. Overwritten rather than deleted, so the record's history stays one entry.
pub async fn forget_log_at(db: &Path) -> Result<()> {
    write_path_log(db, "").await?;
    Ok(())
}

/// Everything the keychain says about a log, read before the checkpoint file and the database
/// (a writer updates the database, then the file, then the keychain: read in the other order,
/// each is at least as new as the one before).
struct KeychainView {
    /// The log's Ed25519 key; `Err` when the keychain could not say.
    key: std::result::Result<Option<ed25519_dalek::SigningKey>, String>,
    head: std::result::Result<Option<AuditKeychainHead>, String>,
    /// The log the keychain recorded at this database's path.
    path_log: std::result::Result<Option<String>, String>,
}

impl KeychainView {
    /// `fresh`: read the key from the keychain even if this process has it (verify reports
    /// what the keychain holds now); otherwise a key this process already read is used.
    async fn read(db: &Path, log_id: &str, fresh: bool) -> KeychainView {
        let cached = if fresh { None } else { cached_keys(log_id) };
        let key = match cached {
            Some((k, _)) => Ok(Some(k)),
            None => match keychain::get(&checkpoint::key_account(log_id)).await {
                Ok(s) => checkpoint::decode_key(s.expose())
                    .map(Some)
                    .ok_or_else(|| "the keychain's signing key for this log is damaged".to_string()),
                Err(KeychainError::NotFound(_)) => Ok(None),
                Err(e) => Err(e.to_string()),
            },
        };
        if let Ok(Some(k)) = &key {
            cache_keys(log_id, k);
        }
        KeychainView {
            key,
            head: read_head(log_id).await.map_err(|e| e.to_string()),
            path_log: read_path_log(db).await.map_err(|e| e.to_string()),
        }
    }

    fn mac_key(&self) -> Option<MacKey> {
        self.key
            .as_ref()
            .ok()
            .and_then(|k| k.as_ref())
            .map(|k| MacKey::derive(&k.to_bytes()))
    }

    fn head(&self) -> Option<&AuditKeychainHead> {
        self.head.as_ref().ok().and_then(|h| h.as_ref())
    }

    fn macs_from(&self) -> Option<i64> {
        self.head().and_then(|h| h.macs_from)
    }
}

/// A checkpoint the keychain says was signed but that the file no longer shows.
#[derive(Debug, Clone)]
struct Loss {
    why: &'static str,
    message: String,
    expected: serde_json::Value,
    found: serde_json::Value,
}

/// Whether the checkpoint was lost: the keychain recorded a signed head (or, for a log from
/// before head records, holds its key, which was then made at the first checkpoint), and the
/// file is missing, unreadable, another log's, or older than that head; or the keychain
/// recorded another log at this path.
fn detect_loss(
    log_id: &str,
    kc: &KeychainView,
    recorded_elsewhere: Option<&AuditKeychainHead>,
    cp: &std::result::Result<Option<AuditCheckpoint>, AuditError>,
) -> Option<Loss> {
    let head_json = |h: &AuditKeychainHead| serde_json::json!({"log_id": h.log_id, "seq": h.seq, "hash": h.hash, "signed_at": h.at});
    let cp_json =
        |c: &AuditCheckpoint| serde_json::json!({"log_id": c.log_id, "seq": c.seq, "hash": c.hash, "signed_at": c.at});
    if let Ok(Some(other)) = &kc.path_log {
        if other != log_id {
            return Some(Loss {
                why: "log_replaced",
                message: format!(
                    "the keychain recorded log {} at this path, but the database now holds log {}: the whole log was replaced",
                    short(other),
                    short(log_id)
                ),
                expected: recorded_elsewhere
                    .map(head_json)
                    .unwrap_or_else(|| serde_json::json!({"log_id": other})),
                found: serde_json::json!({"log_id": log_id}),
            });
        }
    }
    let expected = match (kc.head(), &kc.key) {
        (Some(h), _) if h.seq > 0 => head_json(h),
        (None, Ok(Some(_))) if matches!(kc.head, Ok(None)) => {
            serde_json::json!({"log_id": log_id, "note": "the log's key is in the keychain; before head records, keys were made at a log's first checkpoint"})
        }
        _ => return None,
    };
    let exp_seq = kc.head().map_or(0, |h| h.seq);
    let (why, message, found) = match cp {
        Err(e) => ("checkpoint_unreadable", e.to_string(), serde_json::json!({"error": e.to_string()})),
        Ok(None) => (
            "checkpoint_missing",
            "the checkpoint file is missing, but the keychain says a checkpoint was signed".to_string(),
            serde_json::json!({"checkpoint": null}),
        ),
        Ok(Some(c)) if c.log_id != log_id => (
            "checkpoint_other_log",
            format!("the checkpoint file belongs to log {}, not to this log", short(&c.log_id)),
            serde_json::json!({"checkpoint": cp_json(c)}),
        ),
        Ok(Some(c)) if c.seq < exp_seq => (
            "checkpoint_older",
            format!(
                "the checkpoint file names entry {}, but the keychain recorded a signed head at entry {exp_seq}: the checkpoint (and maybe the database) was rolled back",
                c.seq
            ),
            serde_json::json!({"checkpoint": cp_json(c)}),
        ),
        Ok(Some(c)) if c.seq == exp_seq && kc.head().is_some_and(|h| h.hash != c.hash) => (
            "checkpoint_differs",
            format!("the checkpoint file's hash at entry {} is not the one the keychain recorded", c.seq),
            serde_json::json!({"checkpoint": cp_json(c)}),
        ),
        Ok(Some(_)) => return None,
    };
    Some(Loss {
        why,
        message,
        expected,
        found,
    })
}

/// Whether the log's latest recorded loss is this one (same expectation, same finding), so a
/// writer that could not sign after recording it does not record it again at every write.
fn already_recorded(latest: Option<&AuditEntry>, loss: &Loss) -> bool {
    let Some(e) = latest else { return false };
    let Ok(d) = serde_json::from_str::<serde_json::Value>(&e.detail) else {
        return false;
    };
    d.get("why").and_then(|v| v.as_str()) == Some(loss.why)
        && d.get("expected") == Some(&loss.expected)
        && d.get("found") == Some(&loss.found)
}

/// Where a database's checkpoint lives: beside it, outside it.
pub fn checkpoint_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".checkpoint.json");
    PathBuf::from(s)
}

fn lock_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".checkpoint.lock");
    PathBuf::from(s)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Io(format!("a background task failed: {e}")))?
}

/// Writes a file so that it is either wholly there or not at all: a temp file in the same
/// folder, synced, then renamed over the name.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::result::Result<(), AuditError> {
    let err = |source| AuditError::Write {
        path: path.display().to_string(),
        source,
    };
    let (mut f, tmp) = create_temp_beside(path).map_err(err)?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    sync_dir(path);
    Ok(())
}

/// Creates a new hidden temp file in the same folder (a rename across file systems is not
/// atomic), readable by the user only. Its name is random and it is opened with O_EXCL
/// (`create_new`), which never follows a symlink: a link planted under a guessable name is not
/// written through, it just makes this try another name.
pub(crate) fn create_temp_beside(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    use rand::RngCore;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = None;
    for _ in 0..16 {
        let tag = rand::rngs::OsRng.next_u64();
        let tmp = path.with_file_name(format!(".{name}.partial-{}-{tag:016x}", std::process::id()));
        match private_file_options().open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp name")))
}

/// Options for a new file only its owner can read (0600 on Unix), never an existing one.
pub(crate) fn private_file_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Makes a rename durable (the directory entry), where the OS allows opening a directory.
pub(crate) fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Reads a checkpoint file; `Ok(None)` when there is none.
pub fn read_checkpoint(path: &Path) -> std::result::Result<Option<AuditCheckpoint>, AuditError> {
    let unreadable = |why: String| AuditError::CheckpointUnreadable {
        path: path.display().to_string(),
        why,
    };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| unreadable(format!("not a checkpoint: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(e.to_string())),
    }
}

/// What `write_checkpoint` did.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditCheckpointWritten {
    /// `None` for an empty log: nothing to checkpoint.
    pub checkpoint: Option<AuditCheckpoint>,
    /// The sequence number the previous checkpoint had.
    pub previous_seq: Option<i64>,
    /// False when the checkpoint already named the head.
    pub advanced: bool,
    pub path: String,
}

/// Signs the log's head into the checkpoint file, after checking that the log still extends
/// the previous checkpoint (same log, nothing deleted, every new entry linked, intact and
/// carrying the key's MAC). When the keychain says a checkpoint was signed that the file no
/// longer shows (deleted, unreadable, rolled back, another log at this path), it first appends a
/// `checkpoint_lost` entry saying what was expected and what was found, so that signing the new
/// head never hides the loss: `audit verify` reports it until a reviewer acknowledges it. After
/// the file, the keychain's head record (and the path's log) are updated.
pub async fn write_checkpoint(app: &App) -> Result<AuditCheckpointWritten> {
    let db = app.db_path.clone();
    let cp_path = checkpoint_path(&db);
    let path = cp_path.display().to_string();
    // One writer at a time per database (the desktop app and a CLI may both append), so a
    // slower writer can never replace a newer checkpoint with an older one.
    let lock = {
        let lp = lock_path(&db);
        blocking(move || {
            let mut o = std::fs::OpenOptions::new();
            o.create(true).truncate(false).write(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            let f = o
                .open(&lp)
                .map_err(|e| Error::Io(format!("cannot open {}: {e}", lp.display())))?;
            f.lock()
                .map_err(|e| Error::Io(format!("cannot lock {}: {e}", lp.display())))?;
            Ok(f)
        })
        .await?
    };
    let conflict = |m: String| Error::from(AuditError::CheckpointConflict(m));
    // Which log this is, then what the keychain remembers, then the file.
    let (head0, first) = {
        let db = db.clone();
        blocking(move || {
            let reader = LogReader::open(&db)?;
            reader.snapshot(|s| -> Result<_> { Ok((s.head()?, s.hash_at(1)?)) })
        })
        .await?
    };
    let previous_seq_of = |c: &std::result::Result<Option<AuditCheckpoint>, AuditError>| {
        c.as_ref().ok().and_then(|c| c.as_ref()).map(|c| c.seq)
    };
    if head0.is_none() {
        let existing = read_checkpoint(&cp_path)?;
        drop(lock);
        return Ok(AuditCheckpointWritten {
            previous_seq: existing.as_ref().map(|c| c.seq),
            checkpoint: existing,
            advanced: false,
            path,
        });
    }
    let log_id = first.ok_or_else(|| conflict("entry 1 of the audit log is missing".into()))?;
    let kc = KeychainView::read(&db, &log_id, false).await;
    let cp_read = read_checkpoint(&cp_path);
    let previous_seq = previous_seq_of(&cp_read);
    let recorded_elsewhere = match &kc.path_log {
        Ok(Some(other)) if *other != log_id => read_head(other).await.ok().flatten(),
        _ => None,
    };
    let loss = detect_loss(&log_id, &kc, recorded_elsewhere.as_ref(), &cp_read);
    if let Some(l) = &loss {
        record_loss(app, l).await?;
    }
    // From where the log must be re-verified: the file's checkpoint when it is trusted; after a
    // loss, the keychain's head if the log still holds it unchanged, else the whole log.
    let existing = match (&loss, cp_read) {
        (None, r) => r?,
        (Some(_), _) => None,
    };
    let from_cp = existing.as_ref().map(|c| (c.seq, c.hash.clone()));
    let from_head = match (&loss, kc.head()) {
        (Some(_), Some(h)) if h.seq > 0 && h.log_id == log_id => Some((h.seq, h.hash.clone())),
        _ => None,
    };
    let mac_key = kc.mac_key();
    let macs_from = kc.macs_from();
    let state = blocking(move || {
        let reader = LogReader::open(&db)?;
        reader.snapshot(|s| -> Result<_> {
            let head = s.head()?;
            let at_checkpoint = match &from_cp {
                Some((seq, _)) => s.hash_at(*seq)?,
                None => None,
            };
            let start = match (&from_cp, &from_head) {
                (Some((seq, hash)), _) if at_checkpoint.as_deref() == Some(hash.as_str()) => {
                    ChainVerifier::resume(*seq, hash).map(|v| (v, *seq))
                }
                (Some(_), _) => None,
                (None, Some((seq, hash))) if s.hash_at(*seq)?.as_deref() == Some(hash.as_str()) => {
                    ChainVerifier::resume(*seq, hash).map(|v| (v, *seq))
                }
                (None, _) => Some((ChainVerifier::new(ChainMode::Complete), 0)),
            };
            // Verify what the new checkpoint will vouch for and the old one did not.
            let mut problem = None;
            let mut first_mac = None;
            if let Some((mut v, after)) = start {
                v.set_relocation_bound(head.as_ref().map_or(0, |h| h.0));
                v.set_macs(mac_key, macs_from);
                s.walk(after, &AuditFilter::default(), &mut |r| {
                    let step = r.map_err(bad_row).and_then(|e| v.push(e));
                    match step {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(p) => {
                            problem = Some(p);
                            ControlFlow::Break(())
                        }
                    }
                })?;
                first_mac = v.first_mac();
            }
            Ok((head, at_checkpoint, problem, first_mac))
        })
    })
    .await?;
    let (head, at_checkpoint, problem, first_mac) = state;
    let Some((head_seq, head_hash)) = head else {
        return Err(conflict("the audit log became empty".into()));
    };
    if let Some(cp) = &existing {
        if cp.log_id != log_id {
            return Err(conflict(format!(
                "{path} belongs to another log (or entry 1 was changed): it names log {}, this log is {}",
                short(&cp.log_id),
                short(&log_id)
            )));
        }
        if cp.seq > head_seq {
            return Err(conflict(format!(
                "the checkpoint vouches for entries up to {}, but the log ends at {head_seq}",
                cp.seq
            )));
        }
        if at_checkpoint.as_deref() != Some(cp.hash.as_str()) {
            return Err(conflict(format!(
                "entry {}'s hash differs from the signed checkpoint's",
                cp.seq
            )));
        }
    }
    if let Some(p) = problem {
        return Err(conflict(p.message));
    }
    let macs_from = macs_from.or(first_mac);
    if let Some(cp) = existing.as_ref().filter(|c| c.seq == head_seq) {
        // The file already names the head; make sure the keychain says so too.
        remember_head(&app.db_path, &log_id, cp, macs_from, &kc).await;
        return Ok(AuditCheckpointWritten {
            checkpoint: Some(cp.clone()),
            previous_seq,
            advanced: false,
            path,
        });
    }
    let key = match &kc.key {
        Ok(Some(k)) => k.clone(),
        _ => signing_key(&log_id, existing.is_none()).await?,
    };
    if let Some(cp) = &existing {
        checkpoint::check(cp, &key.verifying_key()).map_err(|e| conflict(e.to_string()))?;
    }
    let cp = checkpoint::sign(&key, &log_id, head_seq, &head_hash, &store::now_text());
    let bytes = serde_json::to_vec_pretty(&cp).map_err(|e| Error::Io(format!("cannot encode the checkpoint: {e}")))?;
    write_atomic(&cp_path, &bytes)?;
    remember_head(&app.db_path, &log_id, &cp, macs_from, &kc).await;
    drop(lock);
    Ok(AuditCheckpointWritten {
        checkpoint: Some(cp),
        previous_seq,
        advanced: true,
        path,
    })
}

/// After the checkpoint file: the keychain's head record and the log at this path. A failure is
/// a warning (the file is written); `audit verify` then reports what it could not prove.
async fn remember_head(db: &Path, log_id: &str, cp: &AuditCheckpoint, macs_from: Option<i64>, kc: &KeychainView) {
    let head = AuditKeychainHead {
        log_id: log_id.to_string(),
        seq: cp.seq,
        hash: cp.hash.clone(),
        at: cp.at.clone(),
        macs_from,
    };
    if kc.head() != Some(&head) {
        if let Err(e) = write_head(&head).await {
            tracing::warn!("the keychain's audit head was not updated: {e}");
            eprintln!("warning: the keychain's audit head was not updated: {e}");
        }
    }
    if !matches!(&kc.path_log, Ok(Some(l)) if l == log_id) {
        if let Err(e) = write_path_log(db, log_id).await {
            tracing::warn!("the keychain's record of this database's log was not updated: {e}");
        }
    }
}

/// Appends the `checkpoint_lost` entry, unless the log's latest one records this very loss.
async fn record_loss(app: &App, loss: &Loss) -> Result<()> {
    let mut tx = store::write_tx(&app.pool).await?;
    let latest = {
        let db = app.db_path.clone();
        blocking(move || {
            let reader = LogReader::open(&db)?;
            let f = AuditFilter {
                action: Some(LOSS_ACTION.into()),
                ..Default::default()
            };
            Ok(reader.snapshot(|s| s.page(&f, None, 1, true))?)
        })
        .await?
    };
    if already_recorded(latest.first(), loss) {
        return Ok(());
    }
    let head = store::audit::append_head(&mut tx).await?;
    let last = head.as_ref().map_or(0, |h| h.seq);
    let message = format!(
        "{}. Entries 1 to {last} are not proven by a checkpoint: whatever was removed, rolled back or replaced before this entry cannot be shown. A reviewer acknowledges it with `replay-console audit acknowledge {} --reviewer NAME --reason TEXT`.",
        loss.message,
        last + 1
    );
    record(
        &mut tx,
        &AuditDraft {
            action: LOSS_ACTION.into(),
            actor: os_user(),
            outcome: Some("unproven".into()),
            detail: serde_json::json!({
                "why": loss.why,
                "message": message,
                "expected": loss.expected,
                "found": loss.found,
                "log_head": head.as_ref().map(|h| serde_json::json!({"seq": h.seq, "hash": h.hash})),
                "unproven": {"first": 1, "last": last},
                "checkpoint": checkpoint_path(&app.db_path).display().to_string(),
            }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    tracing::warn!("{message}");
    eprintln!("warning: audit checkpoint lost: {message}");
    Ok(())
}

pub const LOSS_ACTION: &str = "checkpoint_lost";
pub const ACK_ACTION: &str = "checkpoint_loss_acknowledged";

/// The log's signing key from the keychain; created when `may_create` (the log's first
/// checkpoint) and there is none.
async fn signing_key(log_id: &str, may_create: bool) -> Result<ed25519_dalek::SigningKey> {
    let account = checkpoint::key_account(log_id);
    let decode = |s: Secret| {
        checkpoint::decode_key(s.expose()).ok_or_else(|| {
            Error::from(AuditError::CheckpointConflict(format!(
                "the keychain entry {account} is not an audit signing key"
            )))
        })
    };
    match keychain::get(&account).await {
        Ok(s) => decode(s),
        Err(KeychainError::NotFound(_)) if may_create => create_signing_key(&account).await,
        Err(KeychainError::NotFound(_)) => Err(AuditError::CheckpointConflict(format!(
            "the checkpoint's signing key ({account}) is missing from the keychain"
        ))
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// Called by every service after it commits audit entries. Never fails the caller's operation
/// (that is committed already); when the checkpoint cannot be advanced it says so on stderr
/// and in the log, and `audit verify` reports the entries the checkpoint does not cover.
pub async fn checkpoint(app: &App) {
    if let Err(e) = write_checkpoint(app).await {
        tracing::warn!("audit checkpoint not written: {e}");
        eprintln!("warning: audit checkpoint not written: {}", e.to_string().trim_end());
    }
}

fn short(h: &str) -> &str {
    &h[..h.len().min(16)]
}

fn bad_row(b: store::audit::BadRow) -> AuditProblem {
    AuditProblem {
        kind: AuditProblemKind::ContentChanged,
        seq: b.seq,
        message: b.message,
    }
}

/// Fails when the append-only triggers are missing or hollow. `App::open` calls it: a console
/// that kept appending to an unprotected log would bury the evidence of what happened to it.
pub async fn require_triggers(pool: &sqlx::SqlitePool) -> Result<()> {
    let missing = store::audit::missing_triggers(pool).await?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AuditError::TriggersMissing(missing.join(", ")).into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum AuditCheckpointState {
    /// Signature valid under this keychain's key; the log holds the entry it names, unchanged.
    Valid,
    /// The checkpoint and the log disagree, or the signature does not hold.
    Mismatch,
    /// This log's key is in the keychain, so a checkpoint was written, but the file is gone.
    Missing,
    /// No checkpoint and no key: nothing to check against (a new log, or one from elsewhere).
    Absent,
    /// The file agrees with the log, but its signature could not be checked (no keychain, or
    /// the key is not in this keychain).
    Unchecked,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditCheckpointCheck {
    pub state: AuditCheckpointState,
    pub path: String,
    pub seq: Option<i64>,
    pub hash: Option<String>,
    pub at: Option<String>,
    pub key_id: Option<String>,
    pub message: String,
}

/// A checkpoint loss the log records (`checkpoint_lost`), and its acknowledgment if any.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditLoss {
    /// The `checkpoint_lost` entry.
    pub seq: i64,
    pub at: String,
    /// `checkpoint_missing`, `checkpoint_unreadable`, `checkpoint_older`, `checkpoint_other_log`,
    /// `checkpoint_differs`, `log_replaced`.
    pub why: String,
    pub message: String,
    /// Entries 1 to this one are not proven by a checkpoint.
    pub unproven_last: i64,
    pub acknowledged: Option<AuditLossAck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditLossAck {
    /// The `checkpoint_loss_acknowledged` entry.
    pub seq: i64,
    pub at: String,
    pub reviewer: String,
    pub reason: String,
}

/// `audit verify`'s answer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditVerifyReport {
    /// Nothing wrong was found. What could not be proven is in `not_proven`.
    pub ok: bool,
    /// Entries read.
    pub entries: u64,
    /// The range whose content and links were verified (before the first bad entry, if any).
    pub verified_first: Option<i64>,
    pub verified_last: Option<i64>,
    /// The hash of `verified_last`.
    pub verified_hash: Option<String>,
    /// The log's last entry as stored.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The first bad entry comes first; then checkpoint, keychain, loss and trigger problems.
    pub problems: Vec<AuditProblem>,
    pub checkpoint: AuditCheckpointCheck,
    pub triggers_missing: Vec<String>,
    /// From which entry every entry must carry a MAC (the keychain's record, or the first MAC
    /// seen); `None`: no entry carries one.
    pub macs_from: Option<i64>,
    /// MACs checked against the log's key (0 without the key).
    pub macs_checked: u64,
    /// The head the keychain recorded at the last checkpoint.
    pub keychain_head: Option<AuditKeychainHead>,
    /// Every checkpoint loss the log records, acknowledged or not.
    pub losses: Vec<AuditLoss>,
    /// What this run could not prove, in words.
    pub not_proven: Vec<String>,
    pub elapsed_ms: u64,
}

impl AuditVerifyReport {
    pub fn first_problem(&self) -> Option<&AuditProblem> {
        self.problems.first()
    }
}

struct Walk {
    triggers_missing: Vec<String>,
    head: Option<(i64, String)>,
    first: Option<String>,
    at_checkpoint: Option<String>,
    at_keychain_head: Option<String>,
    verified: Option<crate::domain::audit::Verified>,
    entries: u64,
    problem: Option<AuditProblem>,
    first_mac: Option<i64>,
    macs_checked: u64,
    loss_entries: Vec<AuditEntry>,
    ack_entries: Vec<AuditEntry>,
    cancelled: bool,
}

/// Walks the whole chain (hashes, links, MACs) in one read transaction, then checks the
/// checkpoint against it and both against what the keychain remembers.
pub async fn verify(app: &App, progress: Arc<dyn Progress>) -> Result<AuditVerifyReport> {
    let started = std::time::Instant::now();
    let cp_path = checkpoint_path(&app.db_path);
    // Which log (entry 1 never changes legitimately), then the keychain, then the file, then the
    // database snapshot: writers update them in the opposite order, so none of these names a
    // head the next one cannot see.
    let log_id = {
        let db = app.db_path.clone();
        blocking(move || Ok(LogReader::open(&db)?.snapshot(|s| s.hash_at(1))?)).await?
    };
    let kc = match &log_id {
        Some(id) => Some(KeychainView::read(&app.db_path, id, true).await),
        None => None,
    };
    let cp_read = read_checkpoint(&cp_path);
    let cp_seq = cp_read.as_ref().ok().and_then(|c| c.as_ref()).map(|c| c.seq);
    let kc_seq = kc.as_ref().and_then(|k| k.head()).map(|h| h.seq).filter(|s| *s > 0);
    let mac_key = kc.as_ref().and_then(|k| k.mac_key());
    let macs_from = kc.as_ref().and_then(|k| k.macs_from());
    let db = app.db_path.clone();
    let w = blocking(move || {
        let reader = LogReader::open(&db)?;
        reader.snapshot(|s| -> Result<Walk> {
            let triggers_missing = s.missing_triggers()?;
            let head = s.head()?;
            let first = s.hash_at(1)?;
            let at_checkpoint = match cp_seq {
                Some(q) => s.hash_at(q)?,
                None => None,
            };
            let at_keychain_head = match kc_seq {
                Some(q) => s.hash_at(q)?,
                None => None,
            };
            let by_action = |a: &str| {
                let f = AuditFilter {
                    action: Some(a.into()),
                    ..Default::default()
                };
                s.page(&f, None, MAX_PAGE * 10, false)
            };
            let loss_entries = by_action(LOSS_ACTION)?;
            let ack_entries = by_action(ACK_ACTION)?;
            let total = head.as_ref().map_or(0, |h| h.0.max(0) as u64);
            let mut v = ChainVerifier::new(ChainMode::Complete);
            v.set_relocation_bound(head.as_ref().map_or(0, |h| h.0));
            v.set_macs(mac_key, macs_from);
            let mut problem = None;
            let mut cancelled = false;
            let mut n = 0u64;
            s.walk(0, &AuditFilter::default(), &mut |r| {
                if let Err(p) = r.map_err(bad_row).and_then(|e| v.push(e)) {
                    problem = Some(p);
                    return ControlFlow::Break(());
                }
                n += 1;
                if n.is_multiple_of(65536) {
                    progress.report(n, total);
                    if progress.cancelled() {
                        cancelled = true;
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            })?;
            progress.report(total, total);
            Ok(Walk {
                triggers_missing,
                head,
                first,
                at_checkpoint,
                at_keychain_head,
                verified: v.verified(),
                entries: n + u64::from(problem.is_some()),
                problem,
                first_mac: v.first_mac(),
                macs_checked: v.macs_checked(),
                loss_entries,
                ack_entries,
                cancelled,
            })
        })
    })
    .await?;
    if w.cancelled {
        return Err(Error::Cancelled("audit verify; nothing was proven".into()));
    }
    let mut problems: Vec<AuditProblem> = w.problem.iter().cloned().collect();
    let mut not_proven = Vec::new();
    let checkpoint = check_checkpoint(&cp_path, cp_read, &w, kc.as_ref(), &mut problems, &mut not_proven);
    if let Some(kc) = &kc {
        check_keychain_head(kc, &w, log_id.as_deref().unwrap_or(""), &mut problems, &mut not_proven);
    }
    let losses = judge_losses(&w, &mut problems, &mut not_proven);
    let macs_from = macs_from.or(w.first_mac);
    match (macs_from, w.macs_checked, &mac_key_state(kc.as_ref())) {
        (None, _, _) => not_proven.push(
            "no entry carries a MAC (a log written before MACs, or without a keychain): an entry appended with SQL and a correct hash would be detected only by the checkpoint".into(),
        ),
        (Some(f), _, Some(why)) => not_proven.push(format!(
            "entries carry MACs from entry {f}, but they were not checked: {why}"
        )),
        (Some(f), _, None) if f > 1 => not_proven.push(format!(
            "entries carry MACs from entry {f}; entries 1 to {} were written before MACs and are protected by the chain and the checkpoint only",
            f - 1
        )),
        _ => {}
    }
    if !w.triggers_missing.is_empty() {
        problems.push(AuditProblem {
            kind: AuditProblemKind::TriggersMissing,
            seq: None,
            message: format!(
                "the append-only triggers are missing or altered ({}): the database was changed outside the console",
                w.triggers_missing.join(", ")
            ),
        });
    }
    if w.problem.is_some() {
        not_proven.push("entries after the first bad one were not checked".into());
    }
    Ok(AuditVerifyReport {
        ok: problems.is_empty(),
        entries: w.entries,
        verified_first: w.verified.as_ref().map(|v| v.first),
        verified_last: w.verified.as_ref().map(|v| v.last),
        verified_hash: w.verified.as_ref().map(|v| v.head_hash.clone()),
        head_seq: w.head.as_ref().map(|h| h.0),
        head_hash: w.head.clone().map(|h| h.1),
        problems,
        checkpoint,
        triggers_missing: w.triggers_missing,
        macs_from,
        macs_checked: w.macs_checked,
        keychain_head: kc.as_ref().and_then(|k| k.head().cloned()),
        losses,
        not_proven,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// Why MACs could not be checked, if they could not.
fn mac_key_state(kc: Option<&KeychainView>) -> Option<String> {
    match kc.map(|k| &k.key) {
        None => Some("entry 1 is missing, so the log's key cannot be named".into()),
        Some(Ok(Some(_))) => None,
        Some(Ok(None)) => Some("the log's key is not in this keychain (another machine or user?)".into()),
        Some(Err(e)) => Some(format!("the keychain is unavailable: {e}")),
    }
}

/// The database and the checkpoint against the head the keychain recorded, and the log at this
/// path against the one the keychain recorded there.
fn check_keychain_head(
    kc: &KeychainView,
    w: &Walk,
    log_id: &str,
    problems: &mut Vec<AuditProblem>,
    not_proven: &mut Vec<String>,
) {
    match &kc.path_log {
        Ok(Some(other)) if other != log_id => problems.push(AuditProblem {
            kind: AuditProblemKind::LogReplaced,
            seq: None,
            message: format!(
                "the keychain recorded log {} at this path, but the database holds log {}: the whole log was replaced (or entry 1 changed)",
                short(other),
                short(log_id)
            ),
        }),
        Ok(Some(_)) => {}
        Ok(None) => not_proven.push(
            "the keychain has no record of which log lives at this path (no checkpoint made here yet): a whole log replaced by another would not be named".into(),
        ),
        Err(e) => not_proven.push(format!(
            "which log lives at this path (keychain unavailable: {e}): a replaced log would not be named"
        )),
    }
    let head = match &kc.head {
        Ok(Some(h)) => h,
        Ok(None) => {
            if w.head.is_some() {
                not_proven.push(
                    "the keychain holds no head record for this log (made at the next checkpoint): the database and its checkpoint rolled back together would not be detected".into(),
                );
            }
            return;
        }
        Err(e) => {
            not_proven.push(format!(
                "the keychain's head record (unavailable: {e}): a rollback of the database with its checkpoint would not be detected"
            ));
            return;
        }
    };
    if head.seq <= 0 {
        return;
    }
    let db_head = w.head.as_ref().map_or(0, |h| h.0);
    if db_head < head.seq {
        problems.push(AuditProblem {
            kind: AuditProblemKind::RolledBack,
            seq: Some(db_head + 1),
            message: format!(
                "the keychain recorded a signed head at entry {} ({}), but the log ends at entry {db_head}: entries {} to {} were removed, or an older copy of the database was restored",
                head.seq,
                short(&head.hash),
                db_head + 1,
                head.seq
            ),
        });
    } else if w.at_keychain_head.as_deref() != Some(head.hash.as_str()) {
        problems.push(AuditProblem {
            kind: AuditProblemKind::RolledBack,
            seq: Some(head.seq),
            message: format!(
                "entry {}'s hash is not the one the keychain recorded when it was signed: the log was rolled back and written again, or rewritten",
                head.seq
            ),
        });
    }
}

/// Every recorded loss: unacknowledged ones are problems (exit 1), acknowledged ones stay in
/// the report as unproven ranges. An acknowledgment counts only if its own entry verified.
fn judge_losses(w: &Walk, problems: &mut Vec<AuditProblem>, not_proven: &mut Vec<String>) -> Vec<AuditLoss> {
    let verified_last = w.verified.as_ref().map_or(0, |v| v.last);
    let losses = losses_from(&w.loss_entries, &w.ack_entries, verified_last);
    for l in &losses {
        match &l.acknowledged {
            None => problems.push(AuditProblem {
                kind: AuditProblemKind::CheckpointLost,
                seq: Some(l.seq),
                message: format!(
                    "{} (not acknowledged; `audit acknowledge {} --reviewer NAME --reason TEXT`)",
                    l.message, l.seq
                ),
            }),
            Some(a) => not_proven.push(format!(
                "entries 1 to {}: the checkpoint was lost before entry {} ({}); acknowledged by {} at entry {}: {}",
                l.unproven_last, l.seq, l.why, a.reviewer, a.seq, a.reason
            )),
        }
    }
    losses
}

fn losses_from(loss_entries: &[AuditEntry], ack_entries: &[AuditEntry], acks_verified_upto: i64) -> Vec<AuditLoss> {
    loss_entries
        .iter()
        .map(|e| {
            let d: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let acknowledged = ack_entries
                .iter()
                .filter(|a| a.seq > e.seq && a.seq <= acks_verified_upto)
                .find(|a| {
                    let ad: serde_json::Value = serde_json::from_str(&a.detail).unwrap_or_default();
                    ad.get("lost_seq").and_then(|v| v.as_i64()) == Some(e.seq)
                        && ad.get("lost_hash").and_then(|v| v.as_str()) == Some(e.hash.as_str())
                })
                .map(|a| AuditLossAck {
                    seq: a.seq,
                    at: a.at.clone(),
                    reviewer: a.actor.clone(),
                    reason: a.reason.clone().unwrap_or_default(),
                });
            AuditLoss {
                seq: e.seq,
                at: e.at.clone(),
                why: text("why"),
                message: text("message"),
                unproven_last: d
                    .get("unproven")
                    .and_then(|u| u.get("last"))
                    .and_then(|v| v.as_i64())
                    .unwrap_or(e.seq - 1),
                acknowledged,
            }
        })
        .collect()
}

/// The checkpoint losses the log records, as recorded (not verified: `audit verify` does that),
/// for the window's standing alert. Served by the `action` index.
pub async fn losses(app: &App) -> Result<Vec<AuditLoss>> {
    let db = app.db_path.clone();
    blocking(move || {
        let reader = LogReader::open(&db)?;
        reader.snapshot(|s| -> Result<_> {
            let by_action = |a: &str| {
                let f = AuditFilter {
                    action: Some(a.into()),
                    ..Default::default()
                };
                s.page(&f, None, MAX_PAGE * 10, false)
            };
            let (l, a) = (by_action(LOSS_ACTION)?, by_action(ACK_ACTION)?);
            Ok(losses_from(&l, &a, i64::MAX))
        })
    })
    .await
}

/// A reviewer's acknowledgment of a recorded checkpoint loss, itself an audit entry: after it,
/// `audit verify` no longer fails for that loss but still reports the unproven range.
pub async fn acknowledge(app: &App, seq: i64, reviewer: &str, reason: &str) -> Result<AuditLoss> {
    let (reviewer, reason) = (reviewer.trim(), reason.trim());
    if reviewer.is_empty() || reason.is_empty() {
        return Err(Error::InvalidInput(
            "an acknowledgment needs the reviewer's name and a reason".into(),
        ));
    }
    // Like every write: not to a log whose append-only triggers are gone.
    require_triggers(&app.pool).await?;
    let all = losses(app).await?;
    let loss = all
        .into_iter()
        .find(|l| l.seq == seq)
        .ok_or(AuditError::NotALoss(seq))?;
    if let Some(a) = &loss.acknowledged {
        return Err(AuditError::AlreadyAcknowledged { seq, by_seq: a.seq }.into());
    }
    let lost_hash = {
        let db = app.db_path.clone();
        blocking(move || Ok(LogReader::open(&db)?.snapshot(|s| s.hash_at(seq))?)).await?
    }
    .ok_or(AuditError::NoEntry(seq))?;
    let mut tx = store::write_tx(&app.pool).await?;
    let e = record(
        &mut tx,
        &AuditDraft {
            action: ACK_ACTION.into(),
            actor: reviewer.to_string(),
            reason: Some(reason.to_string()),
            detail: serde_json::json!({
                "lost_seq": seq,
                "lost_hash": lost_hash,
                "why": loss.why,
                "unproven": {"first": 1, "last": loss.unproven_last},
            }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    checkpoint(app).await;
    Ok(AuditLoss {
        acknowledged: Some(AuditLossAck {
            seq: e.seq,
            at: e.at,
            reviewer: reviewer.to_string(),
            reason: reason.to_string(),
        }),
        ..loss
    })
}

fn check_checkpoint(
    cp_path: &Path,
    cp_read: std::result::Result<Option<AuditCheckpoint>, AuditError>,
    w: &Walk,
    kc: Option<&KeychainView>,
    problems: &mut Vec<AuditProblem>,
    not_proven: &mut Vec<String>,
) -> AuditCheckpointCheck {
    let path = cp_path.display().to_string();
    let mut out = AuditCheckpointCheck {
        state: AuditCheckpointState::Absent,
        path: path.clone(),
        seq: None,
        hash: None,
        at: None,
        key_id: None,
        message: String::new(),
    };
    let mut mismatch = |out: &mut AuditCheckpointCheck, kind: AuditProblemKind, seq: Option<i64>, message: String| {
        out.state = AuditCheckpointState::Mismatch;
        out.message = message.clone();
        problems.push(AuditProblem { kind, seq, message });
    };
    let head_seq = w.head.as_ref().map_or(0, |h| h.0);
    let kc_head = kc.and_then(|k| k.head()).filter(|h| h.seq > 0);
    let cp = match cp_read {
        Err(e) => {
            let kind = if kc_head.is_some() {
                AuditProblemKind::CheckpointLost
            } else {
                AuditProblemKind::CheckpointMismatch
            };
            mismatch(&mut out, kind, None, e.to_string());
            return out;
        }
        Ok(None) => {
            if w.head.is_none() {
                out.message = "the log is empty; there is nothing to checkpoint".into();
                return out;
            }
            let unproven = "no checkpoint: a deleted tail or a recomputed chain would not be detected";
            let Some(kc) = kc else {
                out.message = "no checkpoint, and entry 1 is missing".into();
                not_proven.push(unproven.into());
                return out;
            };
            match (&kc.key, &kc.head) {
                (_, Ok(Some(h))) if h.seq > 0 => mismatch(
                    &mut out,
                    AuditProblemKind::CheckpointLost,
                    None,
                    format!(
                        "no checkpoint file at {path}, but the keychain recorded one signed at entry {} ({}): it was deleted or moved",
                        h.seq, h.at
                    ),
                ),
                (Ok(Some(_)), Ok(None)) => mismatch(
                    &mut out,
                    AuditProblemKind::CheckpointMismatch,
                    None,
                    format!(
                        "no checkpoint file at {path}, but this log's signing key is in the keychain: a checkpoint was written and has been deleted or moved"
                    ),
                ),
                (Ok(_), Ok(_)) => {
                    out.message = "no checkpoint has been made for this log yet".into();
                    not_proven.push(unproven.into());
                }
                (Err(e), _) | (_, Err(e)) => {
                    out.message = format!("no checkpoint file, and the keychain cannot say whether one was expected: {e}");
                    not_proven.push(unproven.into());
                }
            }
            if out.state == AuditCheckpointState::Mismatch {
                out.state = AuditCheckpointState::Missing;
            }
            return out;
        }
        Ok(Some(cp)) => cp,
    };
    out.seq = Some(cp.seq);
    out.hash = Some(cp.hash.clone());
    out.at = Some(cp.at.clone());
    out.key_id = Some(cp.key_id.clone());
    if w.first.as_deref() != Some(cp.log_id.as_str()) {
        mismatch(
            &mut out,
            AuditProblemKind::CheckpointMismatch,
            Some(1),
            format!(
                "the checkpoint belongs to log {}, but this log's first entry hashes to {}: entry 1 was changed, or the checkpoint is another database's",
                short(&cp.log_id),
                w.first.as_deref().map_or("(no entry 1)", short)
            ),
        );
        return out;
    }
    if cp.seq > head_seq {
        mismatch(
            &mut out,
            AuditProblemKind::CheckpointMismatch,
            Some(head_seq + 1),
            format!(
                "the signed checkpoint vouches for entries up to {}, but the log ends at {head_seq}: entries {} to {} were deleted",
                cp.seq,
                head_seq + 1,
                cp.seq
            ),
        );
        return out;
    }
    if w.at_checkpoint.as_deref() != Some(cp.hash.as_str()) {
        mismatch(
            &mut out,
            AuditProblemKind::CheckpointMismatch,
            Some(cp.seq),
            format!(
                "entry {}'s hash differs from the signed checkpoint's: the chain was changed and recomputed",
                cp.seq
            ),
        );
        return out;
    }
    // The file agrees with the log; is it genuine?
    match kc.map(|k| &k.key) {
        Some(Ok(Some(key))) => match checkpoint::check(&cp, &key.verifying_key()) {
            Ok(()) => {
                out.state = AuditCheckpointState::Valid;
                out.message = format!("signed by key {} at {}", cp.key_id, cp.at);
            }
            Err(e) => mismatch(
                &mut out,
                AuditProblemKind::CheckpointMismatch,
                Some(cp.seq),
                e.to_string(),
            ),
        },
        Some(Ok(None)) | None => {
            out.state = AuditCheckpointState::Unchecked;
            out.message = format!(
                "the checkpoint's signing key {} is not in this keychain (another machine or user?)",
                cp.key_id
            );
            not_proven.push(
                "the checkpoint's signature: its key is not in this keychain, so a recomputed chain with a forged checkpoint would not be detected"
                    .into(),
            );
        }
        Some(Err(e)) if e.contains("damaged") => mismatch(
            &mut out,
            AuditProblemKind::CheckpointMismatch,
            None,
            "the keychain's signing key for this log is damaged; the checkpoint cannot be trusted".into(),
        ),
        Some(Err(e)) => {
            out.state = AuditCheckpointState::Unchecked;
            out.message = format!("the keychain is unavailable: {e}");
            not_proven.push(
                "the checkpoint's signature (no keychain): a recomputed chain with a forged checkpoint would not be detected"
                    .into(),
            );
        }
    }
    // A genuine checkpoint, but not the last one signed: rolled back (with the database or alone).
    if let Some(h) = kc_head.filter(|_| out.state != AuditCheckpointState::Mismatch) {
        if cp.seq < h.seq || (cp.seq == h.seq && cp.hash != h.hash) {
            mismatch(
                &mut out,
                AuditProblemKind::CheckpointLost,
                Some(cp.seq),
                format!(
                    "the checkpoint file names entry {}, but the keychain recorded a later signed head at entry {} ({}): the checkpoint was rolled back, with the database or alone",
                    cp.seq, h.seq, h.at
                ),
            );
            return out;
        }
    }
    if cp.seq < head_seq {
        not_proven.push(format!(
            "entries {} to {head_seq} are newer than the checkpoint: their deletion would not be detected",
            cp.seq + 1
        ));
    }
    out
}

/// Re-creates missing triggers, only when the chain (and the checkpoint, if any) verify; the
/// restoration itself is an audit entry.
pub async fn restore_triggers(app: &App) -> Result<Vec<String>> {
    let missing = store::audit::missing_triggers(&app.pool).await?;
    if missing.is_empty() {
        return Ok(missing);
    }
    let report = verify(app, Arc::new(super::NoProgress)).await?;
    if let Some(p) = report
        .problems
        .iter()
        .find(|p| p.kind != AuditProblemKind::TriggersMissing)
    {
        return Err(AuditError::NotVerified(p.message.clone()).into());
    }
    store::audit::restore_triggers(&app.pool).await?;
    let mut tx = store::write_tx(&app.pool).await?;
    record(
        &mut tx,
        &AuditDraft {
            action: "audit_triggers_restored".into(),
            actor: os_user(),
            detail: serde_json::json!({
                "restored": missing,
                "verified_last": report.verified_last,
                "verified_hash": report.verified_hash,
                "not_proven": report.not_proven,
            }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    checkpoint(app).await;
    Ok(missing)
}

/// A page request of `audit list`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditQuery {
    #[serde(default)]
    pub filter: AuditFilter,
    /// Continue after this sequence number (the previous page's `next_after`).
    #[serde(default)]
    pub after: Option<i64>,
    /// Default 50, at most 1000.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Newest first (then `after` continues towards older entries).
    #[serde(default)]
    pub newest_first: bool,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_after: Option<i64>,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 1000;

/// The filter with its time bounds in the stored form (the UI may send any RFC 3339 time), so
/// that comparing text is comparing time.
pub fn normalise_filter(f: &AuditFilter) -> Result<AuditFilter> {
    let bound = |name: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_time_bound(t).map_err(|e| Error::InvalidInput(format!("{name}: {e}"))))
            .transpose()
    };
    Ok(AuditFilter {
        since: bound("since", &f.since)?,
        until: bound("until", &f.until)?,
        ..f.clone()
    })
}

pub async fn list(app: &App, q: &AuditQuery) -> Result<AuditPage> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let db = app.db_path.clone();
    let q = AuditQuery {
        filter: normalise_filter(&q.filter)?,
        ..q.clone()
    };
    let mut entries = blocking(move || {
        let reader = LogReader::open(&db)?;
        // One more than asked tells whether there is a next page.
        Ok(reader.snapshot(|s| s.page(&q.filter, q.after, limit + 1, q.newest_first))?)
    })
    .await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    Ok(AuditPage {
        next_after: if more { entries.last().map(|e| e.seq) } else { None },
        entries,
    })
}

/// One entry for a reviewer: the entry, its detail as JSON, before/after and their diff, and
/// whether the entry matches its own hash and links to its predecessor.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditEntryDetail {
    pub entry: AuditEntry,
    /// `detail` parsed; `null` if the stored text is not JSON.
    #[ts(type = "unknown")]
    pub detail: serde_json::Value,
    #[ts(type = "unknown")]
    pub before: Option<serde_json::Value>,
    #[ts(type = "unknown")]
    pub after: Option<serde_json::Value>,
    /// Field by field, when the detail has `before` and `after` objects.
    pub diff: Option<Vec<AuditFieldChange>>,
    /// The entry's content matches its hash.
    pub hash_ok: bool,
    /// Its `prev_hash` is the previous entry's hash; `None` when the previous entry is missing.
    pub link_ok: Option<bool>,
    /// Whether it carries this log's MAC: what tells an entry the console wrote from one
    /// inserted with SQL.
    pub mac: AuditMacState,
}

/// An entry's MAC as `audit show` finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum AuditMacState {
    /// Made by this log's key over this entry's hash.
    Valid,
    /// Present but not made by this log's key over this hash: forged or rewritten.
    Invalid,
    /// None, though entries from `macs_from` on must carry one: inserted outside the console.
    Missing,
    /// None, and none is required: written before entries carried MACs.
    BeforeMacs,
    /// Present, but the log's key is not in this keychain (or the keychain is unavailable).
    Unchecked,
}

pub async fn show(app: &App, seq: i64) -> Result<AuditEntryDetail> {
    let db = app.db_path.clone();
    let (entry, prev) = blocking(move || {
        let reader = LogReader::open(&db)?;
        reader.snapshot(|s| -> Result<_> {
            let prev = if seq > 1 {
                s.hash_at(seq - 1)?
            } else {
                Some(GENESIS.to_string())
            };
            Ok((s.entry(seq)?, prev))
        })
    })
    .await?;
    let entry = entry.ok_or(AuditError::NoEntry(seq))?;
    let (mac, log_id) = {
        let db = app.db_path.clone();
        blocking(move || LogReader::open(&db)?.snapshot(|s| -> Result<_> { Ok((s.mac_at(seq)?, s.hash_at(1)?)) }))
            .await?
    };
    let kc = match &log_id {
        Some(id) => Some(KeychainView::read(&app.db_path, id, true).await),
        None => None,
    };
    // From which entry a MAC is required: the keychain's record; without one (and only for an
    // entry without a MAC, where it matters), the first entry that carries one.
    let required_from = match (kc.as_ref().and_then(|k| k.macs_from()), &mac) {
        (Some(f), _) => Some(f),
        (None, Some(_)) => None,
        (None, None) => {
            let db = app.db_path.clone();
            blocking(move || Ok(LogReader::open(&db)?.snapshot(|s| s.first_mac())?)).await?
        }
    };
    let mac = match (mac, kc.as_ref().and_then(|k| k.mac_key())) {
        (None, _) if required_from.is_some_and(|f| seq >= f) => AuditMacState::Missing,
        (None, _) => AuditMacState::BeforeMacs,
        (Some(m), Some(key)) => match crate::domain::audit::decode_hash(&entry.hash) {
            Some(h) if key.check(&h, &m) => AuditMacState::Valid,
            _ => AuditMacState::Invalid,
        },
        (Some(_), None) => AuditMacState::Unchecked,
    };
    let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap_or(serde_json::Value::Null);
    Ok(AuditEntryDetail {
        mac,
        hash_ok: chain_hash(&entry.prev_hash, &entry).as_deref() == Some(entry.hash.as_str()),
        link_ok: prev.map(|p| p == entry.prev_hash),
        before: detail.get("before").cloned(),
        after: detail.get("after").cloned(),
        diff: before_after_diff(&detail),
        detail,
        entry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_never_written_through() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temp dir");
        let target = dir.path().join("victim");
        std::fs::write(&target, b"precious").expect("write the victim");
        let link = dir.path().join("planted");
        std::os::unix::fs::symlink(&target, &link).expect("plant a symlink");
        let e = private_file_options()
            .open(&link)
            .expect_err("O_EXCL refuses any existing name, a symlink included");
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::AlreadyExists,
            "the open fails instead of following"
        );
        assert_eq!(
            std::fs::read(&target).expect("read"),
            b"precious",
            "the link's target is untouched"
        );

        let out = dir.path().join("export.csv");
        let (f, tmp) = create_temp_beside(&out).expect("a temp file");
        drop(f);
        assert_eq!(tmp.parent(), out.parent(), "beside the target, so the rename is atomic");
        let mode = std::fs::metadata(&tmp).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "temp files are readable by the user only");
        let (_, other) = create_temp_beside(&out).expect("another temp file");
        assert_ne!(tmp, other, "names are random: an attacker cannot plant the next one");
    }

    #[test]
    fn a_loss_is_recognised_from_what_the_keychain_and_the_file_say() {
        let log = "ab".repeat(32);
        let head = |seq: i64| AuditKeychainHead {
            log_id: log.clone(),
            seq,
            hash: "cd".repeat(32),
            at: "2026-11-20T10:00:00.000Z".into(),
            macs_from: Some(1),
        };
        let view = |h: Option<AuditKeychainHead>, path: Option<&str>| KeychainView {
            key: Ok(Some(ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]))),
            head: Ok(h),
            path_log: Ok(path.map(str::to_string)),
        };
        let cp = |seq: i64| {
            Ok(Some(checkpoint::sign(
                &ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]),
                &log,
                seq,
                &"cd".repeat(32),
                "t",
            )))
        };
        let why = |v: &KeychainView, c: &std::result::Result<Option<AuditCheckpoint>, AuditError>| {
            detect_loss(&log, v, None, c).map(|l| l.why)
        };
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &Ok(None)),
            Some("checkpoint_missing")
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &cp(3)),
            Some("checkpoint_older"),
            "a rolled-back file"
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &cp(5)),
            None,
            "the file the keychain recorded"
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &cp(7)),
            None,
            "a newer file (the keychain write came after)"
        );
        assert_eq!(
            why(&view(Some(head(0)), None), &Ok(None)),
            None,
            "a key but nothing signed yet"
        );
        assert_eq!(
            why(&view(None, None), &Ok(None)),
            Some("checkpoint_missing"),
            "a key from before head records was made at a checkpoint"
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&"ef".repeat(32))), &cp(5)),
            Some("log_replaced"),
            "another log at this path"
        );
        let unreadable = Err(AuditError::CheckpointUnreadable {
            path: "x".into(),
            why: "not JSON".into(),
        });
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &unreadable),
            Some("checkpoint_unreadable")
        );
    }
}
