//! Orchestration, one file per use case: the only callers of the store (and later of the
//! Salesforce client and the keychain). The CLI and the desktop commands call these and nothing
//! below them.

pub mod alert_delivery;
pub mod alerts;
pub mod app;
pub mod audit;
pub mod batch;
pub mod binding;
pub mod credentials;
pub mod demo;
pub mod discard;
pub mod events;
pub mod groups;
pub mod holder;
pub mod import;
pub mod lanes;
pub mod lease;
pub mod limits;
pub mod logs;
pub mod org;
pub mod preflight;
pub mod queue_export;
pub mod recovery;
pub mod replay;
pub mod revisions;
pub mod search;
pub mod settle;
pub mod team;
pub mod triage;

/// Reports progress of long work and asks whether to stop. The CLI draws a bar; the desktop
/// forwards it to the window.
pub trait Progress: Send + Sync {
    fn report(&self, done: u64, total: u64);
    fn cancelled(&self) -> bool {
        false
    }
}

/// For callers that want no progress.
pub struct NoProgress;
impl Progress for NoProgress {
    fn report(&self, _done: u64, _total: u64) {}
}
