//! Closing an event without replay: the operator says who and why; the event leaves the queue of
//! replayable work and the audit log says so.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::error::{Error, Result};
use crate::services::audit;
use crate::store;

pub async fn discard(app: &App, event_id: i64, operator: &str, reason: &str) -> Result<()> {
    if operator.trim().is_empty() || reason.trim().is_empty() {
        return Err(Error::InvalidInput(
            "discarding needs the operator's name (--operator) and a reason (--reason)".into(),
        ));
    }
    let event = store::events::get(&app.pool, event_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no event with id {event_id}")))?;
    let mut tx = store::write_tx(&app.pool).await?;
    let now = store::now_text();
    let changed =
        store::attempts::set_event_status(&mut tx, event_id, &["failed", "blocked"], "discarded", &now).await?;
    if !changed {
        let status = store::events::status(&mut tx, event_id).await?;
        return Err(Error::Refused {
            code: "not_discardable".into(),
            message: format!(
                "event {event_id} is {}; only failed or blocked events can be discarded",
                status.unwrap_or_else(|| "gone".into())
            ),
        });
    }
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "discard".into(),
            actor: operator.trim().into(),
            lane_id: Some(event.lane_id.clone()),
            lane_version: Some(event.lane_version),
            event_id: Some(event_id),
            external_id: event.external_id.clone(),
            record_type: Some(event.object.clone()),
            operation_type: Some(event.operation.clone()),
            reason: Some(reason.trim().into()),
            outcome: Some("discarded".into()),
            detail: serde_json::json!({"previous_status": event.status}),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    audit::checkpoint(app).await;
    Ok(())
}
