//! The signed checkpoint of the log's head, kept outside the database.
//!
//! The hash chain alone proves only that the entries agree with each other: someone with the
//! database file can delete the tail, or edit an entry and recompute every hash after it, and the
//! chain still verifies. The checkpoint pins the head (sequence number and hash) with an Ed25519
//! signature by a key that lives in the OS keychain, not in the file, so that a deleted tail
//! (checkpoint beyond the last entry) and a recomputed chain (hash at the checkpoint's position
//! differs; a re-signed checkpoint does not verify) are detected. See docs/AUDIT.md.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const CHECKPOINT_TAG: &[u8] = b"replay-console/audit-checkpoint/v1";
/// The `format` field of a checkpoint file.
pub const CHECKPOINT_FORMAT: &str = "replay-console/audit-checkpoint/v1";

/// A checkpoint as written beside the database (`<db>.checkpoint.json`) and copied into export
/// manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditCheckpoint {
    pub format: String,
    /// Which log: the hash of its first entry. It names the signing key in the keychain and
    /// stops a checkpoint of one database from being passed off as another's.
    pub log_id: String,
    pub seq: i64,
    pub hash: String,
    /// When it was signed (UTC).
    pub at: String,
    /// The Ed25519 public key (hex). Stated for exports checked elsewhere; `audit verify` trusts
    /// only the key in its own keychain.
    pub public_key: String,
    /// First 16 hex digits of SHA-256(public key): what a person compares.
    pub key_id: String,
    /// Ed25519 signature (hex) over [`message`].
    pub signature: String,
}

fn put(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
    buf.extend_from_slice(s);
}

/// The signed bytes: tag, then log id, sequence number (decimal), hash and time, each
/// length-prefixed so no two checkpoints sign alike.
pub fn message(log_id: &str, seq: i64, hash: &str, at: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(256);
    b.extend_from_slice(CHECKPOINT_TAG);
    b.push(0);
    put(&mut b, log_id.as_bytes());
    put(&mut b, seq.to_string().as_bytes());
    put(&mut b, hash.as_bytes());
    put(&mut b, at.as_bytes());
    b
}

pub fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public.as_bytes())[..8])
}

/// The keychain account holding a log's signing key. `:` never occurs in a lane id, so this
/// cannot collide with a lane's `<lane_id>/<integration_user>` account.
pub fn key_account(log_id: &str) -> String {
    format!("audit-checkpoint:{}", &log_id[..log_id.len().min(32)])
}

/// The secret as kept in the keychain: the 32-byte Ed25519 seed in hex.
pub fn encode_key(key: &SigningKey) -> String {
    hex::encode(key.to_bytes())
}

pub fn decode_key(text: &str) -> Option<SigningKey> {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).ok()?;
    let key = SigningKey::from_bytes(&seed);
    // The seed copy on the stack is not needed any more.
    seed.fill(0);
    Some(key)
}

pub fn sign(key: &SigningKey, log_id: &str, seq: i64, hash: &str, at: &str) -> AuditCheckpoint {
    let sig = key.sign(&message(log_id, seq, hash, at));
    let public = key.verifying_key();
    AuditCheckpoint {
        format: CHECKPOINT_FORMAT.into(),
        log_id: log_id.into(),
        seq,
        hash: hash.into(),
        at: at.into(),
        public_key: hex::encode(public.as_bytes()),
        key_id: key_id(&public),
        signature: hex::encode(sig.to_bytes()),
    }
}

/// Why a checkpoint's signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the checkpoint file is not a {CHECKPOINT_FORMAT} checkpoint")]
    Format,
    #[error("the checkpoint's public key or signature is not well-formed hex")]
    Malformed,
    #[error("the checkpoint was signed by key {found}, not by this log's key {expected}")]
    OtherKey { found: String, expected: String },
    #[error("the checkpoint's signature does not match its content: it was edited or forged")]
    Invalid,
}

/// Checks the signature against a given public key (the keychain's, or for an offline export
/// the one the manifest states).
pub fn check(cp: &AuditCheckpoint, public: &VerifyingKey) -> Result<(), SignatureError> {
    if cp.format != CHECKPOINT_FORMAT {
        return Err(SignatureError::Format);
    }
    let stated = decode_public(&cp.public_key).ok_or(SignatureError::Malformed)?;
    if stated != *public {
        return Err(SignatureError::OtherKey {
            found: key_id(&stated),
            expected: key_id(public),
        });
    }
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&cp.signature, &mut sig).map_err(|_| SignatureError::Malformed)?;
    public
        .verify(
            &message(&cp.log_id, cp.seq, &cp.hash, &cp.at),
            &Signature::from_bytes(&sig),
        )
        .map_err(|_| SignatureError::Invalid)
}

pub fn decode_public(text: &str) -> Option<VerifyingKey> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(text, &mut b).ok()?;
    VerifyingKey::from_bytes(&b).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_an_edited_one_does_not() {
        let k = key(1);
        let cp = sign(&k, &"ab".repeat(32), 10, &"cd".repeat(32), "2026-11-20T10:00:00.000Z");
        assert_eq!(
            check(&cp, &k.verifying_key()),
            Ok(()),
            "the writer's own checkpoint verifies"
        );
        let mut later = cp.clone();
        later.seq = 9;
        assert_eq!(
            check(&later, &k.verifying_key()),
            Err(SignatureError::Invalid),
            "moving the checkpoint back (to hide a deleted tail) breaks the signature"
        );
        let mut rehashed = cp.clone();
        rehashed.hash = "ee".repeat(32);
        assert_eq!(
            check(&rehashed, &k.verifying_key()),
            Err(SignatureError::Invalid),
            "a recomputed head cannot keep the old signature"
        );
    }

    #[test]
    fn a_checkpoint_re_signed_by_another_key_is_refused() {
        let cp = sign(&key(2), "aa", 1, "bb", "t");
        assert!(
            matches!(
                check(&cp, &key(1).verifying_key()),
                Err(SignatureError::OtherKey { .. })
            ),
            "an attacker's own key is not the log's key, even with a valid signature"
        );
    }

    #[test]
    fn keys_round_trip_through_their_keychain_text() {
        let k = key(7);
        let back = decode_key(&encode_key(&k)).expect("64 hex digits");
        assert_eq!(back.to_bytes(), k.to_bytes(), "the keychain text restores the same key");
        assert!(decode_key("not hex").is_none(), "a damaged keychain entry is not a key");
        assert!(key_account(&"f".repeat(64)).starts_with("audit-checkpoint:"));
    }
}
