//! Audit entries and their hash chain.
//!
//! `hash = SHA-256(DOMAIN_TAG ‖ 0x00 ‖ prev_hash ‖ canonical(entry))`, with `prev_hash` the 32
//! raw bytes of the previous entry's hash (zeros for the first). The canonical encoding is
//! versioned by the tag: every field in a fixed order, each as a presence byte then, when
//! present, its length (u64 big-endian) and its UTF-8 bytes. Numbers are encoded as decimal
//! text. Length prefixes make the encoding unambiguous: no two different entries encode alike.

use serde::Serialize;
use sha2::{Digest, Sha256};

pub const DOMAIN_TAG: &[u8] = b"replay-console/audit-entry/v1";
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a service asks to record. Time, OS user, host, sequence and hashes are filled in by the
/// store when the entry is appended.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AuditDraft {
    pub action: String,
    pub actor: String,
    pub lane_id: Option<String>,
    pub lane_version: Option<i64>,
    pub event_id: Option<i64>,
    pub attempt_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub integration_user: Option<String>,
    pub external_id: Option<String>,
    pub record_type: Option<String>,
    pub operation_type: Option<String>,
    pub reason: Option<String>,
    pub ack_token: Option<String>,
    pub outcome: Option<String>,
    pub detail: serde_json::Value,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub actor: String,
    pub os_user: String,
    pub host: String,
    pub lane_id: Option<String>,
    pub lane_version: Option<i64>,
    pub event_id: Option<i64>,
    pub attempt_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub integration_user: Option<String>,
    pub external_id: Option<String>,
    pub record_type: Option<String>,
    pub operation_type: Option<String>,
    pub reason: Option<String>,
    pub ack_token: Option<String>,
    pub outcome: Option<String>,
    /// Canonical JSON text (sorted keys, no whitespace).
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

fn put(buf: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => buf.push(0),
        Some(s) => {
            buf.push(1);
            buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
            buf.extend_from_slice(s.as_bytes());
        }
    }
}

/// The canonical bytes of everything in an entry but its hashes.
pub fn canonical(e: &AuditEntry) -> Vec<u8> {
    let mut b = Vec::with_capacity(256 + e.detail.len());
    let num = |v: Option<i64>| v.map(|n| n.to_string());
    put(&mut b, Some(&e.seq.to_string()));
    put(&mut b, Some(&e.at));
    put(&mut b, Some(&e.action));
    put(&mut b, Some(&e.actor));
    put(&mut b, Some(&e.os_user));
    put(&mut b, Some(&e.host));
    put(&mut b, e.lane_id.as_deref());
    put(&mut b, num(e.lane_version).as_deref());
    put(&mut b, num(e.event_id).as_deref());
    put(&mut b, num(e.attempt_id).as_deref());
    put(&mut b, num(e.batch_id).as_deref());
    put(&mut b, e.integration_user.as_deref());
    put(&mut b, e.external_id.as_deref());
    put(&mut b, e.record_type.as_deref());
    put(&mut b, e.operation_type.as_deref());
    put(&mut b, e.reason.as_deref());
    put(&mut b, e.ack_token.as_deref());
    put(&mut b, e.outcome.as_deref());
    put(&mut b, Some(&e.detail));
    b
}

/// The hash of an entry given its predecessor's hash (hex). `None` if `prev_hash` is not 64 hex
/// digits.
pub fn chain_hash(prev_hash: &str, e: &AuditEntry) -> Option<String> {
    let prev = hex::decode(prev_hash).ok().filter(|p| p.len() == 32)?;
    let mut h = Sha256::new();
    h.update(DOMAIN_TAG);
    h.update([0u8]);
    h.update(&prev);
    h.update(canonical(e));
    Some(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            seq: 1,
            at: "2026-11-20T10:00:00.000Z".into(),
            action: "replay_intent".into(),
            actor: "dana".into(),
            os_user: "dana".into(),
            host: "laptop".into(),
            lane_id: Some("l".into()),
            lane_version: Some(1),
            event_id: Some(7),
            attempt_id: None,
            batch_id: None,
            integration_user: None,
            external_id: Some("BA-1".into()),
            record_type: Some("Account".into()),
            operation_type: Some("upsert".into()),
            reason: Some("incident 42".into()),
            ack_token: None,
            outcome: None,
            detail: "{}".into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let a = entry();
        let mut b = entry();
        b.actor = "dan".into();
        b.os_user = "adana".into();
        assert_ne!(canonical(&a), canonical(&b), "length prefixes keep field boundaries");
        let mut c = entry();
        c.attempt_id = Some(0);
        assert_ne!(
            chain_hash(GENESIS, &a),
            chain_hash(GENESIS, &c),
            "absent differs from present"
        );
    }

    #[test]
    fn the_previous_hash_is_part_of_the_hash() {
        let e = entry();
        let other = "11".repeat(32);
        assert_ne!(chain_hash(GENESIS, &e), chain_hash(&other, &e));
        assert_eq!(chain_hash("zz", &e), None, "a malformed link is not hashed");
    }
}
