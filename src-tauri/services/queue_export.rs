//! The remaining failures of a filter as a CSV that Salesforce Data Loader reads (`events
//! export-csv`, the queue's "Export for Data Loader…"): one row per event, one column per field,
//! the lane's external-ID field first so the file upserts by it. For teams that finish a
//! recovery in Data Loader; what Data Loader would write blindly, the console keeps out:
//! protected fields are left out (and named), events without an external ID are left out
//! (counted), an edited payload is used only once approved. Written to a temp file beside the
//! target and renamed into place when complete; audited.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::groups;
use crate::error::{Error, Result};
use crate::services::events::{filter_of, EventQuery};
use crate::services::{audit, lanes};
use crate::store;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Events read per page.
const PAGE: i64 = 1000;

/// How Data Loader is told to set a field to null (with "Insert null values" off, an empty
/// cell leaves the field as it is).
pub const NULL_CELL: &str = "#N/A";

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct QueueExportRequest {
    /// The queue's filter; its lane is required (Data Loader loads one object per run), its
    /// status may be `failed` or `blocked` (default both).
    pub query: EventQuery,
    /// A failure group's key: only its events.
    #[serde(default)]
    #[ts(optional)]
    pub group: Option<String>,
    pub path: String,
    /// Replace the file if it exists.
    #[serde(default)]
    pub force: bool,
    /// Who exports (the audit's actor); empty: the OS user.
    #[serde(default)]
    pub exported_by: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct QueueExportOutcome {
    pub path: String,
    pub rows: u64,
    /// The header, in order: the external-ID field, then the payload fields.
    pub columns: Vec<String>,
    pub object: String,
    pub external_id_field: String,
    /// Events left out because they carry no external ID (Data Loader could not upsert them).
    pub without_external_id: u64,
    /// The lane's protected fields found in payloads and left out of the file.
    pub protected_left_out: Vec<String>,
    /// Rows written from an approved edit instead of the imported payload.
    pub edited: u64,
    /// Events whose current edit awaits approval: written with their imported payload.
    pub unapproved_edits: u64,
    /// Cells a spreadsheet would read as formulas (see [`formula_like`]): written as they are
    /// (Data Loader loads text as text, and changing them would change the records), but said.
    pub formula_like_cells: u64,
}

/// Whether a spreadsheet would take a cell's text for a formula (OWASP's CSV-injection list):
/// `=`, `@`, a tab or a carriage return first; `+` or `-` first unless the rest is a number or a
/// phone number (digits, spaces and `().-/+`), which is data, not a formula.
pub fn formula_like(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !chars.all(|c| c.is_ascii_digit() || " ().-/+".contains(c)),
        _ => false,
    }
}

/// One cell: text as it is, numbers and booleans as JSON writes them, null as [`NULL_CELL`],
/// anything nested as JSON text.
pub fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => NULL_CELL.to_string(),
        other => other.to_string(),
    }
}

struct Row {
    external_id: Option<String>,
    payload: Map<String, Value>,
}

/// Reads the filter's events page by page and calls `each` with each kept row.
async fn each_row(
    app: &App,
    filter: &store::events::Filter,
    signature: Option<&str>,
    counts: &mut (u64, u64),
    mut each: impl FnMut(Row) -> Result<()>,
) -> Result<()> {
    let mut after = 0;
    loop {
        let page = store::events::page_payloads(&app.pool, filter, after, PAGE).await?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.0;
        let ids: Vec<i64> = page.iter().map(|r| r.0).collect();
        let revisions: HashMap<i64, store::revisions::RevisionRow> = store::revisions::current_many(&app.pool, &ids)
            .await?
            .into_iter()
            .map(|r| (r.event_id, r))
            .collect();
        for (id, external_id, message, payload) in page {
            if signature.is_some_and(|s| groups::signature(message.as_deref().unwrap_or("")) != s) {
                continue;
            }
            let text = match revisions.get(&id) {
                Some(r) if r.approved_by.is_some() => {
                    counts.0 += 1;
                    r.payload.clone()
                }
                Some(_) => {
                    counts.1 += 1;
                    payload
                }
                None => payload,
            };
            let payload = match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return Err(Error::Io(format!(
                        "the stored payload of event {id} is not a JSON object"
                    )))
                }
            };
            each(Row { external_id, payload })?;
        }
    }
}

pub async fn export(app: &App, req: &QueueExportRequest) -> Result<QueueExportOutcome> {
    let mut query = req.query.clone();
    let mut signature = None;
    if let Some(key) = &req.group {
        let g = crate::services::groups::find(app, key).await?;
        if query.lane_id.as_ref().is_some_and(|l| *l != g.lane_id) {
            return Err(Error::InvalidInput(format!(
                "failure group {} is lane {}'s",
                g.key, g.lane_id
            )));
        }
        query.lane_id = Some(g.lane_id.clone());
        query.failure_code = g.failure_code.clone();
        signature = Some(g.signature.clone());
    }
    let Some(lane) = query.lane_id.clone() else {
        return Err(Error::InvalidInput(
            "--lane: Data Loader loads one object per run, so an export takes one lane".into(),
        ));
    };
    let mut filter = filter_of(&query)?;
    match filter.status.as_deref() {
        None => filter.statuses = vec!["failed".into(), "blocked".into()],
        Some("failed" | "blocked") => {}
        Some(s) => {
            return Err(Error::InvalidInput(format!(
                "--status {s}: the export holds the remaining failures (failed or blocked)"
            )))
        }
    }
    let (version, contract) = lanes::contract(app, &lane).await?;
    let ext_field = contract.identity_policy.external_id_field.as_str().to_string();
    let protected: Vec<String> = contract
        .write_policy
        .protected_fields
        .iter()
        .map(|f| f.as_str().to_string())
        .collect();
    let is_protected = |f: &str| protected.iter().any(|p| p.eq_ignore_ascii_case(f));
    let out = PathBuf::from(req.path.trim());
    if out.as_os_str().is_empty() {
        return Err(Error::InvalidInput("--out: name the CSV file to write".into()));
    }
    if !req.force && std::fs::symlink_metadata(&out).is_ok() {
        return Err(Error::InvalidInput(format!(
            "{} exists; an export never overwrites without --force",
            out.display()
        )));
    }

    // Pass 1: the columns (every payload field of the kept rows), protected ones set aside.
    let mut fields = BTreeSet::new();
    let mut left_out = BTreeSet::new();
    let mut counts = (0, 0);
    each_row(app, &filter, signature.as_deref(), &mut counts, |r| {
        if r.external_id.is_some() {
            for k in r.payload.keys() {
                if is_protected(k) {
                    left_out.insert(k.clone());
                } else if !k.eq_ignore_ascii_case(&ext_field) {
                    fields.insert(k.clone());
                }
            }
        }
        Ok(())
    })
    .await?;
    let mut columns = vec![ext_field.clone()];
    columns.extend(fields);

    let (rows, missing, counts, formulas) =
        write_file(app, &filter, signature.as_deref(), &columns, &out, req.force).await?;

    let outcome = QueueExportOutcome {
        path: absolute(&out),
        rows,
        columns,
        object: contract.identity_policy.object.as_str().to_string(),
        external_id_field: ext_field,
        without_external_id: missing,
        protected_left_out: left_out.into_iter().collect(),
        edited: counts.0,
        unapproved_edits: counts.1,
        formula_like_cells: formulas,
    };
    let actor = match req.exported_by.trim() {
        "" => crate::services::holder::os_user(),
        s => s.to_string(),
    };
    let mut tx = store::write_tx(&app.pool).await?;
    audit::record(
        &mut tx,
        &AuditDraft {
            action: "queue_exported".into(),
            actor,
            lane_id: Some(lane),
            lane_version: Some(version),
            record_type: Some(outcome.object.clone()),
            detail: serde_json::json!({
                "path": outcome.path,
                "rows": outcome.rows,
                "columns": outcome.columns,
                "filter": query,
                "group": req.group,
                "without_external_id": outcome.without_external_id,
                "protected_left_out": outcome.protected_left_out,
                "edited": outcome.edited,
                "unapproved_edits": outcome.unapproved_edits,
                "formula_like_cells": outcome.formula_like_cells,
            }),
            ..AuditDraft::default()
        },
    )
    .await?;
    tx.commit().await?;
    app.checkpoint_soon();
    Ok(outcome)
}

/// Pass 2: the rows into a temp file beside `out`, renamed into place when complete (nothing is
/// left under the name on failure). Returns rows written, rows without an external ID,
/// (rows from approved edits, rows whose edit awaits approval), and cells a spreadsheet would
/// take for formulas.
async fn write_file(
    app: &App,
    filter: &store::events::Filter,
    signature: Option<&str>,
    columns: &[String],
    out: &Path,
    force: bool,
) -> Result<(u64, u64, (u64, u64), u64)> {
    let (file, tmp) = crate::services::audit::files::create_temp_beside(out)
        .map_err(|e| Error::Io(format!("cannot create a temp file beside {}: {e}", out.display())))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let io = |e: csv::Error| Error::Io(format!("writing {}: {e}", out.display()));
    let written = async {
        w.write_record(columns).map_err(io)?;
        let (mut rows, mut missing, mut formulas) = (0u64, 0u64, 0u64);
        let mut counts = (0, 0);
        each_row(app, filter, signature, &mut counts, |r| {
            let Some(ext) = r.external_id else {
                missing += 1;
                return Ok(());
            };
            let mut record = Vec::with_capacity(columns.len());
            record.push(ext);
            for c in &columns[1..] {
                let text = r.payload.get(c).map(cell).unwrap_or_default();
                formulas += u64::from(formula_like(&text));
                record.push(text);
            }
            formulas += u64::from(formula_like(&record[0]));
            w.write_record(&record).map_err(io)?;
            rows += 1;
            Ok(())
        })
        .await?;
        let mut inner = w
            .into_inner()
            .map_err(|e| Error::Io(format!("writing {}: {e}", out.display())))?;
        inner
            .flush()
            .map_err(|e| Error::Io(format!("writing {}: {e}", out.display())))?;
        inner
            .get_ref()
            .sync_all()
            .map_err(|e| Error::Io(format!("writing {}: {e}", out.display())))?;
        Ok::<_, Error>((rows, missing, counts, formulas))
    }
    .await;
    let (rows, missing, counts, formulas) = match written {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = crate::services::audit::files::place(&tmp, out, force) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io(format!("cannot write {}: {e}", out.display())));
    }
    crate::services::audit::files::sync_dir(out);
    Ok((rows, missing, counts, formulas))
}

fn absolute(p: &Path) -> String {
    std::path::absolute(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_are_what_data_loader_reads() {
        assert_eq!(cell(&json!("Denver")), "Denver");
        assert_eq!(cell(&json!(2500000)), "2500000");
        assert_eq!(cell(&json!(12.5)), "12.5");
        assert_eq!(cell(&json!(true)), "true");
        assert_eq!(cell(&Value::Null), "#N/A");
        assert!(formula_like("=HYPERLINK(\"http://x\")") && formula_like("+SUM(A1)") && formula_like("@SUM(A1)"));
        assert!(formula_like("-2+3+cmd|' /C calc'!A0") && formula_like("\tx"));
        assert!(!formula_like("+1 416 555 3567") && !formula_like("-2.5") && !formula_like("+44 (0)20 7946-0000"));
        assert!(!formula_like("Acme = fine") && !formula_like(""));
        assert_eq!(cell(&json!({"a": 1})), "{\"a\":1}");
    }
}
