//! Start-up recovery: an `intent` left in flight by a process that is gone (killed, crashed, the
//! machine lost power) was maybe sent, maybe not. It becomes `unknown_outcome`, with an audit
//! entry, and is never retried by itself: `verify` settles it. A batch such a process was
//! running becomes `interrupted`; its token resumes it.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::error::Result;
use crate::services::{audit, holder};
use crate::store;
use crate::store::leases::Held;

/// Whether the process that holds an attempt or a batch may still be at it. On this machine its
/// pid says so. On a team server, a holder on another machine may be until its lease runs out
/// by the server's clock (no lease at all: granted by no console of this version, so none
/// renews it). On a file, a holder recorded on another machine is taken as gone, as before.
async fn still_held(
    app: &App,
    tx: &mut store::Tx<'_>,
    held: Held,
    id: i64,
    pid: Option<i64>,
    started: Option<&str>,
    host: Option<&str>,
) -> Result<bool> {
    if host.is_none_or(|h| h == holder::host()) {
        return Ok(holder::is_alive(pid, started, host));
    }
    if !app.pool.is_server() {
        return Ok(false);
    }
    Ok(store::leases::left(tx, held, id).await?.is_some_and(|ms| ms > 0))
}

/// Returns the ids of the events that became `unknown_outcome`.
pub async fn recover_orphans(app: &App) -> Result<Vec<i64>> {
    // Cheap check first: most starts find nothing, and need no write lock.
    if !store::attempts::any_in_flight(&app.pool).await? {
        return Ok(Vec::new());
    }
    let mut tx = store::write_tx(&app.pool).await?;
    let mut recovered = Vec::new();
    for (attempt_id, event_id, pid, started, host) in store::attempts::in_flight(&mut tx).await? {
        if still_held(
            app,
            &mut tx,
            Held::Attempt,
            attempt_id,
            pid,
            started.as_deref(),
            host.as_deref(),
        )
        .await?
        {
            continue; // another instance may be sending it right now
        }
        let now = store::now_text();
        store::attempts::finish(
            &mut tx,
            &store::attempts::Outcome {
                attempt_id,
                event_id,
                outcome: "unknown_outcome",
                event_status: "unknown_outcome",
                http_status: None,
                error_code: None,
                error_message: Some("the process sending this replay ended before an answer was recorded"),
                record_id: None,
                response: None,
                now: &now,
            },
        )
        .await?;
        audit::record(
            &mut tx,
            &AuditDraft {
                action: "unknown_outcome".into(),
                actor: "system".into(),
                event_id: Some(event_id),
                attempt_id: Some(attempt_id),
                outcome: Some("unknown_outcome".into()),
                reason: Some("found in flight; its process is gone (or, on a team server, its lease ran out)".into()),
                detail: serde_json::json!({"holder_pid": pid, "holder_host": host}),
                ..AuditDraft::default()
            },
        )
        .await?;
        recovered.push(event_id);
    }
    tx.commit().await?;
    if !recovered.is_empty() {
        audit::checkpoint(app).await;
    }
    Ok(recovered)
}

/// Marks batches whose running process is gone as `interrupted`, each with an audit entry.
/// Returns their ids.
pub async fn recover_batches(app: &App) -> Result<Vec<i64>> {
    if !store::batches::any_running(&app.pool).await? {
        return Ok(Vec::new());
    }
    let mut tx = store::write_tx(&app.pool).await?;
    let mut interrupted = Vec::new();
    for (batch_id, lane_id, pid, started, host) in store::batches::running(&mut tx).await? {
        if still_held(
            app,
            &mut tx,
            Held::Batch,
            batch_id,
            pid,
            started.as_deref(),
            host.as_deref(),
        )
        .await?
        {
            continue; // another instance may be running it right now
        }
        store::batches::interrupt(&mut tx, batch_id, &store::now_text()).await?;
        audit::record(
            &mut tx,
            &AuditDraft {
                action: "batch_interrupted".into(),
                actor: "system".into(),
                lane_id: Some(lane_id),
                batch_id: Some(batch_id),
                outcome: Some("interrupted".into()),
                reason: Some("found running; its process is gone (or, on a team server, its lease ran out)".into()),
                detail: serde_json::json!({"holder_pid": pid, "holder_host": host}),
                ..AuditDraft::default()
            },
        )
        .await?;
        interrupted.push(batch_id);
    }
    tx.commit().await?;
    if !interrupted.is_empty() {
        audit::checkpoint(app).await;
    }
    Ok(interrupted)
}
