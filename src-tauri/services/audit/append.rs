//! Appending to the audit log: who and where (OS user, host), and [`record`], which appends a
//! draft inside the caller's write transaction with its MAC under the log's key.

use super::keys::mac_key_for_append;
use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::error::Result;
use crate::store;

/// The OS user and host recorded with every entry.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".into())
}

/// Without USER in the environment (services, some sandboxes), the name of this process's uid in
/// /etc/passwd, so an audit entry still says who ran it.
#[cfg(unix)]
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        let id: u32 = f.next()?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(not(unix))]
fn user_from_passwd() -> Option<String> {
    None
}

pub fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Appends an entry inside the caller's write transaction, with its MAC under the log's key.
/// After the commit, call [`checkpoint`].
pub async fn record(conn: &mut crate::store::Conn, draft: &AuditDraft) -> Result<AuditEntry> {
    debug_assert!(
        crate::domain::audit::ACTIONS.contains(&draft.action.as_str()),
        "audit action `{}` is not in domain::audit::ACTIONS (the UI labels every listed action)",
        draft.action
    );
    let head = store::audit::append_head(conn).await?;
    let e = store::audit::build_entry(draft, &store::now_text(), &os_user(), &host(), head.as_ref())?;
    let has_macs = head.as_ref().is_some_and(|h| h.has_mac);
    // The log is named by its first entry's hash: this entry's own, for a new log.
    let log_id = match &head {
        Some(h) => h.log_id.clone(),
        None => Some(e.hash.clone()),
    };
    let key = match log_id {
        Some(id) => mac_key_for_append(&id, has_macs, e.seq).await?,
        // Entry 1 is gone (a tampered log): `audit verify` names that; no key can be named.
        None => None,
    };
    let mac = key.as_ref().and_then(|k| k.mac_hex(&e.hash));
    store::audit::insert(conn, &e, mac.as_deref()).await?;
    Ok(e)
}
