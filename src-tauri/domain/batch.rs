//! Batch replay, the pure part: the aggregate a batch preflight shows, the batch digest and its
//! acknowledgment token, and which transient answers a batch may send again.

use crate::domain::preflight::{Preflight, WriteKind, ACK_LEN};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Versioned domain tag of the batch digest.
pub const BATCH_DIGEST_TAG: &str = "replay-console/batch/v1";

/// What the batch would do, counted over its per-event preflights.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct BatchAggregate {
    pub total: u64,
    pub would_update: u64,
    pub would_create: u64,
    /// Events with at least one blocking finding: skipped, never written.
    pub blocked: u64,
    /// Blocked events counted by each blocking finding code (an event may count under several).
    pub blocked_by: BTreeMap<String, u64>,
    /// Writable events whose replay changes the record's owner.
    pub change_owner: u64,
    /// Events whose payload touches a protected field (stripped, or blocking as a conflict).
    pub touch_protected: u64,
    /// Warnings (non-blocking findings) by code, over the writable events.
    pub warnings_by: BTreeMap<String, u64>,
}

pub fn aggregate<'a>(preflights: impl IntoIterator<Item = &'a Preflight>) -> BatchAggregate {
    let mut a = BatchAggregate::default();
    for p in preflights {
        a.total += 1;
        let blocking: Vec<&str> = p.blocking().map(|f| f.code.as_str()).collect();
        if p.changes.iter().any(|c| c.protected && c.changes) {
            a.touch_protected += 1;
        }
        if !blocking.is_empty() {
            a.blocked += 1;
            for c in blocking {
                *a.blocked_by.entry(c.to_string()).or_default() += 1;
            }
            continue;
        }
        match p.request.kind {
            WriteKind::Update => a.would_update += 1,
            WriteKind::Create => a.would_create += 1,
            WriteKind::None => {}
        }
        if p.side_effects.iter().any(|s| s.code == "owner_changes") {
            a.change_owner += 1;
        }
        for f in p
            .findings
            .iter()
            .filter(|f| f.severity != crate::domain::preflight::Severity::Blocking)
        {
            *a.warnings_by.entry(f.code.clone()).or_default() += 1;
        }
    }
    a
}

/// SHA-256 over the per-event digests in execution order: the batch's token changes when any
/// event's preflight (target state, request, findings, side effects) or the order changes.
pub fn digest<'a>(event_digests: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    h.update(BATCH_DIGEST_TAG.as_bytes());
    for d in event_digests {
        h.update([0u8]);
        h.update(d.as_bytes());
    }
    hex::encode(h.finalize())
}

pub fn ack_token(digest: &str) -> String {
    digest.chars().take(ACK_LEN).collect()
}

/// Answers that prove nothing was written and that may pass if sent again a little later: row
/// locks, maintenance, the concurrent-request limit. `NOT_SENT`: the request never left.
pub fn is_retryable(http_status: u16, code: &str) -> bool {
    matches!(
        code,
        "UNABLE_TO_LOCK_ROW" | "SERVER_UNAVAILABLE" | "REQUEST_LIMIT_EXCEEDED" | "NOT_SENT"
    ) || http_status == 503
}

/// Whether the org's daily API usage is above `percent` of its allowance.
pub fn usage_above(used: u64, limit: u64, percent: u8) -> bool {
    limit > 0 && used.saturating_mul(100) > limit.saturating_mul(u64::from(percent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_depends_on_order_and_content() {
        let a = digest(["aa", "bb"]);
        assert_ne!(
            a,
            digest(["bb", "aa"]),
            "the order of execution is part of what is acknowledged"
        );
        assert_ne!(a, digest(["aab", "b"]), "separators keep digests from running together");
        assert_eq!(ack_token(&a).len(), ACK_LEN, "the token is the digest's prefix");
    }

    #[test]
    fn retry_only_what_proves_nothing_was_written() {
        assert!(is_retryable(400, "UNABLE_TO_LOCK_ROW"), "a row lock is transient");
        assert!(is_retryable(503, "SERVER_UNAVAILABLE"), "maintenance is transient");
        assert!(
            !is_retryable(400, "FIELD_CUSTOM_VALIDATION_EXCEPTION"),
            "validation fails again"
        );
        assert!(
            !is_retryable(412, "PRECONDITION_FAILED"),
            "a changed record needs a new preflight"
        );
    }

    #[test]
    fn usage_threshold() {
        assert!(usage_above(91, 100, 90), "91% is above 90%");
        assert!(!usage_above(90, 100, 90), "exactly at the threshold still runs");
        assert!(!usage_above(5, 0, 90), "an unknown allowance never pauses");
    }
}
