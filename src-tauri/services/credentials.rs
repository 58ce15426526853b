//! A lane's integration-user credential: the secret goes to the OS keychain and nowhere else;
//! the database keeps only when it was set and how its last check went.

use crate::app::App;
use crate::domain::contract::{AuthFlow, LaneContract};
use crate::error::{Error, Result};
use crate::keychain::{self, KeychainError, Secret};
use crate::services::{binding, lanes};
use crate::store;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct CredentialSet {
    pub lane_id: String,
    /// The keychain entry: service `replay-console`, this account.
    pub account: String,
    /// What the secret is: an RSA private key (JWT bearer) or a client secret.
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct CheckResult {
    pub ok: bool,
    pub acts_as: Option<String>,
    pub message: Option<String>,
    pub at: String,
    /// What the check found about the lane beyond the secret (a contract the org disagrees
    /// with); only a check just run has them.
    #[serde(default)]
    pub lane_warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct CredentialStatus {
    pub lane_id: String,
    pub account: String,
    /// `connection.auth`, when the lane has a connection block.
    pub auth: Option<String>,
    /// Whether the keychain holds the secret; `None` when the keychain could not be asked.
    pub present: Option<bool>,
    /// Why the keychain could not be asked.
    pub keychain_error: Option<String>,
    pub set_at: Option<String>,
    pub last_check: Option<CheckResult>,
    /// The host the secret goes to (the connection's login host), when the lane has a connection.
    pub login_host: Option<String>,
    /// The login host is neither Salesforce's nor loopback: storing the secret needs the person
    /// storing it to allow that host by name.
    pub login_host_needs_allowing: bool,
}

/// The keychain account of a lane's secret: `<lane_id>/<integration_user>`, behind the app's
/// prefix (`demo:` for the demo, so a demo secret never replaces a real lane's).
fn account_of(app: &App, contract: &LaneContract) -> String {
    format!(
        "{}{}",
        app.keychain_prefix,
        keychain::lane_account(contract.lane_id(), contract.salesforce_lane.integration_user.as_str())
    )
}

fn auth_of(contract: &LaneContract) -> Result<AuthFlow> {
    contract.connection.as_ref().map(|c| c.auth).ok_or_else(|| {
        Error::InvalidInput(format!(
            "lane `{}` has no `connection` block, so there is no way to know what kind of secret it needs",
            contract.lane_id()
        ))
    })
}

/// Checks the secret's form for the lane's auth flow. Messages never quote the secret.
pub fn check_form(auth: AuthFlow, secret: &Secret) -> Result<&'static str> {
    if secret.is_empty() {
        return Err(Error::InvalidInput("the secret is empty".into()));
    }
    match auth {
        AuthFlow::JwtBearer => {
            if !crate::services::org::is_jwt_private_key(secret.expose()) {
                return Err(Error::InvalidInput(
                    "the lane authenticates with jwt_bearer, so the secret must be an unencrypted RSA private key \
                     of 2048 bits or more in PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); \
                     this one does not parse"
                        .into(),
                ));
            }
            Ok("rsa_private_key")
        }
        AuthFlow::ClientCredentials => {
            if secret.expose().trim().contains(char::is_whitespace) {
                return Err(Error::InvalidInput(
                    "the lane authenticates with client_credentials, so the secret is the consumer secret: one word, no spaces or line breaks".into(),
                ));
            }
            Ok("client_secret")
        }
    }
}

/// Stores the lane's secret, bound to the contract's login host, `client_id` and username (see
/// [`binding`]); a login host outside Salesforce and loopback needs `allow_host` naming it.
pub async fn set(app: &App, lane_id: &str, secret: Secret, allow_host: Option<&str>) -> Result<CredentialSet> {
    let (_, contract) = lanes::contract(app, lane_id).await?;
    let auth = auth_of(&contract)?;
    let kind = check_form(auth, &secret)?;
    let secret = if auth == AuthFlow::ClientCredentials {
        Secret::new(secret.expose().trim())
    } else {
        secret
    };
    let bound = binding::of_contract(&contract, allow_host)?;
    binding::check_host(&bound, lane_id)?;
    app.forget_session(lane_id).await;
    let account = account_of(app, &contract);
    keychain::set(&account, binding::wrap(&bound, &secret)).await?;
    audit_credential(
        app,
        &contract,
        "credential_set",
        serde_json::json!({"account": account, "kind": kind, "bound_to": bound}),
    )
    .await?;
    note(app, lane_id, &account, "set").await?;
    Ok(CredentialSet {
        lane_id: lane_id.to_string(),
        account,
        kind: kind.into(),
    })
}

/// Removes the lane's secret; `false` when there was none.
pub async fn delete(app: &App, lane_id: &str) -> Result<bool> {
    let (_, contract) = lanes::contract(app, lane_id).await?;
    let account = account_of(app, &contract);
    let existed = keychain::delete(&account).await?;
    app.forget_session(lane_id).await;
    if existed {
        audit_credential(
            app,
            &contract,
            "credential_deleted",
            serde_json::json!({"account": account}),
        )
        .await?;
        note(app, lane_id, &account, "delete").await?;
    }
    Ok(existed)
}

/// Records when a lane's secret was set or deleted (for `lanes list`); never the secret.
async fn note(app: &App, lane_id: &str, account: &str, action: &str) -> Result<()> {
    store::credentials::record(
        &app.pool,
        &store::credentials::Record {
            lane_id,
            account,
            action,
            ok: None,
            acts_as: None,
            message: None,
            at: &store::now_text(),
        },
    )
    .await?;
    Ok(())
}

/// Credential changes are audited too (who set or removed a lane's secret, and when; never what).
async fn audit_credential(app: &App, contract: &LaneContract, action: &str, detail: serde_json::Value) -> Result<()> {
    let mut tx = store::write_tx(&app.pool).await?;
    crate::services::audit::record(
        &mut tx,
        &crate::domain::audit::AuditDraft {
            action: action.into(),
            actor: crate::services::holder::os_user(),
            lane_id: Some(contract.lane_id().to_string()),
            integration_user: Some(contract.salesforce_lane.integration_user.0.clone()),
            detail,
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    crate::services::audit::checkpoint(app).await;
    Ok(())
}

/// Gets a token with the lane's secret and asks Salesforce whom it acts as. Passes only when
/// that is the contract's `connection.username`; the result (never the secret or the token) is
/// recorded for `lanes list` and audited.
/// What the org says against the lane's contract, asked once per lane and process: a contract
/// that states `external_id_must_be_unique` for a field the org's describe does not mark
/// unique and external. A describe that fails is said too: the check could not be made.
async fn lane_warnings(
    session: &crate::services::org::Session,
    contract: &crate::domain::contract::LaneContract,
) -> Vec<String> {
    if !contract.write_policy.external_id_must_be_unique {
        return Vec::new();
    }
    let object = contract.identity_policy.object.as_str();
    let field = contract.identity_policy.external_id_field.as_str();
    match session.external_id_is_unique(object, field).await {
        Ok(true) => Vec::new(),
        Ok(false) => vec![format!(
            "the contract says {object}.{field} must be unique, but the org's describe does not mark it unique and external: Salesforce will not refuse a second record with the same value, so only the console's re-read guards a create"
        )],
        Err(e) => vec![format!("could not ask the org whether {object}.{field} is unique: {e}")],
    }
}

pub async fn check(app: &App, lane_id: &str) -> Result<CheckResult> {
    let (_, contract) = lanes::contract(app, lane_id).await?;
    let expected = contract
        .connection
        .as_ref()
        .map(|c| c.username.0.clone())
        .ok_or_else(|| Error::InvalidInput(format!("lane `{lane_id}` has no `connection` block")))?;
    app.forget_session(lane_id).await;
    let attempt = app.session(&contract).await;
    let (ok, acts_as, message) = match &attempt {
        Ok(s) if s.acts_as().eq_ignore_ascii_case(&expected) => (true, Some(s.acts_as().to_string()), None),
        Ok(s) => (
            false,
            Some(s.acts_as().to_string()),
            Some(format!(
                "the secret acts as `{}`, not the lane's `{expected}`",
                s.acts_as()
            )),
        ),
        Err(e) => (false, None, Some(e.to_string())),
    };
    if !ok {
        // A session that acts as the wrong user must not be reused by a replay.
        app.forget_session(lane_id).await;
    }
    let at = store::now_text();
    let account = account_of(app, &contract);
    store::credentials::record(
        &app.pool,
        &store::credentials::Record {
            lane_id,
            account: &account,
            action: "check",
            ok: Some(ok),
            acts_as: acts_as.as_deref(),
            message: message.as_deref(),
            at: &at,
        },
    )
    .await?;
    audit_credential(
        app,
        &contract,
        "credential_checked",
        serde_json::json!({"ok": ok, "acts_as": acts_as, "expected": expected, "message": message}),
    )
    .await?;
    match (ok, attempt) {
        (true, Ok(session)) => Ok(CheckResult {
            ok,
            acts_as,
            message,
            at,
            lane_warnings: lane_warnings(&session, &contract).await,
        }),
        (true, Err(e)) => Err(e),
        (false, Err(e)) => Err(e),
        (false, Ok(_)) => Err(Error::Refused {
            code: "integration_user_mismatch".into(),
            message: message.unwrap_or_default(),
        }),
    }
}

/// The lane's secret, for the session that authenticates (never returned outside services).
/// Refused (and audited) when the contract's connection is no longer the one the secret was
/// stored for, or the entry predates bindings: nothing is sent anywhere then.
/// With the secret comes the host it was allowed to go to beyond Salesforce's, if any.
pub(crate) async fn secret(app: &App, contract: &LaneContract) -> Result<(Secret, Option<String>)> {
    let lane_id = contract.lane_id();
    let stored = keychain::get(&account_of(app, contract)).await?;
    let (bound, secret) = binding::unwrap(&stored);
    let Some(bound) = bound else {
        return Err(Error::Refused {
            code: "credential_unbound".into(),
            message: format!(
                "the secret of lane `{lane_id}` was stored before secrets were bound to their org; store it again (`credentials set {lane_id}`) to use it"
            ),
        });
    };
    let now = binding::of_contract(contract, bound.allowed_host.as_deref())?;
    let changed = binding::changes(&bound, &now);
    if !changed.is_empty() {
        audit_credential(
            app,
            contract,
            "credential_refused",
            serde_json::json!({"why": "the connection changed since the secret was stored", "changes": changed, "bound_to": bound}),
        )
        .await?;
        return Err(Error::Refused {
            code: "credential_binding_changed".into(),
            message: format!(
                "the secret of lane `{lane_id}` was stored for another connection ({}); it is not used until it is stored again for this one (`credentials set {lane_id}`)",
                changed.join("; ")
            ),
        });
    }
    binding::check_host(&now, lane_id)?;
    Ok((secret, bound.allowed_host))
}

pub async fn status(app: &App, lane_id: &str) -> Result<CredentialStatus> {
    let (_, contract) = lanes::contract(app, lane_id).await?;
    status_of(app, &contract).await
}

pub(crate) async fn status_of(app: &App, contract: &LaneContract) -> Result<CredentialStatus> {
    let lane_id = contract.lane_id();
    let account = account_of(app, contract);
    let (present, keychain_error) = match keychain::exists(&account).await {
        Ok(p) => (Some(p), None),
        Err(e @ (KeychainError::Unavailable(_) | KeychainError::Locked(_))) => (None, Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let login_host = binding::of_contract(contract, None).ok().map(|b| b.login_host);
    let set_at = store::credentials::latest(&app.pool, lane_id, "set")
        .await?
        .map(|r| r.3);
    let last_check =
        store::credentials::latest(&app.pool, lane_id, "check")
            .await?
            .map(|(ok, acts_as, message, at)| CheckResult {
                lane_warnings: Vec::new(),
                ok: ok.unwrap_or(false),
                acts_as,
                message,
                at,
            });
    Ok(CredentialStatus {
        lane_id: lane_id.to_string(),
        account,
        auth: contract.connection.as_ref().map(|c| match c.auth {
            AuthFlow::JwtBearer => "jwt_bearer".to_string(),
            AuthFlow::ClientCredentials => "client_credentials".to_string(),
        }),
        present,
        keychain_error,
        set_at,
        last_check,
        login_host_needs_allowing: login_host
            .as_deref()
            .is_some_and(|h| !crate::domain::hosts::may_receive_secret(h, None)),
        login_host,
    })
}
