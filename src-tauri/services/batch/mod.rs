//! Batch replay (issue 8): one preflight for a whole selection of a lane's events, fetched in as
//! few calls as Salesforce allows, then every writable event written under the single-event
//! protocol (durable intent, conditional update or upsert, outcome, audit), with bounded
//! concurrency, retries of answers that prove nothing was written, a pause on API usage, a stop
//! after consecutive failures and a cancel that lets in-flight writes settle.
//!
//! Round trips of the batch preflight (cached token): one SOQL per 200 external IDs (records,
//! with every payload field), one per 200 owners/modifiers (users and queues at once), and, when
//! the lane says `search_before_write`, the business keys of every not-found event OR-ed
//! together, as few queries as the URL length allows (about 4,000 characters of conditions each).
//! Execution: one write per event (plus retries), one SOQL per 200 written records (post-verify).
//!
//! Resuming: a batch is executed by its token; running the same `--ack` again (after a crash,
//! a pause, a stop or a cancel) skips every event that already has an attempt under this batch
//! (checked inside the intent's write transaction). A dead process's in-flight intents become
//! `unknown_outcome` at start-up (services::recovery), and are never sent again by the batch.
//!
//! API usage: when the last `Sforce-Limit-Info` shows usage above the threshold, the batch stops
//! launching writes, lets the in-flight ones settle, and ends as `paused`. It does not wait:
//! the daily allowance frees up over hours, not seconds. Run the same command later to resume.
//!
//! Split by job: `observe` (the batched reads of the batch preflight), `plan` (the batch
//! preflight, its stored plan and the refusals), `run` (the execution), `views` (what the CLI
//! and the window show of stored batches).

use crate::domain::batch::BatchAggregate;
use crate::domain::preflight::{OverrideRequest, WriteKind};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

mod group;
mod observe;
mod plan;
mod run;
mod steps;
mod views;

use observe::*;
use plan::*;

pub use plan::{check_selection, preflight};
pub use run::execute;
pub use views::{list, show, BatchListItem, BatchPage, DEFAULT_LIST_PAGE, MAX_LIST_PAGE};

/// The most events one batch takes: a selection of a whole large lane (a filter left off) is
/// refused up front instead of preflighting and auditing tens of thousands of events at once.
pub const MAX_BATCH_EVENTS: usize = 20_000;
/// Salesforce's practical limit of values in one SOQL `IN` list.
pub use crate::services::org::IN_LIST_MAX;
/// Retries of one event's write after an answer that proved nothing was written.
pub const MAX_RETRIES: u32 = 3;
/// Backoff before retry n (n = 0, 1, 2): 100 ms, 400 ms, 1.6 s.
const BACKOFF_BASE_MS: u64 = 100;
/// How a batch runs unless told otherwise (the CLI's defaults and the window's).
pub const DEFAULT_CONCURRENCY: u16 = 4;
pub const MAX_CONCURRENCY: u16 = 64;
pub const DEFAULT_MAX_CONSECUTIVE_FAILURES: u32 = 10;
pub const DEFAULT_PAUSE_ABOVE_PERCENT: u8 = 90;

/// Which events a batch covers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Selection {
    pub lane_id: String,
    /// failed or blocked; none: both.
    pub status: Option<String>,
    /// The events' failure code.
    pub reason_code: Option<String>,
    /// Explicit event ids (e.g. from `--ids FILE`), in this order.
    pub ids: Option<Vec<i64>>,
    /// A failure group's key (`--group KEY`, the Groups view): the batch preflight resolves it
    /// to the group's lane, failure code and open events, stored in `ids`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub group: Option<String>,
    /// An approved override of protected fields (owner included), applied to the events whose
    /// preflight finds a protected-field conflict and recorded on each of them; what it must
    /// carry is the contract's `owner_override_allowed_only_when`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub override_request: Option<OverrideRequest>,
}

/// One event of a batch preflight, in short: the full preflight is stored under `preflight_id`.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchEventPlan {
    pub event_id: i64,
    pub preflight_id: i64,
    pub external_id: Option<String>,
    pub kind: WriteKind,
    pub record_id: Option<String>,
    pub blocking: Vec<String>,
    pub warnings: Vec<String>,
    pub side_effects: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchPlan {
    pub batch_id: i64,
    pub lane_id: String,
    pub taken_at: String,
    pub expires_at: String,
    pub digest: String,
    pub ack_token: String,
    pub aggregate: BatchAggregate,
    pub events: Vec<BatchEventPlan>,
    /// Salesforce calls the batch preflight made.
    pub api_calls: u64,
}

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct ExecuteRequest {
    pub ack_token: String,
    pub operator: String,
    pub reason: String,
    pub concurrency: usize,
    pub max_consecutive_failures: u32,
    pub pause_above_percent: u8,
    /// The kinds of side effect the operator ticked one by one (the window sends them): every
    /// kind among the events the batch would write must be there. `None`: the token alone
    /// acknowledges them all (`--ack TOKEN`).
    pub acknowledged: Option<Vec<String>>,
}

/// What the window (or any caller over IPC) asks for to execute or resume a batch; what it leaves
/// out runs with the CLI's defaults.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchRunRequest {
    pub ack_token: String,
    pub operator: String,
    pub reason: String,
    /// Writes in flight at once (1 to 64; default 4).
    #[serde(default)]
    #[ts(optional)]
    pub concurrency: Option<u16>,
    /// Stop after this many failures in a row (0: never; default 10).
    #[serde(default)]
    #[ts(optional)]
    pub max_consecutive_failures: Option<u32>,
    /// Pause when the org's daily API usage is above this percentage (1 to 100; default 90).
    #[serde(default)]
    #[ts(optional)]
    pub pause_above_percent: Option<u8>,
    /// The kinds of side effect the operator ticked; see `ExecuteRequest::acknowledged`.
    #[serde(default)]
    #[ts(optional)]
    pub acknowledged: Option<Vec<String>>,
}

impl BatchRunRequest {
    /// The request with its defaults filled in, or why a limit is out of range.
    pub fn into_request(self) -> Result<ExecuteRequest> {
        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(Error::InvalidInput(format!(
                "concurrency {concurrency}: between 1 and {MAX_CONCURRENCY} writes may be in flight at once"
            )));
        }
        let pause_above_percent = self.pause_above_percent.unwrap_or(DEFAULT_PAUSE_ABOVE_PERCENT);
        if !(1..=100).contains(&pause_above_percent) {
            return Err(Error::InvalidInput(format!(
                "pause above {pause_above_percent}%: the threshold is a percentage from 1 to 100"
            )));
        }
        Ok(ExecuteRequest {
            ack_token: self.ack_token,
            operator: self.operator,
            reason: self.reason,
            concurrency: usize::from(concurrency),
            max_consecutive_failures: self
                .max_consecutive_failures
                .unwrap_or(DEFAULT_MAX_CONSECUTIVE_FAILURES),
            pause_above_percent,
            acknowledged: self.acknowledged,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct SkippedEvent {
    pub event_id: i64,
    pub code: String,
    pub message: String,
}

/// What an execution of a batch came to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
#[serde(default)]
pub struct BatchSummary {
    pub batch_id: i64,
    /// done, paused, stopped or cancelled.
    pub status: String,
    pub message: String,
    pub total: u64,
    pub updated: Vec<i64>,
    pub created: Vec<i64>,
    /// Blocked by the batch preflight (or refused by the gate): never written.
    pub blocked: Vec<SkippedEvent>,
    /// 412: the record changed since the batch preflight; nothing written.
    pub changed_since_preflight: Vec<i64>,
    pub rejected: Vec<SkippedEvent>,
    pub unknown_outcome: Vec<i64>,
    /// Already attempted under this batch (a resumed run) or otherwise not startable.
    pub already_attempted: Vec<i64>,
    pub skipped: Vec<SkippedEvent>,
    /// Not reached (paused, stopped or cancelled first).
    pub not_started: Vec<i64>,
    pub retries: u64,
    pub post_verify_mismatches: Vec<i64>,
    /// Salesforce calls of this execution, from the org's `Sforce-Limit-Info` (None if unknown).
    pub api_calls: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchEventDetail {
    pub event_id: i64,
    pub preflight_id: i64,
    pub external_id: Option<String>,
    pub kind: WriteKind,
    pub blocking: Vec<String>,
    /// Non-blocking findings' codes, as in [`BatchEventPlan`].
    pub warnings: Vec<String>,
    /// Side-effect codes of the event's preflight, as in [`BatchEventPlan`].
    pub side_effects: Vec<String>,
    pub attempt_id: Option<i64>,
    pub outcome: Option<String>,
    pub error_code: Option<String>,
    pub record_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchDetail {
    pub batch_id: i64,
    pub lane_id: String,
    pub created_at: String,
    /// When the batch preflight turns stale (the lane's `preflight_max_age_minutes`): no run or
    /// resume after that.
    pub expires_at: String,
    pub planned_by: String,
    pub operator: Option<String>,
    pub reason: Option<String>,
    pub status: String,
    pub ack_token: String,
    pub digest: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// What the batch preflight was taken over. `None` only if the stored JSON no longer reads
    /// (a database edited by hand); likewise the aggregate and the summary.
    pub selection: Option<Selection>,
    pub aggregate: Option<BatchAggregate>,
    /// The last run's summary; `None` before the first run.
    pub summary: Option<BatchSummary>,
    pub events: Vec<BatchEventDetail>,
}

pub(super) fn json_text<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Io(format!("JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_request() -> BatchRunRequest {
        BatchRunRequest {
            ack_token: "abc".into(),
            operator: "Dana".into(),
            reason: "INC-1".into(),
            concurrency: None,
            max_consecutive_failures: None,
            pause_above_percent: None,
            acknowledged: None,
        }
    }

    #[test]
    fn a_run_request_takes_the_clis_defaults_and_refuses_limits_out_of_range() {
        let r = run_request().into_request().expect("defaults are valid");
        assert_eq!(
            (r.concurrency, r.max_consecutive_failures, r.pause_above_percent),
            (4, 10, 90),
            "what the window leaves out runs as the CLI's defaults"
        );
        for bad in [
            BatchRunRequest {
                concurrency: Some(0),
                ..run_request()
            },
            BatchRunRequest {
                concurrency: Some(MAX_CONCURRENCY + 1),
                ..run_request()
            },
            BatchRunRequest {
                pause_above_percent: Some(0),
                ..run_request()
            },
        ] {
            assert!(
                matches!(bad.clone().into_request(), Err(Error::InvalidInput(_))),
                "{bad:?} is out of range, as it is for the CLI"
            );
        }
    }
}
