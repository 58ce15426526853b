//! Text rendering of a preflight (target, owner, planned change, findings, request) and a replay's result.

use super::*;

pub fn preflight(v: &PreflightView) -> String {
    let p = &v.preflight;
    let mut out = String::new();
    preflight_heading(&mut out, v);
    preflight_target(&mut out, p);
    preflight_owner(&mut out, p);
    preflight_changes(&mut out, p);
    preflight_findings(&mut out, p);
    preflight_request(&mut out, p);
    out
}

/// Which preflight of which event, until when, as whom, under what lane policy.
fn preflight_heading(out: &mut String, v: &PreflightView) {
    let p = &v.preflight;
    let e = &p.event;
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
    if let Some(r) = e.revision {
        let _ = writeln!(
            out,
            "  payload      revision {r}, edited (events revisions {}); its replay needs its approval by someone other than its editor",
            e.event_id
        );
    }
    if e.operation != "upsert" {
        let _ = writeln!(out, "  operation    the event's own: {}", e.operation);
    }
}

/// The target record as found, or why there is none.
fn preflight_target(out: &mut String, p: &Preflight) {
    let object = &p.event.object;
    let line = match &p.target {
        Target::NotFound if p.request.kind != crate::domain::preflight::WriteKind::Create => {
            format!("no {object} with this external ID, and this replay may not create one")
        }
        Target::Found { record } => {
            let by = p
                .last_modified_by
                .as_ref()
                .and_then(|u| u.name.clone())
                .or_else(|| record.last_modified_by_id.clone())
                .unwrap_or_else(|| "?".into());
            let after = if p.modified_after_event {
                " (after the event)"
            } else {
                ""
            };
            format!(
                "{object} {} found; last modified {} by {by}{after}",
                record.id, record.last_modified_date
            )
        }
        Target::NotFound => format!("no {object} with this external ID: a replay would create one"),
        Target::Several { ids } => format!("{} records share the external ID: {}", ids.len(), ids.join(", ")),
        Target::NoExternalId => "the event has no external ID".to_string(),
    };
    let _ = writeln!(out, "  target       {line}");
}

/// The owner and the last write.
fn preflight_owner(out: &mut String, p: &Preflight) {
    let e = &p.event;
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
}

/// The planned change, field by field.
fn preflight_changes(out: &mut String, p: &Preflight) {
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
}

/// The findings and the side effects to acknowledge.
fn preflight_findings(out: &mut String, p: &Preflight) {
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
}

/// The exact request, then the token or why there is none.
fn preflight_request(out: &mut String, p: &Preflight) {
    let e = &p.event;
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
