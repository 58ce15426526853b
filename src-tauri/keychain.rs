//! The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
//! through `keyring`, each OS with its own backend: chosen per target in Cargo.toml, checked by
//! scripts/keychain-targets (without one, keyring would fall back to a mock store). Secrets live
//! only there: never in the database, a file, an environment variable, a log line or an error
//! message. keyring calls block, so they run on the blocking pool.

/// The keychain service every entry of ours is filed under.
pub const SERVICE: &str = "replay-console";

/// A secret in memory: zeroized on drop, `<redacted>` when printed, not serializable. The same
/// type the Salesforce client takes, so a secret goes from the keychain to the signer without a
/// copy in between.
pub use crate::salesforce::SecretString as Secret;

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error(
        "no keychain: the Secret Service is not reachable ({0}). Start a desktop session with a keyring \
         (GNOME Keyring or KWallet), or for a shell: `dbus-run-session -- bash`, then \
         `gnome-keyring-daemon --unlock --components=secrets`. Secrets are never kept anywhere else."
    )]
    Unavailable(String),
    #[error("the keychain is locked ({0}); unlock it (log in to the desktop session, or `gnome-keyring-daemon --unlock`) and try again")]
    Locked(String),
    #[error("no secret in the keychain for `{0}`; set it with `replay-console credentials set LANE`")]
    NotFound(String),
    #[error("the keychain refused the entry: {0}")]
    Refused(String),
    #[error("the keychain task failed: {0}")]
    Task(String),
}

pub type Result<T> = std::result::Result<T, KeychainError>;

/// Maps keyring's errors to ours without ever formatting a payload: `BadEncoding` carries the
/// stored bytes, so only its name is used.
fn map_err(account: &str, e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoEntry => KeychainError::NotFound(account.to_string()),
        keyring::Error::NoStorageAccess(inner) => {
            let m = inner.to_string();
            if m.to_ascii_lowercase().contains("lock") {
                KeychainError::Locked(m)
            } else {
                KeychainError::Unavailable(m)
            }
        }
        keyring::Error::PlatformFailure(inner) => {
            let m = inner.to_string();
            let lower = m.to_ascii_lowercase();
            if lower.contains("lock") {
                KeychainError::Locked(m)
            } else if lower.contains("dbus")
                || lower.contains("d-bus")
                || lower.contains("serviceunknown")
                || lower.contains("no such file")
                || lower.contains("connection")
                || lower.contains("secret service")
            {
                KeychainError::Unavailable(m)
            } else {
                KeychainError::Refused(m)
            }
        }
        keyring::Error::BadEncoding(_) => KeychainError::Refused("the stored entry is not UTF-8 text".into()),
        keyring::Error::TooLong(field, max) => KeychainError::Refused(format!("{field} is longer than {max}")),
        keyring::Error::Invalid(field, why) => KeychainError::Refused(format!("{field}: {why}")),
        keyring::Error::Ambiguous(_) => KeychainError::Refused(format!("several entries match `{account}`")),
        other => KeychainError::Refused(other.to_string()),
    }
}

/// A keychain that does not answer (a hung daemon, an unlock prompt nobody sees) must not hang
/// the console.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Whether an error looks like a keyring daemon in the middle of a restart: the call lost its
/// answer, or found the collection locked (a daemon started on demand, not yet unlocked), or
/// D-Bus's on-demand start failed because the session's own restart of the daemon was under way
/// (`ChildExited`: seen under full load, when the restart took longer than a try). No session bus
/// at all, or a refusal, is not retried.
fn restarting(e: &KeychainError) -> bool {
    match e {
        KeychainError::Locked(_) => true,
        KeychainError::Unavailable(m) => [
            "NoReply",
            "disconnected",
            "dismissed",
            "ServiceUnknown",
            "ChildExited",
            "Locked",
        ]
        .iter()
        .any(|w| m.contains(w)),
        _ => false,
    }
}

/// How long to wait before each retry of a call that found the keychain gone or locked.
const RETRY_AFTER_MS: &[u64] = &[150, 400, 900, 1500];

async fn blocking<T: Send + 'static>(f: impl Fn() -> Result<T> + Send + Sync + 'static) -> Result<T> {
    // A keyring daemon that crashed is started again by the desktop session (or D-Bus), and a
    // call in that moment finds no answer or a collection not yet unlocked: a short retry rides
    // over the restart. A keychain that stays locked or absent is reported after ~3 s.
    let f = std::sync::Arc::new(f);
    let mut attempt = 0;
    loop {
        let g = f.clone();
        let result = match tokio::time::timeout(TIMEOUT, tokio::task::spawn_blocking(move || g())).await {
            Ok(joined) => joined.map_err(|e| KeychainError::Task(e.to_string()))?,
            Err(_) => {
                return Err(KeychainError::Unavailable(format!(
                    "no answer within {} s",
                    TIMEOUT.as_secs()
                )))
            }
        };
        match (&result, RETRY_AFTER_MS.get(attempt)) {
            (Err(e), Some(ms)) if restarting(e) => {
                tracing::warn!(attempt, "the keychain is unavailable or locked; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
                attempt += 1;
            }
            _ => return result,
        }
    }
}

fn entry(account: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, account).map_err(|e| map_err(account, e))
}

/// Stores (or replaces) the secret of an account.
pub async fn set(account: &str, secret: Secret) -> Result<()> {
    let account = account.to_string();
    blocking(move || {
        entry(&account)?
            .set_password(secret.expose())
            .map_err(|e| map_err(&account, e))
    })
    .await
}

pub async fn get(account: &str) -> Result<Secret> {
    let account = account.to_string();
    blocking(move || {
        let raw = entry(&account)?.get_password().map_err(|e| map_err(&account, e))?;
        Ok(Secret::new(raw))
    })
    .await
}

/// Whether an entry exists. Reads it (the Secret Service has no cheaper probe) and drops it.
pub async fn exists(account: &str) -> Result<bool> {
    match get(account).await {
        Ok(_) => Ok(true),
        Err(KeychainError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Deletes an entry; `false` when there was none.
pub async fn delete(account: &str) -> Result<bool> {
    let account = account.to_string();
    blocking(move || match entry(&account)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(map_err(&account, e)),
    })
    .await
}

/// The account name of a lane's integration user: `<lane_id>/<integration_user>`.
pub fn lane_account(lane_id: &str, integration_user: &str) -> String {
    format!("{lane_id}/{integration_user}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2-canary");
        assert_eq!(format!("{s:?}"), "<redacted>", "Debug must not show the secret");
        assert_eq!(format!("{s}"), "<redacted>", "Display must not show the secret");
        assert_eq!(s.expose(), "hunter2-canary", "the owner can still use it");
    }

    #[test]
    fn account_names_follow_design() {
        assert_eq!(
            lane_account("account_sync_north_america", "sf_account_sync_app"),
            "account_sync_north_america/sf_account_sync_app"
        );
    }
}
