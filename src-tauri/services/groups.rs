//! Failure groups (`events groups`, the window's Groups view): the queue's events grouped by
//! lane, failure code and normalised message signature, and a group opened as a batch
//! preflight (`replay batch --group KEY`).

use crate::app::App;
use crate::domain::event::EventStatus;
use crate::domain::groups::{self, Tally};
use crate::error::{Error, Result};
use crate::services::batch::Selection;
use crate::store;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct GroupStatusCount {
    pub status: EventStatus,
    pub count: i64,
}

/// One failure group.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct FailureGroup {
    /// Stable short key (12 hex digits of a hash of lane, code and signature): `--group KEY`.
    pub key: String,
    pub lane_id: String,
    pub failure_code: Option<String>,
    /// The failure message with record Ids, numbers and quoted values replaced by `<id>`,
    /// `<n>` and `<value>`.
    pub signature: String,
    /// The group's most frequent exact message.
    pub example_message: Option<String>,
    /// How many distinct exact messages the signature stands for.
    pub messages: i64,
    pub count: i64,
    /// Events still failed or blocked: what a batch of the group takes.
    pub open: i64,
    /// The earliest and latest `occurred_at` in the group.
    pub first_seen: String,
    pub last_seen: String,
    /// Events of the group by status, in the lifecycle's order.
    pub statuses: Vec<GroupStatusCount>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct GroupsView {
    /// Most open events first, then most events.
    pub groups: Vec<FailureGroup>,
    /// Events counted (all statuses).
    pub events: i64,
}

fn view(g: groups::Group) -> Result<FailureGroup> {
    let mut statuses = Vec::with_capacity(g.statuses.len());
    for (s, count) in g.statuses {
        let status = EventStatus::parse(&s)
            .ok_or_else(|| Error::Io(format!("the database holds an unknown event status `{s}`")))?;
        statuses.push(GroupStatusCount { status, count });
    }
    statuses.sort_by_key(|c| c.status as u8);
    Ok(FailureGroup {
        key: g.key,
        lane_id: g.lane_id,
        failure_code: g.failure_code,
        signature: g.signature,
        example_message: g.example_message,
        messages: g.messages,
        count: g.count,
        open: g.open,
        first_seen: g.first_seen,
        last_seen: g.last_seen,
        statuses,
    })
}

/// Every failure group, or one lane's.
pub async fn list(app: &App, lane_id: Option<&str>) -> Result<GroupsView> {
    if let Some(lane) = lane_id {
        if store::lanes::get_current(&app.pool, lane).await?.is_none() {
            return Err(Error::NotFound(format!(
                "no lane `{lane}`; `lanes list` shows the lanes"
            )));
        }
    }
    let rows = store::groups::tallies(&app.pool, lane_id).await?;
    let events = rows.iter().map(|r| r.4).sum();
    let tallies = rows.into_iter().map(
        |(lane_id, failure_code, failure_message, status, count, first_seen, last_seen)| Tally {
            lane_id,
            failure_code,
            failure_message,
            status,
            count,
            first_seen,
            last_seen,
        },
    );
    let groups = groups::merge(tallies)
        .into_iter()
        .map(view)
        .collect::<Result<Vec<_>>>()?;
    Ok(GroupsView { groups, events })
}

/// The group with this key (as `events groups` prints it).
pub async fn find(app: &App, key: &str) -> Result<FailureGroup> {
    let key = key.trim().to_ascii_lowercase();
    list(app, None)
        .await?
        .groups
        .into_iter()
        .find(|g| g.key == key)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "no failure group `{key}`; `events groups` lists them (a group whose events were all removed is gone)"
            ))
        })
}

/// The ids of a group's events in these statuses, in id order.
pub async fn member_ids(app: &App, g: &FailureGroup, statuses: &[&str]) -> Result<Vec<i64>> {
    let rows = store::groups::members(&app.pool, &g.lane_id, g.failure_code.as_deref(), statuses).await?;
    Ok(rows
        .into_iter()
        .filter(|(_, m)| groups::signature(m.as_deref().unwrap_or("")) == g.signature)
        .map(|(id, _)| id)
        .collect())
}

/// A batch selection naming a group (`--group KEY`), resolved to the group's lane, failure
/// code and open events (failed and blocked, or the selection's status). A lane or reason code
/// given beside it must be the group's.
pub async fn resolve_selection(app: &App, sel: &Selection, key: &str) -> Result<Selection> {
    let g = find(app, key).await?;
    if !sel.lane_id.is_empty() && sel.lane_id != g.lane_id {
        return Err(Error::InvalidInput(format!(
            "failure group {} is lane {}'s, not {}'s",
            g.key, g.lane_id, sel.lane_id
        )));
    }
    if sel.reason_code.is_some() && sel.reason_code != g.failure_code {
        return Err(Error::InvalidInput(format!(
            "failure group {} has failure code {}, not {}",
            g.key,
            g.failure_code.as_deref().unwrap_or("(none)"),
            sel.reason_code.as_deref().unwrap_or_default()
        )));
    }
    if sel.ids.is_some() {
        return Err(Error::InvalidInput(
            "a group and a list of event ids are two selections: give one".into(),
        ));
    }
    let statuses: Vec<&str> = match sel.status.as_deref() {
        Some(s) => vec![s],
        None => vec!["failed", "blocked"],
    };
    let ids = member_ids(app, &g, &statuses).await?;
    if ids.is_empty() {
        return Err(Error::InvalidInput(format!(
            "failure group {} has no {} events left to replay",
            g.key,
            statuses.join(" or ")
        )));
    }
    Ok(Selection {
        lane_id: g.lane_id,
        status: sel.status.clone(),
        reason_code: g.failure_code,
        ids: Some(ids),
        group: Some(g.key),
        override_request: sel.override_request.clone(),
    })
}
