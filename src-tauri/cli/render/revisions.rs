//! Text rendering of an event's payload revisions: the original, each edit's changes, who
//! edited and who approved.

use super::*;
use crate::domain::revision::PayloadChange;
use crate::services::revisions::{RevisionView, RevisionsView};

fn value(v: &Option<serde_json::Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => v.to_string(),
    }
}

fn who(name: &str, authenticated: bool) -> String {
    if authenticated {
        format!("{name} (login)")
    } else {
        format!("{name} (declared)")
    }
}

fn changes(out: &mut String, changes: &[PayloadChange]) {
    let width = changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
    for c in changes {
        let _ = writeln!(
            out,
            "    {:width$}  {} -> {}",
            c.field,
            value(&c.before),
            value(&c.after)
        );
    }
}

fn revision(out: &mut String, r: &RevisionView) {
    let _ = writeln!(
        out,
        "revision {}{}  edited by {}  {}",
        r.revision,
        if r.current { " (current)" } else { "" },
        who(&r.editor, r.editor_authenticated),
        r.created_at
    );
    let _ = writeln!(out, "  reason: {}", r.reason);
    if let Some(o) = &r.protected_override {
        let _ = writeln!(out, "  protected fields overridden: {o}");
    }
    let _ = writeln!(out, "  changes against the original:");
    changes(out, &r.changes);
    if r.revision > 1 && r.since_previous != r.changes {
        let _ = writeln!(out, "  since revision {}:", r.revision - 1);
        changes(out, &r.since_previous);
    }
    match &r.approved_by {
        Some(by) => {
            let _ = writeln!(
                out,
                "  approved by {}  {}: {}",
                who(by, r.approver_authenticated.unwrap_or(false)),
                r.approved_at.as_deref().unwrap_or(""),
                r.approval_reason.as_deref().unwrap_or("")
            );
        }
        None => {
            let _ = writeln!(out, "  not approved");
        }
    }
}

/// `events revisions ID`.
pub fn revisions(v: &RevisionsView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "event {}  ({})", v.event_id, v.status);
    let _ = writeln!(out, "original (revision 0, as imported):");
    if let serde_json::Value::Object(m) = &v.original {
        let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, val) in m {
            let _ = writeln!(out, "    {k:width$}  {val}");
        }
    }
    if v.revisions.is_empty() {
        let _ = writeln!(out, "never edited");
        return out;
    }
    for r in &v.revisions {
        out.push('\n');
        revision(&mut out, r);
    }
    if let Some(w) = &v.waiting_for {
        let _ = writeln!(out, "\nwaiting: {w}");
    }
    out
}

/// `events edit`.
pub fn revision_made(event_id: i64, r: &RevisionView) -> String {
    let mut out = String::new();
    revision(&mut out, r);
    let _ = writeln!(
        out,
        "\nnext: someone other than {} approves it (events approve-edit {event_id} --revision {} --approver NAME --reason …), \
         then a preflight on it (preflight {event_id}) before the replay",
        r.editor, r.revision
    );
    out
}

/// `events approve-edit`.
pub fn revision_approved(event_id: i64, r: &RevisionView) -> String {
    let mut out = String::new();
    revision(&mut out, r);
    let _ = writeln!(
        out,
        "\nnext: preflight {event_id} reads the record again with this payload, then the replay"
    );
    out
}

/// `events export-csv`.
pub fn queue_exported(r: &crate::services::queue_export::QueueExportOutcome) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wrote {} row{} of {} for Data Loader to {} ({} columns, upsert by {})",
        r.rows,
        if r.rows == 1 { "" } else { "s" },
        r.object,
        r.path,
        r.columns.len(),
        r.external_id_field
    );
    if r.without_external_id > 0 {
        let _ = writeln!(
            out,
            "  {} events without an external ID left out: Data Loader could not upsert them",
            r.without_external_id
        );
    }
    if !r.protected_left_out.is_empty() {
        let _ = writeln!(out, "  protected fields left out: {}", r.protected_left_out.join(", "));
    }
    if r.edited > 0 {
        let _ = writeln!(out, "  {} rows from approved payload edits", r.edited);
    }
    if r.unapproved_edits > 0 {
        let _ = writeln!(
            out,
            "  {} events with an edit awaiting approval written as imported",
            r.unapproved_edits
        );
    }
    if r.formula_like_cells > 0 {
        let _ = writeln!(
            out,
            "  warning: {} cells would run as formulas in a spreadsheet (they begin with =, @, or + or - before a \
             formula), written as they are: load the file with Data Loader, do not open it in a spreadsheet",
            r.formula_like_cells
        );
    }
    out
}

/// `alerts`: every alert each lane watches, active or quiet, with its count and threshold;
/// then what each active one says and whom to tell.
pub fn alerts(v: &crate::services::alerts::AlertsView) -> String {
    let mut out = String::new();
    let rows: Vec<Vec<String>> = v
        .checks
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                c.lane_id.clone(),
                if c.active { "ACTIVE" } else { "quiet" }.to_string(),
                c.count.to_string(),
                c.threshold.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(&table(&["ALERT", "LANE", "STATE", "COUNT", "FIRES AT"], &rows));
    }
    if v.alerts.is_empty() {
        let _ = writeln!(out, "no critical alert is active");
    }
    for a in &v.alerts {
        let _ = writeln!(out, "{} / {}: {} Tell {}.", a.lane_id, a.code, a.message, a.alert_owner);
    }
    let _ = writeln!(out, "window: the last {} hours (since {})", v.window_hours, v.since);
    out
}

/// `alerts deliver`.
pub fn delivery(r: &crate::services::alert_delivery::DeliveryReport) -> String {
    let mut out = format!("{} active alert(s)\n", r.active.len());
    for n in &r.notes {
        let _ = writeln!(
            out,
            "  {} / {}  episode {}: {}{}",
            n.lane_id,
            n.code,
            n.episode,
            n.what,
            n.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
        );
    }
    out
}
