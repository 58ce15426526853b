//! Edit before replay (`events edit`, `events revisions`, `events approve-edit`, the window's
//! payload editor): an edited payload becomes a new revision of the event, original and edit
//! both kept. The current revision is what the next preflight reads and the replay writes, and
//! a replay of it starts only when someone other than its editor approved it and the preflight
//! was taken on it (checked in the intent's transaction, store/attempts.rs). Every edit and
//! approval is audited with its changes against the original.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::revision::{self, Edit, PayloadChange};
use crate::error::{Error, Result};
use crate::services::{audit, lanes};
use crate::store;
use crate::store::revisions::RevisionRow;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One field set by an edit.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct FieldValue {
    pub field: String,
    pub value: Value,
}

/// An edit as the CLI and the window send it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct EditRequest {
    /// A whole new payload (a JSON object), applied before `set` and `unset`.
    #[serde(default)]
    #[ts(optional)]
    pub payload: Option<Value>,
    #[serde(default)]
    pub set: Vec<FieldValue>,
    #[serde(default)]
    pub unset: Vec<String>,
    /// Who edits: a declared name in solo mode; in team mode the server's login is recorded.
    pub editor: String,
    pub reason: String,
    /// Why a protected field (the contract's `write_policy.protected_fields`) is edited: without
    /// it an edit touching one is refused.
    #[serde(default)]
    #[ts(optional)]
    pub protected_override: Option<String>,
}

/// One revision of an event's payload.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct RevisionView {
    pub revision: i64,
    pub payload: Value,
    /// Against the original (imported) payload.
    pub changes: Vec<PayloadChange>,
    /// Against the revision before it (the original for revision 1).
    pub since_previous: Vec<PayloadChange>,
    pub editor: String,
    /// A server login (team mode) rather than a declared name (solo mode).
    pub editor_authenticated: bool,
    pub reason: String,
    pub protected_override: Option<String>,
    pub created_at: String,
    pub approved_by: Option<String>,
    pub approver_authenticated: Option<bool>,
    pub approval_reason: Option<String>,
    pub approved_at: Option<String>,
    /// The highest revision: what the next preflight reads and a replay writes.
    pub current: bool,
}

/// An event's payload history.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct RevisionsView {
    pub event_id: i64,
    pub status: String,
    /// The imported payload (revision 0, never changed).
    pub original: Value,
    /// Oldest first.
    pub revisions: Vec<RevisionView>,
    /// What stands between the current revision and a replay, in words; `None` when nothing
    /// does (no edit, or an approved one: a preflight on it is still needed, as always).
    pub waiting_for: Option<String>,
    /// The contract's protected fields, for the editor to mark.
    pub protected_fields: Vec<String>,
}

fn object(text: &str, what: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::Io(format!("{what} is not a JSON object"))),
    }
}

/// The event's imported payload (revision 0).
fn original(ev: &store::events::EventRow) -> Result<Map<String, Value>> {
    object(
        ev.payload.as_deref().unwrap_or(""),
        &format!("the payload of event {}", ev.id),
    )
}

fn changes_of(text: &str) -> Vec<PayloadChange> {
    serde_json::from_str(text).unwrap_or_default()
}

fn view(r: &RevisionRow, previous: &Map<String, Value>, current: bool) -> Result<RevisionView> {
    let payload = object(&r.payload, &format!("revision {} of event {}", r.revision, r.event_id))?;
    Ok(RevisionView {
        revision: r.revision,
        since_previous: revision::diff(previous, &payload),
        payload: Value::Object(payload),
        changes: changes_of(&r.changes),
        editor: r.editor.clone(),
        editor_authenticated: r.editor_authenticated != 0,
        reason: r.reason.clone(),
        protected_override: r.protected_override.clone(),
        created_at: r.created_at.clone(),
        approved_by: r.approved_by.clone(),
        approver_authenticated: r.approver_authenticated.map(|a| a != 0),
        approval_reason: r.approval_reason.clone(),
        approved_at: r.approved_at.clone(),
        current,
    })
}

async fn event(app: &App, event_id: i64) -> Result<store::events::EventRow> {
    store::events::get(&app.pool, event_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no event with id {event_id}")))
}

/// The event's payload history.
pub async fn list(app: &App, event_id: i64) -> Result<RevisionsView> {
    let ev = event(app, event_id).await?;
    let (_, contract) = lanes::contract(app, &ev.lane_id).await?;
    let original = original(&ev)?;
    let rows = store::revisions::list(&app.pool, event_id).await?;
    let mut revisions = Vec::with_capacity(rows.len());
    let mut previous = original.clone();
    for (k, r) in rows.iter().enumerate() {
        let v = view(r, &previous, k + 1 == rows.len())?;
        if let Value::Object(m) = &v.payload {
            previous = m.clone();
        }
        revisions.push(v);
    }
    let waiting_for = revisions.last().and_then(|r| {
        r.approved_by.is_none().then(|| {
            format!(
                "revision {} awaits approval by someone other than {} (events approve-edit {event_id} --revision {})",
                r.revision, r.editor, r.revision
            )
        })
    });
    Ok(RevisionsView {
        event_id,
        status: ev.status,
        original: Value::Object(original),
        revisions,
        waiting_for,
        protected_fields: contract
            .write_policy
            .protected_fields
            .iter()
            .map(|f| f.as_str().to_string())
            .collect(),
    })
}

/// Who acts: the server's login in team mode (authenticated), else the declared name.
pub(crate) async fn actor(app: &App, declared: &str, flag: &str) -> Result<(String, bool)> {
    let me = crate::services::team::whoami(app).await?;
    if me.authenticated {
        return Ok((me.login, true));
    }
    let name = declared.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{flag}: say who you are (a database file has no logins, so the name is declared and recorded as such)"
        )));
    }
    Ok((name.to_string(), false))
}

fn audit_draft(ev: &store::events::EventRow, action: &str, actor: &str, reason: &str, detail: Value) -> AuditDraft {
    AuditDraft {
        action: action.into(),
        actor: actor.into(),
        lane_id: Some(ev.lane_id.clone()),
        lane_version: Some(ev.lane_version),
        event_id: Some(ev.id),
        external_id: ev.external_id.clone(),
        record_type: Some(ev.object.clone()),
        operation_type: Some(ev.operation.clone()),
        reason: Some(reason.into()),
        detail,
        ..AuditDraft::default()
    }
}

/// Proposes an edited payload as the event's next revision.
pub async fn edit(app: &App, event_id: i64, req: &EditRequest) -> Result<RevisionView> {
    if req.reason.trim().is_empty() {
        return Err(Error::InvalidInput("--reason: say why the payload is edited".into()));
    }
    let (editor, authenticated) = actor(app, &req.editor, "--editor").await?;
    let ev = event(app, event_id).await?;
    let (_, contract) = lanes::contract(app, &ev.lane_id).await?;
    let original = original(&ev)?;
    let rows = store::revisions::list(&app.pool, event_id).await?;
    let base_revision = rows.last().map(|r| r.revision);
    let base = match rows.last() {
        Some(r) => object(&r.payload, &format!("revision {} of event {event_id}", r.revision))?,
        None => original.clone(),
    };
    let replace = match &req.payload {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => return Err(Error::InvalidInput("the new payload must be a JSON object".into())),
    };
    let e = Edit {
        replace,
        set: req
            .set
            .iter()
            .map(|f| (f.field.trim().to_string(), f.value.clone()))
            .collect(),
        unset: req.unset.iter().map(|f| f.trim().to_string()).collect(),
    };
    for (f, _) in &e.set {
        revision::check_field(f).map_err(|m| Error::InvalidInput(format!("--set: {m}")))?;
    }
    let edited = revision::apply(&base, &e).map_err(Error::InvalidInput)?;
    if edited == base {
        return Err(Error::InvalidInput(format!(
            "the edit changes nothing: the payload already is {}",
            base_revision.map_or("so".to_string(), |r| format!("so in revision {r}"))
        )));
    }
    let changes = revision::diff(&original, &edited);
    let protected: Vec<&str> = contract
        .write_policy
        .protected_fields
        .iter()
        .map(|f| f.as_str())
        .collect();
    let touched: Vec<String> = revision::protected_touched(&revision::diff(&base, &edited), &protected)
        .into_iter()
        .map(String::from)
        .collect();
    let protected_override = req
        .protected_override
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if !touched.is_empty() && protected_override.is_none() {
        return Err(Error::Refused {
            code: "protected_field_edit".into(),
            message: format!(
                "the edit changes protected field(s) {} of lane {}: give the reason for overriding them \
                 (--protected-override REASON); the revision then needs its approval by someone else, and \
                 the replay the contract's override as any protected-field change does",
                touched.join(", "),
                ev.lane_id
            ),
        });
    }
    let payload_text = serde_json::to_string(&edited).map_err(|e| Error::Io(format!("payload JSON: {e}")))?;
    crate::services::limits::check_payload_size(payload_text.len())?;
    let changes_text = serde_json::to_string(&changes).map_err(|e| Error::Io(format!("changes JSON: {e}")))?;
    let now = store::now_text();
    let mut tx = store::write_tx(&app.pool).await?;
    // In the transaction: still editable, and nobody added a revision since this one was based.
    let status = store::events::status(&mut tx, event_id)
        .await?
        .unwrap_or_else(|| "gone".into());
    if status != "failed" && status != "blocked" {
        return Err(Error::Refused {
            code: "not_editable".into(),
            message: format!("event {event_id} is {status}; only failed or blocked events are edited"),
        });
    }
    let now_current = store::revisions::current_state(&mut tx, event_id)
        .await?
        .map(|(r, _)| r);
    if now_current != base_revision {
        return Err(Error::Refused {
            code: "revision_changed".into(),
            message: format!(
                "someone added revision {} of event {event_id} meanwhile; look at it (events revisions {event_id}) and edit again",
                now_current.unwrap_or(0)
            ),
        });
    }
    // The full-text index finds the event by its edited values too (and still by the old ones).
    let words_before = store::search::words_now(&mut tx, event_id).await?;
    let row = store::revisions::insert(
        &mut tx,
        &store::revisions::NewRevision {
            event_id,
            payload: &payload_text,
            changes: &changes_text,
            editor: &editor,
            editor_authenticated: authenticated,
            reason: req.reason.trim(),
            protected_override,
            now: &now,
        },
    )
    .await?;
    if let Some(before) = words_before {
        if let Some(after) = store::search::words_now(&mut tx, event_id).await? {
            store::search::replace(&mut tx, event_id, &before, &after).await?;
        }
    }
    audit::record(
        &mut tx,
        &audit_draft(
            &ev,
            "event_edited",
            &row.editor,
            req.reason.trim(),
            serde_json::json!({
                "revision": row.revision,
                "previous_revision": base_revision.unwrap_or(0),
                "changes": changes,
                "editor": row.editor,
                "editor_authenticated": authenticated,
                "protected_fields_edited": touched,
                "protected_override": protected_override,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    app.checkpoint_soon();
    view(&row, &base, true)
}

/// Approves the event's current revision: someone other than its editor (a login with the
/// approver role in team mode; a declared name in solo mode, marked as declared).
pub async fn approve(app: &App, event_id: i64, revision_no: i64, approver: &str, reason: &str) -> Result<RevisionView> {
    if reason.trim().is_empty() {
        return Err(Error::InvalidInput("--reason: say why the edit is right".into()));
    }
    let (approver, authenticated) = actor(app, approver, "--approver").await?;
    if authenticated {
        let me = crate::services::team::whoami(app).await?;
        if !me.may("approver") {
            return Err(Error::Refused {
                code: "not_an_approver".into(),
                message: format!("{} has no approver role; an approver approves edits", me.login),
            });
        }
    }
    let ev = event(app, event_id).await?;
    let rows = store::revisions::list(&app.pool, event_id).await?;
    let Some(current) = rows.last() else {
        return Err(Error::NotFound(format!(
            "event {event_id} was never edited; nothing to approve"
        )));
    };
    if current.revision != revision_no {
        return Err(Error::Refused {
            code: "revision_changed".into(),
            message: format!(
                "revision {revision_no} is not event {event_id}'s current one (it is {}); approve what will be written",
                current.revision
            ),
        });
    }
    if let Some(by) = &current.approved_by {
        return Err(Error::Refused {
            code: "already_approved".into(),
            message: format!("revision {revision_no} of event {event_id} was already approved by {by}"),
        });
    }
    if !revision::is_other_person(&current.editor, &approver) {
        return Err(Error::Refused {
            code: "approver_is_editor".into(),
            message: format!("{approver} edited revision {revision_no}: someone else approves it (the four-eyes rule)"),
        });
    }
    let previous = match rows.len() {
        1 => original(&ev)?,
        n => object(&rows[n - 2].payload, "the previous revision")?,
    };
    let now = store::now_text();
    let mut tx = store::write_tx(&app.pool).await?;
    let Some(row) = store::revisions::approve(
        &mut tx,
        &store::revisions::Approval {
            event_id,
            revision: revision_no,
            approver: &approver,
            approver_authenticated: authenticated,
            reason: reason.trim(),
            now: &now,
        },
    )
    .await?
    else {
        return Err(Error::Refused {
            code: "revision_changed".into(),
            message: format!("revision {revision_no} of event {event_id} changed meanwhile; look again"),
        });
    };
    audit::record(
        &mut tx,
        &audit_draft(
            &ev,
            "event_edit_approved",
            &approver,
            reason.trim(),
            serde_json::json!({
                "revision": row.revision,
                "editor": row.editor,
                "approved_by": row.approved_by,
                "approver_authenticated": authenticated,
                "changes": changes_of(&row.changes),
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    app.checkpoint_soon();
    view(&row, &previous, true)
}

/// A revision in short, for a replay's audit entries: number, editor, approver and whether each
/// was authenticated, and its changes against the original.
pub(crate) async fn brief(app: &App, event_id: i64, revision_no: i64) -> Result<Value> {
    let rows = store::revisions::list(&app.pool, event_id).await?;
    Ok(match rows.iter().find(|r| r.revision == revision_no) {
        Some(r) => serde_json::json!({
            "revision": r.revision,
            "editor": r.editor,
            "editor_authenticated": r.editor_authenticated != 0,
            "approved_by": r.approved_by,
            "approver_authenticated": r.approver_authenticated.map(|a| a != 0),
            "changes": changes_of(&r.changes),
        }),
        None => serde_json::json!({"revision": revision_no}),
    })
}
