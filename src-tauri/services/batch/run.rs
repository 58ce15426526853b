//! The execution of a batch: every writable event under the single-replay protocol, at bounded
//! concurrency, with retries, a pause on API usage, a stop after failures in a row and a
//! cancel; then post-verify in batched reads.

use super::steps::{begin, post_verify_all, settle, Begun};
use super::*;
use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::batch::{self};
use crate::domain::contract::LaneContract;
use crate::domain::preflight::{self, GatePolicy, Preflight, ReplayRequest, WriteKind};
use crate::domain::replay::ReplayOutcome;
use crate::error::{Error, Result};
use crate::services::org::{ApiUsage, SendOutcome, Session};
use crate::services::replay::{self as replay_service};
use crate::services::{audit, holder, lanes, Progress};
use crate::store;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What happened to one event of the execution.
pub(super) enum EventResult {
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
pub(super) struct Run {
    pub(super) app: App,
    pub(super) session: Arc<Session>,
    pub(super) batch_id: i64,
    pub(super) operator: String,
    pub(super) reason: String,
    pub(super) contract: LaneContract,
    pub(super) max_consecutive_failures: u32,
    pub(super) streak: AtomicU32,
    stop: Mutex<Option<(String, String)>>,
    done: AtomicU64,
    total: u64,
    progress: Arc<dyn Progress>,
}

impl Run {
    pub(super) fn stop_with(&self, status: &str, message: String) {
        if let Ok(mut s) = self.stop.lock() {
            if s.is_none() {
                *s = Some((status.into(), message));
            }
        }
    }
    pub(super) fn stopped(&self) -> bool {
        self.stop.lock().map(|s| s.is_some()).unwrap_or(true)
    }
    pub(super) fn tick(&self) {
        let d = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress.report(d, self.total);
    }
}

/// One event under the single-replay protocol, with this batch's id on its attempt and audit.
/// Creates go this way (their re-read by external ID is a call of its own before the create);
/// updates go in groups ([`super::group::run_group`]).
pub(super) async fn run_one(run: Arc<Run>, preflight_id: i64, p: Preflight) -> Result<Vec<EventResult>> {
    let mut tx = store::write_tx(&run.app.pool).await?;
    let mut audits = Vec::new();
    let one = [(preflight_id, p)];
    let begun = begin(&run, &mut tx, &one, &mut audits).await?;
    let [(_, p)] = one;
    let attempt_id = match begun.into_iter().next() {
        Some(Begun::Started(id)) => id,
        Some(Begun::Done(r)) => return Ok(vec![r]),
        None => return Ok(Vec::new()),
    };
    audit::record_all(&mut tx, &audits).await?;
    tx.commit().await?;

    // Send; again only after an answer that proves nothing was written, and (team mode) only
    // while the lease is surely still this console's.
    let lease = crate::services::lease::Lease::hold(&run.app, store::leases::Held::Attempt, vec![attempt_id]);
    let mut retried: Vec<String> = Vec::new();
    let sent = loop {
        let sent = run.session.send(&p.request).await;
        match &sent {
            SendOutcome::Rejected { status, code, .. }
                if batch::is_retryable(*status, code) && (retried.len() as u32) < MAX_RETRIES && lease.fresh() =>
            {
                let n = retried.len() as u32;
                retried.push(code.clone());
                tokio::time::sleep(Duration::from_millis(BACKOFF_BASE_MS << (2 * n))).await;
            }
            _ => break sent,
        }
    };
    let mut tx = store::write_tx(&run.app.pool).await?;
    let mut audits = Vec::new();
    let result = settle(&run, &mut tx, &p, attempt_id, &sent, &retried, &mut audits).await?;
    audit::record_all(&mut tx, &audits).await?;
    tx.commit().await?;
    Ok(vec![result])
}

/// Executes (or resumes) the batch whose preflight has `req.ack_token`.
/// A batch run admitted by the gate: its stored batch, the lane's contract and gate policy, the
/// request with the operator filled in, and a session acting as the lane's integration user.
struct Admitted {
    row: store::batches::BatchRow,
    contract: LaneContract,
    policy: GatePolicy,
    req: ExecuteRequest,
    session: Arc<Session>,
}

/// The batch-wide gate: the token names a stored batch, the contract's requirements are met, the
/// batch preflight is fresh and not done, and the token acts as the lane's integration user.
/// Every refusal is audited.
async fn admit(app: &App, req: ExecuteRequest) -> Result<Admitted> {
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
        req.operator = crate::services::holder::os_user();
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
    let session = app.session(&contract).await?;
    if let Some(message) = replay_service::identity_mismatch(&session, &contract) {
        return Err(refuse(app, Some(row.id), &req, "integration_user_mismatch", message).await);
    }
    Ok(Admitted {
        row,
        contract,
        policy,
        req,
        session,
    })
}

/// An event the per-event gate kept from the run, with its refusal.
type Gated = (Preflight, preflight::Refusal);

/// The per-event gate (blocking findings, freshness, the override): the events to write, and
/// those skipped up front with the refusal each got.
fn gate_events(
    events: Vec<(i64, Preflight)>,
    policy: &GatePolicy,
    operator: &str,
    reason: &str,
    summary: &mut BatchSummary,
) -> (Vec<(i64, Preflight)>, Vec<Gated>) {
    let now = Utc::now();
    let mut writable = Vec::new();
    let mut skipped_entries = Vec::new();
    for (pid, p) in events {
        let per_event = ReplayRequest {
            operator: operator.to_string(),
            reason: reason.to_string(),
            ack_token: p.ack_token.clone(),
            again: None,
            // The batch's override, where its preflight applied it (checked above).
            override_request: p.override_request.clone(),
            // Checked once for the batch, by kind, below.
            acknowledged: None,
        };
        match preflight::gate(Some(&p), &per_event, policy, now) {
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

    (writable, skipped_entries)
}

/// Launches every writable event at bounded concurrency until a stop, a cancel or the API usage
/// says otherwise; the events not launched are listed as not started. Updates of one object go
/// in groups of up to 25 per call (a group holds one slot); creates go one by one.
async fn launch(
    run: &Arc<Run>,
    writable: Vec<(i64, Preflight)>,
    req: &ExecuteRequest,
    progress: &Arc<dyn Progress>,
    summary: &mut BatchSummary,
) -> (tokio::task::JoinSet<Result<Vec<EventResult>>>, HashMap<i64, Preflight>) {
    let session = run.session.clone();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(req.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut preflights: HashMap<i64, Preflight> = HashMap::new();
    let mut queue = super::group::units(writable).into_iter();
    for unit in queue.by_ref() {
        // Wait for a free slot first: a stop, a cancel or the API usage seen meanwhile counts.
        let Ok(permit) = semaphore.clone().acquire_owned().await else {
            summary.not_started.extend(unit.iter().map(|(_, p)| p.event.event_id));
            break;
        };
        if progress.cancelled() {
            run.stop_with(
                "cancelled",
                "cancelled by the operator; in-flight writes were let settle".into(),
            );
        }
        if let Some(u) = session.api_usage() {
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
            summary.not_started.extend(unit.iter().map(|(_, p)| p.event.event_id));
            break;
        }
        for (_, p) in &unit {
            preflights.insert(p.event.event_id, p.clone());
        }
        let r = run.clone();
        tasks.spawn(async move {
            let n = unit.len();
            let out = match unit.first() {
                Some((_, p)) if n == 1 && p.request.kind != WriteKind::Update => {
                    let Some((pid, p)) = unit.into_iter().next() else {
                        return Ok(Vec::new());
                    };
                    run_one(r.clone(), pid, p).await
                }
                _ => super::group::run_group(r.clone(), unit).await,
            };
            for _ in 0..n {
                r.tick();
            }
            drop(permit);
            out
        });
    }
    summary
        .not_started
        .extend(queue.flat_map(|unit| unit.into_iter().map(|(_, p)| p.event.event_id)));
    (tasks, preflights)
}

/// Lets every in-flight write settle (and be recorded) and tallies each outcome; returns the
/// written records for post-verify and the first task error.
async fn collect(
    mut tasks: tokio::task::JoinSet<Result<Vec<EventResult>>>,
    mut preflights: HashMap<i64, Preflight>,
    summary: &mut BatchSummary,
) -> (Vec<(i64, String, Preflight)>, Option<Error>) {
    let mut written: Vec<(i64, String, Preflight)> = Vec::new();
    let mut first_error = None;
    let mut results: Vec<EventResult> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(r)) => results.extend(r),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(Error::Io(format!("a batch task failed: {e}")));
            }
        }
    }
    for result in results {
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
    (written, first_error)
}

/// Orders the summary, decides how the run ended (done, or why it stopped), and records it on
/// the batch with its `batch_finished` audit entry.
async fn finish(
    app: &App,
    run: &Run,
    row: &store::batches::BatchRow,
    summary: &mut BatchSummary,
    (usage_before, usage_after): (Option<ApiUsage>, Option<ApiUsage>),
    integration_user: &str,
) -> Result<()> {
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
    summary.api_calls = match (usage_before, usage_after) {
        (Some(a), Some(b)) => Some(b.used.saturating_sub(a.used)),
        _ => None,
    };
    let summary_json = json_text(&*summary)?;
    let mut tx = store::write_tx(&app.pool).await?;
    store::batches::finish(&mut tx, row.id, &status, &summary_json, &store::now_text()).await?;
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "batch_finished".into(),
            actor: run.operator.clone(),
            lane_id: Some(row.lane_id.clone()),
            batch_id: Some(row.id),
            integration_user: Some(integration_user.to_string()),
            reason: Some(run.reason.clone()),
            ack_token: Some(row.ack_token.clone()),
            outcome: Some(status),
            detail: serde_json::to_value(&*summary).unwrap_or(Value::Null),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn execute(app: &App, req: ExecuteRequest, progress: Arc<dyn Progress>) -> Result<BatchSummary> {
    let Admitted {
        row,
        contract,
        policy,
        req,
        session,
    } = admit(app, req).await?;
    let events = load_preflights(app, &row).await?;
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
    let usage_before = session.api_usage();

    // The per-event gate (blocking findings, freshness) decides what is skipped up front.
    let mut summary = BatchSummary {
        batch_id: row.id,
        total: events.len() as u64,
        ..BatchSummary::default()
    };
    let (writable, skipped_entries) = gate_events(events, &policy, &operator, &reason, &mut summary);
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
    crate::services::lease::grant(&mut tx, store::leases::Held::Batch, row.id).await?;
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
        let mut audits = Vec::with_capacity(skipped_entries.len());
        for (p, r) in &skipped_entries {
            let mut e = draft(p, row.id, &contract, "batch_skipped", &operator);
            e.reason = Some(reason.clone());
            e.outcome = Some("skipped".into());
            e.detail = serde_json::json!({"code": r.code, "message": r.message});
            audits.push(e);
        }
        audit::record_all(&mut tx, &audits).await?;
    }
    tx.commit().await?;
    // Team mode: the batch's lease, renewed until it ends, says it runs here.
    let _batch_lease = crate::services::lease::Lease::hold(app, store::leases::Held::Batch, vec![row.id]);

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
    let (tasks, preflights) = launch(&run, writable, &req, &progress, &mut summary).await;

    // Every in-flight write settles (and is recorded) before the batch ends, cancelled or not.
    let (mut written, first_error) = collect(tasks, preflights, &mut summary).await;
    written.extend(orphans);
    written.sort_by_key(|(a, _, _)| *a);
    summary.post_verify_mismatches = post_verify_all(&run, &written).await?;
    let usage_after = session.api_usage();
    finish(
        app,
        &run,
        &row,
        &mut summary,
        (usage_before, usage_after),
        &integration_user,
    )
    .await?;
    app.checkpoint_soon();
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(summary)
}
