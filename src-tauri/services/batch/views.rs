//! What the CLI and the window show of stored batches: one batch in full, and the list.

use super::*;
use crate::app::App;
use crate::domain::batch::BatchAggregate;
use crate::error::{Error, Result};
use crate::services::lanes;
use crate::store;
use serde::Serialize;
use std::collections::HashMap;

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
