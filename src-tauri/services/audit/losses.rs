//! Checkpoint losses: found when a checkpoint is written (the keychain recorded a signed head
//! the file no longer shows), recorded as a `checkpoint_lost` entry, reported by `audit verify`
//! until a reviewer acknowledges them (`audit acknowledge`), and listed for the window's alert.

use super::append::record;
use super::checkpoint::{checkpoint, checkpoint_path};
use super::keys::{AuditKeychainHead, KeychainView};
use super::views::MAX_PAGE;
use super::{blocking, require_triggers, short, AuditError, Findings};
use crate::app::App;
use crate::domain::audit::checkpoint::AuditCheckpoint;
use crate::domain::audit::{AuditDraft, AuditEntry, AuditFilter, AuditProblemKind};
use crate::error::{Error, Result};
use crate::services::holder::os_user;
use crate::store;
use crate::store::audit::{LogReader, Snapshot};
use serde::Serialize;

pub const LOSS_ACTION: &str = "checkpoint_lost";
pub const ACK_ACTION: &str = "checkpoint_loss_acknowledged";

/// A checkpoint the keychain says was signed but that the file no longer shows.
#[derive(Debug, Clone)]
pub(super) struct Loss {
    why: &'static str,
    message: String,
    expected: serde_json::Value,
    found: serde_json::Value,
}

/// Whether the checkpoint was lost: the keychain recorded a signed head (or, for a log from
/// before head records, holds its key, which was then made at the first checkpoint), and the
/// file is missing, unreadable, another log's, or older than that head; or the keychain
/// recorded another log at this path.
pub(super) fn detect_loss(
    log_id: &str,
    kc: &KeychainView,
    recorded_elsewhere: Option<&AuditKeychainHead>,
    cp: &std::result::Result<Option<AuditCheckpoint>, AuditError>,
) -> Option<Loss> {
    let head_json = |h: &AuditKeychainHead| serde_json::json!({"log_id": h.log_id, "seq": h.seq, "hash": h.hash, "signed_at": h.at});
    let cp_json =
        |c: &AuditCheckpoint| serde_json::json!({"log_id": c.log_id, "seq": c.seq, "hash": c.hash, "signed_at": c.at});
    if let Ok(Some(other)) = &kc.path_log {
        if other != log_id {
            return Some(Loss {
                why: "log_replaced",
                message: format!(
                    "the keychain recorded log {} at this path, but the database now holds log {}: the whole log was replaced",
                    short(other),
                    short(log_id)
                ),
                expected: recorded_elsewhere
                    .map(head_json)
                    .unwrap_or_else(|| serde_json::json!({"log_id": other})),
                found: serde_json::json!({"log_id": log_id}),
            });
        }
    }
    let expected = match (kc.head(), &kc.key) {
        (Some(h), _) if h.seq > 0 => head_json(h),
        (None, Ok(Some(_))) if matches!(kc.head, Ok(None)) => {
            serde_json::json!({"log_id": log_id, "note": "the log's key is in the keychain; before head records, keys were made at a log's first checkpoint"})
        }
        _ => return None,
    };
    let exp_seq = kc.head().map_or(0, |h| h.seq);
    let (why, message, found) = match cp {
        Err(e) => ("checkpoint_unreadable", e.to_string(), serde_json::json!({"error": e.to_string()})),
        Ok(None) => (
            "checkpoint_missing",
            "the checkpoint file is missing, but the keychain says a checkpoint was signed".to_string(),
            serde_json::json!({"checkpoint": null}),
        ),
        Ok(Some(c)) if c.log_id != log_id => (
            "checkpoint_other_log",
            format!("the checkpoint file belongs to log {}, not to this log", short(&c.log_id)),
            serde_json::json!({"checkpoint": cp_json(c)}),
        ),
        Ok(Some(c)) if c.seq < exp_seq => (
            "checkpoint_older",
            format!(
                "the checkpoint file names entry {}, but the keychain recorded a signed head at entry {exp_seq}: the checkpoint (and maybe the database) was rolled back",
                c.seq
            ),
            serde_json::json!({"checkpoint": cp_json(c)}),
        ),
        Ok(Some(c)) if c.seq == exp_seq && kc.head().is_some_and(|h| h.hash != c.hash) => (
            "checkpoint_differs",
            format!("the checkpoint file's hash at entry {} is not the one the keychain recorded", c.seq),
            serde_json::json!({"checkpoint": cp_json(c)}),
        ),
        Ok(Some(_)) => return None,
    };
    Some(Loss {
        why,
        message,
        expected,
        found,
    })
}

/// Whether the log's latest recorded loss is this one (same expectation, same finding), so a
/// writer that could not sign after recording it does not record it again at every write.
fn already_recorded(latest: Option<&AuditEntry>, loss: &Loss) -> bool {
    let Some(e) = latest else { return false };
    let Ok(d) = serde_json::from_str::<serde_json::Value>(&e.detail) else {
        return false;
    };
    d.get("why").and_then(|v| v.as_str()) == Some(loss.why)
        && d.get("expected") == Some(&loss.expected)
        && d.get("found") == Some(&loss.found)
}

/// Appends the `checkpoint_lost` entry, unless the log's latest one records this very loss.
pub(super) async fn record_loss(app: &App, loss: &Loss) -> Result<()> {
    let mut tx = store::write_tx(&app.pool).await?;
    let latest = {
        let db = app.log_source();
        blocking(move || {
            let reader = LogReader::open(&db)?;
            let f = AuditFilter {
                action: Some(LOSS_ACTION.into()),
                ..Default::default()
            };
            Ok(reader.snapshot(|s| s.page(&f, None, 1, true))?)
        })
        .await?
    };
    if already_recorded(latest.first(), loss) {
        return Ok(());
    }
    let head = store::audit::append_head(&mut tx).await?;
    let last = head.as_ref().map_or(0, |h| h.seq);
    let message = format!(
        "{}. Entries 1 to {last} are not proven by a checkpoint: whatever was removed, rolled back or replaced before this entry cannot be shown. A reviewer acknowledges it with `replay-console audit acknowledge {} --reviewer NAME --reason TEXT`.",
        loss.message,
        last + 1
    );
    record(
        &mut tx,
        &AuditDraft {
            action: LOSS_ACTION.into(),
            actor: os_user(),
            outcome: Some("unproven".into()),
            detail: serde_json::json!({
                "why": loss.why,
                "message": message,
                "expected": loss.expected,
                "found": loss.found,
                "log_head": head.as_ref().map(|h| serde_json::json!({"seq": h.seq, "hash": h.hash})),
                "unproven": {"first": 1, "last": last},
                "checkpoint": checkpoint_path(&app.db_path).display().to_string(),
            }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    tracing::warn!("{message}");
    eprintln!("warning: audit checkpoint lost: {message}");
    Ok(())
}

/// A checkpoint loss the log records (`checkpoint_lost`), and its acknowledgment if any.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditLoss {
    /// The `checkpoint_lost` entry.
    pub seq: i64,
    pub at: String,
    /// `checkpoint_missing`, `checkpoint_unreadable`, `checkpoint_older`, `checkpoint_other_log`,
    /// `checkpoint_differs`, `log_replaced`.
    pub why: String,
    pub message: String,
    /// Entries 1 to this one are not proven by a checkpoint.
    pub unproven_last: i64,
    pub acknowledged: Option<AuditLossAck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditLossAck {
    /// The `checkpoint_loss_acknowledged` entry.
    pub seq: i64,
    pub at: String,
    pub reviewer: String,
    pub reason: String,
}

/// Every recorded loss: unacknowledged ones are problems (exit 1), acknowledged ones stay in
/// the report as unproven ranges. An acknowledgment counts only if its own entry verified.
pub(super) fn judge_losses(
    loss_entries: &[AuditEntry],
    ack_entries: &[AuditEntry],
    verified_last: i64,
    found: &mut Findings,
) -> Vec<AuditLoss> {
    let losses = losses_from(loss_entries, ack_entries, verified_last);
    for l in &losses {
        match &l.acknowledged {
            None => found.problem(
                AuditProblemKind::CheckpointLost,
                Some(l.seq),
                format!(
                    "{} (not acknowledged; `audit acknowledge {} --reviewer NAME --reason TEXT`)",
                    l.message, l.seq
                ),
            ),
            Some(a) => found.unproven(format!(
                "entries 1 to {}: the checkpoint was lost before entry {} ({}); acknowledged by {} at entry {}: {}",
                l.unproven_last, l.seq, l.why, a.reviewer, a.seq, a.reason
            )),
        }
    }
    losses
}

/// The `checkpoint_lost` entries and the acknowledgments, oldest first (served by the `action`
/// index).
pub(super) fn recorded_losses(s: &Snapshot<'_>) -> Result<(Vec<AuditEntry>, Vec<AuditEntry>)> {
    let by_action = |a: &str| {
        let f = AuditFilter {
            action: Some(a.into()),
            ..Default::default()
        };
        s.page(&f, None, MAX_PAGE * 10, false)
    };
    Ok((by_action(LOSS_ACTION)?, by_action(ACK_ACTION)?))
}

fn losses_from(loss_entries: &[AuditEntry], ack_entries: &[AuditEntry], acks_verified_upto: i64) -> Vec<AuditLoss> {
    loss_entries
        .iter()
        .map(|e| {
            let d: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let acknowledged = ack_entries
                .iter()
                .filter(|a| a.seq > e.seq && a.seq <= acks_verified_upto)
                .find(|a| {
                    let ad: serde_json::Value = serde_json::from_str(&a.detail).unwrap_or_default();
                    ad.get("lost_seq").and_then(|v| v.as_i64()) == Some(e.seq)
                        && ad.get("lost_hash").and_then(|v| v.as_str()) == Some(e.hash.as_str())
                })
                .map(|a| AuditLossAck {
                    seq: a.seq,
                    at: a.at.clone(),
                    reviewer: a.actor.clone(),
                    reason: a.reason.clone().unwrap_or_default(),
                });
            AuditLoss {
                seq: e.seq,
                at: e.at.clone(),
                why: text("why"),
                message: text("message"),
                unproven_last: d
                    .get("unproven")
                    .and_then(|u| u.get("last"))
                    .and_then(|v| v.as_i64())
                    .unwrap_or(e.seq - 1),
                acknowledged,
            }
        })
        .collect()
}

/// The checkpoint losses the log records, as recorded (not verified: `audit verify` does that),
/// for the window's standing alert. Served by the `action` index.
pub async fn losses(app: &App) -> Result<Vec<AuditLoss>> {
    let db = app.log_source();
    blocking(move || {
        let reader = LogReader::open(&db)?;
        reader.snapshot(|s| -> Result<_> {
            let (l, a) = recorded_losses(s)?;
            Ok(losses_from(&l, &a, i64::MAX))
        })
    })
    .await
}

/// A reviewer's acknowledgment of a recorded checkpoint loss, itself an audit entry: after it,
/// `audit verify` no longer fails for that loss but still reports the unproven range.
pub async fn acknowledge(app: &App, seq: i64, reviewer: &str, reason: &str) -> Result<AuditLoss> {
    let (reviewer, reason) = (reviewer.trim(), reason.trim());
    if reviewer.is_empty() || reason.is_empty() {
        return Err(Error::InvalidInput(
            "an acknowledgment needs the reviewer's name and a reason".into(),
        ));
    }
    // Like every write: not to a log whose append-only triggers are gone.
    require_triggers(&app.pool).await?;
    let all = losses(app).await?;
    let loss = all
        .into_iter()
        .find(|l| l.seq == seq)
        .ok_or(AuditError::NotALoss(seq))?;
    if let Some(a) = &loss.acknowledged {
        return Err(AuditError::AlreadyAcknowledged { seq, by_seq: a.seq }.into());
    }
    let lost_hash = {
        let db = app.log_source();
        blocking(move || Ok(LogReader::open(&db)?.snapshot(|s| s.hash_at(seq))?)).await?
    }
    .ok_or(AuditError::NoEntry(seq))?;
    let mut tx = store::write_tx(&app.pool).await?;
    let e = record(
        &mut tx,
        &AuditDraft {
            action: ACK_ACTION.into(),
            actor: reviewer.to_string(),
            reason: Some(reason.to_string()),
            detail: serde_json::json!({
                "lost_seq": seq,
                "lost_hash": lost_hash,
                "why": loss.why,
                "unproven": {"first": 1, "last": loss.unproven_last},
            }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    checkpoint(app).await;
    Ok(AuditLoss {
        acknowledged: Some(AuditLossAck {
            seq: e.seq,
            at: e.at,
            reviewer: reviewer.to_string(),
            reason: reason.to_string(),
        }),
        ..loss
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::checkpoint;

    #[test]
    fn a_loss_is_recognised_from_what_the_keychain_and_the_file_say() {
        let log = "ab".repeat(32);
        let head = |seq: i64| AuditKeychainHead {
            log_id: log.clone(),
            seq,
            hash: "cd".repeat(32),
            at: "2026-11-20T10:00:00.000Z".into(),
            macs_from: Some(1),
        };
        let view = |h: Option<AuditKeychainHead>, path: Option<&str>| KeychainView {
            key: Ok(Some(ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]))),
            head: Ok(h),
            path_log: Ok(path.map(str::to_string)),
        };
        let cp = |seq: i64| {
            Ok(Some(checkpoint::sign(
                &ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]),
                &log,
                seq,
                &"cd".repeat(32),
                "t",
            )))
        };
        let why = |v: &KeychainView, c: &std::result::Result<Option<AuditCheckpoint>, AuditError>| {
            detect_loss(&log, v, None, c).map(|l| l.why)
        };
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &Ok(None)),
            Some("checkpoint_missing")
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &cp(3)),
            Some("checkpoint_older"),
            "a rolled-back file"
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &cp(5)),
            None,
            "the file the keychain recorded"
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &cp(7)),
            None,
            "a newer file (the keychain write came after)"
        );
        assert_eq!(
            why(&view(Some(head(0)), None), &Ok(None)),
            None,
            "a key but nothing signed yet"
        );
        assert_eq!(
            why(&view(None, None), &Ok(None)),
            Some("checkpoint_missing"),
            "a key from before head records was made at a checkpoint"
        );
        assert_eq!(
            why(&view(Some(head(5)), Some(&"ef".repeat(32))), &cp(5)),
            Some("log_replaced"),
            "another log at this path"
        );
        let unreadable = Err(AuditError::CheckpointUnreadable {
            path: "x".into(),
            why: "not JSON".into(),
        });
        assert_eq!(
            why(&view(Some(head(5)), Some(&log)), &unreadable),
            Some("checkpoint_unreadable")
        );
    }
}
