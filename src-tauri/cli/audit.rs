//! `audit ...`: list, show, verify the chain, export, check an export offline, acknowledge a
//! checkpoint loss, checkpoint, restore the triggers. Each returns its own exit code.

use super::progress::{cancellable, TermProgress};
use super::{emit, print_json, render, AuditCmd};
use crate::app::App;
use crate::error::{Error, Result};
use crate::services::{self, Progress};
use std::sync::Arc;

/// Runs an audit command; returns the exit code. `verify-export` is offline and opens no
/// database; the others open it without the trigger check (they are how a damaged log is
/// examined and repaired).
pub(super) async fn audit(db: &std::path::Path, cmd: AuditCmd, json: bool) -> Result<i32> {
    if let AuditCmd::VerifyExport { file, extends } = &cmd {
        return verify_export(file, extends.as_deref(), json).await;
    }
    let app = App::open_unguarded(db).await?;
    let r = audit_with(&app, cmd, json).await;
    app.close().await;
    r
}

/// `audit verify-export FILE [--extends EARLIER]`: offline; exit 1 unless everything holds.
async fn verify_export(file: &std::path::Path, extends: Option<&std::path::Path>, json: bool) -> Result<i32> {
    let ok = match extends {
        None => {
            let c = services::audit::export::verify_export(file).await?;
            emit(json, &c, render::audit_export_check)?;
            c.ok
        }
        Some(earlier) => {
            let c = services::audit::export::verify_extension(file, earlier).await?;
            emit(json, &c, render::audit_continuity)?;
            c.ok
        }
    };
    Ok(if ok { 0 } else { 1 })
}

pub(super) async fn audit_with(app: &App, cmd: AuditCmd, json: bool) -> Result<i32> {
    match cmd {
        AuditCmd::List {
            filter,
            after,
            limit,
            newest_first,
        } => {
            let query = services::audit::AuditQuery {
                filter: filter.into_filter()?,
                after,
                limit: Some(limit),
                newest_first,
            };
            let page = services::audit::list(app, &query).await?;
            if json {
                // A listing is an array; the next page starts after the last element's seq.
                print_json(&page.entries)?;
            } else {
                print!("{}", super::safe::lines(&render::audit_page(&page)));
            }
        }
        AuditCmd::Show { seq } => emit(
            json,
            &services::audit::show(app, seq).await?,
            render::audit_entry_detail,
        )?,
        AuditCmd::Verify { require_checkpoint } => {
            let progress: Arc<dyn Progress> = Arc::new(TermProgress::new(json));
            let r = services::audit::verify_chain(app, progress).await?;
            emit(json, &r, render::audit_verify)?;
            let unproven = require_checkpoint && !r.not_proven.is_empty();
            return Ok(if r.ok && !unproven { 0 } else { 1 });
        }
        AuditCmd::Export {
            format,
            out,
            filter,
            incident_window,
            force,
        } => {
            let format = services::audit::export::AuditExportFormat::parse(&format)
                .ok_or_else(|| Error::InvalidInput(format!("--format `{format}`: use csv or ndjson")))?;
            let req = services::audit::export::AuditExportRequest {
                format,
                out: out.display().to_string(),
                filter: filter.into_filter()?,
                incident_window,
                force,
            };
            // Ctrl-C cancels cleanly: the temp file is removed, nothing is left under FILE.
            let o = cancellable(json, |p| services::audit::export::export(app, &req, p)).await?;
            emit(json, &o, render::audit_exported)?;
        }
        AuditCmd::VerifyExport { file, extends } => return verify_export(&file, extends.as_deref(), json).await,
        AuditCmd::Acknowledge { seq, reviewer, reason } => {
            let l = services::audit::acknowledge(app, seq, &reviewer, &reason).await?;
            emit(json, &l, render::audit_loss_acknowledged)?;
        }
        AuditCmd::Checkpoint => emit(
            json,
            &services::audit::write_checkpoint(app).await?,
            render::audit_checkpoint,
        )?,
        AuditCmd::RestoreTriggers => {
            let restored = services::audit::restore_triggers(app).await?;
            emit(json, &serde_json::json!({ "restored": restored }), |_| {
                if restored.is_empty() {
                    "the append-only triggers are in place; nothing to restore\n".to_string()
                } else {
                    format!(
                        "the log verified; restored the triggers {} (recorded in the audit log)\n",
                        restored.join(", ")
                    )
                }
            })?;
        }
    }
    Ok(0)
}
