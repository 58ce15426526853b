//! The audit log: writing it (every service that changes something records it here, inside the
//! same transaction as the change), checkpointing its head after each commit, verifying its chain,
//! and the reviewer's views. One module per job:
//!
//! - [`append`]: the OS user and host, and [`record`] (an entry with its MAC, in the caller's
//!   transaction);
//! - [`keys`]: the log's signing and MAC keys and what the keychain remembers of the log;
//! - [`checkpoint`]: signing the log's head into the checkpoint file after each commit;
//! - [`chain`]: [`verify_chain`] (`audit verify`), the whole chain, then (`anchors`) against the
//!   signed checkpoint and the keychain's head record;
//! - [`losses`]: checkpoint losses, recorded when found and acknowledged by a reviewer;
//! - [`triggers`]: the append-only triggers, required and restored;
//! - [`views`]: `audit list` and `audit show`;
//! - [`export`]: incident exports and their offline check (`audit verify-export`);
//! - [`files`]: atomic, private file writes shared by the checkpoint and the exports.

mod anchors;
pub mod append;
pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod files;
pub mod keys;
pub mod losses;
pub mod triggers;
pub mod views;

pub use anchors::{AuditCheckpointCheck, AuditCheckpointState};
pub use append::{record, record_all};
pub use chain::{verify_chain, AuditVerifyReport};
pub use checkpoint::{checkpoint, checkpoint_path, read_checkpoint, write_checkpoint, AuditCheckpointWritten};
pub(crate) use files::{create_temp_beside, sync_dir, write_atomic};
pub use keys::{forget_log_at, head_account, mac_key_for_new_log, path_account, AuditKeychainHead};
pub use losses::{acknowledge, losses, AuditLoss, AuditLossAck, ACK_ACTION, LOSS_ACTION};
pub use triggers::{require_triggers, restore_triggers};
pub use views::{
    list, normalise_filter, show, AuditEntryDetail, AuditMacState, AuditPage, AuditQuery, DEFAULT_PAGE, MAX_PAGE,
};

use crate::domain::audit::{AuditProblem, AuditProblemKind};
use crate::error::{Error, Result};
use crate::store;

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

/// Runs blocking work (the read-only log connection, file I/O) off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Io(format!("a background task failed: {e}")))?
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

/// What a check found: problems (the check fails) and what it could not prove (reported, not
/// failed).
#[derive(Debug, Default)]
pub(super) struct Findings {
    pub problems: Vec<AuditProblem>,
    pub not_proven: Vec<String>,
}

impl Findings {
    pub fn problem(&mut self, kind: AuditProblemKind, seq: Option<i64>, message: String) {
        self.problems.push(AuditProblem { kind, seq, message });
    }

    pub fn unproven(&mut self, what: impl Into<String>) {
        self.not_proven.push(what.into());
    }
}
