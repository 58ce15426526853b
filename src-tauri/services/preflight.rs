//! Preflight: fetch the target record, its owner and the last write, evaluate the contract, store
//! and audit the result.

use crate::domain::preflight::Preflight;
use serde::Serialize;

/// A stored preflight as the UI and the CLI show it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct PreflightView {
    pub preflight_id: i64,
    pub preflight: Preflight,
    /// The lane's `preflight_max_age_minutes`.
    pub max_age_minutes: u32,
    /// After this time (UTC) a replay with this preflight is refused as stale.
    pub expires_at: String,
}
