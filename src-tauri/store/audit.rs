use super::Result;
use crate::domain::audit::{chain_hash, AuditDraft, AuditEntry, GENESIS};
use sqlx::SqliteConnection;

/// Appends one entry, chained to the last. The caller holds a write transaction (BEGIN
/// IMMEDIATE), so no other writer can slip an entry in between reading the head and writing.
pub async fn append(
    conn: &mut SqliteConnection,
    d: &AuditDraft,
    at: &str,
    os_user: &str,
    host: &str,
) -> Result<AuditEntry> {
    let head: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let (seq, prev_hash) = match head {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let mut e = AuditEntry {
        seq,
        at: at.to_string(),
        action: d.action.clone(),
        actor: d.actor.clone(),
        os_user: os_user.to_string(),
        host: host.to_string(),
        lane_id: d.lane_id.clone(),
        lane_version: d.lane_version,
        event_id: d.event_id,
        attempt_id: d.attempt_id,
        batch_id: d.batch_id,
        integration_user: d.integration_user.clone(),
        external_id: d.external_id.clone(),
        record_type: d.record_type.clone(),
        operation_type: d.operation_type.clone(),
        reason: d.reason.clone(),
        ack_token: d.ack_token.clone(),
        outcome: d.outcome.clone(),
        // serde_json's maps are sorted, so this text is canonical.
        detail: d.detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    e.hash = chain_hash(&e.prev_hash, &e).ok_or_else(|| {
        super::StoreError::Sql(sqlx::Error::Protocol(format!(
            "the audit log's head hash at entry {} is malformed; run `audit verify`",
            seq - 1
        )))
    })?;
    sqlx::query(
        "INSERT INTO audit_log (seq, at, action, actor, os_user, host, lane_id, lane_version, event_id, attempt_id,
            batch_id, integration_user, external_id, record_type, operation_type, reason, ack_token, outcome,
            detail, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.seq)
    .bind(&e.at)
    .bind(&e.action)
    .bind(&e.actor)
    .bind(&e.os_user)
    .bind(&e.host)
    .bind(&e.lane_id)
    .bind(e.lane_version)
    .bind(e.event_id)
    .bind(e.attempt_id)
    .bind(e.batch_id)
    .bind(&e.integration_user)
    .bind(&e.external_id)
    .bind(&e.record_type)
    .bind(&e.operation_type)
    .bind(&e.reason)
    .bind(&e.ack_token)
    .bind(&e.outcome)
    .bind(&e.detail)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut *conn)
    .await?;
    Ok(e)
}
