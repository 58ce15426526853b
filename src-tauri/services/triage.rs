//! Triage (`events triage`, the event view's Triage card): several people working one incident
//! assign events, mark those being investigated, tag them and leave notes. One change applies to
//! one event or many (a selection, an ids file) in one transaction; each event's change is an
//! audit entry. The queue filters by assignee, tag and mark.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::error::{Error, Result};
use crate::services::audit;
use crate::store;
use serde::{Deserialize, Serialize};

/// The longest tag and note accepted.
pub const MAX_TAG: usize = 40;
pub const MAX_NOTE: usize = 4000;
/// The most events one change takes (a batch's worth).
pub const MAX_EVENTS: usize = 10_000;

/// A tag as stored: trimmed, lower case, letters, digits and `-_.:/`.
pub fn normalize_tag(t: &str) -> Result<String> {
    let tag = t.trim().to_lowercase();
    if tag.is_empty()
        || tag.chars().count() > MAX_TAG
        || !tag.chars().all(|c| c.is_alphanumeric() || "-_.:/".contains(c))
    {
        return Err(Error::InvalidInput(format!(
            "tag `{}`: letters, digits and - _ . : / only, at most {MAX_TAG}",
            t.escape_debug()
        )));
    }
    Ok(tag)
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Note {
    pub id: i64,
    pub author: String,
    pub author_authenticated: bool,
    pub text: String,
    pub at: String,
}

/// An event's triage.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Triage {
    pub assignee: Option<String>,
    pub investigating: bool,
    pub tags: Vec<String>,
    /// Oldest first.
    pub notes: Vec<Note>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

/// What one triage change does; what is left out stays as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct TriageChange {
    /// Assign to this person; an empty text unassigns.
    #[serde(default)]
    #[ts(optional)]
    pub assign: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub investigating: Option<bool>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
    /// Who triages: a declared name in solo mode; in team mode the login is recorded.
    pub by: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct TriageOutcome {
    /// Events whose triage changed.
    pub changed: Vec<i64>,
    /// Events the change left as they were (already so).
    pub unchanged: Vec<i64>,
}

pub async fn get(app: &App, event_id: i64) -> Result<Triage> {
    let state = store::triage::state(&app.pool, event_id).await?;
    let tags = store::triage::tags(&app.pool, event_id).await?;
    let notes = store::triage::notes(&app.pool, event_id)
        .await?
        .into_iter()
        .map(|(id, author, auth, text, at)| Note {
            id,
            author,
            author_authenticated: auth != 0,
            text,
            at,
        })
        .collect();
    Ok(match state {
        Some((assignee, inv, by, at)) => Triage {
            assignee,
            investigating: inv != 0,
            tags,
            notes,
            updated_by: Some(by),
            updated_at: Some(at),
        },
        None => Triage {
            tags,
            notes,
            ..Triage::default()
        },
    })
}

/// Applies one change to each of these events, in one transaction.
pub async fn update(app: &App, event_ids: &[i64], change: &TriageChange) -> Result<TriageOutcome> {
    if event_ids.is_empty() {
        return Err(Error::InvalidInput("name the events to triage".into()));
    }
    if event_ids.len() > MAX_EVENTS {
        return Err(Error::InvalidInput(format!(
            "{} events in one change; at most {MAX_EVENTS}",
            event_ids.len()
        )));
    }
    let add: Vec<String> = change
        .add_tags
        .iter()
        .map(|t| normalize_tag(t))
        .collect::<Result<_>>()?;
    let remove: Vec<String> = change
        .remove_tags
        .iter()
        .map(|t| normalize_tag(t))
        .collect::<Result<_>>()?;
    if let Some(t) = add.iter().find(|t| remove.contains(t)) {
        return Err(Error::InvalidInput(format!("tag {t} is both added and removed")));
    }
    let note = change.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(Error::InvalidInput(format!("a note is at most {MAX_NOTE} characters")));
    }
    let assign = change.assign.as_deref().map(str::trim);
    if assign.is_none() && change.investigating.is_none() && add.is_empty() && remove.is_empty() && note.is_none() {
        return Err(Error::InvalidInput(
            "say what to change: --assign, --unassign, --investigating, --done, --tag, --untag or --note".into(),
        ));
    }
    let (by, authenticated) = crate::services::revisions::actor(app, &change.by, "--by").await?;
    let mut ids = event_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let found = store::triage::existing(&app.pool, &ids).await?;
    let missing: Vec<String> = ids
        .iter()
        .filter(|i| !found.contains(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::NotFound(format!("no event with id {}", missing.join(", "))));
    }
    let events: Vec<store::events::EventRow> = store::events::get_many(&app.pool, &ids).await?;
    let now = store::now_text();
    let mut tx = store::write_tx(&app.pool).await?;
    let (mut changed, mut unchanged) = (Vec::new(), Vec::new());
    let mut entries = Vec::new();
    for ev in &events {
        let before = store::triage::state_in(&mut tx, ev.id).await?;
        let (old_assignee, old_inv) = before.clone().map_or((None, false), |(a, i)| (a, i != 0));
        let new_assignee = match assign {
            Some("") => None,
            Some(a) => Some(a.to_string()),
            None => old_assignee.clone(),
        };
        let new_inv = change.investigating.unwrap_or(old_inv);
        let mut what = serde_json::Map::new();
        if new_assignee != old_assignee {
            what.insert(
                "assignee".into(),
                serde_json::json!({"from": old_assignee, "to": new_assignee}),
            );
        }
        if new_inv != old_inv {
            what.insert("investigating".into(), serde_json::json!(new_inv));
        }
        if !what.is_empty() {
            store::triage::put_state(&mut tx, ev.id, new_assignee.as_deref(), new_inv, &by, &now).await?;
        }
        let mut added = Vec::new();
        for t in &add {
            if store::triage::add_tag(&mut tx, ev.id, t).await? {
                added.push(t.clone());
            }
        }
        let mut removed = Vec::new();
        for t in &remove {
            if store::triage::remove_tag(&mut tx, ev.id, t).await? {
                removed.push(t.clone());
            }
        }
        if !added.is_empty() {
            what.insert("tags_added".into(), serde_json::json!(added));
        }
        if !removed.is_empty() {
            what.insert("tags_removed".into(), serde_json::json!(removed));
        }
        if let Some(n) = note {
            store::triage::add_note(&mut tx, ev.id, &by, authenticated, n, &now).await?;
            what.insert("note".into(), serde_json::json!(n));
        }
        if what.is_empty() {
            unchanged.push(ev.id);
            continue;
        }
        what.insert("by_authenticated".into(), serde_json::json!(authenticated));
        if ids.len() > 1 {
            what.insert("events_in_change".into(), serde_json::json!(ids.len()));
        }
        entries.push(AuditDraft {
            action: "event_triaged".into(),
            actor: by.clone(),
            lane_id: Some(ev.lane_id.clone()),
            lane_version: Some(ev.lane_version),
            event_id: Some(ev.id),
            external_id: ev.external_id.clone(),
            record_type: Some(ev.object.clone()),
            detail: serde_json::Value::Object(what),
            ..AuditDraft::default()
        });
        changed.push(ev.id);
    }
    audit::record_all(&mut tx, &entries).await?;
    tx.commit().await?;
    if !changed.is_empty() {
        app.checkpoint_soon();
    }
    Ok(TriageOutcome { changed, unchanged })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lower_case_words() {
        assert_eq!(normalize_tag(" INC-4711 ").unwrap(), "inc-4711");
        assert_eq!(normalize_tag("team:billing/eu").unwrap(), "team:billing/eu");
        assert!(normalize_tag("two words").is_err());
        assert!(normalize_tag("").is_err());
        assert!(normalize_tag(&"x".repeat(41)).is_err());
    }
}
