//! The log's keys and what the keychain remembers of it: the Ed25519 signing key (whose seed
//! also derives the MAC key), cached per process; the head record (the last signed head, and from
//! which entry MACs are required); and which log lives at a database path.

use super::AuditError;
use crate::domain::audit::checkpoint;
use crate::domain::audit::mac::MacKey;
use crate::domain::audit::GENESIS;
use crate::error::{Error, Result};
use crate::keychain::{self, KeychainError, Secret};
use crate::store;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// Log keys already read from the keychain (the Ed25519 key and the MAC key derived from it),
/// per log id, for the life of the process: one keychain round trip per log and process, not
/// one per entry or per checkpoint. A log's key never changes once made.
type LogKeys = (ed25519_dalek::SigningKey, MacKey);

fn log_keys() -> &'static Mutex<HashMap<String, LogKeys>> {
    static KEYS: OnceLock<Mutex<HashMap<String, LogKeys>>> = OnceLock::new();
    KEYS.get_or_init(Mutex::default)
}

pub(super) fn cached_keys(log_id: &str) -> Option<LogKeys> {
    log_keys().lock().ok()?.get(log_id).cloned()
}

fn cache_keys(log_id: &str, key: &ed25519_dalek::SigningKey) -> MacKey {
    let mac = MacKey::derive(&key.to_bytes());
    if let Ok(mut m) = log_keys().lock() {
        m.insert(log_id.to_string(), (key.clone(), mac.clone()));
    }
    mac
}

/// The MAC key an append uses. The log's key (the checkpoint's Ed25519 seed) is created with
/// its first MAC'd entry when it has none yet, together with the keychain's head record saying
/// from which entry MACs are required. A log that already carries MACs is never continued
/// without its key: that entry could not be told from a forged one.
pub(super) async fn mac_key_for_append(log_id: &str, log_has_macs: bool, next_seq: i64) -> Result<Option<MacKey>> {
    if let Some((_, k)) = cached_keys(log_id) {
        return Ok(Some(k));
    }
    let account = checkpoint::key_account(log_id);
    let unavailable = |why: String| {
        Error::from(AuditError::MacKeyUnavailable {
            account: account.clone(),
            why,
        })
    };
    let key = match keychain::get(&account).await {
        Ok(s) => checkpoint::decode_key(s.expose())
            .ok_or_else(|| unavailable("the keychain entry is not an audit key".into()))?,
        Err(KeychainError::NotFound(_)) if !log_has_macs => {
            let key = match create_signing_key(&account).await {
                Ok(k) => k,
                // A locked or refusing keychain: as when it is unreachable, the log goes on
                // without MACs (none of its entries has one yet) and verify says so.
                Err(e) => {
                    tracing::warn!("audit entry written without a MAC: the log's key could not be made: {e}");
                    return Ok(None);
                }
            };
            // Remember from which entry MACs start, unless the keychain already knows this log.
            if matches!(read_head(log_id).await, Ok(None)) {
                let head = AuditKeychainHead {
                    log_id: log_id.to_string(),
                    seq: 0,
                    hash: GENESIS.to_string(),
                    at: store::now_text(),
                    macs_from: Some(next_seq),
                };
                if let Err(e) = write_head(&head).await {
                    tracing::warn!("the audit head record was not written: {e}");
                }
            }
            key
        }
        Err(KeychainError::NotFound(_)) => return Err(unavailable("it is not in this keychain".into())),
        Err(e) if !log_has_macs => {
            // No entry of this log carries a MAC yet, so one without is no different from
            // the ones before; `audit verify` says the log is not MAC'd.
            tracing::warn!("audit entry written without a MAC: {e}");
            return Ok(None);
        }
        Err(e) => return Err(unavailable(e.to_string())),
    };
    Ok(Some(cache_keys(log_id, &key)))
}

/// The MAC key of a log being written in bulk outside `record` (the benchmark's generator):
/// made with the log's key if there is none, exactly as its first `record` would.
pub async fn mac_key_for_new_log(log_id: &str) -> Result<Option<MacKey>> {
    mac_key_for_append(log_id, false, 1).await
}

/// A new random Ed25519 key stored under `account`; if another process created one at the same
/// moment, the one the keychain kept.
async fn create_signing_key(account: &str) -> Result<ed25519_dalek::SigningKey> {
    use rand::RngCore;
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(&mut *seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    keychain::set(account, Secret::new(checkpoint::encode_key(&key))).await?;
    checkpoint::decode_key(keychain::get(account).await?.expose()).ok_or_else(|| {
        Error::from(AuditError::CheckpointConflict(format!(
            "the keychain entry {account} is not an audit signing key"
        )))
    })
}

/// What the keychain remembers of a log next to its key: the last head a checkpoint signed,
/// and from which entry every entry must carry a MAC. A database and checkpoint file restored
/// together from an older copy cannot take the keychain back with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditKeychainHead {
    pub log_id: String,
    /// 0 when the key was made and no checkpoint signed yet.
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub macs_from: Option<i64>,
}

/// The keychain account of a log's head record.
pub fn head_account(log_id: &str) -> String {
    format!("audit-head:{}", &log_id[..log_id.len().min(32)])
}

/// The keychain account naming the log that lives at a database path (its canonical form), so a
/// whole log replaced by another at the same path is named.
pub fn path_account(db: &Path) -> String {
    use sha2::{Digest, Sha256};
    let p = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let digest = Sha256::digest(p.as_os_str().as_encoded_bytes());
    format!("audit-log:{}", &hex::encode(digest)[..32])
}

pub(super) async fn read_head(log_id: &str) -> std::result::Result<Option<AuditKeychainHead>, KeychainError> {
    match keychain::get(&head_account(log_id)).await {
        Ok(s) => Ok(serde_json::from_str(s.expose()).ok()),
        Err(KeychainError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(super) async fn write_head(h: &AuditKeychainHead) -> std::result::Result<(), KeychainError> {
    let text = serde_json::to_string(h).unwrap_or_default();
    keychain::set(&head_account(&h.log_id), Secret::new(text)).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PathRecord {
    log_id: String,
    path: String,
}

/// The (database path account, log) pairs this process has read from the keychain or written
/// to it. Only this program writes the record, and it names the log found in the database at
/// that path; a checkpoint of the same log at the same path need not ask the keychain again
/// (each keychain call is a new Secret Service session, several milliseconds of the daemon's
/// time). A different log at the path is always looked up; `audit verify` always reads fresh.
fn known_paths() -> &'static Mutex<std::collections::HashSet<(String, String)>> {
    static KNOWN: OnceLock<Mutex<std::collections::HashSet<(String, String)>>> = OnceLock::new();
    KNOWN.get_or_init(Default::default)
}

fn path_known(account: &str, log_id: &str) -> bool {
    known_paths()
        .lock()
        .map(|k| k.contains(&(account.to_string(), log_id.to_string())))
        .unwrap_or(false)
}

fn remember_path(account: &str, log_id: &str) {
    if let Ok(mut k) = known_paths().lock() {
        k.retain(|(a, _)| a != account);
        if !log_id.is_empty() {
            k.insert((account.to_string(), log_id.to_string()));
        }
    }
}

async fn read_path_log(db: &Path) -> std::result::Result<Option<String>, KeychainError> {
    let account = path_account(db);
    let found = match keychain::get(&account).await {
        // An empty log id: the path was deliberately reset (`forget_log_at`).
        Ok(s) => serde_json::from_str::<PathRecord>(s.expose())
            .ok()
            .map(|r| r.log_id)
            .filter(|l| !l.is_empty()),
        Err(KeychainError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    remember_path(&account, found.as_deref().unwrap_or(""));
    Ok(found)
}

pub(super) async fn write_path_log(db: &Path, log_id: &str) -> std::result::Result<(), KeychainError> {
    let r = PathRecord {
        log_id: log_id.to_string(),
        path: std::fs::canonicalize(db)
            .unwrap_or_else(|_| db.to_path_buf())
            .display()
            .to_string(),
    };
    let account = path_account(db);
    let written = keychain::set(&account, Secret::new(serde_json::to_string(&r).unwrap_or_default())).await;
    remember_path(&account, if written.is_ok() { log_id } else { "" });
    written
}

/// Forgets which log lives at `db`, for a caller that deliberately replaces the database with a
/// new one (the demo, which starts fresh at each launch): the new log is then not reported as a
/// replacement. Overwritten rather than deleted, so the record's history stays one entry.
pub async fn forget_log_at(db: &Path) -> Result<()> {
    write_path_log(db, "").await?;
    Ok(())
}

/// Everything the keychain says about a log, read before the checkpoint file and the database
/// (a writer updates the database, then the file, then the keychain: read in the other order,
/// each is at least as new as the one before).
pub(super) struct KeychainView {
    /// The log's Ed25519 key; `Err` when the keychain could not say.
    pub(super) key: std::result::Result<Option<ed25519_dalek::SigningKey>, String>,
    pub(super) head: std::result::Result<Option<AuditKeychainHead>, String>,
    /// The log the keychain recorded at this database's path.
    pub(super) path_log: std::result::Result<Option<String>, String>,
}

impl KeychainView {
    /// `fresh`: read the key from the keychain even if this process has it (verify reports
    /// what the keychain holds now); otherwise a key this process already read is used.
    pub(super) async fn read(db: &Path, log_id: &str, fresh: bool) -> KeychainView {
        let cached = if fresh { None } else { cached_keys(log_id) };
        let key = match cached {
            Some((k, _)) => Ok(Some(k)),
            None => match keychain::get(&checkpoint::key_account(log_id)).await {
                Ok(s) => checkpoint::decode_key(s.expose())
                    .map(Some)
                    .ok_or_else(|| "the keychain's signing key for this log is damaged".to_string()),
                Err(KeychainError::NotFound(_)) => Ok(None),
                Err(e) => Err(e.to_string()),
            },
        };
        if let Ok(Some(k)) = &key {
            cache_keys(log_id, k);
        }
        let path_log = if !fresh && path_known(&path_account(db), log_id) {
            Ok(Some(log_id.to_string()))
        } else {
            read_path_log(db).await.map_err(|e| e.to_string())
        };
        KeychainView {
            key,
            head: read_head(log_id).await.map_err(|e| e.to_string()),
            path_log,
        }
    }

    pub(super) fn mac_key(&self) -> Option<MacKey> {
        self.key
            .as_ref()
            .ok()
            .and_then(|k| k.as_ref())
            .map(|k| MacKey::derive(&k.to_bytes()))
    }

    pub(super) fn head(&self) -> Option<&AuditKeychainHead> {
        self.head.as_ref().ok().and_then(|h| h.as_ref())
    }

    pub(super) fn macs_from(&self) -> Option<i64> {
        self.head().and_then(|h| h.macs_from)
    }
}

/// The log's signing key from the keychain; created when `may_create` (the log's first
/// checkpoint) and there is none.
pub(super) async fn signing_key(log_id: &str, may_create: bool) -> Result<ed25519_dalek::SigningKey> {
    let account = checkpoint::key_account(log_id);
    let decode = |s: Secret| {
        checkpoint::decode_key(s.expose()).ok_or_else(|| {
            Error::from(AuditError::CheckpointConflict(format!(
                "the keychain entry {account} is not an audit signing key"
            )))
        })
    };
    match keychain::get(&account).await {
        Ok(s) => decode(s),
        Err(KeychainError::NotFound(_)) if may_create => create_signing_key(&account).await,
        Err(KeychainError::NotFound(_)) => Err(AuditError::CheckpointConflict(format!(
            "the checkpoint's signing key ({account}) is missing from the keychain"
        ))
        .into()),
        Err(e) => Err(e.into()),
    }
}
