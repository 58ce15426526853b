//! The append-only triggers of the audit table: required before any write, and re-created
//! (`audit restore-triggers`) only when the chain verifies.

use super::append::record;
use super::chain::verify_chain;
use super::checkpoint::checkpoint;
use super::AuditError;
use crate::app::App;
use crate::domain::audit::{AuditDraft, AuditProblemKind};
use crate::error::Result;
use crate::services::holder::os_user;
use crate::store;
use std::sync::Arc;

/// Fails when the append-only triggers are missing or hollow. `App::open` calls it: a console
/// that kept appending to an unprotected log would bury the evidence of what happened to it.
pub async fn require_triggers(pool: &store::Pool) -> Result<()> {
    let missing = store::audit::missing_triggers(pool).await?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AuditError::TriggersMissing(missing.join(", ")).into())
    }
}

/// Re-creates missing triggers, only when the chain (and the checkpoint, if any) verify; the
/// restoration itself is an audit entry.
pub async fn restore_triggers(app: &App) -> Result<Vec<String>> {
    let missing = store::audit::missing_triggers(&app.pool).await?;
    if missing.is_empty() {
        return Ok(missing);
    }
    let report = verify_chain(app, Arc::new(crate::services::NoProgress)).await?;
    if let Some(p) = report
        .problems
        .iter()
        .find(|p| p.kind != AuditProblemKind::TriggersMissing)
    {
        return Err(AuditError::NotVerified(p.message.clone()).into());
    }
    store::audit::restore_triggers(&app.pool).await?;
    let mut tx = store::write_tx(&app.pool).await?;
    record(
        &mut tx,
        &AuditDraft {
            action: "audit_triggers_restored".into(),
            actor: os_user(),
            detail: serde_json::json!({
                "restored": missing,
                "verified_last": report.verified_last,
                "verified_hash": report.verified_hash,
                "not_proven": report.not_proven,
            }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    checkpoint(app).await;
    Ok(missing)
}
