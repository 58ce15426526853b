//! The contract's `critical_alerts`, computed from what the console recorded, and the series
//! behind the window's small chart of failures and replays over time.

use crate::app::App;
use crate::domain::contract::CriticalAlert;
use crate::error::Result;
use crate::services::lanes;
use crate::store;
use serde::Serialize;

/// How far back the alerts look.
pub const WINDOW_HOURS: i64 = 24;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Alert {
    /// The contract's name for it: `duplicate_conflict_detected`, `fallback_owner_spike`,
    /// `replay_blocked`, `protected_field_overwrite_attempt`.
    pub code: String,
    pub lane_id: String,
    /// Who the contract says to tell (`observability.alert_owner`).
    pub alert_owner: String,
    pub count: i64,
    pub message: String,
}

/// One alert a lane's contract lists (or the console's own floor), whether it is active now,
/// and the rule it is judged by: quiet ones too, so a reviewer sees what is watched.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AlertCheck {
    pub code: String,
    pub lane_id: String,
    pub active: bool,
    pub count: i64,
    /// When it fires, e.g. `any in 24 h`, `above 20% of the lane's replays in 24 h`.
    pub threshold: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Bucket {
    /// The hour (UTC), `2026-11-20T10:00`.
    pub hour: String,
    /// Events that failed or were blocked in that hour (by `occurred_at`).
    pub failures: i64,
    /// Replays applied in that hour.
    pub replays: i64,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AlertsView {
    pub window_hours: i64,
    pub since: String,
    pub alerts: Vec<Alert>,
    /// Every alert watched, per lane, active or quiet, with its threshold.
    pub checks: Vec<AlertCheck>,
    /// Hourly buckets of the last 48 hours that had any activity, oldest first.
    pub series: Vec<Bucket>,
}

pub async fn alerts(app: &App) -> Result<AlertsView> {
    let now = chrono::Utc::now();
    let since = crate::domain::event::format_time(now - chrono::Duration::hours(WINDOW_HOURS));
    let mut alerts = Vec::new();
    let mut checks = Vec::new();
    for lane in store::lanes::list_current(&app.pool).await? {
        let (_, contract) = lanes::contract(app, &lane.lane_id).await?;
        let owner = contract.observability.alert_owner.0.clone();
        // Preflights of the window: how many found which finding.
        let store::alerts::PreflightTally { duplicate, protected } =
            store::alerts::preflights_since(&app.pool, &lane.lane_id, &since).await?;
        let refused = store::alerts::audited_since(&app.pool, &lane.lane_id, "replay_refused", &since).await?;
        // A floor, whatever critical_alerts lists: a replay planned as a create that changed an
        // existing record (never ages out of the window: it must be reviewed).
        let overwrote = store::alerts::audited_ever(&app.pool, &lane.lane_id, "create_overwrote_record").await?;
        checks.push(AlertCheck {
            code: "create_overwrote_record".into(),
            lane_id: lane.lane_id.clone(),
            active: overwrote > 0,
            count: overwrote,
            threshold: "any, ever (the console's own floor)".into(),
            message: format!("{overwrote} replay(s) planned as a create changed an existing record"),
        });
        if overwrote > 0 {
            alerts.push(Alert {
                code: "create_overwrote_record".into(),
                lane_id: lane.lane_id.clone(),
                alert_owner: owner.clone(),
                count: overwrote,
                message: format!(
                    "{overwrote} replay(s) planned as a create changed an existing record: review them in the audit log (action create_overwrote_record)"
                ),
            });
        }
        let (replays, replays_fallback) = store::alerts::replays_since(&app.pool, &lane.lane_id, &since).await?;
        let any = format!("any in {WINDOW_HOURS} h");
        for alert in &contract.observability.critical_alerts {
            let (code, count, message, threshold) = match alert {
                CriticalAlert::DuplicateConflictDetected => (
                    "duplicate_conflict_detected",
                    duplicate,
                    format!(
                        "{duplicate} preflight(s) found records a replay would duplicate or could not choose between"
                    ),
                    any.clone(),
                ),
                CriticalAlert::FallbackOwnerSpike => {
                    // Over the lane's replays in the window, as the contract means it: the share
                    // of writes that landed on records the fallback owner holds.
                    let limit = contract.ownership_policy.alert_if_fallback_owner_used_above_percent.0;
                    let share = if replays > 0 {
                        replays_fallback as f64 * 100.0 / replays as f64
                    } else {
                        0.0
                    };
                    let count = if share > limit { replays_fallback } else { 0 };
                    (
                        "fallback_owner_spike",
                        count,
                        format!("{replays_fallback} of {replays} replays ({share:.1}%) wrote records the fallback owner holds; the contract alerts above {limit}%"),
                        format!("above {limit}% of the lane's replays in {WINDOW_HOURS} h"),
                    )
                }
                CriticalAlert::ReplayBlocked => (
                    "replay_blocked",
                    refused,
                    format!("{refused} replay(s) refused by the gate or a blocking finding"),
                    any.clone(),
                ),
                CriticalAlert::ProtectedFieldOverwriteAttempt => (
                    "protected_field_overwrite_attempt",
                    protected,
                    format!(
                        "{protected} event(s) would change a protected field ({})",
                        contract
                            .write_policy
                            .protected_fields
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    any.clone(),
                ),
            };
            checks.push(AlertCheck {
                code: code.into(),
                lane_id: lane.lane_id.clone(),
                active: count > 0,
                count,
                threshold,
                message: message.clone(),
            });
            if count > 0 {
                alerts.push(Alert {
                    code: code.into(),
                    lane_id: lane.lane_id.clone(),
                    alert_owner: owner.clone(),
                    count,
                    message,
                });
            }
        }
    }
    // Failures by the hour they occurred, replays by the hour they were applied: the last 48
    // hours with activity, anchored at the newest failure so imported incidents show up too.
    let series_rows = store::alerts::activity_by_hour(&app.pool).await?;
    let mut series: Vec<Bucket> = series_rows
        .into_iter()
        .map(|(h, failures, replays)| Bucket {
            hour: format!("{h}:00"),
            failures,
            replays,
        })
        .collect();
    series.reverse();
    Ok(AlertsView {
        window_hours: WINDOW_HOURS,
        since,
        alerts,
        checks,
        series,
    })
}
