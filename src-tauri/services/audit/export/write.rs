//! Writing an export: entries streamed from one read snapshot to a hidden temp file beside the
//! target, renamed into place only when complete, then the manifest, then an audit entry
//! saying who exported what.

use super::{
    effective_filter, manifest_path, AuditExportFormat, AuditExportManifest, AuditExportOutcome, AuditExportRequest,
    Hashing, CSV_NEUTRALISATION,
};
use crate::app::App;
use crate::domain::audit::checkpoint::AuditCheckpoint;
use crate::domain::audit::export::{self as enc, CsvWriter, COLUMNS, EXPORT_FORMAT};
use crate::domain::audit::{AuditDraft, AuditFilter, EntryRef, DOMAIN_TAG};
use crate::error::{Error, Result};
use crate::services::audit::{
    self, blocking, checkpoint_path, create_temp_beside, read_checkpoint, sync_dir, write_atomic,
};
use crate::services::Progress;
use crate::store;
use crate::store::audit::LogReader;
use sha2::{Digest, Sha256};
use std::io::BufWriter;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Written {
    count: u64,
    first: Option<i64>,
    last: Option<i64>,
    head: Option<(i64, String)>,
    sha256: String,
    bytes: u64,
}

/// Writes the export and its manifest. Cancelling (through `progress`) or any failure removes
/// the temp file and leaves nothing under the requested name.
pub async fn export(app: &App, req: &AuditExportRequest, progress: Arc<dyn Progress>) -> Result<AuditExportOutcome> {
    let filter = effective_filter(req)?;
    let (out, file_name, mpath) = target(req)?;
    // The checkpoint before the database, as in `verify_chain`: it never names an entry the
    // export's snapshot cannot see.
    let cp = read_checkpoint(&checkpoint_path(&app.db_path)).ok().flatten();
    let (file, tmp) = create_temp_beside(&out)
        .map_err(|e| Error::Io(format!("cannot create a temp file beside {}: {e}", out.display())))?;
    let db = app.log_source();
    let (format, f2, tmp2) = (req.format, filter.clone(), tmp.clone());
    let written = blocking(move || {
        let r = write_export(&db, file, &tmp2, format, &f2, &*progress);
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp2);
        }
        r
    })
    .await?;
    // A manifest left from an earlier export of the same name must not vouch for the new file,
    // even for the moment between the two renames.
    let _ = std::fs::remove_file(&mpath);
    if let Err(e) = super::super::files::place(&tmp, &out, req.force) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io(format!(
            "cannot move the export into place at {}: {e}",
            out.display()
        )));
    }
    sync_dir(&out);
    let manifest = manifest(req, file_name, filter, written, cp);
    let bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Io(format!("cannot encode the manifest: {e}")))?;
    write_atomic(&mpath, &bytes)?;
    record_export(app, &manifest, &out).await;
    Ok(AuditExportOutcome {
        path: out.display().to_string(),
        manifest_path: mpath.display().to_string(),
        manifest,
    })
}

/// The file to write, its name, and its manifest's path; refused when it names a folder, or
/// (without `force`) when the file or the manifest exists.
fn target(req: &AuditExportRequest) -> Result<(PathBuf, String, PathBuf)> {
    let out = PathBuf::from(&req.out);
    if out.is_dir() {
        return Err(Error::InvalidInput(format!(
            "{} is a folder; name the file to write",
            out.display()
        )));
    }
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::InvalidInput(format!("{} names no file", out.display())))?;
    let mpath = manifest_path(&out);
    if !req.force {
        for p in [&out, &mpath] {
            if std::fs::symlink_metadata(p).is_ok() {
                return Err(Error::InvalidInput(format!(
                    "{} already exists; choose another name, or replace it with --force",
                    p.display()
                )));
            }
        }
    }
    Ok((out, file_name, mpath))
}

fn manifest(
    req: &AuditExportRequest,
    file_name: String,
    filter: AuditFilter,
    written: Written,
    cp: Option<AuditCheckpoint>,
) -> AuditExportManifest {
    AuditExportManifest {
        format: EXPORT_FORMAT.into(),
        file: file_name,
        file_format: req.format,
        sha256: written.sha256,
        bytes: written.bytes,
        count: written.count,
        first_seq: written.first,
        last_seq: written.last,
        complete: filter.is_empty(),
        filters: filter,
        incident_window: req.incident_window.clone(),
        head_seq: written.head.as_ref().map(|h| h.0),
        head_hash: written.head.map(|h| h.1),
        checkpoint: cp,
        canonical_encoding: String::from_utf8_lossy(DOMAIN_TAG).into_owned(),
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        csv_neutralisation: (req.format == AuditExportFormat::Csv).then(|| CSV_NEUTRALISATION.to_string()),
        created_at: store::now_text(),
        created_by: crate::services::holder::os_user(),
        host: crate::services::holder::host(),
    }
}

/// Exports are audited too (who handed which part of the log on). Not when the log's triggers
/// are gone: the console does not add to a log it cannot vouch for.
async fn record_export(app: &App, m: &AuditExportManifest, out: &Path) {
    if audit::require_triggers(&app.pool).await.is_err() {
        return;
    }
    let r: Result<()> = async {
        let mut tx = store::write_tx(&app.pool).await?;
        audit::record(
            &mut tx,
            &AuditDraft {
                action: "audit_exported".into(),
                actor: crate::services::holder::os_user(),
                detail: serde_json::json!({
                    "file": out.display().to_string(),
                    "format": m.file_format,
                    "sha256": m.sha256,
                    "count": m.count,
                    "first_seq": m.first_seq,
                    "last_seq": m.last_seq,
                    "filters": m.filters,
                    "head_seq": m.head_seq,
                }),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => audit::checkpoint(app).await,
        Err(e) => eprintln!("warning: the export was written but could not be recorded in the audit log: {e}"),
    }
}

fn write_export(
    db: &crate::store::Source,
    file: std::fs::File,
    tmp: &Path,
    format: AuditExportFormat,
    filter: &AuditFilter,
    progress: &dyn Progress,
) -> Result<Written> {
    let io = |e: std::io::Error| Error::Io(format!("cannot write {}: {e}", tmp.display()));
    let sink = BufWriter::with_capacity(
        1 << 20,
        Hashing {
            inner: file,
            hasher: Sha256::new(),
            bytes: 0,
        },
    );
    let reader = LogReader::open(db)?;
    let mut failed: Option<Error> = None;
    let mut cancelled = false;
    let (mut count, mut first, mut last) = (0u64, None, None);
    let (head, sink) = reader.snapshot(|s| -> Result<_> {
        let head = s.head()?;
        let total = head.as_ref().map_or(0, |h| h.0.max(0) as u64);
        let mut on_entry = |e: &EntryRef<'_>, write: &mut dyn FnMut(&EntryRef<'_>) -> std::io::Result<()>| {
            if let Err(err) = write(e) {
                failed = Some(io(err));
                return ControlFlow::Break(());
            }
            count += 1;
            first.get_or_insert(e.seq);
            last = Some(e.seq);
            if count.is_multiple_of(4096) {
                progress.report(e.seq.max(0) as u64, total);
                if progress.cancelled() {
                    cancelled = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        };
        let mut bad: Option<store::audit::BadRow> = None;
        let sink = match format {
            AuditExportFormat::Csv => {
                let mut w = CsvWriter::new(sink).map_err(|e| Error::Io(e.to_string()))?;
                s.walk(0, filter, &mut |r| match r {
                    Ok(e) => on_entry(e, &mut |e| w.write(e).map_err(std::io::Error::other)),
                    Err(b) => {
                        bad = Some(b);
                        ControlFlow::Break(())
                    }
                })?;
                w.finish().map_err(io)?
            }
            AuditExportFormat::Ndjson => {
                let mut w = sink;
                s.walk(0, filter, &mut |r| match r {
                    Ok(e) => on_entry(e, &mut |e| enc::write_ndjson(&mut w, e)),
                    Err(b) => {
                        bad = Some(b);
                        ControlFlow::Break(())
                    }
                })?;
                w
            }
        };
        if let Some(b) = bad {
            return Err(Error::Io(format!("{}; run `audit verify`", b.message)));
        }
        // A cancel that came after the last periodic check still wins: nothing is renamed.
        cancelled |= progress.cancelled();
        progress.report(total, total);
        Ok((head, sink))
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if cancelled {
        return Err(Error::Cancelled("audit export; no file was written".into()));
    }
    let hashing = sink.into_inner().map_err(|e| io(e.into_error()))?;
    hashing.inner.sync_all().map_err(io)?;
    Ok(Written {
        count,
        first,
        last,
        head,
        sha256: hex::encode(hashing.hasher.finalize()),
        bytes: hashing.bytes,
    })
}
