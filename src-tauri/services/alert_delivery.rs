//! Alerts that reach their owner (`alerts deliver`, and the window every minute): each active
//! critical alert of a lane is an episode; the console that opens the episode sends the lane's
//! webhook once for it (Slack-compatible `{"text": ...}`: lane, alert, count, owner; never
//! payload data), retried on failure up to [`MAX_ATTEMPTS`] tries over later checks. The
//! episode ends when a check finds the alert inactive. Every step is audited. The webhook's URL
//! is a secret (it carries the channel's token) and lives in the keychain.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::error::{Error, Result};
use crate::keychain::{self, Secret};
use crate::services::alerts::{self, Alert};
use crate::services::{audit, lanes};
use crate::store;
use serde::Serialize;
use std::collections::HashSet;
use std::time::Duration;

/// Sends tried per episode before the console gives up on it (each check tries once more).
pub const MAX_ATTEMPTS: i64 = 5;
/// How long one send may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The keychain account of a lane's webhook URL.
pub fn webhook_account(lane_id: &str) -> String {
    format!("alert-webhook:{lane_id}")
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct EpisodeNote {
    pub lane_id: String,
    pub code: String,
    pub episode: i64,
    /// What happened at this check: `opened`, `sent`, `send_failed`, `ended`, `no_webhook`.
    pub what: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct DeliveryReport {
    pub active: Vec<Alert>,
    pub notes: Vec<EpisodeNote>,
    /// The alerts' window, in hours (what their counts cover).
    pub window_hours: i64,
}

/// A desktop notification of an alert: its title and text, names and counts only (no payload
/// data, as the webhook).
pub fn notice(a: &Alert, window_hours: i64) -> (String, String) {
    (
        format!("Replay Console: {} in {}", a.code, a.lane_id),
        format!(
            "{} in the last {} h. {} For {}.",
            a.count, window_hours, a.message, a.alert_owner
        ),
    )
}

/// The notifications of the episodes a check opened (`alerts deliver --notify`: the console
/// that opens an episode tells its own desktop, once).
pub fn opened_notices(report: &DeliveryReport) -> Vec<(String, String)> {
    report
        .notes
        .iter()
        .filter(|n| n.what == "opened")
        .filter_map(|n| {
            report
                .active
                .iter()
                .find(|a| a.lane_id == n.lane_id && a.code == n.code)
        })
        .map(|a| notice(a, report.window_hours))
        .collect()
}

/// The notifications a window owes after a check: one per open episode it has not shown yet,
/// whichever console opened it (`shown`, kept for the window's life, remembers them), so each
/// person with the console open is told once per episode.
pub async fn unshown_notices(
    app: &App,
    report: &DeliveryReport,
    shown: &mut HashSet<i64>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (id, lane, code, ..) in store::alerts::open_episodes(&app.pool).await? {
        let Some(a) = report.active.iter().find(|a| a.lane_id == lane && a.code == code) else {
            continue;
        };
        if shown.insert(id) {
            out.push(notice(a, report.window_hours));
        }
    }
    Ok(out)
}

/// The webhook's host, as audited and shown (the path and query carry the token).
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(String::from))
        .unwrap_or_else(|| "(unparsable URL)".into())
}

/// Checks a webhook URL: https, or http on loopback (tests, a local relay).
pub fn check_url(url: &str) -> Result<()> {
    let u = reqwest::Url::parse(url.trim())
        .map_err(|e| Error::InvalidInput(format!("the webhook URL does not parse: {e}")))?;
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if u.scheme() == "https" || (u.scheme() == "http" && loopback) {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "the webhook must be https (http only on loopback), not {}://{}",
        u.scheme(),
        u.host_str().unwrap_or("")
    )))
}

/// `alerts webhook-set LANE`: stores the lane's webhook URL in the keychain (audited by host).
pub async fn set_webhook(app: &App, lane_id: &str, url: Secret) -> Result<String> {
    lanes::contract(app, lane_id).await?;
    let text = url.expose().trim().to_string();
    check_url(&text)?;
    let host = host_of(&text);
    keychain::set(&webhook_account(lane_id), Secret::new(&text)).await?;
    let mut tx = store::write_tx(&app.pool).await?;
    audit::record(
        &mut tx,
        &entry(lane_id, "alert_webhook_set", serde_json::json!({"host": host})),
    )
    .await?;
    tx.commit().await?;
    Ok(host)
}

fn entry(lane_id: &str, action: &str, detail: serde_json::Value) -> AuditDraft {
    AuditDraft {
        action: action.into(),
        actor: crate::services::holder::os_user(),
        lane_id: Some(lane_id.to_string()),
        detail,
        ..AuditDraft::default()
    }
}

/// The Slack-compatible message of an alert: no payload data, only counts and names.
fn message(a: &Alert, window_hours: i64) -> serde_json::Value {
    serde_json::json!({
        "text": format!(
            ":rotating_light: Replay Console: {} in lane {} ({} in the last {} h). {} For {}.",
            a.code, a.lane_id, a.count, window_hours, a.message, a.alert_owner
        ),
        "replay_console": {"lane_id": a.lane_id, "alert": a.code, "count": a.count, "alert_owner": a.alert_owner},
    })
}

async fn send(url: &str, body: &serde_json::Value) -> std::result::Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    // Errors name the host only: the URL's path is the token.
    let host = host_of(url);
    match client.post(url).json(body).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{host} answered {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err(format!("{host} did not answer within {} s", SEND_TIMEOUT.as_secs())),
        Err(_) => Err(format!("{host} could not be reached")),
    }
}

/// One check: opens episodes for alerts that became active, ends those that are not any more,
/// and sends each unnotified open episode's webhook (one try per check).
pub async fn deliver(app: &App) -> Result<DeliveryReport> {
    let view = alerts::alerts(app).await?;
    let active: HashSet<(String, String)> = view
        .alerts
        .iter()
        .map(|a| (a.lane_id.clone(), a.code.clone()))
        .collect();
    let mut notes = Vec::new();
    let now = store::now_text();
    // End what is no longer active; open what newly is.
    let mut tx = store::write_tx(&app.pool).await?;
    let mut entries = Vec::new();
    for (id, lane, code, ..) in store::alerts::open_episodes(&app.pool).await? {
        if !active.contains(&(lane.clone(), code.clone())) {
            store::alerts::end_episode(&mut tx, id, &now).await?;
            entries.push(entry(
                &lane,
                "alert_episode_ended",
                serde_json::json!({"alert": code, "episode": id}),
            ));
            notes.push(EpisodeNote {
                lane_id: lane,
                code,
                episode: id,
                what: "ended".into(),
                detail: None,
            });
        }
    }
    for a in &view.alerts {
        if let Some(id) = store::alerts::open_episode(&mut tx, &a.lane_id, &a.code, &now).await? {
            entries.push(entry(
                &a.lane_id,
                "alert_raised",
                serde_json::json!({"alert": a.code, "episode": id, "count": a.count, "alert_owner": a.alert_owner}),
            ));
            notes.push(EpisodeNote {
                lane_id: a.lane_id.clone(),
                code: a.code.clone(),
                episode: id,
                what: "opened".into(),
                detail: None,
            });
        }
    }
    audit::record_all(&mut tx, &entries).await?;
    tx.commit().await?;

    // Send what is open and not yet delivered.
    for (id, lane, code, _, notified, attempts) in store::alerts::open_episodes(&app.pool).await? {
        if notified.is_some() || attempts >= MAX_ATTEMPTS {
            continue;
        }
        let Some(a) = view.alerts.iter().find(|a| a.lane_id == lane && a.code == code) else {
            continue;
        };
        let (_, contract) = lanes::contract(app, &lane).await?;
        if !contract.replay_console.alert_webhook {
            continue;
        }
        let url = match keychain::get(&webhook_account(&lane)).await {
            Ok(u) => u,
            Err(e) => {
                notes.push(EpisodeNote {
                    lane_id: lane,
                    code,
                    episode: id,
                    what: "no_webhook".into(),
                    detail: Some(e.to_string()),
                });
                continue;
            }
        };
        if !store::alerts::claim_send(&app.pool, id, attempts).await? {
            continue; // another console is sending this try
        }
        let result = send(url.expose(), &message(a, view.window_hours)).await;
        let host = host_of(url.expose());
        let mut tx = store::write_tx(&app.pool).await?;
        let (action, what, detail) = match &result {
            Ok(()) => {
                store::alerts::record_send(&mut tx, id, Some(&store::now_text()), None).await?;
                ("alert_sent", "sent", None)
            }
            Err(e) => {
                store::alerts::record_send(&mut tx, id, None, Some(e)).await?;
                ("alert_send_failed", "send_failed", Some(e.clone()))
            }
        };
        let d = serde_json::json!({"alert": code, "episode": id, "attempt": attempts + 1, "host": host,
            "count": a.count, "alert_owner": a.alert_owner, "error": detail});
        audit::record(&mut tx, &entry(&lane, action, d)).await?;
        tx.commit().await?;
        notes.push(EpisodeNote {
            lane_id: lane,
            code,
            episode: id,
            what: what.into(),
            detail,
        });
    }
    if !notes.is_empty() {
        app.checkpoint_soon();
    }
    Ok(DeliveryReport {
        active: view.alerts,
        notes,
        window_hours: view.window_hours,
    })
}
