//! Team mode's people: each person connects to the shared server as their own database login,
//! whose password lives in that person's OS keychain (never in a file, the URL or the shared
//! database), under the account `db:LOGIN@HOST:PORT`.

use crate::error::Result;
use crate::keychain::{self, KeychainError, Secret};
use crate::store::ServerUrl;

/// The password stored for this login on this server; `None` when none is stored (a server
/// that trusts the connection, or a login that has not run `team login` yet) or when there is
/// no keychain to ask: a server that needs a password then refuses the login, and
/// [`login_hint`] says what to do.
pub async fn stored_password(s: &ServerUrl) -> Result<Option<Secret>> {
    match keychain::get(&s.keychain_account()).await {
        Ok(p) => Ok(Some(p)),
        Err(KeychainError::NotFound(_)) => Ok(None),
        Err(e) => {
            tracing::warn!("no password for {} from the keychain: {e}", s.shown());
            Ok(None)
        }
    }
}

/// What to add to a refused connection when no password was stored for the login.
pub fn login_hint(s: &ServerUrl) -> String {
    format!(
        "no password is stored in this keychain for {} on {}:{}; if the server needs one, store it with \
         `replay-console team login --db {}`",
        s.login,
        s.host,
        s.port,
        s.shown()
    )
}

/// Stores (or replaces) this login's password on this server in the keychain.
pub async fn store_password(s: &ServerUrl, password: Secret) -> Result<()> {
    keychain::set(&s.keychain_account(), password).await?;
    Ok(())
}

/// Removes this login's stored password; `false` when there was none.
pub async fn forget_password(s: &ServerUrl) -> Result<bool> {
    Ok(keychain::delete(&s.keychain_account()).await?)
}
