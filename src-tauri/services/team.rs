//! Team mode's people: each person connects to the shared server as their own database login,
//! whose password lives in that person's OS keychain (never in a file, the URL or the shared
//! database), under the account `db:LOGIN@HOST:PORT`.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::preflight::{OverrideRequest, Preflight};
use crate::error::Error;
use crate::error::Result;
use crate::keychain::{self, KeychainError, Secret};
use crate::services::audit;
use crate::store;
use crate::store::ServerUrl;
use serde::Serialize;

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

/// Who is at the console: in team mode the server's authenticated login and the team roles it
/// holds; in solo mode the OS user, not authenticated, with every role (one person, one file).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Person {
    pub login: String,
    /// `reader`, `operator`, `approver`, `admin`: what the server lets this login do.
    pub roles: Vec<String>,
    /// Whether the login was authenticated by a server (team mode).
    pub authenticated: bool,
    /// The server, as shown (no password); `None` for a database file.
    pub server: Option<String>,
}

impl Person {
    pub fn may(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Who is at the console (see [`Person`]).
pub async fn whoami(app: &App) -> Result<Person> {
    Ok(match store::team::session(&app.pool).await? {
        Some((login, roles, _)) => Person {
            login,
            roles,
            authenticated: true,
            server: Some(app.location.shown()),
        },
        None => Person {
            login: crate::services::holder::os_user(),
            roles: store::team::ROLES.iter().map(|(s, _)| s.to_string()).collect(),
            authenticated: false,
            server: None,
        },
    })
}

/// `team init`: creates the roles and their privileges on the server (run once by an
/// administrator, again after an upgrade), audited.
pub async fn init(app: &App) -> Result<Person> {
    require_server(app)?;
    store::team::init_roles(&app.pool).await?;
    let me = whoami(app).await?;
    record(
        app,
        AuditDraft {
            action: "team_initialised".into(),
            actor: me.login.clone(),
            detail: serde_json::json!({"server": app.location.shown(),
                "roles": store::team::ROLES.iter().map(|(s, r)| serde_json::json!({"role": s, "server_role": r})).collect::<Vec<_>>()}),
            ..AuditDraft::default()
        },
    )
    .await?;
    Ok(me)
}

/// Grants (or revokes) a team role to a login, audited.
pub async fn set_role(app: &App, login: &str, role: &str, grant: bool) -> Result<()> {
    require_server(app)?;
    if !store::team::ROLES.iter().any(|(s, _)| *s == role) {
        return Err(Error::InvalidInput(format!(
            "no role `{role}`: reader, operator, approver or admin"
        )));
    }
    if login.trim().is_empty() {
        return Err(Error::InvalidInput("a login to grant the role to".into()));
    }
    if grant {
        store::team::grant(&app.pool, login, role).await?;
    } else {
        store::team::revoke(&app.pool, login, role).await?;
    }
    let me = whoami(app).await?;
    record(
        app,
        AuditDraft {
            action: if grant { "role_granted" } else { "role_revoked" }.into(),
            actor: me.login,
            detail: serde_json::json!({"login": login, "role": role}),
            ..AuditDraft::default()
        },
    )
    .await
}

/// An approval request as people see it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Approval {
    pub id: i64,
    pub event_id: i64,
    pub preflight_id: i64,
    /// The preflight's digest the approval is bound to.
    pub digest: String,
    pub reassignment_reason: String,
    /// The requester's typed name, beside their login.
    pub display_name: String,
    pub requested_by: String,
    pub requested_at: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
}

impl From<store::team::ApprovalRow> for Approval {
    fn from(r: store::team::ApprovalRow) -> Approval {
        let reason = serde_json::from_str::<serde_json::Value>(&r.what)
            .ok()
            .and_then(|v| v["reassignment_reason"].as_str().map(str::to_string))
            .unwrap_or_default();
        Approval {
            id: r.id,
            event_id: r.event_id,
            preflight_id: r.preflight_id,
            digest: r.digest,
            reassignment_reason: reason,
            display_name: r.display_name,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            status: r.status,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_reason: r.decision_reason,
        }
    }
}

/// Requests, newest first (`pending`, `approved`, `rejected`, or all).
/// The most approval requests one page lists.
pub const MAX_APPROVALS_PAGE: u32 = 1000;

pub async fn approvals(app: &App, status: Option<&str>, limit: u32) -> Result<Vec<Approval>> {
    require_server(app)?;
    if let Some(s) = status {
        if !["pending", "approved", "rejected"].contains(&s) {
            return Err(Error::InvalidInput(format!(
                "--status: `{s}` is not pending, approved or rejected"
            )));
        }
    }
    Ok(
        store::team::approvals(&app.pool, status, i64::from(limit.clamp(1, MAX_APPROVALS_PAGE)))
            .await?
            .into_iter()
            .map(Approval::from)
            .collect(),
    )
}

/// Approves or rejects a pending request as the session's login (the server refuses the
/// requester and a second decision), audited with both identities.
pub async fn decide(app: &App, id: i64, approve: bool, reason: &str) -> Result<Approval> {
    require_server(app)?;
    if reason.trim().is_empty() {
        return Err(Error::InvalidInput("--reason: say why you approve or reject".into()));
    }
    let Some(before) = store::team::approval(&app.pool, id).await? else {
        return Err(Error::NotFound(format!("no approval request {id}")));
    };
    let mut tx = store::write_tx(&app.pool).await?;
    let decided = store::team::decide(&mut tx, id, approve, reason.trim(), &store::now_text())
        .await?
        .ok_or_else(|| Error::NotFound(format!("no approval request {id}")))?;
    let a = Approval::from(decided);
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "approval_decided".into(),
            actor: a.decided_by.clone().unwrap_or_default(),
            event_id: Some(a.event_id),
            reason: Some(reason.trim().to_string()),
            outcome: Some(a.status.clone()),
            detail: serde_json::json!({"approval": a.id, "preflight_id": a.preflight_id, "digest": a.digest,
                "requested_by": before.requested_by, "decided_by": a.decided_by, "status": a.status}),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    app.checkpoint_soon();
    Ok(a)
}

/// The approver an override names in team mode until its request is decided: the preflight is
/// taken (and its digest bound) with this in place of a typed name, and the replay records the
/// approving login instead.
pub const REQUESTED_APPROVER: &str = "(approval request: team mode)";

/// Team mode's override, where the contract requires approval: the typed approver does not
/// count; the override waits for an approval request instead.
pub fn team_override(
    app: &App,
    contract: &crate::domain::contract::LaneContract,
    ov: Option<OverrideRequest>,
) -> Option<OverrideRequest> {
    let needs_approval = crate::domain::preflight::GatePolicy::of(contract).override_approval;
    ov.map(|mut o| {
        if app.pool.is_server() && needs_approval {
            o.approved_by = REQUESTED_APPROVER.to_string();
        } else if o.approved_by == REQUESTED_APPROVER {
            // The window asks for an approval request whatever the lane; a lane whose contract
            // needs none gets no approver at all, never this placeholder as one.
            o.approved_by = String::new();
        }
        o
    })
}

/// What a replay's override may do in team mode: go on with the approver's login, or be
/// refused (with the code and message to audit).
pub enum ApprovalGate {
    Approved(String),
    Refused(&'static str, String),
}

/// Team mode: an override the contract says needs approval needs a request bound to this
/// preflight, approved by another login with the approver role. The first replay of a preflight
/// opens the request; the typed approver does not count.
pub async fn approval_gate(
    app: &App,
    preflight_id: i64,
    p: &Preflight,
    ov: &OverrideRequest,
    display_name: &str,
) -> Result<ApprovalGate> {
    let now = store::now_text();
    let mut tx = store::write_tx(&app.pool).await?;
    if let Some(a) = store::team::approval_of(&mut tx, preflight_id).await? {
        drop(tx);
        return Ok(match a.status.as_str() {
            "approved" if a.digest == p.digest => ApprovalGate::Approved(a.decided_by.unwrap_or_default()),
            "approved" => ApprovalGate::Refused(
                "approval_stale",
                format!(
                    "approval request {} was for another state of this preflight; run the preflight again",
                    a.id
                ),
            ),
            "rejected" => ApprovalGate::Refused(
                "approval_rejected",
                format!(
                    "approval request {} was rejected by {}: {}",
                    a.id,
                    a.decided_by.unwrap_or_default(),
                    a.decision_reason.unwrap_or_default()
                ),
            ),
            _ => ApprovalGate::Refused(
                "approval_pending",
                format!(
                    "approval request {} (by {}) waits for another person with the approver role: \
                     `replay-console approvals approve {} --reason …`",
                    a.id, a.requested_by, a.id
                ),
            ),
        });
    }
    let what = serde_json::json!({"reassignment_reason": ov.reassignment_reason, "typed_approver": ov.approved_by});
    let a = store::team::request_approval(
        &mut tx,
        p.event.event_id,
        preflight_id,
        &p.digest,
        &what.to_string(),
        display_name.trim(),
        &now,
    )
    .await?;
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "approval_requested".into(),
            actor: display_name.trim().to_string(),
            lane_id: Some(p.event.lane_id.clone()),
            event_id: Some(p.event.event_id),
            ack_token: Some(p.ack_token.clone()),
            reason: Some(ov.reassignment_reason.clone()).filter(|r| !r.trim().is_empty()),
            outcome: Some("pending".into()),
            detail: serde_json::json!({"approval": a.id, "preflight_id": preflight_id, "digest": p.digest,
                "requested_by": a.requested_by}),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    app.checkpoint_soon();
    Ok(ApprovalGate::Refused(
        "approval_pending",
        format!(
            "this override needs another person's approval: request {} is open for an approver \
             (`replay-console approvals approve {} --reason …`); replay again with the same token once approved",
            a.id, a.id
        ),
    ))
}

fn require_server(app: &App) -> Result<()> {
    if app.pool.is_server() {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "this is team mode: open a team server with --db postgres://LOGIN@HOST:PORT/DATABASE (a database file has one person and no logins)".into(),
        ))
    }
}

async fn record(app: &App, draft: AuditDraft) -> Result<()> {
    let mut tx = store::write_tx(&app.pool).await?;
    audit::record(&mut tx, &draft).await?;
    tx.commit().await?;
    app.checkpoint_soon();
    Ok(())
}
