//! Text rendering for the terminal. JSON output never goes through here.

use crate::domain::preflight::{OwnerKind, Preflight, Severity, Target};
use crate::domain::replay::ReplayResult;
use crate::services::credentials::CredentialStatus;
use crate::services::events::{EventDetail, EventPage};
use crate::services::import::ImportOutcome;
use crate::services::lanes::{LaneChange, LaneDetail, LaneImported, LaneSummary};
use crate::services::preflight::PreflightView;
use std::fmt::Write;

mod audit;
mod batch;
mod preflight;
mod revisions;

pub use audit::*;
pub use batch::*;
pub use preflight::*;
pub use revisions::*;

/// Left-aligned columns, two spaces apart.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    // A cell is one value: a line break or escape in it is shown, never obeyed.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| super::safe::value(c).into_owned()).collect())
        .collect();
    let rows = rows.as_slice();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let pad = widths[i] - c.chars().count();
                s.push_str(c);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

pub fn lane_imported(r: &LaneImported) -> String {
    match r.change {
        LaneChange::Created => format!("lane {} imported (version {})", r.lane_id, r.version),
        LaneChange::NewVersion => format!(
            "lane {} updated to version {} (version {} is kept; events imported under it still refer to it)",
            r.lane_id,
            r.version,
            r.version - 1
        ),
        LaneChange::Unchanged => format!("lane {} unchanged (still version {})", r.lane_id, r.version),
    }
}

pub fn lanes(lanes: &[LaneSummary]) -> String {
    if lanes.is_empty() {
        return "no lanes yet; import a contract with `replay-console lanes import FILE.yaml`\n".into();
    }
    let rows: Vec<Vec<String>> = lanes
        .iter()
        .map(|l| {
            vec![
                l.lane_id.clone(),
                l.version.to_string(),
                format!("{}.{}", l.object, l.external_id_field),
                l.integration_user.clone(),
                l.username.clone().unwrap_or_else(|| "(no connection)".into()),
                secret_cell(&l.credential),
                check_cell(&l.credential),
            ]
        })
        .collect();
    table(
        &[
            "LANE",
            "VERSION",
            "TARGET",
            "INTEGRATION USER",
            "ACTS AS",
            "SECRET",
            "LAST CHECK",
        ],
        &rows,
    )
}

fn secret_cell(c: &CredentialStatus) -> String {
    match c.present {
        Some(true) => "present".into(),
        Some(false) => "absent".into(),
        None => "keychain unavailable".into(),
    }
}

fn check_cell(c: &CredentialStatus) -> String {
    match &c.last_check {
        Some(k) if k.ok => format!("ok {}", k.at),
        Some(k) => format!("FAILED {}", k.at),
        None => "never".into(),
    }
}

pub fn credential_status(c: &CredentialStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lane {}  keychain account {} (service replay-console)",
        c.lane_id, c.account
    );
    let _ = writeln!(
        out,
        "  auth        {}",
        c.auth.as_deref().unwrap_or("(no connection block)")
    );
    let _ = writeln!(out, "  secret      {}", secret_cell(c));
    if let Some(e) = &c.keychain_error {
        let _ = writeln!(out, "  keychain    {e}");
    }
    if let Some(at) = &c.set_at {
        let _ = writeln!(out, "  set         {at}");
    }
    match &c.last_check {
        Some(k) => {
            let _ = writeln!(
                out,
                "  last check  {} {}{}{}",
                if k.ok { "ok" } else { "FAILED" },
                k.at,
                k.acts_as
                    .as_deref()
                    .map(|u| format!(", acts as {u}"))
                    .unwrap_or_default(),
                k.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(out, "  last check  never");
        }
    }
    out
}

pub fn lane_detail(d: &LaneDetail) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lane {}  version {}  imported {} from {}",
        d.lane_id, d.version, d.imported_at, d.source_name
    );
    let _ = writeln!(out, "contract sha256 {}", d.sha256);
    // The contract as YAML-like text: every section, every field.
    if let serde_json::Value::Object(sections) = &d.contract {
        for (name, body) in sections {
            let _ = writeln!(out, "\n{name}:");
            write_value(&mut out, body, 1);
        }
    }
    let _ = writeln!(out, "\nversions:");
    for v in &d.versions {
        let _ = writeln!(
            out,
            "  {}  {}  {}  {}",
            v.version,
            v.imported_at,
            &v.sha256[..12.min(v.sha256.len())],
            v.source_name
        );
    }
    out
}

fn write_value(out: &mut String, v: &serde_json::Value, depth: usize) {
    let pad = "  ".repeat(depth);
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match v {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        let _ = writeln!(out, "{pad}{k}:");
                        write_value(out, v, depth + 1);
                    }
                    other => {
                        let _ = writeln!(out, "{pad}{k}: {}", scalar(other));
                    }
                }
            }
        }
        serde_json::Value::Array(items) => {
            if items.is_empty() {
                let _ = writeln!(out, "{pad}(none)");
            }
            for i in items {
                let _ = writeln!(out, "{pad}- {}", scalar(i));
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(not set)".into(),
        other => other.to_string(),
    }
}

pub fn imported(r: &ImportOutcome) -> String {
    let mut s = match r.import_id {
        Some(id) => format!(
            "{}: imported {} new event{} as import #{id} ({} record{} read, {} already present)",
            r.source,
            r.inserted,
            if r.inserted == 1 { "" } else { "s" },
            r.records,
            if r.records == 1 { "" } else { "s" },
            r.unchanged
        ),
        None => format!(
            "{}: nothing new; all {} record{} already present with the same content",
            r.source,
            r.records,
            if r.records == 1 { " is" } else { "s are" }
        ),
    };
    if r.missing_external_id > 0 {
        let _ = write!(
            s,
            "\n  {} event{} without external_id, flagged external_id_missing",
            r.missing_external_id,
            if r.missing_external_id == 1 { "" } else { "s" }
        );
    }
    s
}

pub fn events(page: &EventPage) -> String {
    if page.events.is_empty() {
        return "no events match\n".into();
    }
    let rows: Vec<Vec<String>> = page
        .events
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.lane_id.clone(),
                e.event_key.clone(),
                e.external_id.clone().unwrap_or_else(|| "(missing)".into()),
                e.status.as_str().to_string(),
                e.failure_code.clone().unwrap_or_default(),
                e.occurred_at.clone(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "ID",
            "LANE",
            "EVENT KEY",
            "EXTERNAL ID",
            "STATUS",
            "FAILURE",
            "OCCURRED",
        ],
        &rows,
    );
    if let Some(c) = &page.next_cursor {
        let _ = writeln!(out, "more: --after {c}");
    }
    out
}

/// `events groups`: one line per group, then the signature and an example message beneath.
pub fn groups(v: &crate::services::groups::GroupsView) -> String {
    if v.groups.is_empty() {
        return "no failed events to group\n".into();
    }
    let rows: Vec<Vec<String>> = v
        .groups
        .iter()
        .map(|g| {
            vec![
                g.key.clone(),
                g.lane_id.clone(),
                g.failure_code.clone().unwrap_or_else(|| "(none)".into()),
                g.count.to_string(),
                g.open.to_string(),
                g.statuses
                    .iter()
                    .map(|c| format!("{} {}", c.status.as_str(), c.count))
                    .collect::<Vec<_>>()
                    .join(", "),
                g.first_seen.clone(),
                g.last_seen.clone(),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "GROUP",
            "LANE",
            "FAILURE",
            "EVENTS",
            "OPEN",
            "STATUSES",
            "FIRST SEEN",
            "LAST SEEN",
        ],
        &rows,
    );
    out.push('\n');
    for g in &v.groups {
        let _ = writeln!(out, "{}  {}", g.key, g.signature);
        if g.messages > 1 {
            let _ = writeln!(out, "              {} distinct messages", g.messages);
        }
    }
    let _ = writeln!(
        out,
        "\n{} groups over {} events; replay batch --group GROUP takes a group's batch preflight",
        v.groups.len(),
        v.events
    );
    out
}

pub fn event_detail(d: &EventDetail) -> String {
    let e = &d.summary;
    let mut out = String::new();
    use super::safe::value;
    let _ = writeln!(out, "event {}  {} / {}", e.id, e.lane_id, value(&e.event_key));
    let _ = writeln!(out, "  status       {}", e.status.as_str());
    let _ = writeln!(
        out,
        "  target       {} {}",
        e.object,
        value(e.external_id.as_deref().unwrap_or("(external_id missing)"))
    );
    let _ = writeln!(out, "  operation    {} from {}", e.operation.as_str(), d.source_system);
    let _ = writeln!(out, "  occurred     {}", e.occurred_at);
    if let Some(code) = &e.failure_code {
        let status = d
            .failure_http_status
            .map(|s| format!(" (HTTP {s})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  failure      {}{status}: {}",
            value(code),
            value(e.failure_message.as_deref().unwrap_or(""))
        );
    }
    let _ = writeln!(
        out,
        "  imported     import #{} under lane version {}",
        d.import_id, d.lane_version
    );
    let t = &d.triage;
    if t.assignee.is_some() || t.investigating || !t.tags.is_empty() {
        let _ = writeln!(
            out,
            "  triage       {}{}{}",
            t.assignee
                .as_deref()
                .map(|a| format!("assigned to {}", value(a)))
                .unwrap_or_else(|| "unassigned".into()),
            if t.investigating { ", being investigated" } else { "" },
            if t.tags.is_empty() {
                String::new()
            } else {
                format!(", tags {}", t.tags.join(" "))
            }
        );
    }
    for n in &t.notes {
        let _ = writeln!(out, "  note         {} {}: {}", n.at, value(&n.author), value(&n.text));
    }
    for a in &d.attempts {
        let _ = writeln!(
            out,
            "  attempt {}  {} by {} at {}{}  reason: {}",
            a.id,
            a.outcome,
            value(&a.operator),
            a.started_at,
            a.http_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
            value(&a.reason)
        );
    }
    let _ = writeln!(out, "  payload");
    let pretty = serde_json::to_string_pretty(&d.payload).unwrap_or_default();
    for l in pretty.lines() {
        let _ = writeln!(out, "    {l}");
    }
    out
}

// ---- audit log -------------------------------------------------------------------------------

/// Reasons and names come from people and files: keep a table row one line, whatever they hold.
pub(super) fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max - 1).collect::<String>())
    } else {
        flat
    }
}

pub(super) fn ids_line(ids: &[i64]) -> String {
    const SHOWN: usize = 20;
    let mut s = ids
        .iter()
        .take(SHOWN)
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        let _ = write!(s, ", ... ({} in all)", ids.len());
    }
    s
}
