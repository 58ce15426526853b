//! Text rendering for the terminal. JSON output never goes through here.

use crate::domain::replay::ReplayResult;
use crate::services::credentials::CredentialStatus;
use crate::services::events::{EventDetail, EventPage};
use crate::services::import::ImportOutcome;
use crate::services::lanes::{LaneChange, LaneDetail, LaneImported, LaneSummary};
use crate::services::preflight::PreflightView;
use std::fmt::Write;

/// Left-aligned columns, two spaces apart.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
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

pub fn event_detail(d: &EventDetail) -> String {
    let e = &d.summary;
    let mut out = String::new();
    let _ = writeln!(out, "event {}  {} / {}", e.id, e.lane_id, e.event_key);
    let _ = writeln!(out, "  status       {}", e.status.as_str());
    let _ = writeln!(
        out,
        "  target       {} {}",
        e.object,
        e.external_id.as_deref().unwrap_or("(external_id missing)")
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
            "  failure      {code}{status}: {}",
            e.failure_message.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(
        out,
        "  imported     import #{} under lane version {}",
        d.import_id, d.lane_version
    );
    for a in &d.attempts {
        let _ = writeln!(
            out,
            "  attempt {}  {} by {} at {}{}  reason: {}",
            a.id,
            a.outcome,
            a.operator,
            a.started_at,
            a.http_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(),
            a.reason
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

pub fn audit_page(page: &crate::services::audit::AuditPage) -> String {
    if page.entries.is_empty() {
        return "no audit entries match\n".into();
    }
    let rows: Vec<Vec<String>> = page
        .entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                e.at.clone(),
                e.action.clone(),
                e.actor.clone(),
                e.lane_id.clone().unwrap_or_default(),
                e.event_id.map(|v| v.to_string()).unwrap_or_default(),
                e.external_id.clone().unwrap_or_default(),
                e.outcome.clone().unwrap_or_default(),
                one_line(e.reason.as_deref().unwrap_or(""), 40),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "SEQ",
            "AT",
            "ACTION",
            "OPERATOR",
            "LANE",
            "EVENT",
            "EXTERNAL ID",
            "OUTCOME",
            "REASON",
        ],
        &rows,
    );
    if let Some(n) = page.next_after {
        let _ = writeln!(out, "more: --after {n}");
    }
    out
}

/// Reasons and names come from people and files: keep a table row one line, whatever they hold.
fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max - 1).collect::<String>())
    } else {
        flat
    }
}

pub fn audit_entry_detail(d: &crate::services::audit::AuditEntryDetail) -> String {
    let e = &d.entry;
    let mut out = String::new();
    let _ = writeln!(out, "audit entry {}  {}  {}", e.seq, e.at, e.action);
    let field = |out: &mut String, name: &str, v: Option<String>| {
        if let Some(v) = v {
            let _ = writeln!(out, "  {name:<17}{}", v.replace('\n', "\n                   "));
        }
    };
    field(&mut out, "operator", Some(e.actor.clone()));
    field(&mut out, "os user @ host", Some(format!("{} @ {}", e.os_user, e.host)));
    field(
        &mut out,
        "lane",
        e.lane_id.as_ref().map(|l| {
            format!(
                "{l}{}",
                e.lane_version.map(|v| format!(" (version {v})")).unwrap_or_default()
            )
        }),
    );
    field(&mut out, "event", e.event_id.map(|v| v.to_string()));
    field(&mut out, "attempt", e.attempt_id.map(|v| v.to_string()));
    field(&mut out, "batch", e.batch_id.map(|v| v.to_string()));
    field(&mut out, "integration user", e.integration_user.clone());
    field(&mut out, "external id", e.external_id.clone());
    field(&mut out, "record type", e.record_type.clone());
    field(&mut out, "operation", e.operation_type.clone());
    field(&mut out, "reason", e.reason.clone());
    field(&mut out, "acknowledgment", e.ack_token.clone());
    field(&mut out, "outcome", e.outcome.clone());
    let _ = writeln!(
        out,
        "  hash             {} ({})",
        e.hash,
        if d.hash_ok {
            "matches the content"
        } else {
            "DOES NOT match the content"
        }
    );
    let _ = writeln!(
        out,
        "  prev_hash        {} ({})",
        e.prev_hash,
        match d.link_ok {
            Some(true) => "links to the previous entry",
            Some(false) => "DOES NOT link to the previous entry",
            None => "the previous entry is missing",
        }
    );
    if let Some(diff) = &d.diff {
        let _ = writeln!(out, "\nbefore / after:");
        let show = |v: &Option<serde_json::Value>| match v {
            None => "(absent)".to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let rows: Vec<Vec<String>> = diff
            .iter()
            .map(|c| {
                vec![
                    if c.changed { "*".into() } else { String::new() },
                    c.field.clone(),
                    one_line(&show(&c.before), 50),
                    one_line(&show(&c.after), 50),
                ]
            })
            .collect();
        for l in table(&["", "FIELD", "BEFORE", "AFTER"], &rows).lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    let _ = writeln!(out, "\ndetail:");
    let pretty = serde_json::to_string_pretty(&d.detail).unwrap_or_default();
    for l in pretty.lines() {
        let _ = writeln!(out, "  {l}");
    }
    out
}

pub fn audit_verify(r: &crate::services::audit::AuditVerifyReport) -> String {
    let mut out = String::new();
    // An acknowledged loss is not a failure, but the log is not "intact" either.
    let unproven_upto = r.losses.iter().map(|l| l.unproven_last).max();
    match (r.ok, r.verified_first, r.verified_last) {
        (true, Some(a), Some(b)) if unproven_upto.is_some() => {
            let _ = writeln!(
                out,
                "audit log verified from entry {} to {b} ({} entries read); entries {a} to {} are NOT proven: an acknowledged checkpoint loss",
                unproven_upto.unwrap_or(0) + 1,
                r.entries,
                unproven_upto.unwrap_or(0)
            );
        }
        (true, Some(a), Some(b)) => {
            let _ = writeln!(
                out,
                "audit log intact: entries {a} to {b} verified ({} entries)",
                r.entries
            );
        }
        (true, _, _) => {
            let _ = writeln!(out, "audit log intact: it is empty");
        }
        (false, _, _) => {
            let _ = writeln!(out, "AUDIT LOG PROBLEM");
            if let (Some(a), Some(b)) = (r.verified_first, r.verified_last) {
                let _ = writeln!(out, "  chain verified   entries {a} to {b}");
            }
        }
    }
    if let (Some(s), Some(h)) = (r.head_seq, &r.head_hash) {
        let _ = writeln!(out, "  head             entry {s}, hash {h}");
    }
    for (i, p) in r.problems.iter().enumerate() {
        let at = p.seq.map(|s| format!(" at entry {s}")).unwrap_or_default();
        let label = if i == 0 { "first problem" } else { "also" };
        let kind = serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(out, "  {label:<17}{kind}{at}: {}", p.message);
    }
    let state = serde_json::to_value(r.checkpoint.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  checkpoint       {state}{}: {}",
        r.checkpoint.seq.map(|s| format!(" (entry {s})")).unwrap_or_default(),
        r.checkpoint.message
    );
    if let Some(f) = r.macs_from {
        let _ = writeln!(
            out,
            "  MACs             entries carry MACs from entry {f}; {} checked against the log's key",
            r.macs_checked
        );
    }
    if let Some(h) = &r.keychain_head {
        let _ = writeln!(
            out,
            "  keychain head    entry {} ({}) recorded {}",
            h.seq,
            &h.hash[..h.hash.len().min(16)],
            h.at
        );
    }
    for l in &r.losses {
        let state = match &l.acknowledged {
            Some(a) => format!("acknowledged by {} at entry {}: {}", a.reviewer, a.seq, a.reason),
            None => "NOT acknowledged".into(),
        };
        let _ = writeln!(
            out,
            "  checkpoint lost  at entry {} ({}): entries 1 to {} unproven; {state}",
            l.seq, l.why, l.unproven_last
        );
    }
    for n in &r.not_proven {
        let _ = writeln!(out, "  not proven       {n}");
    }
    let _ = writeln!(out, "  took             {} ms", r.elapsed_ms);
    out
}

pub fn audit_loss_acknowledged(l: &crate::services::audit::AuditLoss) -> String {
    let mut out = String::new();
    if let Some(a) = &l.acknowledged {
        let _ = writeln!(
            out,
            "acknowledged the checkpoint loss at entry {} as entry {} (by {}: {}); entries 1 to {} stay reported as unproven",
            l.seq, a.seq, a.reviewer, a.reason, l.unproven_last
        );
    }
    out
}

pub fn audit_continuity(c: &crate::services::audit::export::AuditContinuityCheck) -> String {
    let mut out = String::new();
    if c.extends {
        let _ = writeln!(
            out,
            "{} extends {}: nothing of the earlier export was removed or rewritten",
            c.later.file, c.earlier.file
        );
    } else {
        let _ = writeln!(
            out,
            "NOT AN EXTENSION: {} does not extend {}",
            c.later.file, c.earlier.file
        );
    }
    let _ = writeln!(out, "  overlap          {} entries identical", c.overlap);
    for p in &c.problems {
        let at = p.seq.map(|s| format!(" at entry {s}")).unwrap_or_default();
        let _ = writeln!(out, "  problem{at}: {}", p.message);
    }
    for (name, x) in [("earlier", &c.earlier), ("later", &c.later)] {
        for p in &x.problems {
            let at = p.seq.map(|s| format!(" at entry {s}")).unwrap_or_default();
            let _ = writeln!(out, "  {name} export{at}: {}", p.message);
        }
    }
    for p in &c.proven {
        let _ = writeln!(out, "  proven           {p}");
    }
    for n in &c.not_proven {
        let _ = writeln!(out, "  not proven       {n}");
    }
    out
}

pub fn audit_exported(o: &crate::services::audit::export::AuditExportOutcome) -> String {
    let m = &o.manifest;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "exported {} entr{} to {}{}",
        m.count,
        if m.count == 1 { "y" } else { "ies" },
        o.path,
        match (m.first_seq, m.last_seq) {
            (Some(a), Some(b)) => format!(" (entries {a} to {b})"),
            _ => String::new(),
        }
    );
    let _ = writeln!(out, "  manifest  {}", o.manifest_path);
    let _ = writeln!(out, "  sha256    {}", m.sha256);
    if let Some(h) = &m.head_hash {
        let _ = writeln!(out, "  log head  entry {}, hash {h}", m.head_seq.unwrap_or(0));
    }
    match &m.checkpoint {
        Some(c) => {
            let _ = writeln!(out, "  checkpoint entry {} signed by key {}", c.seq, c.key_id);
        }
        None => {
            let _ = writeln!(out, "  checkpoint none (the log has no signed checkpoint)");
        }
    }
    out
}

pub fn audit_export_check(c: &crate::services::audit::export::AuditExportCheck) -> String {
    let mut out = String::new();
    if c.ok {
        let _ = writeln!(out, "export verified: {} ({} entries)", c.file, c.entries);
    } else {
        let _ = writeln!(out, "EXPORT DOES NOT VERIFY: {}", c.file);
    }
    for p in &c.problems {
        let at = p.seq.map(|s| format!(" at entry {s}")).unwrap_or_default();
        let kind = serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(out, "  problem     {kind}{at}: {}", p.message);
    }
    for p in &c.proven {
        let _ = writeln!(out, "  proven      {p}");
    }
    for n in &c.not_proven {
        let _ = writeln!(out, "  not proven  {n}");
    }
    out
}

pub fn audit_checkpoint(w: &crate::services::audit::AuditCheckpointWritten) -> String {
    match &w.checkpoint {
        None => "the audit log is empty: no checkpoint\n".into(),
        Some(c) if w.advanced => format!(
            "checkpoint advanced to entry {} (was {}), signed by key {}: {}\n",
            c.seq,
            w.previous_seq.map_or("none".into(), |s| s.to_string()),
            c.key_id,
            w.path
        ),
        Some(c) => format!("checkpoint already at the head (entry {}), key {}\n", c.seq, c.key_id),
    }
}

pub fn preflight(v: &PreflightView) -> String {
    use crate::domain::preflight::{OwnerKind, Severity, Target};
    let p = &v.preflight;
    let e = &p.event;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "preflight #{} of event {} ({} / {}), taken {}",
        v.preflight_id, e.event_id, e.lane_id, e.event_key, p.taken_at
    );
    let _ = writeln!(out, "  valid until  {} ({} minutes)", v.expires_at, v.max_age_minutes);
    let _ = writeln!(
        out,
        "  writes as    {} (integration user {})",
        p.acts_as, p.integration_user
    );
    let lp = &p.lane_policy;
    if !lp.business_owner.is_empty() {
        let _ = writeln!(
            out,
            "  policy of    {} (business owner), {} (technical owner); alerts to {}; system of record {}; lane writes by {}",
            lp.business_owner, lp.technical_owner, lp.alert_owner, lp.system_of_record, lp.write_operation
        );
    }
    if e.operation != "upsert" {
        let _ = writeln!(out, "  operation    the event's own: {}", e.operation);
    }
    match &p.target {
        Target::NotFound if p.request.kind != crate::domain::preflight::WriteKind::Create => {
            let _ = writeln!(
                out,
                "  target       no {} with this external ID, and this replay may not create one",
                e.object
            );
        }
        Target::Found { record } => {
            let _ = writeln!(
                out,
                "  target       {} {} found; last modified {} by {}{}",
                e.object,
                record.id,
                record.last_modified_date,
                p.last_modified_by
                    .as_ref()
                    .and_then(|u| u.name.clone())
                    .or_else(|| record.last_modified_by_id.clone())
                    .unwrap_or_else(|| "?".into()),
                if p.modified_after_event {
                    " (after the event)"
                } else {
                    ""
                }
            );
        }
        Target::NotFound => {
            let _ = writeln!(
                out,
                "  target       no {} with this external ID: a replay would create one",
                e.object
            );
        }
        Target::Several { ids } => {
            let _ = writeln!(
                out,
                "  target       {} records share the external ID: {}",
                ids.len(),
                ids.join(", ")
            );
        }
        Target::NoExternalId => {
            let _ = writeln!(out, "  target       the event has no external ID");
        }
    }
    if let Some(o) = &p.owner {
        let kind = match o.kind {
            OwnerKind::User => "user",
            OwnerKind::Queue => "queue",
            OwnerKind::Unknown => "owner",
        };
        let _ = writeln!(
            out,
            "  owner        {kind} {} ({}){}{}",
            o.name.as_deref().unwrap_or("?"),
            o.id,
            if o.active == Some(false) { ", INACTIVE" } else { "" },
            if p.owner_is_fallback {
                ", the lane's fallback owner"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        out,
        "  last write   event failed with {}{}",
        e.failure_code.as_deref().unwrap_or("(no code)"),
        p.latest_attempt
            .as_ref()
            .map(|a| format!(
                "; our last attempt #{} {} by {} at {}",
                a.attempt_id, a.outcome, a.operator, a.at
            ))
            .unwrap_or_default()
    );
    if !p.changes.is_empty() {
        let rows: Vec<Vec<String>> = p
            .changes
            .iter()
            .map(|c| {
                vec![
                    c.field.clone(),
                    c.current.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                    c.replay.to_string(),
                    if !c.sent {
                        "not sent (protected)".into()
                    } else if c.changes {
                        "changes".into()
                    } else {
                        "same".into()
                    },
                ]
            })
            .collect();
        let _ = writeln!(out, "\n  planned change");
        for l in table(&["FIELD", "CURRENT", "REPLAY", ""], &rows).lines() {
            let _ = writeln!(out, "    {l}");
        }
    }
    let _ = writeln!(out, "\n  findings");
    if p.findings.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for f in &p.findings {
        let sev = match f.severity {
            Severity::Blocking => "BLOCKING",
            Severity::Warning => "warning ",
        };
        let _ = writeln!(out, "    {sev} {}: {}", f.code, f.message);
    }
    if !p.side_effects.is_empty() {
        let _ = writeln!(out, "\n  side effects to acknowledge");
        for s in &p.side_effects {
            let _ = writeln!(out, "    - {}", s.text);
        }
    }
    if p.request.kind != crate::domain::preflight::WriteKind::None {
        let _ = writeln!(
            out,
            "\n  request      {} /sobjects/{}{}",
            p.request.method,
            p.request.path.join("/"),
            // A create is `POST /sobjects/{Object}/`, as Salesforce documents it.
            if p.request.kind == crate::domain::preflight::WriteKind::Create {
                "/"
            } else {
                ""
            }
        );
        for (k, val) in &p.request.headers {
            let _ = writeln!(out, "               {k}: {val}");
        }
        let _ = writeln!(
            out,
            "               {}",
            serde_json::Value::Object(p.request.body.clone())
        );
    }
    if p.blocking().next().is_some() {
        let _ = writeln!(out, "\nreplay is blocked by the findings above");
    } else {
        let _ = writeln!(out, "\nacknowledgment token: {}", p.ack_token);
        let _ = writeln!(
            out,
            "replay with: replay-console replay {} --operator NAME --reason TEXT --ack {}",
            e.event_id, p.ack_token
        );
    }
    out
}

pub fn replay_result(r: &ReplayResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "event {} attempt {}: {} (as {})",
        r.event_id,
        r.attempt_id,
        r.outcome.as_str(),
        r.written_as
    );
    let _ = writeln!(out, "  {}", r.message);
    if let Some(pv) = &r.post_verify {
        let _ = writeln!(
            out,
            "  post-verify: {}",
            if pv.matches {
                "the record holds every value sent"
            } else {
                "MISMATCH"
            }
        );
        for f in pv.fields.iter().filter(|f| !f.matches) {
            let _ = writeln!(
                out,
                "    {}: sent {}, record has {}",
                f.field,
                f.intended,
                f.actual
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "nothing".into())
            );
        }
        if let Some(e) = &pv.error {
            let _ = writeln!(out, "    {e}");
        }
    }
    out
}

fn ids_line(ids: &[i64]) -> String {
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

/// What a batch preflight found, counted.
fn batch_aggregate(out: &mut String, a: &crate::domain::batch::BatchAggregate) {
    let _ = writeln!(out, "  would update:          {}", a.would_update);
    let _ = writeln!(out, "  would create:          {}", a.would_create);
    let _ = writeln!(out, "  blocked (skipped):     {}", a.blocked);
    for (code, n) in &a.blocked_by {
        let _ = writeln!(out, "    {code}: {n}");
    }
    let _ = writeln!(out, "  would change owner:    {}", a.change_owner);
    let _ = writeln!(out, "  touch protected field: {}", a.touch_protected);
    for (code, n) in &a.warnings_by {
        let _ = writeln!(out, "  warning {code}: {n}");
    }
}

pub fn batch_plan(p: &crate::services::batch::BatchPlan) -> String {
    let a = &p.aggregate;
    let mut out = String::new();
    let _ = writeln!(out, "batch {} (lane {}): {} events", p.batch_id, p.lane_id, a.total);
    batch_aggregate(&mut out, a);
    let blocked: Vec<i64> = p
        .events
        .iter()
        .filter(|e| !e.blocking.is_empty())
        .map(|e| e.event_id)
        .collect();
    if !blocked.is_empty() {
        let _ = writeln!(out, "  blocked events: {}", ids_line(&blocked));
    }
    // What running the batch acknowledges: the side effects of the events it would write.
    let mut effects: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for e in p.events.iter().filter(|e| e.blocking.is_empty()) {
        for code in &e.side_effects {
            *effects.entry(code.as_str()).or_default() += 1;
        }
    }
    if !effects.is_empty() {
        let _ = writeln!(out, "  side effects (running with --ack acknowledges each):");
        for (code, n) in &effects {
            let _ = writeln!(out, "    {code}: {n} events");
        }
    }
    let _ = writeln!(out, "  Salesforce calls: {}", p.api_calls);
    let _ = writeln!(out, "  per-event detail: replay batch show {}", p.batch_id);
    let _ = writeln!(
        out,
        "acknowledgment token: {} (valid until {})",
        p.ack_token, p.expires_at
    );
    out
}

pub fn batch_summary(s: &crate::services::batch::BatchSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "batch {}: {}", s.batch_id, s.status);
    let _ = writeln!(out, "  {}", s.message);
    let _ = writeln!(out, "  updated: {}  created: {}", s.updated.len(), s.created.len());
    let list = |out: &mut String, label: &str, ids: &[i64]| {
        if !ids.is_empty() {
            let _ = writeln!(out, "  {label} ({}): {}", ids.len(), ids_line(ids));
        }
    };
    // Grouped by code, in order of size: what an operator acts on is the cause, then the events.
    let skipped = |out: &mut String, label: &str, v: &[crate::services::batch::SkippedEvent]| {
        if v.is_empty() {
            return;
        }
        let _ = writeln!(out, "  {label} ({}):", v.len());
        let mut by_code: Vec<(&str, Vec<i64>, &str)> = Vec::new();
        for e in v {
            match by_code.iter_mut().find(|(c, _, _)| *c == e.code) {
                Some((_, ids, _)) => ids.push(e.event_id),
                None => by_code.push((&e.code, vec![e.event_id], &e.message)),
            }
        }
        by_code.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        for (code, ids, message) in by_code {
            let _ = writeln!(out, "    {code} ({}): {}", ids.len(), ids_line(&ids));
            if !message.is_empty() {
                let _ = writeln!(out, "      e.g. {}", one_line(message, 160));
            }
        }
    };
    skipped(&mut out, "blocked, not written", &s.blocked);
    list(
        &mut out,
        "changed since the preflight, not written (412)",
        &s.changed_since_preflight,
    );
    skipped(&mut out, "rejected by Salesforce", &s.rejected);
    list(&mut out, "UNKNOWN OUTCOME, run `verify` on each", &s.unknown_outcome);
    list(&mut out, "already attempted in this batch", &s.already_attempted);
    skipped(&mut out, "skipped", &s.skipped);
    list(&mut out, "not started", &s.not_started);
    list(&mut out, "post-verify mismatch", &s.post_verify_mismatches);
    let _ = writeln!(out, "  retries: {}", s.retries);
    if let Some(n) = s.api_calls {
        let _ = writeln!(out, "  Salesforce calls: {n}");
    }
    let _ = writeln!(out, "  every event and its outcome: replay batch show {}", s.batch_id);
    out
}

pub fn batch_detail(d: &crate::services::batch::BatchDetail) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "batch {} (lane {}): {}, planned {} by {}, token {}",
        d.batch_id, d.lane_id, d.status, d.created_at, d.planned_by, d.ack_token
    );
    if let Some(sel) = &d.selection {
        let mut parts = vec![format!("lane {}", sel.lane_id)];
        parts.push(format!(
            "status {}",
            sel.status.as_deref().unwrap_or("failed or blocked")
        ));
        if let Some(c) = &sel.reason_code {
            parts.push(format!("reason code {c}"));
        }
        if let Some(ids) = &sel.ids {
            parts.push(format!("{} listed event ids", ids.len()));
        }
        let _ = writeln!(out, "  selection: {}", parts.join(", "));
    }
    if let (Some(o), Some(r)) = (&d.operator, &d.reason) {
        let _ = writeln!(out, "  executed by {o}: {r}");
    }
    if let (Some(started), Some(finished)) = (&d.started_at, &d.finished_at) {
        let _ = writeln!(out, "  first run started {started}, last run ended {finished}");
    }
    if let Some(a) = &d.aggregate {
        batch_aggregate(&mut out, a);
    }
    // Outcomes over every run of the batch, from each event's attempt under it.
    let mut outcomes: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for e in &d.events {
        let key = match (&e.outcome, e.blocking.is_empty()) {
            (Some(o), _) => o.as_str(),
            (None, false) => "skipped (blocked)",
            (None, true) => "not attempted",
        };
        *outcomes.entry(key).or_default() += 1;
    }
    let counted: Vec<String> = outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(out, "  outcomes over every run: {}", counted.join(", "));
    if let Some(s) = &d.summary {
        let _ = writeln!(out, "  last run: {}: {}", s.status, s.message);
    }
    for e in &d.events {
        let _ = writeln!(
            out,
            "  event {} {} {}{}{}",
            e.event_id,
            e.external_id.as_deref().unwrap_or("-"),
            match e.kind {
                crate::domain::preflight::WriteKind::Update => "update",
                crate::domain::preflight::WriteKind::Create => "create",
                crate::domain::preflight::WriteKind::None => "no write",
            },
            if e.blocking.is_empty() {
                String::new()
            } else {
                format!(" blocked: {}", e.blocking.join(", "))
            },
            e.outcome.as_deref().map(|o| format!(" -> {o}")).unwrap_or_default()
        );
    }
    out
}
