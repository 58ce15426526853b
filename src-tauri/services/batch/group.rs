//! Updates in groups of up to 25 per Composite call (issue 18): the single-replay protocol for
//! each event, one round trip and one API call for the group. The intents of the whole group are
//! committed (one transaction) before the call; each subrequest's answer settles its own event
//! exactly as a single replay's answer would (one transaction for the group's outcomes); a call
//! without an answer leaves every event of it `unknown_outcome`, for the batched verify.

use super::run::{EventResult, Run};
use super::steps::{begin, settle, Begun};
use super::{BACKOFF_BASE_MS, MAX_RETRIES};
use crate::domain::batch;
use crate::domain::preflight::{PlannedRequest, Preflight, WriteKind};
use crate::error::Result;
use crate::services::audit;
use crate::services::org::SendOutcome;
use crate::store;
use std::sync::Arc;
use std::time::Duration;

/// Events per Composite call: Salesforce's limit on subrequests.
pub const GROUP: usize = crate::services::org::WRITES_PER_CALL;

/// Writes one group of updates (at most [`GROUP`]).
pub(super) async fn run_group(run: Arc<Run>, group: Vec<(i64, Preflight)>) -> Result<Vec<EventResult>> {
    let mut results: Vec<EventResult> = Vec::with_capacity(group.len());
    let mut started: Vec<(i64, Preflight)> = Vec::with_capacity(group.len());
    let mut tx = store::write_tx(&run.app.pool).await?;
    let mut audits = Vec::with_capacity(group.len());
    let begun = begin(&run, &mut tx, &group, &mut audits).await?;
    for ((_, p), b) in group.into_iter().zip(begun) {
        match b {
            Begun::Started(attempt_id) => started.push((attempt_id, p)),
            Begun::Done(r) => results.push(r),
        }
    }
    audit::record_all(&mut tx, &audits).await?;
    tx.commit().await?;
    if started.is_empty() {
        return Ok(results);
    }

    // Send; an event goes again only after an answer that proves nothing was written, and (team
    // mode) only while the lease is surely still this console's.
    let ids: Vec<i64> = started.iter().map(|(a, _)| *a).collect();
    let lease = crate::services::lease::Lease::hold(&run.app, store::leases::Held::Attempt, ids);
    let mut sent: Vec<Option<SendOutcome>> = (0..started.len()).map(|_| None).collect();
    let mut retried: Vec<Vec<String>> = vec![Vec::new(); started.len()];
    let mut pending: Vec<usize> = (0..started.len()).collect();
    let mut round = 0u32;
    while !pending.is_empty() {
        let reqs: Vec<&PlannedRequest> = pending.iter().map(|i| &started[*i].1.request).collect();
        let answers = run.session.send_many(&reqs).await;
        let mut again = Vec::new();
        for (i, answer) in pending.iter().zip(answers) {
            match &answer {
                SendOutcome::Rejected { status, code, .. }
                    if batch::is_retryable(*status, code) && round < MAX_RETRIES && lease.fresh() =>
                {
                    retried[*i].push(code.clone());
                    again.push(*i);
                }
                _ => sent[*i] = Some(answer),
            }
        }
        if again.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(BACKOFF_BASE_MS << (2 * round))).await;
        round += 1;
        pending = again;
    }

    let mut tx = store::write_tx(&run.app.pool).await?;
    let mut audits = Vec::with_capacity(started.len());
    for (i, (attempt_id, p)) in started.iter().enumerate() {
        let answer = sent[i].take().unwrap_or(SendOutcome::NoAnswer {
            detail: "the group's call ended without an answer for this event".into(),
        });
        results.push(settle(&run, &mut tx, p, *attempt_id, &answer, &retried[i], &mut audits).await?);
    }
    audit::record_all(&mut tx, &audits).await?;
    tx.commit().await?;
    Ok(results)
}

/// The writable events as units of work, in their order: each create alone, and runs of
/// consecutive updates of one object in groups of up to 25.
pub(super) fn units(writable: Vec<(i64, Preflight)>) -> Vec<Vec<(i64, Preflight)>> {
    let mut out: Vec<Vec<(i64, Preflight)>> = Vec::new();
    let mut group: Vec<(i64, Preflight)> = Vec::new();
    for (pid, p) in writable {
        let update = p.request.kind == WriteKind::Update && p.request.path.len() == 2;
        let fits = group
            .first()
            .is_none_or(|(_, f)| f.request.path.first() == p.request.path.first())
            && group.len() < GROUP;
        if (!update || !fits) && !group.is_empty() {
            out.push(std::mem::take(&mut group));
        }
        if update {
            group.push((pid, p));
        } else {
            out.push(vec![(pid, p)]);
        }
    }
    if !group.is_empty() {
        out.push(group);
    }
    out
}
