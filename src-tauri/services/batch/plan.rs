//! The batch preflight: the selection, every event observed and evaluated, the stored plan
//! and its audit entries; and the refusals of a batch run.

use super::*;
use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::batch::{self};
use crate::domain::contract::LaneContract;
use crate::domain::event::format_time;
use crate::domain::preflight::{self, Preflight, Target};
use crate::error::{Error, Result};
use crate::services::replay::{self as replay_service};
use crate::services::{audit, lanes};
use crate::store;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// The event ids of a selection, validated against the lane.
pub(super) async fn selected_ids(app: &App, sel: &Selection) -> Result<Vec<i64>> {
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

pub(super) fn expires_at(taken_at: &str, max_minutes: u32) -> String {
    DateTime::parse_from_rfc3339(taken_at)
        .map(|t| format_time(t.with_timezone(&Utc) + chrono::Duration::minutes(i64::from(max_minutes))))
        .unwrap_or_default()
}

pub(super) fn event_plan(preflight_id: i64, p: &Preflight) -> BatchEventPlan {
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
pub(super) fn draft(p: &Preflight, batch_id: i64, contract: &LaneContract, action: &str, actor: &str) -> AuditDraft {
    AuditDraft {
        batch_id: Some(batch_id),
        ..replay_service::draft(p, contract, action, actor)
    }
}

/// The batch preflight: observe, evaluate, store every per-event preflight and the batch.
pub async fn preflight(app: &App, sel: &Selection, planned_by: Option<&str>) -> Result<BatchPlan> {
    let resolved;
    let sel = match &sel.group {
        Some(key) => {
            resolved = crate::services::groups::resolve_selection(app, sel, key).await?;
            &resolved
        }
        None => sel,
    };
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
    let facts = crate::services::preflight::events_facts(app, &ids).await?;
    if app.pool.is_server() && sel.override_request.is_some() && preflight::GatePolicy::of(&contract).override_approval
    {
        return Err(crate::error::Error::Refused {
            code: "override_needs_approval".into(),
            message: "in team mode an override that needs approval is approved per preflight: replay those events \
                      one at a time (each opens an approval request for another approver)"
                .into(),
        });
    }
    let session = app.session(&contract).await?;
    let calls = AtomicU64::new(0);
    let mut observed = observe_all(&session, &contract, &facts, &calls).await?;
    let now = Utc::now();
    let mut preflights = Vec::with_capacity(facts.len());
    let mut latest = store::attempts::latest_attempts(&app.pool, &ids).await?;
    for (f, o) in facts.iter().zip(observed.iter_mut()) {
        o.latest_attempt = latest.remove(&f.event_id);
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
        .unwrap_or_else(crate::services::holder::os_user);
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
    let mut audits = Vec::with_capacity(preflights.len());
    for p in &preflights {
        let id = store::preflights::insert(&mut tx, p).await?;
        preflight_ids.push(id);
        let mut e = draft(p, batch_id, &contract, "preflight", &who);
        e.lane_version = Some(version);
        e.outcome = Some(crate::services::preflight::outcome_of(p).into());
        e.detail = crate::services::preflight::audit_detail(id, p);
        audits.push(e);
    }
    audit::record_all(&mut tx, &audits).await?;
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

pub(super) async fn load_preflights(app: &App, row: &store::batches::BatchRow) -> Result<Vec<(i64, Preflight)>> {
    let ids: Vec<i64> = serde_json::from_str(&row.preflight_ids)
        .map_err(|e| Error::Io(format!("batch {}: stored preflight ids do not parse: {e}", row.id)))?;
    let mut bodies = store::batches::preflight_bodies(&app.pool, &ids).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let body = bodies
            .remove(&id)
            .ok_or_else(|| Error::Io(format!("batch {}: preflight {id} is missing", row.id)))?;
        let p: Preflight = serde_json::from_str(&body)
            .map_err(|e| Error::Io(format!("stored preflight {id} no longer parses: {e}")))?;
        out.push((id, p));
    }
    Ok(out)
}

/// Records a refused batch execution in the audit log, then returns the refusal.
pub(super) async fn refuse(
    app: &App,
    batch_id: Option<i64>,
    req: &ExecuteRequest,
    code: &str,
    message: String,
) -> Error {
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
    group: Option<&str>,
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
    if group.is_some_and(|g| Some(g.trim().to_ascii_lowercase()) != stored.group) {
        differs.push(match &stored.group {
            Some(g) => format!("failure group {g}"),
            None => "no failure group".into(),
        });
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
