//! What `audit verify` checks the chain against outside the database: the signed checkpoint
//! file beside it, and the head record and path record the keychain keeps.

use super::chain::Walk;
use super::keys::KeychainView;
use super::{short, AuditError, AuditKeychainHead, Findings};
use crate::domain::audit::checkpoint::{self, AuditCheckpoint};
use crate::domain::audit::AuditProblemKind;
use serde::Serialize;
use std::path::Path;

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

impl AuditCheckpointCheck {
    /// The checkpoint disagrees with the log or the keychain: a problem of the run.
    fn mismatch(&mut self, found: &mut Findings, kind: AuditProblemKind, seq: Option<i64>, message: String) {
        self.state = AuditCheckpointState::Mismatch;
        self.message = message.clone();
        found.problem(kind, seq, message);
    }

    /// A check that could not be made, with what it leaves unproven.
    fn unchecked(&mut self, found: &mut Findings, message: String, unproven: &str) {
        self.state = AuditCheckpointState::Unchecked;
        self.message = message;
        found.unproven(unproven);
    }
}

/// The checkpoint file against the walked log and the keychain: present, of this log, naming
/// an entry the log holds unchanged, signed by the log's key, and not older than the head the
/// keychain recorded.
pub(super) fn check_checkpoint(
    cp_path: &Path,
    cp_read: Result<Option<AuditCheckpoint>, AuditError>,
    w: &Walk,
    kc: Option<&KeychainView>,
    found: &mut Findings,
) -> AuditCheckpointCheck {
    let mut out = AuditCheckpointCheck {
        state: AuditCheckpointState::Absent,
        path: cp_path.display().to_string(),
        seq: None,
        hash: None,
        at: None,
        key_id: None,
        message: String::new(),
    };
    let kc_head = kc.and_then(|k| k.head()).filter(|h| h.seq > 0);
    let cp = match cp_read {
        Err(e) => {
            let kind = if kc_head.is_some() {
                AuditProblemKind::CheckpointLost
            } else {
                AuditProblemKind::CheckpointMismatch
            };
            out.mismatch(found, kind, None, e.to_string());
            return out;
        }
        Ok(None) => {
            check_no_file(&mut out, w, kc, found);
            return out;
        }
        Ok(Some(cp)) => cp,
    };
    out.seq = Some(cp.seq);
    out.hash = Some(cp.hash.clone());
    out.at = Some(cp.at.clone());
    out.key_id = Some(cp.key_id.clone());
    if let Some((seq, message)) = disagreement(&cp, w) {
        out.mismatch(found, AuditProblemKind::CheckpointMismatch, seq, message);
        return out;
    }
    check_signature(&mut out, &cp, kc, found);
    // A genuine checkpoint, but not the last one signed: rolled back (with the database or alone).
    if let Some(h) = kc_head.filter(|_| out.state != AuditCheckpointState::Mismatch) {
        if cp.seq < h.seq || (cp.seq == h.seq && cp.hash != h.hash) {
            out.mismatch(
                found,
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
    let head_seq = w.head.as_ref().map_or(0, |h| h.0);
    if cp.seq < head_seq {
        found.unproven(format!(
            "entries {} to {head_seq} are newer than the checkpoint: their deletion would not be detected",
            cp.seq + 1
        ));
    }
    out
}

/// No checkpoint file: fine for an empty or new log, a loss when the keychain says one was
/// signed (a recorded head, or the log's key).
fn check_no_file(out: &mut AuditCheckpointCheck, w: &Walk, kc: Option<&KeychainView>, found: &mut Findings) {
    if w.head.is_none() {
        out.message = "the log is empty; there is nothing to checkpoint".into();
        return;
    }
    let unproven = "no checkpoint: a deleted tail or a recomputed chain would not be detected";
    let Some(kc) = kc else {
        out.message = "no checkpoint, and entry 1 is missing".into();
        found.unproven(unproven);
        return;
    };
    let path = out.path.clone();
    match (&kc.key, &kc.head) {
        (_, Ok(Some(h))) if h.seq > 0 => out.mismatch(
            found,
            AuditProblemKind::CheckpointLost,
            None,
            format!(
                "no checkpoint file at {path}, but the keychain recorded one signed at entry {} ({}): it was deleted or moved",
                h.seq, h.at
            ),
        ),
        (Ok(Some(_)), Ok(None)) => out.mismatch(
            found,
            AuditProblemKind::CheckpointMismatch,
            None,
            format!(
                "no checkpoint file at {path}, but this log's signing key is in the keychain: a checkpoint was written and has been deleted or moved"
            ),
        ),
        (Ok(_), Ok(_)) => {
            out.message = "no checkpoint has been made for this log yet".into();
            found.unproven(unproven);
        }
        (Err(e), _) | (_, Err(e)) => {
            out.message = format!("no checkpoint file, and the keychain cannot say whether one was expected: {e}");
            found.unproven(unproven);
        }
    }
    if out.state == AuditCheckpointState::Mismatch {
        out.state = AuditCheckpointState::Missing;
    }
}

/// Where the checkpoint and the walked log disagree (another log, a deleted tail, a changed
/// entry), as the entry to name and what to say.
fn disagreement(cp: &AuditCheckpoint, w: &Walk) -> Option<(Option<i64>, String)> {
    let head_seq = w.head.as_ref().map_or(0, |h| h.0);
    if w.first.as_deref() != Some(cp.log_id.as_str()) {
        return Some((
            Some(1),
            format!(
                "the checkpoint belongs to log {}, but this log's first entry hashes to {}: entry 1 was changed, or the checkpoint is another database's",
                short(&cp.log_id),
                w.first.as_deref().map_or("(no entry 1)", short)
            ),
        ));
    }
    if cp.seq > head_seq {
        return Some((
            Some(head_seq + 1),
            format!(
                "the signed checkpoint vouches for entries up to {}, but the log ends at {head_seq}: entries {} to {} were deleted",
                cp.seq,
                head_seq + 1,
                cp.seq
            ),
        ));
    }
    if w.at_checkpoint.as_deref() != Some(cp.hash.as_str()) {
        return Some((
            Some(cp.seq),
            format!(
                "entry {}'s hash differs from the signed checkpoint's: the chain was changed and recomputed",
                cp.seq
            ),
        ));
    }
    None
}

/// The file agrees with the log; is it genuine (signed by the log's key in this keychain)?
fn check_signature(
    out: &mut AuditCheckpointCheck,
    cp: &AuditCheckpoint,
    kc: Option<&KeychainView>,
    found: &mut Findings,
) {
    match kc.map(|k| &k.key) {
        Some(Ok(Some(key))) => match checkpoint::check(cp, &key.verifying_key()) {
            Ok(()) => {
                out.state = AuditCheckpointState::Valid;
                out.message = format!("signed by key {} at {}", cp.key_id, cp.at);
            }
            Err(e) => out.mismatch(found, AuditProblemKind::CheckpointMismatch, Some(cp.seq), e.to_string()),
        },
        Some(Ok(None)) | None => out.unchecked(
            found,
            format!(
                "the checkpoint's signing key {} is not in this keychain (another machine or user?)",
                cp.key_id
            ),
            "the checkpoint's signature: its key is not in this keychain, so a recomputed chain with a forged checkpoint would not be detected",
        ),
        Some(Err(e)) if e.contains("damaged") => out.mismatch(
            found,
            AuditProblemKind::CheckpointMismatch,
            None,
            "the keychain's signing key for this log is damaged; the checkpoint cannot be trusted".into(),
        ),
        Some(Err(e)) => out.unchecked(
            found,
            format!("the keychain is unavailable: {e}"),
            "the checkpoint's signature (no keychain): a recomputed chain with a forged checkpoint would not be detected",
        ),
    }
}

/// The log at this path against the one the keychain recorded there, and the database against
/// the head the keychain recorded at the last checkpoint.
pub(super) fn check_keychain_head(kc: &KeychainView, w: &Walk, log_id: &str, found: &mut Findings) {
    check_path_log(kc, log_id, found);
    let head: &AuditKeychainHead = match &kc.head {
        Ok(Some(h)) => h,
        Ok(None) => {
            if w.head.is_some() {
                found.unproven(
                    "the keychain holds no head record for this log (made at the next checkpoint): the database and its checkpoint rolled back together would not be detected",
                );
            }
            return;
        }
        Err(e) => {
            found.unproven(format!(
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
        found.problem(
            AuditProblemKind::RolledBack,
            Some(db_head + 1),
            format!(
                "the keychain recorded a signed head at entry {} ({}), but the log ends at entry {db_head}: entries {} to {} were removed, or an older copy of the database was restored",
                head.seq,
                short(&head.hash),
                db_head + 1,
                head.seq
            ),
        );
    } else if w.at_keychain_head.as_deref() != Some(head.hash.as_str()) {
        found.problem(
            AuditProblemKind::RolledBack,
            Some(head.seq),
            format!(
                "entry {}'s hash is not the one the keychain recorded when it was signed: the log was rolled back and written again, or rewritten",
                head.seq
            ),
        );
    }
}

/// The log at this path against the one the keychain recorded there.
fn check_path_log(kc: &KeychainView, log_id: &str, found: &mut Findings) {
    match &kc.path_log {
        Ok(Some(other)) if other != log_id => found.problem(
            AuditProblemKind::LogReplaced,
            None,
            format!(
                "the keychain recorded log {} at this path, but the database holds log {}: the whole log was replaced (or entry 1 changed)",
                short(other),
                short(log_id)
            ),
        ),
        Ok(Some(_)) => {}
        Ok(None) => found.unproven(
            "the keychain has no record of which log lives at this path (no checkpoint made here yet): a whole log replaced by another would not be named",
        ),
        Err(e) => found.unproven(format!(
            "which log lives at this path (keychain unavailable: {e}): a replaced log would not be named"
        )),
    }
}
