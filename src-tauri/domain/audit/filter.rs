//! The filters of `audit list` and `audit export`, applied by the store in SQL and here to an
//! export's entries, and the time bounds they take.

use super::EntryRef;
use serde::{Deserialize, Serialize};

/// The filters of `audit list` and `audit export`. Times are stored-form UTC text
/// (`2026-11-20T10:00:00.000Z`); `since` is inclusive, `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lane_id: Option<String>,
    /// The operator's name (`actor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    /// The batch replay the entries belong to (`replay batch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl AuditFilter {
    pub fn is_empty(&self) -> bool {
        *self == AuditFilter::default()
    }

    /// The same selection the store's SQL makes, for checking an export offline.
    pub fn matches(&self, e: &EntryRef<'_>) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
        eq(&self.lane_id, e.lane_id)
            && eq(&self.operator, Some(e.actor))
            && eq(&self.action, Some(e.action))
            && eq(&self.outcome, e.outcome)
            && eq(&self.external_id, e.external_id)
            && self.event_id.is_none_or(|id| e.event_id == Some(id))
            && self.batch_id.is_none_or(|id| e.batch_id == Some(id))
            && self.since.as_deref().is_none_or(|s| e.at >= s)
            && self.until.as_deref().is_none_or(|u| e.at < u)
    }
}

/// A time bound from the command line or the UI: RFC 3339 with any offset, or a date
/// (`2026-11-20`, midnight UTC), as the store's fixed-width UTC text so it compares as text.
pub fn parse_time_bound(s: &str) -> Result<String, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(crate::domain::event::format_time(t.with_timezone(&chrono::Utc)));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(crate::domain::event::format_time(t.and_utc()));
        }
    }
    Err(format!(
        "`{s}` is not a time: use RFC 3339 (2026-11-20T10:00:00Z) or a date (2026-11-20)"
    ))
}

/// `FROM..TO`, each a time bound: the incident window of an export (`TO` exclusive).
pub fn parse_window(s: &str) -> Result<(String, String), String> {
    let (from, to) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}` is not a window: use FROM..TO, e.g. 2026-11-20T09:00Z..2026-11-20T12:00Z"))?;
    let (from, to) = (parse_time_bound(from)?, parse_time_bound(to)?);
    if from >= to {
        return Err(format!("the window `{s}` is empty: FROM must be before TO"));
    }
    Ok((from, to))
}
