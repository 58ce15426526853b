//! Settling an unknown outcome: read the record and decide whether the write was applied.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::preflight::{PlannedRequest, WriteKind};
use crate::domain::replay::PostVerify;
use crate::error::{Error, Result};
use crate::services::{audit, lanes};
use crate::store;
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
pub struct SettleResult {
    pub event_id: i64,
    pub attempt_id: i64,
    pub settlement: Settlement,
    /// The evidence, in a sentence.
    pub message: String,
    pub post_verify: PostVerify,
}

/// Reads the record an unanswered write was aimed at and decides: when every field it sent now
/// holds the value it sent, the write counts as applied (the event becomes `replayed`);
/// otherwise as not applied (the event becomes `failed`, replayable after a new preflight).
/// `verify ID` in the CLI and Verify in the window: settles an unknown outcome. (Not to be
/// confused with `audit verify`, which checks the audit chain: `services::audit::verify_chain`.)
pub async fn settle(app: &App, event_id: i64, actor: Option<&str>) -> Result<SettleResult> {
    let u = unsettled(app, event_id).await?;
    let session = app.session(&u.contract).await?;
    let record = read_target(&session, &u).await?;
    record_settlement(app, u, record, actor).await
}

/// `verify --batch ID`: settles every unknown outcome of a batch (the events of a Composite call
/// whose answer was lost, say). The records of updates are read 200 to a query, as the
/// batch's post-verify reads them; a create's record is looked up by its external ID. Each event
/// is settled and audited as `verify ID` settles it.
pub async fn settle_batch(app: &App, batch_id: i64, actor: Option<&str>) -> Result<Vec<SettleResult>> {
    let ids = store::attempts::unknown_in_batch(&app.pool, batch_id).await?;
    let mut pending = Vec::with_capacity(ids.len());
    for id in ids {
        pending.push(unsettled(app, id).await?);
    }
    let mut out = Vec::with_capacity(pending.len());
    let mut updates: Vec<Unsettled> = Vec::new();
    for u in pending {
        match (u.request.kind, u.request.path.get(1)) {
            (WriteKind::Update, Some(_)) => updates.push(u),
            _ => {
                let session = app.session(&u.contract).await?;
                let record = read_target(&session, &u).await?;
                out.push(record_settlement(app, u, record, actor).await?);
            }
        }
    }
    // Updates: one lane (a batch has one), one object; read by Id, 200 to a query.
    if let Some(first) = updates.first() {
        let session = app.session(&first.contract).await?;
        let object = first.ev.object.clone();
        let mut select: Vec<String> = vec!["LastModifiedDate".into(), "LastModifiedById".into()];
        for u in &updates {
            for k in u.request.body.keys() {
                if crate::services::org::is_field_name(k) && !select.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                    select.push(k.clone());
                }
            }
        }
        let ids: Vec<&str> = updates
            .iter()
            .filter_map(|u| u.request.path.get(1).map(String::as_str))
            .collect();
        let (records, _) = session.records_where_in(&object, "Id", &ids, &mut select).await?;
        let by_id: std::collections::HashMap<String, crate::domain::preflight::RecordState> = records
            .into_iter()
            .map(|r| (crate::services::org::id_key(&r.id), r))
            .collect();
        for u in updates {
            let record = u
                .request
                .path
                .get(1)
                .and_then(|id| by_id.get(&crate::services::org::id_key(id)))
                .cloned();
            out.push(record_settlement(app, u, record, actor).await?);
        }
    }
    out.sort_by_key(|r| r.event_id);
    Ok(out)
}

/// An unknown outcome to settle: the event, its unsettled attempt and request, the contract.
struct Unsettled {
    ev: store::events::EventRow,
    event_id: i64,
    attempt_id: i64,
    request: PlannedRequest,
    started_at: String,
    contract: crate::domain::contract::LaneContract,
}

async fn unsettled(app: &App, event_id: i64) -> Result<Unsettled> {
    let ev = store::events::get(&app.pool, event_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no event with id {event_id}")))?;
    // An intent still in flight: if its holder is gone (here: its process; on a team server,
    // elsewhere: its lease ran out), it becomes an unknown outcome first; else it is not ours
    // to settle while it may still be sending.
    if ev.status == "in_flight" {
        crate::services::recovery::recover_orphans(app).await?;
        if let Some((attempt_id, host, left)) = store::leases::in_flight_of(&app.pool, event_id).await? {
            let wait = match left {
                Some(ms) if ms > 0 => format!("; its lease runs out in {} s, try again then", (ms + 999) / 1000),
                _ => String::new(),
            };
            return Err(Error::Refused {
                code: "in_flight".into(),
                message: format!(
                    "event {event_id}'s replay (attempt {attempt_id}) is in flight on {}: it may still be sending{wait}",
                    host.as_deref().unwrap_or("another machine")
                ),
            });
        }
    }
    let Some((attempt_id, request_json, started_at)) = store::attempts::unsettled(&app.pool, event_id).await? else {
        return Err(Error::Refused {
            code: "nothing_to_verify".into(),
            message: format!(
                "event {event_id} is {}; only an unknown outcome needs verifying",
                ev.status
            ),
        });
    };
    let request: PlannedRequest = serde_json::from_str(&request_json).map_err(|e| {
        Error::Io(format!(
            "the stored request of attempt {attempt_id} no longer parses: {e}"
        ))
    })?;
    let (_, contract) = lanes::contract(app, &ev.lane_id).await?;
    Ok(Unsettled {
        ev,
        event_id,
        attempt_id,
        request,
        started_at,
        contract,
    })
}

/// The record the unanswered write was aimed at, read now.
async fn read_target(
    session: &crate::services::org::Session,
    u: &Unsettled,
) -> Result<Option<crate::domain::preflight::RecordState>> {
    let (ev, request, contract) = (&u.ev, &u.request, &u.contract);
    Ok(match request.kind {
        WriteKind::Update => match request.path.get(1) {
            Some(id) => session.read_by_id(&ev.object, id).await?,
            None => None,
        },
        // A create: the external-ID field is in the plan's re-read, or the path of a create
        // planned as an upsert by an older version, or the lane's.
        _ => match (
            &ev.external_id,
            request
                .recheck_external_id
                .as_ref()
                .map(|r| r.field.clone())
                .or_else(|| request.path.get(1).cloned())
                .unwrap_or_else(|| contract.identity_policy.external_id_field.0.clone()),
        ) {
            (Some(ext), field) => match session.lookup(&ev.object, &field, ext).await? {
                crate::domain::preflight::Target::Found { record } => Some(record),
                _ => None,
            },
            _ => None,
        },
    })
}

/// Decides from the record read whether the write was applied, and records the settlement
/// (attempt, event status, `verify` audit entry).
async fn record_settlement(
    app: &App,
    u: Unsettled,
    record: Option<crate::domain::preflight::RecordState>,
    actor: Option<&str>,
) -> Result<SettleResult> {
    let Unsettled {
        ev,
        event_id,
        attempt_id,
        request,
        started_at,
        contract,
    } = u;
    let (settlement, post_verify, message) = match record {
        Some(rec) => {
            let pv = PostVerify::of_record(&request.body, &rec);
            if pv.matches {
                (
                    Settlement::Applied,
                    pv,
                    format!("record {} holds every value the replay sent: applied", rec.id),
                )
            } else {
                let differing: Vec<&str> = pv
                    .fields
                    .iter()
                    .filter(|f| !f.matches)
                    .map(|f| f.field.as_str())
                    .collect();
                let msg = format!(
                    "record {} does not hold the replay's values ({}): not applied",
                    rec.id,
                    differing.join(", ")
                );
                (Settlement::NotApplied, pv, msg)
            }
        }
        None => (
            Settlement::NotApplied,
            PostVerify::unread(None, "no record found".into()),
            "the record the replay would have written does not exist: not applied".into(),
        ),
    };
    let (attempt_outcome, event_status) = match settlement {
        Settlement::Applied => ("applied", "replayed"),
        Settlement::NotApplied => ("not_applied", "failed"),
    };
    let now = store::now_text();
    let actor = actor
        .map(str::to_string)
        .unwrap_or_else(crate::services::holder::os_user);
    let mut tx = store::write_tx(&app.pool).await?;
    store::attempts::settle(
        &mut tx,
        attempt_id,
        attempt_outcome,
        &format!("verify by {actor} at {now}"),
    )
    .await?;
    store::attempts::set_event_status(&mut tx, event_id, &["unknown_outcome"], event_status, &now).await?;
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "verify".into(),
            actor,
            lane_id: Some(ev.lane_id.clone()),
            lane_version: Some(ev.lane_version),
            event_id: Some(event_id),
            attempt_id: Some(attempt_id),
            integration_user: Some(contract.salesforce_lane.integration_user.0.clone()),
            external_id: ev.external_id.clone(),
            record_type: Some(ev.object.clone()),
            operation_type: Some(ev.operation.clone()),
            outcome: Some(attempt_outcome.into()),
            detail: serde_json::json!({"message": message, "after": post_verify, "attempt_started_at": started_at}),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    audit::checkpoint(app).await;
    Ok(SettleResult {
        event_id,
        attempt_id,
        settlement,
        message,
        post_verify,
    })
}
