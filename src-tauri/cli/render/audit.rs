//! Text rendering of the audit commands: pages, one entry, the chain check, exports, checkpoints.

use super::*;

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
