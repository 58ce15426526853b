//! Appending to the audit log: [`record`] appends a draft inside the caller's write transaction
//! with its MAC under the log's key. Who and where (OS user, host) come from `services::holder`.

use super::keys::mac_key_for_append;
use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::error::Result;
use crate::services::holder::{host, os_user};
use crate::store;

/// Appends an entry inside the caller's write transaction, with its MAC under the log's key.
/// After the commit, call [`checkpoint`].
pub async fn record(conn: &mut crate::store::Tx<'_>, draft: &AuditDraft) -> Result<AuditEntry> {
    let mut entries = record_all(conn, std::slice::from_ref(draft)).await?;
    entries
        .pop()
        .ok_or_else(|| crate::error::Error::Io("no audit entry was appended".into()))
}

/// Appends entries in the order given, inside the caller's write transaction: the head read
/// once, each entry chained to the one before and MAC'd as [`record`] would, then inserted a
/// hundred to a statement. A batch's group records its 25 intents this way.
pub async fn record_all(conn: &mut crate::store::Tx<'_>, drafts: &[AuditDraft]) -> Result<Vec<AuditEntry>> {
    for d in drafts {
        debug_assert!(
            crate::domain::audit::ACTIONS.contains(&d.action.as_str()),
            "audit action `{}` is not in domain::audit::ACTIONS (the UI labels every listed action)",
            d.action
        );
    }
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    // Team mode: the actor is the session's authenticated login (the server refuses any other);
    // the typed name stays beside it as a display name. Entries carry no MAC there: a MAC
    // needs a key every console shares, and the server's privileges (no application role may
    // change or delete an entry) and the chain protect the log instead (docs/TEAM.md).
    let login = store::audit::session_login(conn).await?;
    let mut head = store::audit::append_head(conn).await?;
    let (at, user, host) = (store::now_text(), os_user(), host());
    let mut rows: Vec<(AuditEntry, Option<String>)> = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let authenticated;
        let draft = match &login {
            Some(l) => {
                authenticated = as_login(draft, l);
                &authenticated
            }
            None => draft,
        };
        let e = store::audit::build_entry(draft, &at, &user, &host, head.as_ref())?;
        // The log is named by its first entry's hash: this entry's own, for a new log.
        let log_id = match &head {
            Some(h) => h.log_id.clone(),
            None => Some(e.hash.clone()),
        };
        let mac = match (&login, &log_id) {
            (None, Some(id)) => {
                let has_macs = head.as_ref().is_some_and(|h| h.has_mac);
                mac_key_for_append(id, has_macs, e.seq)
                    .await?
                    .and_then(|k| k.mac_hex(&e.hash))
            }
            // Entry 1 is gone (a tampered log): `audit verify` names that; no key can be named.
            _ => None,
        };
        head = Some(store::audit::AppendHead {
            seq: e.seq,
            hash: e.hash.clone(),
            has_mac: mac.is_some(),
            log_id,
        });
        rows.push((e, mac));
    }
    let refs: Vec<(&AuditEntry, Option<&str>)> = rows.iter().map(|(e, m)| (e, m.as_deref())).collect();
    store::audit::insert_many(conn, &refs).await?;
    Ok(rows.into_iter().map(|(e, _)| e).collect())
}

/// A draft written by a login: the login is the actor, the typed name (if another) a display
/// name in the detail.
fn as_login(draft: &AuditDraft, login: &str) -> AuditDraft {
    let mut d = draft.clone();
    if d.actor != login {
        let typed = std::mem::replace(&mut d.actor, login.to_string());
        match &mut d.detail {
            serde_json::Value::Object(m) => {
                m.insert("display_name".into(), serde_json::Value::String(typed));
            }
            other => {
                let inner = std::mem::take(other);
                *other = serde_json::json!({ "display_name": typed, "detail": inner });
            }
        }
    }
    d
}
