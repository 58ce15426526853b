//! What `audit verify` and `audit verify-export` report: a problem, of a kind the UI branches
//! on, at the entry where it applies.

use serde::{Deserialize, Serialize};

/// What is wrong with an audit log or an export. The UI branches on this, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum AuditProblemKind {
    /// An entry's fields do not match its own hash: something in it was edited.
    ContentChanged,
    /// An entry is intact but its `prev_hash` is not the previous entry's hash.
    LinkBroken,
    /// Sequence numbers are missing: entries were deleted.
    Gap,
    /// An intact entry sits at the wrong position (moved or swapped), or sequence numbers go
    /// backwards.
    Order,
    /// The signed checkpoint outside the database disagrees with the log (deleted tail,
    /// recomputed chain, forged or missing checkpoint).
    CheckpointMismatch,
    /// The database's triggers that make the log append-only are missing or altered.
    TriggersMissing,
    /// An export line or row that cannot be read as an entry.
    Malformed,
    /// An export file whose bytes are not those its manifest describes.
    FileChanged,
    /// An export whose count, sequence range or head disagree with its manifest.
    ManifestMismatch,
    /// An exported entry that the export's filters would not have selected.
    OutsideFilter,
    /// An entry whose chain hash may be right but whose MAC is missing or was not made by this
    /// log's key: it was not written by the console (inserted or rewritten with SQL).
    Forged,
    /// The signed checkpoint was lost (deleted, unreadable, or older than the keychain's record
    /// of it): the entries before the loss are not proven. Stays until a reviewer acknowledges it.
    CheckpointLost,
    /// The log (and maybe its checkpoint) is behind the head the keychain recorded: entries were
    /// removed, or an older copy was restored.
    RolledBack,
    /// The database at this path holds another log than the one the keychain recorded there.
    LogReplaced,
    /// A later export does not extend an earlier one of the same log (`verify-export --extends`).
    NotExtended,
}

/// One problem, at one entry where that applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditProblem {
    pub kind: AuditProblemKind,
    /// The entry the problem is at (for a gap: the first missing sequence number).
    pub seq: Option<i64>,
    pub message: String,
}
