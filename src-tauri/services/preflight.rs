//! Preflight: fetch the target record, its owner and the last write, evaluate the contract, store
//! and audit the result.
//!
//! Round trips (documented, and measured in docs/BENCHMARKS.md), with a cached token: one
//! `POST /composite` (salesforce/composite.rs) carrying
//! - `GET /sobjects/{Object}/{ExtIdField}/{value}`: the record (or 404, or 300), as `rec`;
//! - the owner as a user and as a queue, and the last modifier, by `@{rec.OwnerId}` and
//!   `@{rec.LastModifiedById}` (not run when there is no record: no owner to look up);
//! - on a `search_before_write` lane with a complete business key, the business-key query;
//! - once per process and lane, where a create relies on it, the object's describe.
//!
//! So one round trip. Without a cached token add the token request and the identity check (both
//! needed once per process and lane).

use crate::app::App;
use crate::domain::contract::LaneContract;
use crate::domain::preflight::{self, EventFacts, FailedCheck, Observed, OverrideRequest, Preflight, Target};
use crate::error::{Error, Result};
use crate::services::org::Session;
use crate::services::{audit, lanes};
use crate::store;
use chrono::{DateTime, Utc};
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

pub(crate) fn view(preflight_id: i64, p: Preflight, contract: &LaneContract) -> PreflightView {
    let max = contract.replay_console.preflight_max_age_minutes.0;
    let expires_at = DateTime::parse_from_rfc3339(&p.taken_at)
        .map(|t| crate::domain::event::format_time(t.with_timezone(&Utc) + chrono::Duration::minutes(i64::from(max))))
        .unwrap_or_default();
    PreflightView {
        preflight_id,
        preflight: p,
        max_age_minutes: max,
        expires_at,
    }
}

/// The event as the preflight sees it: its current payload revision where it was edited.
pub(crate) async fn event_facts(app: &App, event_id: i64) -> Result<EventFacts> {
    let ev = store::events::get(&app.pool, event_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no event with id {event_id}")))?;
    let rev = store::revisions::current_many(&app.pool, &[event_id]).await?.pop();
    facts_of(ev, rev)
}

/// [`event_facts`] of many events (a batch preflight), read together, in the order given.
pub(crate) async fn events_facts(app: &App, event_ids: &[i64]) -> Result<Vec<EventFacts>> {
    let mut rows: std::collections::HashMap<i64, store::events::EventRow> =
        store::events::get_many(&app.pool, event_ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
    let mut revisions: std::collections::HashMap<i64, store::revisions::RevisionRow> =
        store::revisions::current_many(&app.pool, event_ids)
            .await?
            .into_iter()
            .map(|r| (r.event_id, r))
            .collect();
    event_ids
        .iter()
        .map(|id| {
            rows.remove(id)
                .ok_or_else(|| Error::NotFound(format!("no event with id {id}")))
                .and_then(|ev| facts_of(ev, revisions.remove(id)))
        })
        .collect()
}

/// The event's facts; an edited event's payload is its current revision's (approved or not:
/// the preflight shows what would be written, the replay's intent requires the approval).
fn facts_of(ev: store::events::EventRow, rev: Option<store::revisions::RevisionRow>) -> Result<EventFacts> {
    let event_id = ev.id;
    let revision = rev.as_ref().map(|r| r.revision);
    let text = match &rev {
        Some(r) => Some(r.payload.as_str()),
        None => ev.payload.as_deref(),
    };
    let payload = match text.map(serde_json::from_str::<serde_json::Value>) {
        Some(Ok(serde_json::Value::Object(m))) => m,
        _ => {
            return Err(Error::Io(format!(
                "the stored payload of event {event_id} is not a JSON object"
            )))
        }
    };
    Ok(EventFacts {
        event_id,
        lane_id: ev.lane_id,
        lane_version: ev.lane_version,
        event_key: ev.event_key,
        object: ev.object,
        external_id: ev.external_id,
        status: ev.status,
        occurred_at: ev.occurred_at,
        failure_code: ev.failure_code,
        failure_message: ev.failure_message,
        payload,
        operation: ev.operation,
        revision,
    })
}

/// Fetches what the preflight needs in one Composite call (one round trip, one API call): the
/// record by external ID, its owner and last modifier, the business-key query of a
/// `search_before_write` lane, and (once per process, where a create relies on it) whether the
/// org marks the external-ID field unique. A check of the contract's `verify_before_replay` that
/// cannot be completed (the owner or last modifier lookup fails, or finds nobody) is recorded in
/// `failed_checks`, for `evaluate` to block on or warn about as the contract says; the lookup of
/// the target itself is a floor and fails the preflight.
pub(crate) async fn observe(session: &Session, contract: &LaneContract, facts: &EventFacts) -> Result<Observed> {
    let object = contract.identity_policy.object.as_str();
    let ext_field = contract.identity_policy.external_id_field.as_str();
    // Only a complete business key identifies a duplicate; an incomplete one is a finding of its
    // own (`business_key_incomplete`), never a silently skipped search.
    let keys: Option<Vec<(String, String)>> = if contract.identity_policy.search_before_write {
        preflight::business_key(contract, &facts.payload).ok()
    } else {
        None
    };
    let reads = match &facts.external_id {
        None => None,
        Some(v) => Some(
            session
                .preflight_reads(
                    object,
                    ext_field,
                    v,
                    keys.as_deref(),
                    contract.write_policy.external_id_must_be_unique,
                )
                .await?,
        ),
    };
    let Some(reads) = reads else {
        return Ok(Observed {
            target: Target::NoExternalId,
            owner: None,
            last_modified_by: None,
            key_matches: Vec::new(),
            acts_as: session.acts_as().to_string(),
            latest_attempt: None,
            failed_checks: Vec::new(),
            external_id_unique_in_org: None,
        });
    };
    let target = reads.target;
    let mut owner = None;
    let mut last_modified_by = None;
    let mut key_matches = Vec::new();
    let mut failed_checks = Vec::new();
    match &target {
        Target::Found { record } => match reads.people.unwrap_or_else(|| Ok(Vec::new())) {
            Ok(resolved) => {
                owner = record
                    .owner_id
                    .as_deref()
                    .and_then(|o| resolved.iter().find(|r| r.id == o).cloned());
                last_modified_by = record
                    .last_modified_by_id
                    .as_deref()
                    .and_then(|m| resolved.iter().find(|r| r.id == m).cloned());
                failed_checks = unresolved_checks(record, owner.as_ref(), last_modified_by.as_ref());
            }
            Err(e) => {
                let message = format!("the owner and last-modifier lookup failed: {e}");
                failed_checks = vec![
                    FailedCheck {
                        check: "owner_state".into(),
                        message: message.clone(),
                    },
                    FailedCheck {
                        check: "last_write_result".into(),
                        message,
                    },
                ];
            }
        },
        Target::NotFound if contract.identity_policy.search_before_write => {
            if let Some(found) = reads.key_matches {
                key_matches = found?;
            }
        }
        _ => {}
    }
    // Only where a create relies on it.
    let external_id_unique_in_org =
        if contract.write_policy.external_id_must_be_unique && matches!(target, Target::NotFound) {
            reads.external_id_unique.transpose()?
        } else {
            None
        };
    Ok(Observed {
        target,
        owner,
        last_modified_by,
        key_matches,
        acts_as: session.acts_as().to_string(),
        latest_attempt: None,
        failed_checks,
        external_id_unique_in_org,
    })
}

/// The checks a completed lookup still leaves open: an owner or last modifier that the org does
/// not know (a deleted user, an Id of another kind).
pub(crate) fn unresolved_checks(
    record: &crate::domain::preflight::RecordState,
    owner: Option<&crate::domain::preflight::OwnerState>,
    last_modified_by: Option<&crate::domain::preflight::OwnerState>,
) -> Vec<FailedCheck> {
    use crate::domain::preflight::OwnerKind;
    let mut out = Vec::new();
    match (record.owner_id.as_deref(), owner) {
        (None, _) => out.push(FailedCheck {
            check: "owner_state".into(),
            message: "the record has no OwnerId".into(),
        }),
        (Some(id), None) => out.push(FailedCheck {
            check: "owner_state".into(),
            message: format!("the owner {id} is neither a user nor a queue the org knows"),
        }),
        (Some(id), Some(o)) if o.kind == OwnerKind::Unknown => out.push(FailedCheck {
            check: "owner_state".into(),
            message: format!("the owner {id} is neither a user nor a queue the org knows"),
        }),
        _ => {}
    }
    if record.last_modified_date.is_empty() {
        out.push(FailedCheck {
            check: "last_write_result".into(),
            message: "the record has no LastModifiedDate".into(),
        });
    } else if let Some(id) = record.last_modified_by_id.as_deref() {
        if last_modified_by.is_none_or(|u| u.kind == OwnerKind::Unknown) {
            out.push(FailedCheck {
                check: "last_write_result".into(),
                message: format!("the last modifier {id} is not a user the org knows"),
            });
        }
    }
    out
}

pub async fn run(app: &App, event_id: i64, override_request: Option<OverrideRequest>) -> Result<PreflightView> {
    let facts = event_facts(app, event_id).await?;
    let (version, contract) = lanes::contract(app, &facts.lane_id).await?;
    let override_request = crate::services::team::team_override(app, &contract, override_request);
    let session = app.session(&contract).await?;
    let mut observed = observe(&session, &contract, &facts).await?;
    observed.latest_attempt = store::attempts::latest_attempt(&app.pool, event_id).await?;
    let p = preflight::evaluate(&contract, &facts, &observed, override_request.as_ref(), Utc::now());
    // The preflight and its audit entry: one transaction, one sync to disk.
    let mut tx = store::write_tx(&app.pool).await?;
    let id = store::preflights::insert(&mut tx, &p).await?;
    let mut entry = crate::services::replay::draft(&p, &contract, "preflight", &crate::services::holder::os_user());
    entry.lane_version = Some(version);
    entry.outcome = Some(outcome_of(&p).into());
    entry.detail = audit_detail(id, &p);
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    app.checkpoint_soon();
    Ok(view(id, p, &contract))
}

/// A preflight's audit outcome: `blocked` or `ready`.
pub(crate) fn outcome_of(p: &Preflight) -> &'static str {
    if p.blocking().next().is_some() {
        "blocked"
    } else {
        "ready"
    }
}

/// A preflight's audit detail: whose policy, what was found and what would be sent.
pub(crate) fn audit_detail(preflight_id: i64, p: &Preflight) -> serde_json::Value {
    serde_json::json!({
        "preflight_id": preflight_id,
        "lane_policy": p.lane_policy,
        "failed_checks": p.failed_checks,
        "digest": p.digest,
        "findings": p.findings,
        "side_effects": p.side_effects,
        "before": p.target,
        "owner": p.owner,
        "request": p.request,
    })
}

pub async fn latest(app: &App, event_id: i64) -> Result<Option<PreflightView>> {
    let Some((id, p)) = store::preflights::latest(&app.pool, event_id).await? else {
        return Ok(None);
    };
    let (_, contract) = lanes::contract(app, &p.event.lane_id).await?;
    Ok(Some(view(id, p, &contract)))
}
