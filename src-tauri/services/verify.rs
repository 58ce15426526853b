//! Settling an unknown outcome: read the record and decide whether the write was applied.

use crate::domain::replay::PostVerify;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum Settlement {
    Applied,
    NotApplied,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct VerifyResult {
    pub event_id: i64,
    pub attempt_id: i64,
    pub settlement: Settlement,
    /// The evidence, in a sentence.
    pub message: String,
    pub post_verify: PostVerify,
}
