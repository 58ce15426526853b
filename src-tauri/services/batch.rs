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

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::batch::{self, BatchAggregate};
use crate::domain::contract::LaneContract;
use crate::domain::event::format_time;
use crate::domain::preflight::{
    self, parse_sf_time, EventFacts, FailedCheck, GatePolicy, Observed, OverrideRequest, Preflight, RecordState,
    ReplayRequest, Target, WriteKind,
};
use crate::domain::replay::{self as replay_domain, PostVerify, ReplayOutcome};
use crate::error::{Error, Result};
use crate::salesforce::SalesforceError;
use crate::services::org::{SendOutcome, Session};
use crate::services::replay::{self as replay_service, Settled};
use crate::services::{audit, holder, lanes, Progress};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most events one batch takes: a selection of a whole large lane (a filter left off) is
/// refused up front instead of preflighting and auditing tens of thousands of events at once.
pub const MAX_BATCH_EVENTS: usize = 20_000;
/// Salesforce's practical limit of values in one SOQL `IN` list.
pub const IN_LIST_MAX: usize = 200;
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

fn json_text<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Io(format!("JSON: {e}")))
}

/// The event ids of a selection, validated against the lane.
async fn selected_ids(app: &App, sel: &Selection) -> Result<Vec<i64>> {
    if let Some(s) = &sel.status {
        if s != "failed" && s != "blocked" {
            return Err(Error::InvalidInput(format!(
                "--status `{s}`: a batch replays failed or blocked events"
            )));
        }
    }
    let filtered = store::batches::select_events(
        &app.pool,
        &sel.lane_id,
        sel.status.as_deref(),
        sel.reason_code.as_deref(),
    )
    .await?;
    let Some(ids) = &sel.ids else {
        return Ok(filtered);
    };
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<i64> = ids.iter().copied().filter(|i| seen.insert(*i)).collect();
    let lanes: HashMap<i64, String> = store::batches::event_lanes(&app.pool, &ids)
        .await?
        .into_iter()
        .collect();
    let wrong: Vec<String> = ids
        .iter()
        .filter(|i| lanes.get(i) != Some(&sel.lane_id))
        .map(|i| i.to_string())
        .collect();
    if !wrong.is_empty() {
        return Err(Error::InvalidInput(format!(
            "events {} do not exist in lane {}",
            wrong.join(", "),
            sel.lane_id
        )));
    }
    // Explicit ids keep their order; a status or reason code narrows them. Without those, ids
    // in other states stay in: their preflight says why they are blocked.
    if sel.status.is_some() || sel.reason_code.is_some() {
        let keep: std::collections::HashSet<i64> = filtered.into_iter().collect();
        return Ok(ids.into_iter().filter(|i| keep.contains(i)).collect());
    }
    Ok(ids)
}

/// The field a SOQL `INVALID_FIELD` error names, if any.
fn invalid_field(e: &SalesforceError) -> Option<String> {
    let SalesforceError::Api { errors, .. } = e else {
        return None;
    };
    let item = errors.iter().find(|i| i.error_code == "INVALID_FIELD")?;
    let rest = item.message.split("No such column '").nth(1)?;
    Some(rest.split('\'').next()?.to_string())
}

/// Records of `object` whose `field` is one of `values`, ≤200 values per query. Payload fields
/// the object does not have are dropped from the select list (one extra query per such field):
/// the write itself reports them, as a single replay would.
async fn fetch_in(
    session: &Session,
    object: &str,
    field: &str,
    values: &[&str],
    select: &mut Vec<String>,
    calls: &AtomicU64,
) -> Result<Vec<Map<String, Value>>> {
    let mut out = Vec::new();
    for chunk in values.chunks(IN_LIST_MAX) {
        loop {
            let cols: Vec<&str> = select.iter().map(String::as_str).collect();
            calls.fetch_add(1, Ordering::Relaxed);
            match session.client().find_by_external_ids(object, field, chunk, &cols).await {
                Ok(rows) => {
                    out.extend(rows);
                    break;
                }
                Err(e) => match invalid_field(&e) {
                    Some(f) if select.iter().any(|s| s.eq_ignore_ascii_case(&f)) => {
                        select.retain(|s| !s.eq_ignore_ascii_case(&f));
                    }
                    _ => return Err(e.into()),
                },
            }
        }
    }
    Ok(out)
}

fn record_from_row(row: &Map<String, Value>) -> Option<RecordState> {
    let s = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_string);
    let mut fields = row.clone();
    fields.remove("attributes");
    Some(RecordState {
        id: s("Id")?,
        owner_id: s("OwnerId"),
        last_modified_date: s("LastModifiedDate")
            .and_then(|t| parse_sf_time(&t))
            .map(format_time)
            .unwrap_or_default(),
        last_modified_by_id: s("LastModifiedById"),
        fields,
    })
}

fn is_api_name(f: &str) -> bool {
    crate::salesforce::encode::api_name("field", f).is_ok()
}

/// Observes every event of the selection with batched reads (see the module comment).
async fn observe_all(
    session: &Session,
    contract: &LaneContract,
    facts: &[EventFacts],
    calls: &AtomicU64,
) -> Result<Vec<Observed>> {
    let object = contract.identity_policy.object.as_str();
    let ext_field = contract.identity_policy.external_id_field.as_str();
    let mut select: Vec<String> = ["OwnerId", "LastModifiedDate", "LastModifiedById", ext_field]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for f in facts {
        for k in f.payload.keys() {
            if is_api_name(k) && !select.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                select.push(k.clone());
            }
        }
    }
    let mut values: Vec<&str> = facts.iter().filter_map(|f| f.external_id.as_deref()).collect();
    values.sort_unstable();
    values.dedup();
    let rows = fetch_in(session, object, ext_field, &values, &mut select, calls).await?;
    // External IDs match case-insensitively, as Salesforce's (non case-sensitive) external ID
    // fields do for the GET by external ID.
    let mut by_ext: HashMap<String, Vec<RecordState>> = HashMap::new();
    for row in &rows {
        let Some(ext) = row.get(ext_field).and_then(Value::as_str) else {
            continue;
        };
        if let Some(r) = record_from_row(row) {
            by_ext.entry(ext.to_lowercase()).or_default().push(r);
        }
    }
    let mut people: Vec<&str> = Vec::new();
    for r in by_ext.values().flatten() {
        for id in [r.owner_id.as_deref(), r.last_modified_by_id.as_deref()]
            .into_iter()
            .flatten()
        {
            if !people.contains(&id) {
                people.push(id);
            }
        }
    }
    // A failed lookup is not the end of the batch preflight: each found event records the
    // checks it leaves open, for the contract's verify_before_replay to decide.
    let mut lookup_failed: Option<String> = None;
    let resolved = if people.is_empty() {
        Vec::new()
    } else {
        // Users and queues: one query each per 200 ids, run at once.
        calls.fetch_add(2 * people.len().div_ceil(IN_LIST_MAX) as u64, Ordering::Relaxed);
        match session.resolve_owners(&people).await {
            Ok(r) => r,
            Err(e) => {
                lookup_failed = Some(format!("the owner and last-modifier lookup failed: {e}"));
                Vec::new()
            }
        }
    };
    let any_create = facts.iter().any(|f| {
        f.external_id
            .as_deref()
            .is_some_and(|v| !by_ext.contains_key(&v.to_lowercase()))
    });
    let external_id_unique_in_org = if contract.write_policy.external_id_must_be_unique && any_create {
        calls.fetch_add(1, Ordering::Relaxed);
        Some(session.external_id_is_unique(object, ext_field).await?)
    } else {
        None
    };
    let find = |id: Option<&str>| id.and_then(|i| resolved.iter().find(|o| o.id == i).cloned());
    let mut out = Vec::with_capacity(facts.len());
    for f in facts {
        let target = match f.external_id.as_deref() {
            None => Target::NoExternalId,
            Some(v) => match by_ext.get(&v.to_lowercase()).map(Vec::as_slice) {
                None | Some([]) => Target::NotFound,
                Some([one]) => Target::Found { record: one.clone() },
                Some(many) => Target::Several {
                    ids: many.iter().map(|r| r.id.clone()).collect(),
                },
            },
        };
        let mut observed = Observed {
            owner: None,
            last_modified_by: None,
            key_matches: Vec::new(),
            acts_as: session.acts_as().to_string(),
            latest_attempt: None,
            target,
            failed_checks: Vec::new(),
            external_id_unique_in_org,
        };
        if let Target::Found { record } = &observed.target {
            observed.owner = find(record.owner_id.as_deref());
            observed.last_modified_by = find(record.last_modified_by_id.as_deref());
            observed.failed_checks = match &lookup_failed {
                Some(m) => ["owner_state", "last_write_result"]
                    .iter()
                    .map(|c| FailedCheck {
                        check: (*c).into(),
                        message: m.clone(),
                    })
                    .collect(),
                None => crate::services::preflight::unresolved_checks(
                    record,
                    observed.owner.as_ref(),
                    observed.last_modified_by.as_ref(),
                ),
            };
        }
        out.push(observed);
    }
    if contract.identity_policy.search_before_write {
        search_business_keys(session, contract, facts, &mut out, calls).await?;
    }
    Ok(out)
}

/// The complete business key of an event whose values are all text (as a single preflight
/// searches only such keys; an incomplete one is the preflight's `business_key_incomplete`).
fn business_key(contract: &LaneContract, f: &EventFacts) -> Option<Vec<(String, String)>> {
    preflight::business_key(contract, &f.payload).ok()
}

/// The business-key search of every not-found event, in OR-ed queries (see
/// `find_by_any_key`), each match handed back to the events whose key it has (compared as SOQL
/// does: text case-insensitively).
async fn search_business_keys(
    session: &Session,
    contract: &LaneContract,
    facts: &[EventFacts],
    observed: &mut [Observed],
    calls: &AtomicU64,
) -> Result<()> {
    let object = contract.identity_policy.object.as_str();
    let mut wanted: Vec<(usize, Vec<(String, String)>)> = Vec::new();
    for (i, (f, o)) in facts.iter().zip(observed.iter()).enumerate() {
        if matches!(o.target, Target::NotFound) {
            if let Some(key) = business_key(contract, f) {
                wanted.push((i, key));
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    // One search per distinct key.
    let mut distinct: Vec<Vec<(&str, &str)>> = Vec::new();
    for (_, key) in &wanted {
        let k: Vec<(&str, &str)> = key.iter().map(|(f, v)| (f.as_str(), v.as_str())).collect();
        if !distinct.iter().any(|d| same_key(d, &k)) {
            distinct.push(k);
        }
    }
    let select: Vec<&str> = contract
        .replay_console
        .business_key_fields
        .iter()
        .map(|k| k.as_str())
        .collect();
    let (rows, queries) = session.client().find_by_any_key(object, &select, &distinct).await?;
    calls.fetch_add(queries as u64, Ordering::Relaxed);
    for (i, key) in &wanted {
        let matches: Vec<crate::domain::preflight::KeyMatch> = rows
            .iter()
            .filter(|row| {
                key.iter().all(|(f, v)| {
                    row.get(f.as_str())
                        .and_then(Value::as_str)
                        .is_some_and(|x| x.to_lowercase() == v.to_lowercase())
                })
            })
            .filter_map(|row| {
                let id = row.get("Id").and_then(Value::as_str)?.to_string();
                Some(crate::domain::preflight::KeyMatch {
                    id,
                    fields: row.clone(),
                })
            })
            .collect();
        if let Some(o) = observed.get_mut(*i) {
            o.key_matches = matches;
        }
    }
    Ok(())
}

fn same_key(a: &[(&str, &str)], b: &[(&str, &str)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((fa, va), (fb, vb))| fa == fb && va.to_lowercase() == vb.to_lowercase())
}

fn expires_at(taken_at: &str, max_minutes: u32) -> String {
    DateTime::parse_from_rfc3339(taken_at)
        .map(|t| format_time(t.with_timezone(&Utc) + chrono::Duration::minutes(i64::from(max_minutes))))
        .unwrap_or_default()
}

fn event_plan(preflight_id: i64, p: &Preflight) -> BatchEventPlan {
    BatchEventPlan {
        event_id: p.event.event_id,
        preflight_id,
        external_id: p.event.external_id.clone(),
        kind: p.request.kind,
        record_id: match &p.target {
            Target::Found { record } => Some(record.id.clone()),
            _ => None,
        },
        blocking: p.blocking().map(|f| f.code.clone()).collect(),
        warnings: p
            .findings
            .iter()
            .filter(|f| f.severity != preflight::Severity::Blocking)
            .map(|f| f.code.clone())
            .collect(),
        side_effects: p.side_effects.iter().map(|s| s.code.clone()).collect(),
    }
}

/// The audit draft of one event of a batch: a single replay's, linked to the batch.
fn draft(p: &Preflight, batch_id: i64, contract: &LaneContract, action: &str, actor: &str) -> AuditDraft {
    AuditDraft {
        batch_id: Some(batch_id),
        ..replay_service::draft(p, contract, action, actor)
    }
}

/// The batch preflight: observe, evaluate, store every per-event preflight and the batch.
pub async fn preflight(app: &App, sel: &Selection, planned_by: Option<&str>) -> Result<BatchPlan> {
    let (version, contract) = lanes::contract(app, &sel.lane_id).await?;
    let ids = selected_ids(app, sel).await?;
    if ids.is_empty() {
        return Err(Error::InvalidInput(format!(
            "the selection names no event of lane {} (with no --status, a batch takes failed and blocked events)",
            sel.lane_id
        )));
    }
    if ids.len() > MAX_BATCH_EVENTS {
        return Err(Error::InvalidInput(format!(
            "the selection holds {} events; a batch takes at most {MAX_BATCH_EVENTS} (about 4 minutes of writes at 4 \
             at a time and 50 ms a request, well inside a preflight's freshness). Narrow it with --status, \
             --reason-code or --ids, and run several batches",
            ids.len()
        )));
    }
    let mut facts = Vec::with_capacity(ids.len());
    for id in &ids {
        facts.push(crate::services::preflight::event_facts(app, *id).await?);
    }
    let session = app.session(&contract).await?;
    let calls = AtomicU64::new(0);
    let mut observed = observe_all(&session, &contract, &facts, &calls).await?;
    let now = Utc::now();
    let mut preflights = Vec::with_capacity(facts.len());
    for (f, o) in facts.iter().zip(observed.iter_mut()) {
        o.latest_attempt = store::replay::latest_attempt(&app.pool, f.event_id).await?;
        let mut p = preflight::evaluate(&contract, f, o, None, now);
        if let Some(ov) = &sel.override_request {
            if p.findings.iter().any(|x| x.code == "protected_field_conflict") {
                p = preflight::evaluate(&contract, f, o, Some(ov), now);
            }
        }
        preflights.push(p);
    }
    let aggregate = batch::aggregate(&preflights);
    let digest = batch::digest(preflights.iter().map(|p| p.digest.as_str()));
    let ack_token = batch::ack_token(&digest);
    let taken_at = format_time(now);
    let who = planned_by
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(audit::os_user);
    let integration_user = contract.salesforce_lane.integration_user.0.clone();

    // The batch, its per-event preflights and their audit entries: one transaction.
    let mut tx = store::write_tx(&app.pool).await?;
    let batch_id = store::batches::insert(
        &mut tx,
        &store::batches::NewBatch {
            lane_id: &sel.lane_id,
            created_at: &taken_at,
            planned_by: &who,
            selection: &json_text(sel)?,
        },
    )
    .await?;
    let mut preflight_ids = Vec::with_capacity(preflights.len());
    for p in &preflights {
        let id = store::replay::insert_preflight(&mut tx, p).await?;
        preflight_ids.push(id);
        let mut e = draft(p, batch_id, &contract, "preflight", &who);
        e.lane_version = Some(version);
        e.outcome = Some(crate::services::preflight::outcome_of(p).into());
        e.detail = crate::services::preflight::audit_detail(id, p);
        audit::record(&mut tx, &e).await?;
    }
    store::batches::finish_plan(
        &mut tx,
        batch_id,
        &json_text(&aggregate)?,
        &json_text(&preflight_ids)?,
        &digest,
        &ack_token,
    )
    .await?;
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "batch_planned".into(),
            actor: who.clone(),
            lane_id: Some(sel.lane_id.clone()),
            lane_version: Some(version),
            batch_id: Some(batch_id),
            integration_user: Some(integration_user),
            ack_token: Some(ack_token.clone()),
            outcome: Some("planned".into()),
            detail: serde_json::json!({
                "selection": sel,
                "aggregate": aggregate,
                "digest": digest,
                "preflight_ids": preflight_ids,
            }),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    app.checkpoint_soon();
    let max = contract.replay_console.preflight_max_age_minutes.0;
    Ok(BatchPlan {
        batch_id,
        lane_id: sel.lane_id.clone(),
        expires_at: expires_at(&taken_at, max),
        taken_at,
        digest,
        ack_token,
        aggregate,
        events: preflight_ids
            .iter()
            .zip(preflights.iter())
            .map(|(id, p)| event_plan(*id, p))
            .collect(),
        api_calls: calls.load(Ordering::Relaxed),
    })
}

async fn load_preflights(app: &App, row: &store::batches::BatchRow) -> Result<Vec<(i64, Preflight)>> {
    let ids: Vec<i64> = serde_json::from_str(&row.preflight_ids)
        .map_err(|e| Error::Io(format!("batch {}: stored preflight ids do not parse: {e}", row.id)))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let (_, body) = store::batches::preflight(&app.pool, id)
            .await?
            .ok_or_else(|| Error::Io(format!("batch {}: preflight {id} is missing", row.id)))?;
        let p: Preflight = serde_json::from_str(&body)
            .map_err(|e| Error::Io(format!("stored preflight {id} no longer parses: {e}")))?;
        out.push((id, p));
    }
    Ok(out)
}

/// Records a refused batch execution in the audit log, then returns the refusal.
async fn refuse(app: &App, batch_id: Option<i64>, req: &ExecuteRequest, code: &str, message: String) -> Error {
    let entry = AuditDraft {
        batch_id,
        ..replay_service::refusal_draft(
            "batch_refused",
            &req.operator,
            &req.reason,
            &req.ack_token,
            code,
            &message,
        )
    };
    replay_service::audited_refusal(app, &entry, code, message).await
}

/// `replay batch [selection] --ack TOKEN`: a selection given with the token must be the one its
/// batch preflight was taken over (each part that is given); otherwise the run is refused and
/// audited, so a token copied from another batch never writes a different selection.
pub async fn check_selection(
    app: &App,
    req: &ExecuteRequest,
    lane_id: Option<&str>,
    status: Option<&str>,
    reason_code: Option<&str>,
    ids: Option<&[i64]>,
) -> Result<()> {
    let Some(row) = store::batches::by_token(&app.pool, req.ack_token.trim()).await? else {
        return Ok(()); // `execute` refuses an unknown token
    };
    let stored: Selection = serde_json::from_str(&row.selection)
        .map_err(|e| Error::Io(format!("batch {}: stored selection does not parse: {e}", row.id)))?;
    let mut differs = Vec::new();
    if lane_id.is_some_and(|l| l != stored.lane_id) {
        differs.push(format!("lane {}", stored.lane_id));
    }
    if status.is_some() && status != stored.status.as_deref() {
        differs.push(format!(
            "status {}",
            stored.status.as_deref().unwrap_or("failed or blocked")
        ));
    }
    if reason_code.is_some() && reason_code != stored.reason_code.as_deref() {
        differs.push(format!(
            "reason code {}",
            stored.reason_code.as_deref().unwrap_or("(any)")
        ));
    }
    if let Some(ids) = ids {
        if stored.ids.as_deref() != Some(ids) {
            differs.push(match &stored.ids {
                Some(s) => format!("{} listed event ids", s.len()),
                None => "no list of event ids".into(),
            });
        }
    }
    if differs.is_empty() {
        return Ok(());
    }
    Err(refuse(
        app,
        Some(row.id),
        req,
        "selection_mismatch",
        format!(
            "this token is batch {}'s, whose preflight was taken over {}; the selection given differs. Nothing was sent",
            row.id,
            differs.join(", ")
        ),
    )
    .await)
}

/// What happened to one event of the execution.
enum EventResult {
    Sent {
        event_id: i64,
        attempt_id: i64,
        outcome: ReplayOutcome,
        code: Option<String>,
        message: String,
        record_id: Option<String>,
        kind: WriteKind,
        retries: u32,
    },
    AlreadyAttempted(i64),
    Skipped(SkippedEvent),
}

/// Shared by the execution's tasks: why the batch stops early, and the failure streak.
struct Run {
    app: App,
    session: Arc<Session>,
    batch_id: i64,
    operator: String,
    reason: String,
    contract: LaneContract,
    max_consecutive_failures: u32,
    streak: AtomicU32,
    stop: Mutex<Option<(String, String)>>,
    done: AtomicU64,
    total: u64,
    progress: Arc<dyn Progress>,
}

impl Run {
    fn stop_with(&self, status: &str, message: String) {
        if let Ok(mut s) = self.stop.lock() {
            if s.is_none() {
                *s = Some((status.into(), message));
            }
        }
    }
    fn stopped(&self) -> bool {
        self.stop.lock().map(|s| s.is_some()).unwrap_or(true)
    }
    fn tick(&self) {
        let d = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress.report(d, self.total);
    }
}

/// One event under the single-replay protocol, with this batch's id on its attempt and audit.
async fn run_one(run: Arc<Run>, preflight_id: i64, p: Preflight) -> Result<EventResult> {
    let event_id = p.event.event_id;
    let request_json = json_text(&p.request)?;
    let me = holder::me();
    let now = store::now_text();
    let mut tx = store::write_tx(&run.app.pool).await?;
    if store::batches::attempted(&mut tx, run.batch_id, event_id).await? {
        return Ok(EventResult::AlreadyAttempted(event_id));
    }
    // The event must still be in the state the batch preflight saw (as for a single replay).
    let allowed = [p.event.status.as_str()];
    let intent = store::replay::begin_intent(
        &mut tx,
        &store::replay::Intent {
            event_id,
            preflight_id,
            batch_id: Some(run.batch_id),
            operator: &run.operator,
            reason: &run.reason,
            ack_token: &p.ack_token,
            again_reason: None,
            override_reason: p.override_request.as_ref().map(|o| o.reassignment_reason.as_str()),
            approved_by: p.override_request.as_ref().map(|o| o.approved_by.as_str()),
            request: &request_json,
            holder_pid: me.pid,
            holder_started: &me.started,
            holder_host: &me.host,
            now: &now,
        },
        &allowed,
    )
    .await?;
    let attempt_id = match intent {
        store::replay::IntentResult::Created(id) => id,
        store::replay::IntentResult::Busy => {
            return Ok(EventResult::Skipped(SkippedEvent {
                event_id,
                code: "attempt_in_flight".into(),
                message: "another replay of this event is in flight or awaits verification".into(),
            }))
        }
        store::replay::IntentResult::StateChanged(s) => {
            return Ok(EventResult::Skipped(SkippedEvent {
                event_id,
                code: "state_changed".into(),
                message: format!("the event is now {s}; the batch preflight saw {}", p.event.status),
            }))
        }
    };
    let mut e = draft(&p, run.batch_id, &run.contract, "replay_intent", &run.operator);
    e.attempt_id = Some(attempt_id);
    e.reason = Some(run.reason.clone());
    e.outcome = Some("in_flight".into());
    e.detail = serde_json::json!({
        "preflight_id": preflight_id,
        "request": p.request,
        "before": p.target,
        "side_effects_acknowledged": p.side_effects,
        "lane_policy": p.lane_policy,
        "override": p.override_request.as_ref().map(|o| serde_json::json!({
            "reassignment_reason": o.reassignment_reason,
            "approved_by": o.approved_by,
        })),
    });
    audit::record(&mut tx, &e).await?;
    tx.commit().await?;

    // Send; again only after an answer that proves nothing was written.
    let mut retried: Vec<String> = Vec::new();
    let sent = loop {
        let sent = run.session.send(&p.request).await;
        match &sent {
            SendOutcome::Rejected { status, code, .. }
                if batch::is_retryable(*status, code) && (retried.len() as u32) < MAX_RETRIES =>
            {
                let n = retried.len() as u32;
                retried.push(code.clone());
                tokio::time::sleep(Duration::from_millis(BACKOFF_BASE_MS << (2 * n))).await;
            }
            _ => break sent,
        }
    };
    let settled = Settled::of(
        &sent,
        &p.event.status,
        "the record changed since the batch preflight; nothing was written",
    );
    let mut tx = store::write_tx(&run.app.pool).await?;
    settled.store(&mut tx, attempt_id, event_id).await?;
    let mut e = draft(&p, run.batch_id, &run.contract, "replay_outcome", &run.operator);
    e.attempt_id = Some(attempt_id);
    e.reason = Some(run.reason.clone());
    e.outcome = Some(settled.outcome.as_str().into());
    e.detail = settled.detail();
    e.detail["retried_after"] = serde_json::json!(retried);
    let Settled {
        outcome,
        code,
        message,
        record_id,
        ..
    } = settled;
    audit::record(&mut tx, &e).await?;
    if let Some(mut critical) = replay_service::overwrote_on_create(&p, &run.contract, &sent, &run.operator, attempt_id)
    {
        critical.batch_id = Some(run.batch_id);
        audit::record(&mut tx, &critical).await?;
    }
    tx.commit().await?;

    // The failure streak: a written event ends it; a 412 is the record's state, not a failure.
    match outcome {
        ReplayOutcome::Applied => run.streak.store(0, Ordering::Relaxed),
        ReplayOutcome::Rejected | ReplayOutcome::UnknownOutcome => {
            let n = run.streak.fetch_add(1, Ordering::Relaxed) + 1;
            if run.max_consecutive_failures > 0 && n >= run.max_consecutive_failures {
                run.stop_with(
                    "stopped",
                    format!("stopped after {n} consecutive failures (the last: {message})"),
                );
            }
        }
        ReplayOutcome::PreconditionFailed | ReplayOutcome::RecordAppeared => {}
    }
    Ok(EventResult::Sent {
        event_id,
        attempt_id,
        outcome,
        code,
        message,
        record_id: match (&p.target, record_id) {
            (Target::Found { record }, _) => Some(record.id.clone()),
            (_, r) => r,
        },
        kind: p.request.kind,
        retries: retried.len() as u32,
    })
}

/// Post-verify of the written records: one SOQL per 200, then each attempt's result and its
/// audit entry (one transaction per chunk).
async fn post_verify_all(run: &Run, written: &[(i64, String, Preflight)]) -> Result<Vec<i64>> {
    let mut mismatches = Vec::new();
    for chunk in written.chunks(IN_LIST_MAX) {
        let Some((_, _, first)) = chunk.first() else {
            continue;
        };
        let object = first.event.object.as_str();
        let mut select: Vec<String> = vec!["LastModifiedDate".into(), "LastModifiedById".into()];
        for (_, _, p) in chunk {
            for k in p.request.body.keys() {
                if is_api_name(k) && !select.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                    select.push(k.clone());
                }
            }
        }
        let ids: Vec<&str> = chunk.iter().map(|(_, id, _)| id.as_str()).collect();
        let cols: Vec<&str> = select.iter().map(String::as_str).collect();
        let read = run
            .session
            .client()
            .find_by_external_ids(object, "Id", &ids, &cols)
            .await;
        let by_id: HashMap<String, RecordState> = match &read {
            Ok(rows) => rows
                .iter()
                .filter_map(record_from_row)
                .map(|r| {
                    (
                        crate::salesforce::encode::id18(&r.id).unwrap_or_else(|| r.id.clone()),
                        r,
                    )
                })
                .collect(),
            Err(_) => HashMap::new(),
        };
        let mut tx = store::write_tx(&run.app.pool).await?;
        for (attempt_id, id, p) in chunk {
            let key = crate::salesforce::encode::id18(id).unwrap_or_else(|| id.clone());
            let pv = match (&read, by_id.get(&key)) {
                (Ok(_), Some(rec)) => {
                    let (matches, fields) = replay_domain::compare(&p.request.body, &rec.fields);
                    PostVerify {
                        matches,
                        fields,
                        record_id: Some(rec.id.clone()),
                        last_modified_date: Some(rec.last_modified_date.clone()),
                        last_modified_by_id: rec.last_modified_by_id.clone(),
                        error: None,
                    }
                }
                (Ok(_), None) => PostVerify {
                    matches: false,
                    fields: Vec::new(),
                    record_id: Some(id.clone()),
                    last_modified_date: None,
                    last_modified_by_id: None,
                    error: Some("the record is not there any more".into()),
                },
                (Err(e), _) => PostVerify {
                    matches: false,
                    fields: Vec::new(),
                    record_id: Some(id.clone()),
                    last_modified_date: None,
                    last_modified_by_id: None,
                    error: Some(format!("could not read the record back: {e}")),
                },
            };
            if !pv.matches {
                mismatches.push(p.event.event_id);
            }
            store::replay::set_post_verify(&mut tx, *attempt_id, &json_text(&pv)?).await?;
            let mut e = draft(p, run.batch_id, &run.contract, "post_verify", &run.operator);
            e.attempt_id = Some(*attempt_id);
            e.outcome = Some(if pv.matches { "verified" } else { "mismatch" }.into());
            let after: Map<String, Value> = pv
                .fields
                .iter()
                .filter_map(|f| f.actual.clone().map(|v| (f.field.clone(), v)))
                .collect();
            e.detail = serde_json::json!({"after": after, "post_verify": pv});
            audit::record(&mut tx, &e).await?;
        }
        tx.commit().await?;
    }
    Ok(mismatches)
}

/// Executes (or resumes) the batch whose preflight has `req.ack_token`.
pub async fn execute(app: &App, req: ExecuteRequest, progress: Arc<dyn Progress>) -> Result<BatchSummary> {
    // The batch's token is what names the batch, so it is always required (whatever the
    // contract's manual_replay_requires); the rest of the gate follows the lane's contract.
    let Some(row) = store::batches::by_token(&app.pool, req.ack_token.trim()).await? else {
        return Err(refuse(
            app,
            None,
            &req,
            "ack_mismatch",
            "no batch preflight has this acknowledgment token; run the batch preflight and use its token".into(),
        )
        .await);
    };
    let (_, contract) = lanes::contract(app, &row.lane_id).await?;
    let policy = GatePolicy::of(&contract);
    let max_age = policy.max_age_minutes;
    let mut req = req;
    if req.operator.trim().is_empty() {
        if policy.operator_name {
            return Err(refuse(
                app,
                Some(row.id),
                &req,
                "operator_missing",
                "the operator's name is required".into(),
            )
            .await);
        }
        req.operator = audit::os_user();
    }
    if policy.replay_reason && req.reason.trim().is_empty() {
        return Err(refuse(
            app,
            Some(row.id),
            &req,
            "reason_missing",
            "a replay reason is required".into(),
        )
        .await);
    }
    let selection: Selection = serde_json::from_str(&row.selection)
        .map_err(|e| Error::Io(format!("batch {}: stored selection does not parse: {e}", row.id)))?;
    if let Some(o) = &selection.override_request {
        if let Err(r) = preflight::check_override(o, &req.operator, &policy) {
            return Err(refuse(app, Some(row.id), &req, &r.code, r.message).await);
        }
    }
    let taken = DateTime::parse_from_rfc3339(&row.created_at)
        .map(|t| t.with_timezone(&Utc))
        .ok();
    let age = taken.map(|t| Utc::now() - t);
    if age.is_none_or(|a| a > chrono::Duration::minutes(i64::from(max_age)) || a < chrono::Duration::zero()) {
        return Err(refuse(
            app,
            Some(row.id),
            &req,
            "preflight_stale",
            format!(
                "the batch preflight from {} is older than {max_age} minutes; run it again (events already written are then blocked as already replayed)",
                row.created_at
            ),
        )
        .await);
    }
    if row.status == "done" {
        return Err(refuse(
            app,
            Some(row.id),
            &req,
            "batch_done",
            format!(
                "batch {} is done; `replay batch show {}` lists its outcome",
                row.id, row.id
            ),
        )
        .await);
    }
    let events = load_preflights(app, &row).await?;
    let session = app.session(&contract).await?;
    if let Some(message) = replay_service::identity_mismatch(&session, &contract) {
        return Err(refuse(app, Some(row.id), &req, "integration_user_mismatch", message).await);
    }
    let operator = req.operator.trim().to_string();
    let reason = req.reason.trim().to_string();
    let integration_user = contract.salesforce_lane.integration_user.0.clone();
    let first_run = row.status == "planned";
    // A resumed batch also reads back what a dead process wrote but never verified (fetched now,
    // before this run adds attempts of its own).
    let mut orphans: Vec<(i64, String, Preflight)> = Vec::new();
    if !first_run {
        for (attempt_id, event_id, record_id) in store::batches::unverified_writes(&app.pool, row.id).await? {
            if let Some((_, p)) = events.iter().find(|(_, p)| p.event.event_id == event_id) {
                orphans.push((attempt_id, record_id, p.clone()));
            }
        }
    }
    let usage_before = session.client().api_usage();

    // The per-event gate (blocking findings, freshness) decides what is skipped up front.
    let now = Utc::now();
    let mut summary = BatchSummary {
        batch_id: row.id,
        total: events.len() as u64,
        ..BatchSummary::default()
    };
    let mut writable = Vec::new();
    let mut skipped_entries = Vec::new();
    for (pid, p) in events {
        let per_event = ReplayRequest {
            operator: operator.clone(),
            reason: reason.clone(),
            ack_token: p.ack_token.clone(),
            again: None,
            // The batch's override, where its preflight applied it (checked above).
            override_request: p.override_request.clone(),
            // Checked once for the batch, by kind, below.
            acknowledged: None,
        };
        match preflight::gate(Some(&p), &per_event, &policy, now) {
            Ok(()) => writable.push((pid, p)),
            Err(r) => {
                summary.blocked.push(SkippedEvent {
                    event_id: p.event.event_id,
                    code: r.code.clone(),
                    message: r.message.clone(),
                });
                skipped_entries.push((p, r));
            }
        }
    }

    if let Some(ack) = &req.acknowledged {
        let missing = preflight::unacknowledged(
            writable
                .iter()
                .flat_map(|(_, p): &(i64, Preflight)| p.side_effects.iter().map(|s| s.code.as_str())),
            ack,
        );
        if !missing.is_empty() {
            let message = format!(
                "not every kind of side effect was acknowledged (missing: {}); tick each one the batch lists",
                missing.join(", ")
            );
            return Err(refuse(app, Some(row.id), &req, "side_effects_unacknowledged", message).await);
        }
    }
    let mut tx = store::write_tx(&app.pool).await?;
    store::batches::start(&mut tx, row.id, &operator, &reason, &store::now_text(), &holder::me()).await?;
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "batch_started".into(),
            actor: operator.clone(),
            lane_id: Some(row.lane_id.clone()),
            batch_id: Some(row.id),
            integration_user: Some(integration_user.clone()),
            reason: Some(reason.clone()),
            ack_token: Some(row.ack_token.clone()),
            outcome: Some("running".into()),
            detail: serde_json::json!({
                "resumed": !first_run,
                "writable": writable.len(),
                "blocked": summary.blocked.len(),
                "concurrency": req.concurrency,
                "max_consecutive_failures": req.max_consecutive_failures,
                "pause_above_percent": req.pause_above_percent,
                "side_effects_acknowledged": req.acknowledged.as_ref().map_or(
                    serde_json::json!("all, by the batch token"),
                    |a| serde_json::json!(a),
                ),
            }),
            ..AuditDraft::default()
        },
    )
    .await?;
    // Each blocked event gets its entry linked to the batch, once (not again on a resume).
    if first_run {
        for (p, r) in &skipped_entries {
            let mut e = draft(p, row.id, &contract, "batch_skipped", &operator);
            e.reason = Some(reason.clone());
            e.outcome = Some("skipped".into());
            e.detail = serde_json::json!({"code": r.code, "message": r.message});
            audit::record(&mut tx, &e).await?;
        }
    }
    tx.commit().await?;

    let run = Arc::new(Run {
        app: app.clone(),
        session: session.clone(),
        batch_id: row.id,
        operator: operator.clone(),
        reason: reason.clone(),
        contract: contract.clone(),
        max_consecutive_failures: req.max_consecutive_failures,
        streak: AtomicU32::new(0),
        stop: Mutex::new(None),
        done: AtomicU64::new(summary.blocked.len() as u64),
        total: summary.total,
        progress: progress.clone(),
    });
    progress.report(summary.blocked.len() as u64, summary.total);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(req.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut preflights: HashMap<i64, Preflight> = HashMap::new();
    let mut queue = writable.into_iter();
    for (pid, p) in queue.by_ref() {
        // Wait for a free slot first: a stop, a cancel or the API usage seen meanwhile counts.
        let Ok(permit) = semaphore.clone().acquire_owned().await else {
            summary.not_started.push(p.event.event_id);
            break;
        };
        if progress.cancelled() {
            run.stop_with(
                "cancelled",
                "cancelled by the operator; in-flight writes were let settle".into(),
            );
        }
        if let Some(u) = session.client().api_usage() {
            if batch::usage_above(u.used, u.limit, req.pause_above_percent) {
                run.stop_with(
                    "paused",
                    format!(
                        "paused: the org's API usage is {}/{} (above {}% of the daily allowance); run the same command later to resume",
                        u.used, u.limit, req.pause_above_percent
                    ),
                );
            }
        }
        if run.stopped() {
            summary.not_started.push(p.event.event_id);
            break;
        }
        preflights.insert(p.event.event_id, p.clone());
        let r = run.clone();
        tasks.spawn(async move {
            let out = run_one(r.clone(), pid, p).await;
            r.tick();
            drop(permit);
            out
        });
    }
    summary.not_started.extend(queue.map(|(_, p)| p.event.event_id));

    // Every in-flight write settles (and is recorded) before the batch ends, cancelled or not.
    let mut written: Vec<(i64, String, Preflight)> = Vec::new();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let result = match joined {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
                continue;
            }
            Err(e) => {
                first_error.get_or_insert(Error::Io(format!("a batch task failed: {e}")));
                continue;
            }
        };
        match result {
            EventResult::AlreadyAttempted(id) => summary.already_attempted.push(id),
            EventResult::Skipped(s) => summary.skipped.push(s),
            EventResult::Sent {
                event_id,
                attempt_id,
                outcome,
                code,
                message,
                record_id,
                kind,
                retries,
            } => {
                summary.retries += u64::from(retries);
                match outcome {
                    ReplayOutcome::Applied => {
                        if kind == WriteKind::Create {
                            summary.created.push(event_id);
                        } else {
                            summary.updated.push(event_id);
                        }
                        if let (Some(id), Some(p)) = (record_id, preflights.remove(&event_id)) {
                            written.push((attempt_id, id, p));
                        }
                    }
                    ReplayOutcome::PreconditionFailed => summary.changed_since_preflight.push(event_id),
                    ReplayOutcome::Rejected => summary.rejected.push(SkippedEvent {
                        event_id,
                        code: code.unwrap_or_default(),
                        message,
                    }),
                    ReplayOutcome::UnknownOutcome => summary.unknown_outcome.push(event_id),
                    // Refused at the write, as a single replay is: nothing was written.
                    ReplayOutcome::RecordAppeared => summary.skipped.push(SkippedEvent {
                        event_id,
                        code: code.unwrap_or_default(),
                        message,
                    }),
                }
            }
        }
    }
    written.extend(orphans);
    written.sort_by_key(|(a, _, _)| *a);
    summary.post_verify_mismatches = post_verify_all(&run, &written).await?;
    for v in [
        &mut summary.updated,
        &mut summary.created,
        &mut summary.changed_since_preflight,
        &mut summary.unknown_outcome,
        &mut summary.already_attempted,
        &mut summary.post_verify_mismatches,
    ] {
        v.sort_unstable();
    }
    summary.rejected.sort_by_key(|s| s.event_id);
    summary.skipped.sort_by_key(|s| s.event_id);

    let (status, message) = match run.stop.lock().ok().and_then(|s| s.clone()) {
        Some(s) => s,
        None => (
            "done".to_string(),
            format!(
                "{} written ({} updated, {} created), {} blocked, {} changed since the preflight, {} rejected, {} unknown outcome",
                summary.updated.len() + summary.created.len(),
                summary.updated.len(),
                summary.created.len(),
                summary.blocked.len(),
                summary.changed_since_preflight.len(),
                summary.rejected.len(),
                summary.unknown_outcome.len()
            ),
        ),
    };
    summary.status = status.clone();
    summary.message = message;
    summary.api_calls = match (usage_before, session.client().api_usage()) {
        (Some(a), Some(b)) => Some(b.used.saturating_sub(a.used)),
        _ => None,
    };
    let summary_json = json_text(&summary)?;
    let mut tx = store::write_tx(&app.pool).await?;
    store::batches::finish(&mut tx, row.id, &status, &summary_json, &store::now_text()).await?;
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "batch_finished".into(),
            actor: operator,
            lane_id: Some(row.lane_id.clone()),
            batch_id: Some(row.id),
            integration_user: Some(integration_user),
            reason: Some(reason),
            ack_token: Some(row.ack_token.clone()),
            outcome: Some(status),
            detail: serde_json::to_value(&summary).unwrap_or(Value::Null),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    app.checkpoint_soon();
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(summary)
}

/// A batch with each event's preflight in short and its attempt under the batch.
pub async fn show(app: &App, batch_id: i64) -> Result<BatchDetail> {
    let row = store::batches::get(&app.pool, batch_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no batch with id {batch_id}")))?;
    let events = load_preflights(app, &row).await?;
    let (_, contract) = lanes::contract(app, &row.lane_id).await?;
    let max_age = contract.replay_console.preflight_max_age_minutes.0;
    let attempts: HashMap<i64, store::batches::BatchAttempt> = store::batches::attempts(&app.pool, batch_id)
        .await?
        .into_iter()
        .map(|a| (a.0, a))
        .collect();

    Ok(BatchDetail {
        batch_id: row.id,
        lane_id: row.lane_id.clone(),
        created_at: row.created_at.clone(),
        expires_at: expires_at(&row.created_at, max_age),
        planned_by: row.planned_by.clone(),
        operator: row.operator.clone(),
        reason: row.reason.clone(),
        status: row.status.clone(),
        ack_token: row.ack_token.clone(),
        digest: row.digest.clone(),
        started_at: row.started_at.clone(),
        finished_at: row.finished_at.clone(),
        selection: serde_json::from_str(&row.selection).ok(),
        aggregate: serde_json::from_str(&row.aggregate).ok(),
        summary: row.summary.as_deref().and_then(|s| serde_json::from_str(s).ok()),
        events: events
            .iter()
            .map(|(pid, p)| {
                let a = attempts.get(&p.event.event_id);
                let plan = event_plan(*pid, p);
                BatchEventDetail {
                    event_id: p.event.event_id,
                    preflight_id: *pid,
                    external_id: p.event.external_id.clone(),
                    kind: p.request.kind,
                    blocking: plan.blocking,
                    warnings: plan.warnings,
                    side_effects: plan.side_effects,
                    attempt_id: a.map(|a| a.1),
                    outcome: a.map(|a| a.2.clone()),
                    error_code: a.and_then(|a| a.3.clone()),
                    record_id: a.and_then(|a| a.4.clone()),
                }
            })
            .collect(),
    })
}

/// One batch in the history: who planned and ran it, its aggregate, and its attempts by outcome.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchListItem {
    pub batch_id: i64,
    pub lane_id: String,
    pub created_at: String,
    pub planned_by: String,
    pub operator: Option<String>,
    pub reason: Option<String>,
    /// planned, running, paused, stopped, cancelled or done.
    pub status: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub aggregate: BatchAggregate,
    /// Attempts made under the batch (every run, resumes included) by outcome: applied,
    /// rejected, precondition_failed, unknown_outcome, not_applied, in_flight.
    pub attempts: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchPage {
    pub batches: Vec<BatchListItem>,
    /// Pass as `before` for the next (older) page; none at the end.
    pub next_before: Option<i64>,
}

pub const DEFAULT_LIST_PAGE: u32 = 50;
pub const MAX_LIST_PAGE: u32 = 500;

/// The batches, newest first, a page at a time (keyset on the id).
pub async fn list(app: &App, before: Option<i64>, limit: Option<u32>) -> Result<BatchPage> {
    let limit = limit.unwrap_or(DEFAULT_LIST_PAGE).clamp(1, MAX_LIST_PAGE);
    // One more than asked tells whether there is an older page.
    let mut rows = store::batches::list(&app.pool, before, limit + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut counts: HashMap<i64, std::collections::BTreeMap<String, u64>> = HashMap::new();
    for (batch_id, outcome, n) in store::batches::attempt_counts(&app.pool, &ids).await? {
        counts
            .entry(batch_id)
            .or_default()
            .insert(outcome, u64::try_from(n).unwrap_or(0));
    }
    Ok(BatchPage {
        next_before: if more { rows.last().map(|r| r.id) } else { None },
        batches: rows
            .into_iter()
            .map(|r| BatchListItem {
                batch_id: r.id,
                aggregate: serde_json::from_str(&r.aggregate).unwrap_or_default(),
                attempts: counts.remove(&r.id).unwrap_or_default(),
                lane_id: r.lane_id,
                created_at: r.created_at,
                planned_by: r.planned_by,
                operator: r.operator,
                reason: r.reason,
                status: r.status,
                started_at: r.started_at,
                finished_at: r.finished_at,
            })
            .collect(),
    })
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
