//! `team …` and `approvals …`: team mode on a shared PostgreSQL server (who you are, the roles,
//! approval requests). `team login` and `team logout` run before any database is opened: they
//! only put your password in (or take it out of) your keychain.

use super::queue::read_secret;
use super::{emit, ApprovalsCmd, TeamCmd};
use crate::app::App;
use crate::error::{Error, Result};
use crate::services::team::{self, Approval, Person};
use crate::store::Location;
use std::path::Path;

/// `team login` / `team logout`: the keychain only, no connection.
pub(super) async fn credentials(db: &Path, cmd: &TeamCmd, json: bool) -> Result<()> {
    let Location::Server(server) = Location::parse(db).map_err(Error::InvalidInput)? else {
        return Err(Error::InvalidInput(
            "--db: `team login` stores the password of a team server: give postgres://LOGIN@HOST:PORT/DATABASE".into(),
        ));
    };
    match cmd {
        TeamCmd::Login { password_file } => {
            let secret = read_secret(password_file.as_deref())?;
            if secret.expose().is_empty() {
                return Err(Error::InvalidInput("an empty password; nothing was stored".into()));
            }
            team::store_password(&server, secret).await?;
            let out = serde_json::json!({"stored": true, "login": server.login, "server": server.shown()});
            emit(json, &out, |_| {
                format!(
                    "password of {} on {}:{} stored in your keychain\n",
                    server.login, server.host, server.port
                )
            })
        }
        _ => {
            let removed = team::forget_password(&server).await?;
            let out = serde_json::json!({"removed": removed, "login": server.login, "server": server.shown()});
            emit(json, &out, |_| {
                if removed {
                    format!(
                        "password of {} on {}:{} removed from your keychain\n",
                        server.login, server.host, server.port
                    )
                } else {
                    format!(
                        "no password of {} on {}:{} was stored\n",
                        server.login, server.host, server.port
                    )
                }
            })
        }
    }
}

pub(super) async fn team(app: &App, cmd: TeamCmd, json: bool) -> Result<()> {
    match cmd {
        TeamCmd::Whoami => {
            let me = team::whoami(app).await?;
            emit(json, &me, person_text)
        }
        TeamCmd::Init => {
            let me = team::init(app).await?;
            emit(json, &me, |m| {
                format!(
                    "team roles ready on {}: replay_reader, replay_operator, replay_approver, replay_admin\n\
                     grant one to each person's login: replay-console --db … team grant LOGIN ROLE\n(you: {})\n",
                    m.server.as_deref().unwrap_or(""),
                    m.login
                )
            })
        }
        TeamCmd::Grant { login, role } => {
            team::set_role(app, &login, &role, true).await?;
            let out = serde_json::json!({"granted": role, "login": login});
            emit(json, &out, |_| format!("{login} may now act as {role}\n"))
        }
        TeamCmd::Revoke { login, role } => {
            team::set_role(app, &login, &role, false).await?;
            let out = serde_json::json!({"revoked": role, "login": login});
            emit(json, &out, |_| format!("{login} no longer holds {role}\n"))
        }
        // Routed before any database opens (cli/mod.rs); here for completeness, on the server as
        // given (app.db_path is the local checkpoint anchor, not the server).
        TeamCmd::Login { .. } | TeamCmd::Logout => {
            credentials(std::path::Path::new(&app.location.shown()), &cmd, json).await
        }
    }
}

pub(super) async fn approvals(app: &App, cmd: ApprovalsCmd, json: bool) -> Result<()> {
    match cmd {
        ApprovalsCmd::List { status, limit } => {
            let list = team::approvals(app, status.as_deref(), limit).await?;
            emit(json, &list, |l| approvals_text(l))
        }
        ApprovalsCmd::Approve { id, reason } => {
            let a = team::decide(app, id, true, &reason).await?;
            emit(json, &a, decided_text)
        }
        ApprovalsCmd::Reject { id, reason } => {
            let a = team::decide(app, id, false, &reason).await?;
            emit(json, &a, decided_text)
        }
    }
}

fn person_text(p: &Person) -> String {
    let roles = if p.roles.is_empty() {
        "none (an administrator grants one: team grant LOGIN ROLE)".to_string()
    } else {
        p.roles.join(", ")
    };
    match &p.server {
        Some(s) => format!("{} on {s} (authenticated by the server)\nroles: {roles}\n", p.login),
        None => format!(
            "{} on a database file (solo mode: not authenticated; every role)\n",
            p.login
        ),
    }
}

fn approvals_text(list: &[Approval]) -> String {
    if list.is_empty() {
        return "no approval requests\n".into();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.event_id.to_string(),
                a.status.clone(),
                a.requested_by.clone(),
                a.decided_by.clone().unwrap_or_else(|| "-".into()),
                a.reassignment_reason.clone(),
            ]
        })
        .collect();
    super::render::table(
        &["ID", "EVENT", "STATUS", "REQUESTED BY", "DECIDED BY", "REASON"],
        &rows,
    )
}

fn decided_text(a: &Approval) -> String {
    format!(
        "approval request {} {} by {} (requested by {} for event {}, preflight {})\n",
        a.id,
        a.status,
        a.decided_by.as_deref().unwrap_or("?"),
        a.requested_by,
        a.event_id,
        a.preflight_id
    )
}
