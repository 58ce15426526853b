//! The signed checkpoint beside the database: after commits the log's head is signed into it
//! (at the end of a burst, at most 2 s later: `App::checkpoint_soon`; a CLI command before it
//! exits), once the entries since the previous checkpoint verify (see [`write_checkpoint`]).

use super::keys::{read_head, signing_key, write_head, write_path_log, AuditKeychainHead, KeychainView};
use super::losses::{detect_loss, record_loss};
use super::{bad_row, blocking, short, write_atomic, AuditError};
use crate::app::App;
use crate::domain::audit::checkpoint::{self, AuditCheckpoint};
use crate::domain::audit::{AuditFilter, AuditProblem, ChainMode, ChainVerifier};
use crate::error::{Error, Result};
use crate::store;
use crate::store::audit::LogReader;
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

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
    let lock = lock_checkpoint(&db).await?;
    // Which log this is, then what the keychain remembers, then the file.
    let (head0, first) = {
        let db = app.log_source();
        blocking(move || {
            let reader = LogReader::open(&db)?;
            reader.snapshot(|s| -> Result<_> { Ok((s.head()?, s.hash_at(1)?)) })
        })
        .await?
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
    let prev = previous_checkpoint(app, &log_id, &kc, &cp_path).await?;
    let tail = verify_tail(app.log_source(), &prev, &kc).await?;
    let (head_seq, head_hash) = check_extends(&path, &log_id, prev.existing.as_ref(), &tail)?;
    let macs_from = kc.macs_from().or(tail.first_mac);
    if let Some(cp) = prev.existing.as_ref().filter(|c| c.seq == head_seq) {
        // The file already names the head; make sure the keychain says so too.
        remember_head(&app.db_path, &log_id, cp, macs_from, &kc).await;
        return Ok(AuditCheckpointWritten {
            checkpoint: Some(cp.clone()),
            previous_seq: prev.previous_seq,
            advanced: false,
            path,
        });
    }
    let cp = sign_head(&cp_path, &log_id, prev.existing.as_ref(), &kc, head_seq, &head_hash).await?;
    remember_head(&app.db_path, &log_id, &cp, macs_from, &kc).await;
    drop(lock);
    Ok(AuditCheckpointWritten {
        checkpoint: Some(cp),
        previous_seq: prev.previous_seq,
        advanced: true,
        path,
    })
}

fn conflict(message: String) -> Error {
    Error::from(AuditError::CheckpointConflict(message))
}

/// Opens and locks the database's checkpoint lock file (created readable by the user only).
async fn lock_checkpoint(db: &Path) -> Result<std::fs::File> {
    let lp = lock_path(db);
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
    .await
}

/// The checkpoint a new one must extend, and from where the log must be re-verified.
struct Previous {
    /// The file's checkpoint, when it is trusted (no loss).
    existing: Option<AuditCheckpoint>,
    /// The sequence number the file named, trusted or not.
    previous_seq: Option<i64>,
    /// After a loss: the keychain's recorded head of this log, to resume from if the log still
    /// holds it unchanged.
    from_head: Option<(i64, String)>,
}

/// Reads the checkpoint file and, when the keychain says a checkpoint was signed that the file
/// no longer shows, records the loss in the log first (the file is then not trusted).
async fn previous_checkpoint(app: &App, log_id: &str, kc: &KeychainView, cp_path: &Path) -> Result<Previous> {
    let cp_read = read_checkpoint(cp_path);
    let previous_seq = cp_read.as_ref().ok().and_then(|c| c.as_ref()).map(|c| c.seq);
    let recorded_elsewhere = match &kc.path_log {
        Ok(Some(other)) if other != log_id => read_head(other).await.ok().flatten(),
        _ => None,
    };
    let Some(loss) = detect_loss(log_id, kc, recorded_elsewhere.as_ref(), &cp_read) else {
        return Ok(Previous {
            existing: cp_read?,
            previous_seq,
            from_head: None,
        });
    };
    record_loss(app, &loss).await?;
    let from_head = kc
        .head()
        .filter(|h| h.seq > 0 && h.log_id == log_id)
        .map(|h| (h.seq, h.hash.clone()));
    Ok(Previous {
        existing: None,
        previous_seq,
        from_head,
    })
}

/// What the log shows after the point the previous checkpoint (or the keychain) vouches for.
struct Tail {
    head: Option<(i64, String)>,
    /// The hash of the entry the previous checkpoint names, as the log holds it now.
    at_checkpoint: Option<String>,
    /// The first bad entry after the trusted point.
    problem: Option<AuditProblem>,
    first_mac: Option<i64>,
}

/// Verifies, in one snapshot, what the new checkpoint will vouch for and the old one did not.
async fn verify_tail(db: crate::store::Source, prev: &Previous, kc: &KeychainView) -> Result<Tail> {
    let from_cp = prev.existing.as_ref().map(|c| (c.seq, c.hash.clone()));
    let from_head = prev.from_head.clone();
    let (mac_key, macs_from) = (kc.mac_key(), kc.macs_from());
    blocking(move || {
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
            let mut problem = None;
            let mut first_mac = None;
            if let Some((mut v, after)) = start {
                v.set_relocation_bound(head.as_ref().map_or(0, |h| h.0));
                v.set_macs(mac_key, macs_from);
                s.walk(
                    after,
                    &AuditFilter::default(),
                    &mut |r| match r.map_err(bad_row).and_then(|e| v.push(e)) {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(p) => {
                            problem = Some(p);
                            ControlFlow::Break(())
                        }
                    },
                )?;
                first_mac = v.first_mac();
            }
            Ok(Tail {
                head,
                at_checkpoint,
                problem,
                first_mac,
            })
        })
    })
    .await
}

/// The log's head, once the log is known to extend the previous checkpoint: same log, nothing
/// deleted, the named entry unchanged, every entry since verified.
fn check_extends(path: &str, log_id: &str, existing: Option<&AuditCheckpoint>, tail: &Tail) -> Result<(i64, String)> {
    let Some((head_seq, head_hash)) = tail.head.clone() else {
        return Err(conflict("the audit log became empty".into()));
    };
    if let Some(cp) = existing {
        if cp.log_id != log_id {
            return Err(conflict(format!(
                "{path} belongs to another log (or entry 1 was changed): it names log {}, this log is {}",
                short(&cp.log_id),
                short(log_id)
            )));
        }
        if cp.seq > head_seq {
            return Err(conflict(format!(
                "the checkpoint vouches for entries up to {}, but the log ends at {head_seq}",
                cp.seq
            )));
        }
        if tail.at_checkpoint.as_deref() != Some(cp.hash.as_str()) {
            return Err(conflict(format!(
                "entry {}'s hash differs from the signed checkpoint's",
                cp.seq
            )));
        }
    }
    if let Some(p) = &tail.problem {
        return Err(conflict(p.message.clone()));
    }
    Ok((head_seq, head_hash))
}

/// Signs the head with the log's key (made now for the log's first checkpoint), after checking
/// the previous checkpoint's signature, and writes the file atomically.
async fn sign_head(
    cp_path: &Path,
    log_id: &str,
    existing: Option<&AuditCheckpoint>,
    kc: &KeychainView,
    head_seq: i64,
    head_hash: &str,
) -> Result<AuditCheckpoint> {
    let key = match &kc.key {
        Ok(Some(k)) => k.clone(),
        _ => signing_key(log_id, existing.is_none()).await?,
    };
    if let Some(cp) = existing {
        checkpoint::check(cp, &key.verifying_key()).map_err(|e| conflict(e.to_string()))?;
    }
    let cp = checkpoint::sign(&key, log_id, head_seq, head_hash, &store::now_text());
    let bytes = serde_json::to_vec_pretty(&cp).map_err(|e| Error::Io(format!("cannot encode the checkpoint: {e}")))?;
    write_atomic(cp_path, &bytes)?;
    Ok(cp)
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

/// Called by every service after it commits audit entries. Never fails the caller's operation
/// (that is committed already); when the checkpoint cannot be advanced it says so on stderr
/// and in the log, and `audit verify` reports the entries the checkpoint does not cover.
pub async fn checkpoint(app: &App) {
    if let Err(e) = write_checkpoint(app).await {
        tracing::warn!("audit checkpoint not written: {e}");
        eprintln!("warning: audit checkpoint not written: {}", e.to_string().trim_end());
    }
}
