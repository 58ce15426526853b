//! Team mode's server-side rules: the four roles and their privileges (created once by an
//! administrator), who the session is, and the approval requests (migrations/postgres/0003).
//! Everything here runs on a server only; a file has one person and no logins.

use super::{Pool, Result, StoreError, Tx};
use sqlx::postgres::PgPool;

/// The roles, least first. Each includes the ones its privileges build on (see [`ROLE_SQL`]).
pub const ROLES: [(&str, &str); 4] = [
    ("reader", "replay_reader"),
    ("operator", "replay_operator"),
    ("approver", "replay_approver"),
    ("admin", "replay_admin"),
];

/// The roles and their privileges. Idempotent: `team init` may run again after an upgrade.
/// No application role may UPDATE, DELETE or TRUNCATE the audit log or the approvals (and the
/// triggers refuse it to anyone else but the tables' owner, who can remove triggers: that is
/// the administrator, outside the application). Everyone who may act appends to the log.
pub const ROLE_SQL: &str = "
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['replay_reader', 'replay_operator', 'replay_approver', 'replay_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END $$;
GRANT replay_reader TO replay_operator, replay_approver;
GRANT replay_operator, replay_approver TO replay_admin;
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO replay_reader', current_database()); END $$;
GRANT USAGE ON SCHEMA public TO replay_reader;
-- Readers (reviewers, incident leads): every list, the audit and its export. Opening, verifying
-- and exporting append audit entries (INSERT only).
GRANT SELECT ON ALL TABLES IN SCHEMA public TO replay_reader;
-- Tables a later migration adds (run by this same administrator) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO replay_reader;
GRANT INSERT ON audit_log TO replay_reader;
-- Operators: import, preflight, replay, discard, batch.
GRANT INSERT, UPDATE ON events, imports, preflights, attempts, batches, event_counts, credential_events
    TO replay_operator;
GRANT INSERT ON approvals TO replay_operator;
-- Operators propose edited payloads; approvers approve another's (event_revisions_by_login).
GRANT INSERT ON event_revisions TO replay_operator;
-- Operators triage: assignee, investigating, tags (removed when untagged), notes (kept).
GRANT INSERT, UPDATE ON event_triage TO replay_operator;
GRANT INSERT, DELETE ON event_tags TO replay_operator;
GRANT INSERT ON event_notes TO replay_operator;
-- Operators' consoles extend the full-text index after imports and keep an edited event's words.
GRANT INSERT, UPDATE ON event_search, search_index TO replay_operator;
-- Operators' consoles open, notify and end alert episodes.
GRANT INSERT, UPDATE ON alert_episodes TO replay_operator;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO replay_operator;
-- Approvers: decide approval requests.
GRANT UPDATE (status, decided_by, decided_at, decision_reason) ON approvals TO replay_approver;
GRANT UPDATE (approved_by, approver_authenticated, approval_reason, approved_at) ON event_revisions TO replay_approver;
-- Admins: lanes (contracts) and the console's settings.
GRANT INSERT, UPDATE ON lanes, lane_versions, settings TO replay_admin;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, approvals FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
";

/// Creates (or updates) the roles and their privileges. The caller must be allowed to create
/// roles and own the tables (the administrator who ran the migrations).
pub async fn init_roles(pool: &Pool) -> Result<()> {
    sqlx::raw_sql(ROLE_SQL).execute(server(pool)?).await?;
    Ok(())
}

/// Grants one of [`ROLES`] (by its short name) to a login.
pub async fn grant(pool: &Pool, login: &str, role: &str) -> Result<()> {
    let role = role_name(role)?;
    sqlx::raw_sql(&format!("GRANT {role} TO {}", quote_ident(login)))
        .execute(server(pool)?)
        .await?;
    Ok(())
}

/// Revokes one of [`ROLES`] from a login.
pub async fn revoke(pool: &Pool, login: &str, role: &str) -> Result<()> {
    let role = role_name(role)?;
    sqlx::raw_sql(&format!("REVOKE {role} FROM {}", quote_ident(login)))
        .execute(server(pool)?)
        .await?;
    Ok(())
}

/// The session: its login, the team roles it holds (directly or through another), and whether
/// it is a superuser (holds every privilege).
pub async fn session(pool: &Pool) -> Result<Option<(String, Vec<String>, bool)>> {
    let Pool::Pg(p) = pool else {
        return Ok(None);
    };
    let (login, superuser): (String, bool) =
        sqlx::query_as("SELECT session_user::text, (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)")
            .fetch_one(p)
            .await?;
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'replay\\_%' AND pg_has_role(session_user, oid, 'member')",
    )
    .fetch_all(p)
    .await?;
    let roles = ROLES
        .iter()
        .filter(|(_, r)| superuser || held.iter().any(|h| h == r))
        .map(|(short, _)| short.to_string())
        .collect();
    Ok(Some((login, roles, superuser)))
}

/// An approval request as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: i64,
    pub event_id: i64,
    pub preflight_id: i64,
    pub digest: String,
    pub what: String,
    pub display_name: String,
    pub requested_by: String,
    pub requested_at: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
}

const APPROVAL_COLS: &str = "id, event_id, preflight_id, digest, what, display_name, requested_by, requested_at,
    status, decided_by, decided_at, decision_reason";

/// Opens a request for a preflight (the session's login is the requester, set by the server);
/// the open one if there already is one.
pub async fn request_approval(
    tx: &mut Tx<'_>,
    event_id: i64,
    preflight_id: i64,
    digest: &str,
    what: &str,
    display_name: &str,
    now: &str,
) -> Result<ApprovalRow> {
    let t = tx_server(tx)?;
    let inserted: Option<ApprovalRow> = sqlx::query_as(&format!(
        "INSERT INTO approvals (event_id, preflight_id, digest, what, display_name, requested_by, requested_at, status)
         VALUES ($1, $2, $3, $4, $5, session_user, $6, 'pending')
         ON CONFLICT DO NOTHING RETURNING {APPROVAL_COLS}"
    ))
    .bind(event_id)
    .bind(preflight_id)
    .bind(digest)
    .bind(what)
    .bind(display_name)
    .bind(now)
    .fetch_optional(&mut **t)
    .await?;
    match inserted {
        Some(r) => Ok(r),
        None => Ok(sqlx::query_as(&format!(
            "SELECT {APPROVAL_COLS} FROM approvals WHERE preflight_id = $1 AND status = 'pending'"
        ))
        .bind(preflight_id)
        .fetch_one(&mut **t)
        .await?),
    }
}

/// Decides a pending request (the session's login is the decider, set by the server, which
/// refuses the requester and a second decision). `None` when there is no such request.
pub async fn decide(tx: &mut Tx<'_>, id: i64, approve: bool, reason: &str, now: &str) -> Result<Option<ApprovalRow>> {
    let t = tx_server(tx)?;
    Ok(sqlx::query_as(&format!(
        "UPDATE approvals SET status = $2, decided_by = session_user, decided_at = $3, decision_reason = $4
          WHERE id = $1 RETURNING {APPROVAL_COLS}"
    ))
    .bind(id)
    .bind(if approve { "approved" } else { "rejected" })
    .bind(now)
    .bind(reason)
    .fetch_optional(&mut **t)
    .await?)
}

/// One request.
pub async fn approval(pool: &Pool, id: i64) -> Result<Option<ApprovalRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {APPROVAL_COLS} FROM approvals WHERE id = $1"))
            .bind(id)
            .fetch_optional(server(pool)?)
            .await?,
    )
}

/// Requests, newest first: all, or those of one status.
pub async fn approvals(pool: &Pool, status: Option<&str>, limit: i64) -> Result<Vec<ApprovalRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {APPROVAL_COLS} FROM approvals WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) ORDER BY id DESC LIMIT $2"
    ))
    .bind(status)
    .bind(limit)
    .fetch_all(server(pool)?)
    .await?)
}

/// The newest request of a preflight, inside the caller's transaction.
pub async fn approval_of(tx: &mut Tx<'_>, preflight_id: i64) -> Result<Option<ApprovalRow>> {
    let t = tx_server(tx)?;
    Ok(sqlx::query_as(&format!(
        "SELECT {APPROVAL_COLS} FROM approvals WHERE preflight_id = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(preflight_id)
    .fetch_optional(&mut **t)
    .await?)
}

fn server(pool: &Pool) -> Result<&PgPool> {
    match pool {
        Pool::Pg(p) => Ok(p),
        Pool::Sqlite(_) => Err(not_a_server()),
    }
}

fn tx_server<'a, 'c>(tx: &'a mut Tx<'c>) -> Result<&'a mut sqlx::Transaction<'c, sqlx::Postgres>> {
    match tx {
        Tx::Pg(t) => Ok(t),
        Tx::Sqlite(_) => Err(not_a_server()),
    }
}

fn not_a_server() -> StoreError {
    StoreError::Sql(sqlx::Error::Protocol(
        "this needs a team server (--db postgres://…); a database file has one person and no logins".into(),
    ))
}

fn role_name(short: &str) -> Result<&'static str> {
    ROLES.iter().find(|(s, _)| *s == short).map(|(_, r)| *r).ok_or_else(|| {
        StoreError::Sql(sqlx::Error::Protocol(format!(
            "no role `{short}`: reader, operator, approver or admin"
        )))
    })
}

/// A login as an SQL identifier (double-quoted, quotes doubled).
fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
