//! Text rendering of batch replays: the plan, the summary, one batch's detail.

use super::*;

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
