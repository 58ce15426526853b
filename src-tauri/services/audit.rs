//! Writing the audit log. Every service that changes something records it here, inside the same
//! transaction as the change.

use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::error::Result;
use crate::store;
use sqlx::SqliteConnection;

/// The OS user and host recorded with every entry.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
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

/// Appends an entry inside the caller's write transaction.
pub async fn record(conn: &mut SqliteConnection, draft: &AuditDraft) -> Result<AuditEntry> {
    Ok(store::audit::append(conn, draft, &store::now_text(), &os_user(), &host()).await?)
}
