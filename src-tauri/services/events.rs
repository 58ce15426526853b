//! The event queue: keyset pages, one event, counts by lane and status.

use crate::app::App;
use crate::domain::event::{EventStatus, Operation};
use crate::error::{Error, Result};
use crate::store;
use crate::store::events::EventRow;
use serde::{Deserialize, Serialize};

pub const MAX_PAGE: i64 = 1000;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct EventQuery {
    pub lane_id: Option<String>,
    pub status: Option<EventStatus>,
    /// The failure (reason) code, e.g. `UNABLE_TO_LOCK_ROW` or `protected_field_conflict`.
    #[serde(default)]
    #[ts(optional)]
    pub failure_code: Option<String>,
    /// A prefix of the external ID or of the event key.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    /// Full-text search: every word must appear in the event's payload values, failure message,
    /// failure code, external ID or event key (whole words; `word*` matches a prefix).
    #[serde(default)]
    #[ts(optional)]
    pub text: Option<String>,
    /// Events that occurred at or after this RFC 3339 time.
    #[serde(default)]
    #[ts(optional)]
    pub since: Option<String>,
    /// Events that occurred before this RFC 3339 time.
    #[serde(default)]
    #[ts(optional)]
    pub until: Option<String>,
    /// Triage: assigned to this person.
    #[serde(default)]
    #[ts(optional)]
    pub assignee: Option<String>,
    /// Triage: carrying this tag.
    #[serde(default)]
    #[ts(optional)]
    pub tag: Option<String>,
    /// Triage: only events marked `investigating`.
    #[serde(default)]
    #[ts(optional)]
    pub investigating: Option<bool>,
    /// The cursor: the `id` of the last event of the previous page.
    pub after: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct EventSummary {
    pub id: i64,
    pub lane_id: String,
    pub event_key: String,
    pub object: String,
    pub external_id: Option<String>,
    /// True when the event has no external ID: the contract's `external_id_missing` case.
    pub external_id_missing: bool,
    pub operation: Operation,
    pub status: EventStatus,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub occurred_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct EventPage {
    pub events: Vec<EventSummary>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// With a full-text search: how many events the index does not reach yet (imported since
    /// it last caught up), which the search cannot find until it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub search_unindexed: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct EventDetail {
    #[serde(flatten)]
    pub summary: EventSummary,
    pub lane_version: i64,
    pub source_system: String,
    pub failure_http_status: Option<i64>,
    pub import_id: i64,
    pub payload: serde_json::Value,
    /// Every replay attempt, oldest first.
    pub attempts: Vec<store::attempts::AttemptRow>,
    /// Assignee, investigating mark, tags and notes.
    pub triage: crate::services::triage::Triage,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct StatusCount {
    pub lane_id: String,
    pub status: EventStatus,
    pub count: i64,
}

fn status_of(s: &str) -> Result<EventStatus> {
    EventStatus::parse(s).ok_or_else(|| Error::Io(format!("the database holds an unknown event status `{s}`")))
}

fn summary(r: EventRow) -> Result<EventSummary> {
    Ok(EventSummary {
        id: r.id,
        lane_id: r.lane_id,
        event_key: r.event_key,
        object: r.object,
        external_id_missing: r.external_id.is_none(),
        external_id: r.external_id,
        operation: Operation::parse(&r.operation)
            .ok_or_else(|| Error::Io(format!("the database holds an unknown operation `{}`", r.operation)))?,
        status: status_of(&r.status)?,
        failure_code: r.failure_code,
        failure_message: r.failure_message,
        occurred_at: r.occurred_at,
        updated_at: r.updated_at,
    })
}

/// A time filter in the store's fixed-width UTC form, so text comparison is time comparison.
fn time_bound(t: &str, which: &str) -> Result<String> {
    chrono::DateTime::parse_from_rfc3339(t.trim())
        .map(|d| crate::domain::event::format_time(d.with_timezone(&chrono::Utc)))
        .map_err(|e| Error::InvalidInput(format!("--{which} `{t}` is not an RFC 3339 time ({e})")))
}

pub fn parse_cursor(s: &str) -> Result<i64> {
    s.trim().parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
        Error::InvalidInput(format!(
            "`{s}` is not a cursor; use the `next_cursor` of the previous page"
        ))
    })
}

/// The store's filter of a query (its cursor and limit aside).
pub(crate) fn filter_of(q: &EventQuery) -> Result<store::events::Filter> {
    Ok(store::events::Filter {
        lane_id: q.lane_id.clone(),
        status: q.status.map(|s| s.as_str().to_string()),
        statuses: Vec::new(),
        failure_code: q.failure_code.clone().filter(|c| !c.trim().is_empty()),
        search: q
            .search
            .as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        text: q
            .text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(crate::services::search::parse)
            .transpose()?,
        ids_in: None,
        since: q.since.as_deref().map(|t| time_bound(t, "since")).transpose()?,
        until: q.until.as_deref().map(|t| time_bound(t, "until")).transpose()?,
        assignee: q
            .assignee
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from),
        tag: q
            .tag
            .as_deref()
            .map(crate::services::triage::normalize_tag)
            .transpose()?,
        investigating: q.investigating.unwrap_or(false),
    })
}

pub async fn list(app: &App, q: &EventQuery) -> Result<EventPage> {
    let limit = i64::from(q.limit.unwrap_or(50)).clamp(1, MAX_PAGE);
    let after = match &q.after {
        Some(c) => parse_cursor(c)?,
        None => 0,
    };
    let filter = filter_of(q)?;
    let text_search = filter.text.is_some();
    // One row more than asked tells whether another page exists without a second query.
    // A file pages through its own synchronous connection on the blocking pool; a server
    // through the async pool (no per-row hand-over cost to avoid there).
    let mut rows = if app.pool.is_server() {
        store::events::page(&app.pool, &filter, after, limit + 1).await?
    } else {
        // A page takes SQLite a tenth of a millisecond, less than handing it to the blocking
        // pool and back: on a multi-threaded runtime the worker runs it in place (its other
        // tasks move to another worker meanwhile).
        let reader = app.queue_reader.clone();
        match tokio::runtime::Handle::current().runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| reader.page(&filter, after, limit + 1))?
            }
            _ => tokio::task::spawn_blocking(move || reader.page(&filter, after, limit + 1))
                .await
                .map_err(|e| Error::Io(format!("the queue read failed: {e}")))??,
        }
    };
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    let search_unindexed = match text_search {
        true => Some(store::search::state(&app.pool).await?.1),
        false => None,
    };
    Ok(EventPage {
        events: rows.into_iter().map(summary).collect::<Result<_>>()?,
        next_cursor,
        search_unindexed,
    })
}

pub async fn show(app: &App, id: i64) -> Result<EventDetail> {
    let mut r = store::events::get(&app.pool, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no event with id {id}")))?;
    let payload_text = r.payload.take().unwrap_or_else(|| "{}".into());
    let payload = serde_json::from_str(&payload_text)
        .map_err(|e| Error::Io(format!("stored payload of event {id} is not JSON: {e}")))?;
    let attempts = store::attempts::attempts(&app.pool, id).await?;
    let triage = crate::services::triage::get(app, id).await?;
    Ok(EventDetail {
        attempts,
        triage,
        lane_version: r.lane_version,
        source_system: r.source_system.clone(),
        failure_http_status: r.failure_http_status,
        import_id: r.import_id,
        payload,
        summary: summary(r)?,
    })
}

pub async fn counts(app: &App) -> Result<Vec<StatusCount>> {
    store::events::counts(&app.pool)
        .await?
        .into_iter()
        .map(|(lane_id, status, count)| {
            Ok(StatusCount {
                lane_id,
                status: status_of(&status)?,
                count,
            })
        })
        .collect()
}
