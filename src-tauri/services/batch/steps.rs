//! The steps of the single-replay protocol, as a batch takes them for many events at once:
//! the intents of a group (one transaction), each event's outcome, and the post-verify of the
//! written records in batched reads.

use super::run::{EventResult, Run};
use super::*;
use crate::domain::audit::AuditDraft;
use crate::domain::preflight::{Preflight, RecordState, Target};
use crate::domain::replay::{PostVerify, ReplayOutcome};
use crate::error::Result;
use crate::services::org::{at_most, id_key, is_field_name, Read, SendOutcome, READS_AT_ONCE};
use crate::services::replay::{self as replay_service, Settled};
use crate::services::{audit, holder};
use crate::store;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// Where an event's intent left it: started (its attempt's id), or already done with.
pub(super) enum Begun {
    Started(i64),
    Done(EventResult),
}

/// The events' intents (each its attempt and `replay_intent` entry) in the caller's
/// transaction, in order, or why one is not sent: attempted by this batch already, another
/// attempt in flight, or the event no longer in the state the batch preflight saw.
pub(super) async fn begin(
    run: &Run,
    tx: &mut store::Tx<'_>,
    events: &[(i64, Preflight)],
    audits: &mut Vec<AuditDraft>,
) -> Result<Vec<Begun>> {
    let me = holder::me();
    let now = store::now_text();
    let ids: Vec<i64> = events.iter().map(|(_, p)| p.event.event_id).collect();
    let attempted = store::batches::attempted(tx, run.batch_id, &ids).await?;
    let mut requests = Vec::with_capacity(events.len());
    for (_, p) in events {
        requests.push(json_text(&p.request)?);
    }
    // The event must still be in the state the batch preflight saw (as for a single replay).
    let allowed: Vec<[&str; 1]> = events.iter().map(|(_, p)| [p.event.status.as_str()]).collect();
    let fresh: Vec<usize> = (0..events.len())
        .filter(|k| !attempted.contains(&events[*k].1.event.event_id))
        .collect();
    let intents: Vec<store::attempts::Intent> = fresh
        .iter()
        .map(|k| {
            let (preflight_id, p) = &events[*k];
            store::attempts::Intent {
                event_id: p.event.event_id,
                preflight_id: *preflight_id,
                batch_id: Some(run.batch_id),
                operator: &run.operator,
                reason: &run.reason,
                ack_token: &p.ack_token,
                again_reason: None,
                override_reason: p.override_request.as_ref().map(|o| o.reassignment_reason.as_str()),
                approved_by: p.override_request.as_ref().map(|o| o.approved_by.as_str()),
                request: &requests[*k],
                holder_pid: me.pid,
                holder_started: &me.started,
                holder_host: &me.host,
                now: &now,
                revision: p.event.revision,
            }
        })
        .collect();
    let items: Vec<(&store::attempts::Intent, &[&str])> =
        intents.iter().zip(&fresh).map(|(i, k)| (i, &allowed[*k][..])).collect();
    let mut results = store::attempts::begin_intents(tx, &items).await?.into_iter();
    let mut out = Vec::with_capacity(events.len());
    for (preflight_id, p) in events {
        let event_id = p.event.event_id;
        if attempted.contains(&event_id) {
            out.push(Begun::Done(EventResult::AlreadyAttempted(event_id)));
            continue;
        }
        let attempt_id = match results.next() {
            Some(store::attempts::IntentResult::Created(id)) => {
                crate::services::lease::grant(tx, store::leases::Held::Attempt, id).await?;
                id
            }
            Some(store::attempts::IntentResult::StateChanged(s)) => {
                out.push(Begun::Done(EventResult::Skipped(SkippedEvent {
                    event_id,
                    code: "state_changed".into(),
                    message: format!("the event is now {s}; the batch preflight saw {}", p.event.status),
                })));
                continue;
            }
            Some(store::attempts::IntentResult::Revision(code, message)) => {
                out.push(Begun::Done(EventResult::Skipped(SkippedEvent {
                    event_id,
                    code: code.into(),
                    message,
                })));
                continue;
            }
            Some(store::attempts::IntentResult::Busy) | None => {
                out.push(Begun::Done(EventResult::Skipped(SkippedEvent {
                    event_id,
                    code: "attempt_in_flight".into(),
                    message: "another replay of this event is in flight or awaits verification".into(),
                })));
                continue;
            }
        };
        audits.push(intent_draft(run, *preflight_id, p, attempt_id));
        out.push(Begun::Started(attempt_id));
    }
    Ok(out)
}

/// The `replay_intent` entry of one event of the batch.
fn intent_draft(run: &Run, preflight_id: i64, p: &Preflight, attempt_id: i64) -> AuditDraft {
    let mut e = draft(p, run.batch_id, &run.contract, "replay_intent", &run.operator);
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
            // Team mode: the approver is a login the server authenticated (an approval
            // request decided by it); solo mode: a name the operator declared.
            "approver_authenticated": run.app.pool.is_server(),
        })),
    });
    e
}

/// Records what the write came to (attempt, event, `replay_outcome` entry) in the caller's
/// transaction, and keeps the failure streak.
pub(super) async fn settle(
    run: &Run,
    tx: &mut store::Tx<'_>,
    p: &Preflight,
    attempt_id: i64,
    sent: &SendOutcome,
    retried: &[String],
    audits: &mut Vec<AuditDraft>,
) -> Result<EventResult> {
    let event_id = p.event.event_id;
    let settled = Settled::of(
        sent,
        &p.event.status,
        "the record changed since the batch preflight; nothing was written",
    );
    settled.store(tx, attempt_id, event_id).await?;
    let mut e = draft(p, run.batch_id, &run.contract, "replay_outcome", &run.operator);
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
    audits.push(e);
    if let Some(mut critical) = replay_service::overwrote_on_create(p, &run.contract, sent, &run.operator, attempt_id) {
        critical.batch_id = Some(run.batch_id);
        audits.push(critical);
    }

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
pub(super) async fn post_verify_all(run: &Run, written: &[(i64, String, Preflight)]) -> Result<Vec<i64>> {
    // The reads first, a few chunks at a time; then each chunk's results in a transaction.
    let chunks: Vec<&[(i64, String, Preflight)]> = written.chunks(IN_LIST_MAX).collect();
    let reads: Vec<Read<'_, std::result::Result<HashMap<String, RecordState>, String>>> = chunks
        .iter()
        .map(|chunk| -> Read<'_, _> { Box::pin(read_back(run, chunk)) })
        .collect();
    let reads = at_most(READS_AT_ONCE, reads).await;
    let mut mismatches = Vec::new();
    for (chunk, read) in chunks.into_iter().zip(reads) {
        let mut tx = store::write_tx(&run.app.pool).await?;
        let mut audits = Vec::with_capacity(chunk.len());
        for (attempt_id, id, p) in chunk {
            let pv = match &read {
                Ok(by_id) => match by_id.get(&id_key(id)) {
                    Some(rec) => PostVerify::of_record(&p.request.body, rec),
                    None => PostVerify::unread(Some(id.clone()), "the record is not there any more".into()),
                },
                Err(e) => PostVerify::unread(Some(id.clone()), format!("could not read the record back: {e}")),
            };
            if !pv.matches {
                mismatches.push(p.event.event_id);
            }
            store::attempts::set_post_verify(&mut tx, *attempt_id, &json_text(&pv)?).await?;
            let mut e = draft(p, run.batch_id, &run.contract, "post_verify", &run.operator);
            e.attempt_id = Some(*attempt_id);
            e.outcome = Some(if pv.matches { "verified" } else { "mismatch" }.into());
            let after: Map<String, Value> = pv
                .fields
                .iter()
                .filter_map(|f| f.actual.clone().map(|v| (f.field.clone(), v)))
                .collect();
            e.detail = serde_json::json!({"after": after, "post_verify": pv});
            audits.push(e);
        }
        audit::record_all(&mut tx, &audits).await?;
        tx.commit().await?;
    }
    Ok(mismatches)
}

/// One chunk's records as they are now, by Id (one query; the fields the chunk wrote).
async fn read_back(
    run: &Run,
    chunk: &[(i64, String, Preflight)],
) -> std::result::Result<HashMap<String, RecordState>, String> {
    let Some((_, _, first)) = chunk.first() else {
        return Ok(HashMap::new());
    };
    let object = first.event.object.as_str();
    let mut select: Vec<String> = vec!["LastModifiedDate".into(), "LastModifiedById".into()];
    for (_, _, p) in chunk {
        for k in p.request.body.keys() {
            if is_field_name(k) && !select.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                select.push(k.clone());
            }
        }
    }
    let ids: Vec<&str> = chunk.iter().map(|(_, id, _)| id.as_str()).collect();
    match run.session.records_where_in(object, "Id", &ids, &mut select).await {
        Ok((records, _)) => Ok(records.into_iter().map(|r| (id_key(&r.id), r)).collect()),
        Err(e) => Err(e.to_string()),
    }
}
