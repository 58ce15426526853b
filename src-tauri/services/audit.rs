//! The audit log: writing it (every service that changes something records it here, inside the
//! same transaction as the change), checkpointing its head after each commit, verifying it, and
//! the reviewer's views. Exports are in [`export`].

pub mod export;

use super::Progress;
use crate::app::App;
use crate::domain::audit::checkpoint::{self, AuditCheckpoint};
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
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
}

impl From<AuditError> for Error {
    fn from(e: AuditError) -> Error {
        match e {
            AuditError::NoEntry(_) => Error::NotFound(e.to_string()),
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

/// Appends an entry inside the caller's write transaction. After the commit, call
/// [`checkpoint`].
pub async fn record(conn: &mut SqliteConnection, draft: &AuditDraft) -> Result<AuditEntry> {
    debug_assert!(
        crate::domain::audit::ACTIONS.contains(&draft.action.as_str()),
        "audit action `{}` is not in domain::audit::ACTIONS (the UI labels every listed action)",
        draft.action
    );
    Ok(store::audit::append(conn, draft, &store::now_text(), &os_user(), &host()).await?)
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
    let tmp = temp_beside(path);
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    sync_dir(path);
    Ok(())
}

/// A hidden temp name in the same folder (a rename across file systems is not atomic).
pub(crate) fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
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
/// the previous checkpoint (same log, nothing deleted, every new entry linked and intact). The
/// first checkpoint of a log verifies the whole chain and creates the log's key in the keychain.
pub async fn write_checkpoint(app: &App) -> Result<AuditCheckpointWritten> {
    let db = app.db_path.clone();
    let cp_path = checkpoint_path(&db);
    // One writer at a time per database (the desktop app and a CLI may both append), so a
    // slower writer can never replace a newer checkpoint with an older one.
    let lock = {
        let lp = lock_path(&db);
        blocking(move || {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lp)
                .map_err(|e| Error::Io(format!("cannot open {}: {e}", lp.display())))?;
            f.lock()
                .map_err(|e| Error::Io(format!("cannot lock {}: {e}", lp.display())))?;
            Ok(f)
        })
        .await?
    };
    let existing = read_checkpoint(&cp_path)?;
    let from = existing.as_ref().map(|c| (c.seq, c.hash.clone()));
    let state = blocking(move || {
        let reader = LogReader::open(&db)?;
        reader.snapshot(|s| -> Result<_> {
            let head = s.head()?;
            let first = s.hash_at(1)?;
            let at_checkpoint = match &from {
                Some((seq, _)) => s.hash_at(*seq)?,
                None => None,
            };
            // Verify what the new checkpoint will vouch for and the old one did not.
            let mut problem = None;
            let start = match &from {
                Some((seq, hash)) if at_checkpoint.as_deref() == Some(hash.as_str()) => {
                    ChainVerifier::resume(*seq, hash).map(|v| (v, *seq))
                }
                Some(_) => None,
                None => Some((ChainVerifier::new(ChainMode::Complete), 0)),
            };
            if let Some((mut v, after)) = start {
                v.set_relocation_bound(head.as_ref().map_or(0, |h| h.0));
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
            }
            Ok((head, first, at_checkpoint, problem))
        })
    })
    .await?;
    let (head, first, at_checkpoint, problem) = state;
    let path = cp_path.display().to_string();
    let previous_seq = existing.as_ref().map(|c| c.seq);
    let Some((head_seq, head_hash)) = head else {
        drop(lock);
        return Ok(AuditCheckpointWritten {
            checkpoint: existing,
            previous_seq,
            advanced: false,
            path,
        });
    };
    let conflict = |m: String| Error::from(AuditError::CheckpointConflict(m));
    let log_id = first.ok_or_else(|| conflict("entry 1 of the audit log is missing".into()))?;
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
    if let Some(cp) = existing.as_ref().filter(|c| c.seq == head_seq) {
        return Ok(AuditCheckpointWritten {
            checkpoint: Some(cp.clone()),
            previous_seq,
            advanced: false,
            path,
        });
    }
    let key = signing_key(&log_id, existing.is_none()).await?;
    if let Some(cp) = &existing {
        checkpoint::check(cp, &key.verifying_key()).map_err(|e| conflict(e.to_string()))?;
    }
    let cp = checkpoint::sign(&key, &log_id, head_seq, &head_hash, &store::now_text());
    let bytes = serde_json::to_vec_pretty(&cp).map_err(|e| Error::Io(format!("cannot encode the checkpoint: {e}")))?;
    write_atomic(&cp_path, &bytes)?;
    drop(lock);
    Ok(AuditCheckpointWritten {
        checkpoint: Some(cp),
        previous_seq,
        advanced: true,
        path,
    })
}

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
        Err(KeychainError::NotFound(_)) if may_create => {
            use rand::RngCore;
            let mut seed = zeroize::Zeroizing::new([0u8; 32]);
            rand::rngs::OsRng.fill_bytes(&mut *seed);
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            keychain::set(&account, Secret::new(checkpoint::encode_key(&key))).await?;
            // Read it back: if another process created the key at the same moment, both use the
            // one the keychain kept.
            decode(keychain::get(&account).await?)
        }
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
    /// The first bad entry comes first; then checkpoint and trigger problems.
    pub problems: Vec<AuditProblem>,
    pub checkpoint: AuditCheckpointCheck,
    pub triggers_missing: Vec<String>,
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
    verified: Option<crate::domain::audit::Verified>,
    entries: u64,
    problem: Option<AuditProblem>,
    cancelled: bool,
}

/// Walks the whole chain in one read transaction, then checks the checkpoint.
pub async fn verify(app: &App, progress: Arc<dyn Progress>) -> Result<AuditVerifyReport> {
    let started = std::time::Instant::now();
    let cp_path = checkpoint_path(&app.db_path);
    // The checkpoint before the database: writers advance the file only after they commit, so
    // the file never names an entry the snapshot cannot see.
    let cp_read = read_checkpoint(&cp_path);
    let cp_seq = cp_read.as_ref().ok().and_then(|c| c.as_ref()).map(|c| c.seq);
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
            let total = head.as_ref().map_or(0, |h| h.0.max(0) as u64);
            let mut v = ChainVerifier::new(ChainMode::Complete);
            v.set_relocation_bound(head.as_ref().map_or(0, |h| h.0));
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
                verified: v.verified(),
                entries: n + u64::from(problem.is_some()),
                problem,
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
    let checkpoint = check_checkpoint(&cp_path, cp_read, &w, &mut problems, &mut not_proven).await;
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
        head_hash: w.head.map(|h| h.1),
        problems,
        checkpoint,
        triggers_missing: w.triggers_missing,
        not_proven,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

async fn check_checkpoint(
    cp_path: &Path,
    cp_read: std::result::Result<Option<AuditCheckpoint>, AuditError>,
    w: &Walk,
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
    let mut mismatch = |out: &mut AuditCheckpointCheck, seq: Option<i64>, message: String| {
        out.state = AuditCheckpointState::Mismatch;
        out.message = message.clone();
        problems.push(AuditProblem {
            kind: AuditProblemKind::CheckpointMismatch,
            seq,
            message,
        });
    };
    let head_seq = w.head.as_ref().map_or(0, |h| h.0);
    let cp = match cp_read {
        Err(e) => {
            mismatch(&mut out, None, e.to_string());
            return out;
        }
        Ok(None) => {
            if w.head.is_none() {
                out.message = "the log is empty; there is nothing to checkpoint".into();
                return out;
            }
            // Is there a key for this log? Then a checkpoint was written and has been removed.
            let Some(first) = &w.first else {
                out.message = "no checkpoint, and entry 1 is missing".into();
                not_proven.push("no checkpoint: a deleted tail or a recomputed chain would not be detected".into());
                return out;
            };
            match keychain::exists(&checkpoint::key_account(first)).await {
                Ok(true) => mismatch(
                    &mut out,
                    None,
                    format!(
                        "no checkpoint file at {path}, but this log's signing key is in the keychain: a checkpoint was written and has been deleted or moved"
                    ),
                ),
                Ok(false) => {
                    out.message = "no checkpoint has been made for this log".into();
                    not_proven.push(
                        "no checkpoint: a deleted tail or a recomputed chain would not be detected".into(),
                    );
                }
                Err(e) => {
                    out.message = format!("no checkpoint file, and the keychain cannot say whether one was expected: {e}");
                    not_proven.push(
                        "no checkpoint: a deleted tail or a recomputed chain would not be detected".into(),
                    );
                }
            }
            out.state = if out.state == AuditCheckpointState::Mismatch {
                AuditCheckpointState::Missing
            } else {
                AuditCheckpointState::Absent
            };
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
            Some(cp.seq),
            format!(
                "entry {}'s hash differs from the signed checkpoint's: the chain was changed and recomputed",
                cp.seq
            ),
        );
        return out;
    }
    // The file agrees with the log; is it genuine?
    match keychain::get(&checkpoint::key_account(&cp.log_id)).await {
        Ok(secret) => match checkpoint::decode_key(secret.expose()) {
            Some(key) => match checkpoint::check(&cp, &key.verifying_key()) {
                Ok(()) => {
                    out.state = AuditCheckpointState::Valid;
                    out.message = format!("signed by key {} at {}", cp.key_id, cp.at);
                }
                Err(e) => mismatch(&mut out, Some(cp.seq), e.to_string()),
            },
            None => mismatch(
                &mut out,
                None,
                "the keychain's signing key for this log is damaged; the checkpoint cannot be trusted".into(),
            ),
        },
        Err(KeychainError::NotFound(_)) => {
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
        Err(e) => {
            out.state = AuditCheckpointState::Unchecked;
            out.message = format!("the keychain is unavailable: {e}");
            not_proven.push(
                "the checkpoint's signature (no keychain): a recomputed chain with a forged checkpoint would not be detected"
                    .into(),
            );
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
    let mut tx = app.pool.begin_with("BEGIN IMMEDIATE").await?;
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
    let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap_or(serde_json::Value::Null);
    Ok(AuditEntryDetail {
        hash_ok: chain_hash(&entry.prev_hash, &entry).as_deref() == Some(entry.hash.as_str()),
        link_ok: prev.map(|p| p == entry.prev_hash),
        before: detail.get("before").cloned(),
        after: detail.get("after").cloned(),
        diff: before_after_diff(&detail),
        detail,
        entry,
    })
}
