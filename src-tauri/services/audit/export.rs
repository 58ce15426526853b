//! Incident exports of the audit log (CSV, NDJSON) with a manifest, and their offline check.
//!
//! An export is written to a hidden temp file in the target folder and renamed only when
//! complete, then its manifest is written the same way: a cancelled or failed export never
//! leaves a file under the name asked for, and a file whose manifest is missing or does not
//! match is reported as such by `verify-export`.

use super::{blocking, checkpoint_path, create_temp_beside, read_checkpoint, sync_dir, write_atomic};
use crate::app::App;
use crate::domain::audit::checkpoint::{self, AuditCheckpoint};
use crate::domain::audit::export::{self as enc, CsvWriter, NdjsonEntry, COLUMNS, EXPORT_FORMAT};
use crate::domain::audit::{
    parse_window, AuditDraft, AuditFilter, AuditProblem, AuditProblemKind, ChainMode, ChainVerifier, EntryRef,
    DOMAIN_TAG,
};
use crate::error::{Error, Result};
use crate::services::Progress;
use crate::store;
use crate::store::audit::LogReader;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum AuditExportFormat {
    Csv,
    Ndjson,
}

impl AuditExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            _ => None,
        }
    }
}

/// What the export dialog (or the CLI) asks for.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditExportRequest {
    pub format: AuditExportFormat,
    /// The file to write; its manifest goes to `<out>.manifest.json`.
    pub out: String,
    #[serde(default)]
    pub filter: AuditFilter,
    /// `FROM..TO` (TO exclusive): the incident window, instead of `since`/`until`.
    #[serde(default)]
    pub incident_window: Option<String>,
    /// Replace an existing file (and its manifest). Without it an export never overwrites.
    #[serde(default)]
    pub force: bool,
}

/// `FILE.manifest.json`: what the file holds and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditExportManifest {
    /// `replay-console/audit-export/v1`.
    pub format: String,
    /// The exported file's name (no folder: the pair travels together).
    pub file: String,
    pub file_format: AuditExportFormat,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    pub bytes: u64,
    pub count: u64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The filters applied (an incident window shows as `since`/`until`).
    pub filters: AuditFilter,
    pub incident_window: Option<String>,
    /// No filters: every entry from 1 to `last_seq` is in the file, so the whole chain up to it
    /// can be checked.
    pub complete: bool,
    /// The log's last entry when the export was made.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The signed checkpoint beside the database when the export was made.
    pub checkpoint: Option<AuditCheckpoint>,
    /// The hash-chain encoding the entries' hashes use.
    pub canonical_encoding: String,
    pub columns: Vec<String>,
    /// How CSV text cells were neutralised (CSV only).
    pub csv_neutralisation: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub host: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditExportOutcome {
    pub path: String,
    pub manifest_path: String,
    pub manifest: AuditExportManifest,
}

pub const CSV_NEUTRALISATION: &str = "text cells starting with = + - @ TAB CR or ' are prefixed with one ' (strip one leading ' to get the stored text); integer columns are not changed";

pub fn manifest_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".manifest.json");
    PathBuf::from(s)
}

/// Counts and hashes what passes through.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The effective filter: the request's, with the incident window as `since`/`until`.
pub fn effective_filter(req: &AuditExportRequest) -> Result<AuditFilter> {
    let mut f = super::normalise_filter(&req.filter)?;
    if let Some(w) = &req.incident_window {
        if f.since.is_some() || f.until.is_some() {
            return Err(Error::InvalidInput(
                "--incident-window sets the time range; do not combine it with --since/--until".into(),
            ));
        }
        let (from, to) = parse_window(w).map_err(Error::InvalidInput)?;
        f.since = Some(from);
        f.until = Some(to);
    }
    Ok(f)
}

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
    // The checkpoint before the database, as in `verify`: it never names an entry the export's
    // snapshot cannot see.
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
    let cp = read_checkpoint(&checkpoint_path(&app.db_path)).ok().flatten();
    let (file, tmp) = create_temp_beside(&out)
        .map_err(|e| Error::Io(format!("cannot create a temp file beside {}: {e}", out.display())))?;
    let db = app.db_path.clone();
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
    if let Err(e) = place(&tmp, &out, req.force) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io(format!(
            "cannot move the export into place at {}: {e}",
            out.display()
        )));
    }
    sync_dir(&out);
    let manifest = AuditExportManifest {
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
        created_by: super::os_user(),
        host: super::host(),
    };
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

/// Exports are audited too (who handed which part of the log on). Not when the log's triggers
/// are gone: the console does not add to a log it cannot vouch for.
async fn record_export(app: &App, m: &AuditExportManifest, out: &Path) {
    if super::require_triggers(&app.pool).await.is_err() {
        return;
    }
    let r: Result<()> = async {
        let mut tx = store::write_tx(&app.pool).await?;
        super::record(
            &mut tx,
            &AuditDraft {
                action: "audit_exported".into(),
                actor: super::os_user(),
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
        Ok(()) => super::checkpoint(app).await,
        Err(e) => eprintln!("warning: the export was written but could not be recorded in the audit log: {e}"),
    }
}

/// Moves the finished temp file to its name: over an existing file only when `force`; otherwise
/// with a hard link, which fails if the name appeared meanwhile (no check-then-rename race).
fn place(tmp: &Path, out: &Path, force: bool) -> std::io::Result<()> {
    if force {
        return std::fs::rename(tmp, out);
    }
    match std::fs::hard_link(tmp, out) {
        Ok(()) => std::fs::remove_file(tmp),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(std::io::Error::new(
            e.kind(),
            format!("{} appeared while exporting; nothing was overwritten", out.display()),
        )),
        // A file system without hard links: the name was free a moment ago.
        Err(_) if std::fs::symlink_metadata(out).is_err() => std::fs::rename(tmp, out),
        Err(e) => Err(e),
    }
}

fn write_export(
    db: &Path,
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

/// `audit verify-export`'s answer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditExportCheck {
    pub ok: bool,
    pub file: String,
    pub manifest_path: String,
    /// Entries read from the file (up to the first bad one).
    pub entries: u64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// Links checked between consecutive entries.
    pub links_checked: u64,
    pub problems: Vec<AuditProblem>,
    /// What the check established, in words.
    pub proven: Vec<String>,
    /// What a file and its manifest cannot establish on their own.
    pub not_proven: Vec<String>,
}

/// Checks an export against its manifest and the hash chain, offline: no database, no keychain.
pub async fn verify_export(file: &Path) -> Result<AuditExportCheck> {
    let file = file.to_path_buf();
    blocking(move || verify_export_blocking(&file)).await
}

fn verify_export_blocking(file: &Path) -> Result<AuditExportCheck> {
    Ok(read_export(file, false)?.check)
}

/// An export checked, with (when asked) the sequence number and hash of every entry that
/// verified, for comparing two exports.
struct ReadExport {
    check: AuditExportCheck,
    manifest: AuditExportManifest,
    hashes: Vec<(i64, [u8; 32])>,
}

fn read_export(file: &Path, collect: bool) -> Result<ReadExport> {
    let mpath = manifest_path(file);
    let mtext = std::fs::read(&mpath).map_err(|e| {
        Error::NotFound(format!(
            "no manifest for {} ({}: {e}); an export without its manifest proves nothing",
            file.display(),
            mpath.display()
        ))
    })?;
    let m: AuditExportManifest = serde_json::from_slice(&mtext)
        .map_err(|e| Error::InvalidInput(format!("{} is not an export manifest: {e}", mpath.display())))?;
    if m.format != EXPORT_FORMAT {
        return Err(Error::InvalidInput(format!(
            "{} has format `{}`; this console reads {EXPORT_FORMAT}",
            mpath.display(),
            m.format
        )));
    }
    let f = std::fs::File::open(file).map_err(|e| Error::Io(format!("cannot open {}: {e}", file.display())))?;
    let mut src = Hashing {
        inner: BufReader::with_capacity(1 << 20, f),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut problems: Vec<AuditProblem> = Vec::new();
    let mode = if m.complete {
        ChainMode::Complete
    } else {
        ChainMode::Sparse
    };
    let mut v = ChainVerifier::new(mode);
    v.set_relocation_bound(m.last_seq.unwrap_or(0));
    let mut st = EntryChecks {
        v,
        filter: &m.filters,
        problem: None,
        entry1_hash: None,
        cp_hash_seen: None,
        cp_seq: m.checkpoint.as_ref().map(|c| c.seq),
        last_hash: None,
        last_seq: None,
        collect: collect.then(Vec::new),
    };
    match m.file_format {
        AuditExportFormat::Csv => {
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(&mut src);
            let mut rec = csv::StringRecord::new();
            match r.read_record(&mut rec) {
                Ok(true) if enc::csv_header_ok(&rec) => loop {
                    if st.problem.is_some() {
                        break;
                    }
                    match r.read_record(&mut rec) {
                        Ok(false) => break,
                        Ok(true) => match enc::csv_entry(&rec) {
                            Ok(e) => st.push(&e),
                            Err(why) => st.malformed(rec.position().map(|p| p.line()), why),
                        },
                        Err(e) => st.malformed(e.position().map(|p| p.line()), e.to_string()),
                    }
                },
                Ok(_) => st.malformed(Some(1), "the header row is not this format's".into()),
                Err(e) => st.malformed(Some(1), e.to_string()),
            }
        }
        AuditExportFormat::Ndjson => {
            let mut lines = BufReader::new(&mut src);
            let mut line = String::new();
            let mut n = 0u64;
            while st.problem.is_none() {
                line.clear();
                match lines.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => {
                        n += 1;
                        match NdjsonEntry::parse(line.trim_end_matches('\n'))
                            .and_then(|p| p.entry_ref().map(|e| st.push(&e)))
                        {
                            Ok(()) => {}
                            Err(why) => st.malformed(Some(n), why),
                        }
                    }
                    Err(e) => st.malformed(Some(n + 1), format!("not UTF-8 text: {e}")),
                }
            }
        }
    }
    // The file hash covers every byte, read or not.
    std::io::copy(&mut src, &mut std::io::sink())
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", file.display())))?;
    let sha = hex::encode(src.hasher.finalize());
    let mut proven = Vec::new();
    let mut not_proven = Vec::new();
    if sha != m.sha256 || src.bytes != m.bytes {
        problems.push(AuditProblem {
            kind: AuditProblemKind::FileChanged,
            seq: None,
            message: format!(
                "the file's SHA-256 is {sha} ({} bytes), the manifest says {} ({} bytes): the file was changed after export",
                src.bytes, m.sha256, m.bytes
            ),
        });
    } else {
        proven.push(format!(
            "the file is byte for byte the one the manifest describes (SHA-256 {sha})"
        ));
    }
    let EntryChecks {
        v,
        problem,
        entry1_hash,
        cp_hash_seen,
        last_hash,
        last_seq,
        collect,
        ..
    } = st;
    let chain_ok = problem.is_none();
    problems.extend(problem);
    let verified = v.verified();
    let entries = v.entries();
    let (first_seq, links) = (
        verified.as_ref().map(|x| x.first),
        verified.as_ref().map_or(0, |x| x.links_checked),
    );
    if chain_ok {
        let mut mm = |message: String| {
            problems.push(AuditProblem {
                kind: AuditProblemKind::ManifestMismatch,
                seq: None,
                message,
            })
        };
        if entries != m.count {
            mm(format!(
                "the file holds {entries} entries, the manifest says {}",
                m.count
            ));
        }
        if first_seq != m.first_seq || last_seq != m.last_seq {
            mm(format!(
                "the file spans entries {} to {}, the manifest says {} to {}",
                opt(first_seq),
                opt(last_seq),
                opt(m.first_seq),
                opt(m.last_seq)
            ));
        }
        if m.last_seq.is_some() && m.last_seq == m.head_seq && last_hash != m.head_hash {
            mm(
                "the last entry is the log's head at export, but its hash is not the head hash the manifest states"
                    .into(),
            );
        }
        proven.push(format!(
            "each of the {entries} entries matches its own hash (canonical encoding {})",
            m.canonical_encoding
        ));
        if m.complete {
            proven.push(format!(
                "entries {} to {} form one unbroken chain from the first entry ({links} links)",
                opt(first_seq),
                opt(last_seq)
            ));
        } else {
            proven.push(format!("{links} links between consecutive exported entries hold"));
            not_proven.push(
                "a filtered export: links across entries that were not exported cannot be checked, and whether the filter selected every matching entry cannot be proven from the file alone (compare with `audit verify` and `audit list` on the log)"
                    .into(),
            );
        }
    }
    check_export_checkpoint(
        &m,
        entry1_hash,
        cp_hash_seen,
        &mut problems,
        &mut proven,
        &mut not_proven,
    );
    not_proven.push(
        "the manifest is not signed: someone who can edit the file can also edit the manifest; what binds the entries is their hashes and the signed checkpoint"
            .into(),
    );
    let check = AuditExportCheck {
        ok: problems.is_empty(),
        file: file.display().to_string(),
        manifest_path: mpath.display().to_string(),
        entries,
        first_seq,
        last_seq,
        links_checked: links,
        problems,
        proven,
        not_proven,
    };
    Ok(ReadExport {
        check,
        manifest: m,
        hashes: collect.unwrap_or_default(),
    })
}

/// `verify-export LATER --extends EARLIER`: each export checked on its own, then whether the
/// later one holds every entry of the earlier one unchanged (same log, same hashes where they
/// overlap, a head no lower), so entries handed on before were not removed or rewritten since.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditContinuityCheck {
    /// Both exports verify and the later extends the earlier.
    pub ok: bool,
    pub extends: bool,
    pub earlier: AuditExportCheck,
    pub later: AuditExportCheck,
    /// Entries of the earlier export found unchanged in the later one.
    pub overlap: u64,
    pub problems: Vec<AuditProblem>,
    pub proven: Vec<String>,
    pub not_proven: Vec<String>,
}

pub async fn verify_extension(later: &Path, earlier: &Path) -> Result<AuditContinuityCheck> {
    let (later, earlier) = (later.to_path_buf(), earlier.to_path_buf());
    blocking(move || {
        let e = read_export(&earlier, true)?;
        let l = read_export(&later, true)?;
        Ok(compare_exports(e, l))
    })
    .await
}

fn compare_exports(e: ReadExport, l: ReadExport) -> AuditContinuityCheck {
    let mut problems = Vec::new();
    let mut proven = Vec::new();
    let mut not_proven = Vec::new();
    let mut not_extended = |seq: Option<i64>, message: String| {
        problems.push(AuditProblem {
            kind: AuditProblemKind::NotExtended,
            seq,
            message,
        })
    };
    let log_of = |r: &ReadExport| {
        r.manifest
            .checkpoint
            .as_ref()
            .map(|c| c.log_id.clone())
            .or_else(|| r.hashes.first().filter(|(s, _)| *s == 1).map(|(_, h)| hex::encode(h)))
    };
    let (log_e, log_l) = (log_of(&e), log_of(&l));
    match (&log_e, &log_l) {
        (Some(a), Some(b)) if a != b => not_extended(
            Some(1),
            format!(
                "the exports are of different logs ({} and {}): the log was replaced between them",
                &a[..a.len().min(16)],
                &b[..b.len().min(16)]
            ),
        ),
        (Some(_), Some(_)) => proven.push("both exports are of the same log (entry 1's hash)".into()),
        _ => not_proven.push(
            "which log each export is of (neither names entry 1's hash: no checkpoint, entry 1 not exported)".into(),
        ),
    }
    let comparable = l.manifest.complete || l.manifest.filters == e.manifest.filters;
    if !comparable {
        not_extended(
            None,
            "the later export's filters differ from the earlier's and it is not complete, so it cannot show that the earlier entries are all still there; export the whole log (or the same filters) again".into(),
        );
    }
    match (e.manifest.head_seq, l.manifest.head_seq) {
        (Some(a), Some(b)) if b < a => not_extended(
            Some(b + 1),
            format!(
                "the log's head was entry {a} at the earlier export and entry {b} at the later one: entries {} to {a} were removed, or an older copy of the log was restored",
                b + 1
            ),
        ),
        (Some(a), None) => not_extended(
            Some(1),
            format!("the log's head was entry {a} at the earlier export, and the later export saw an empty log"),
        ),
        _ => {}
    }
    let mut overlap = 0u64;
    if comparable {
        for (seq, hash) in &e.hashes {
            match l.hashes.binary_search_by_key(seq, |(s, _)| *s) {
                Ok(i) if l.hashes[i].1 == *hash => overlap += 1,
                Ok(_) => {
                    not_extended(
                        Some(*seq),
                        format!("entry {seq} differs between the exports: it was rewritten after the earlier export"),
                    );
                    break;
                }
                Err(_) => {
                    not_extended(
                        Some(*seq),
                        format!("entry {seq} of the earlier export is not in the later one: it was removed since"),
                    );
                    break;
                }
            }
        }
        // The earlier head, where the later export holds it.
        if let (Some(hs), Some(hh)) = (e.manifest.head_seq, &e.manifest.head_hash) {
            if let Ok(i) = l.hashes.binary_search_by_key(&hs, |(s, _)| *s) {
                if hex::encode(l.hashes[i].1) != *hh {
                    not_extended(
                        Some(hs),
                        format!("entry {hs}, the log's head at the earlier export, has another hash in the later one"),
                    );
                }
            }
        }
    }
    if !e.check.ok {
        not_extended(
            None,
            format!(
                "the earlier export does not verify on its own ({} problem(s))",
                e.check.problems.len()
            ),
        );
    }
    if !l.check.ok {
        not_extended(
            None,
            format!(
                "the later export does not verify on its own ({} problem(s))",
                l.check.problems.len()
            ),
        );
    }
    let extends = problems.is_empty();
    if extends {
        proven.push(format!(
            "all {overlap} entries of the earlier export are in the later one with the same hashes, and the log's head did not go back (entry {} then, {} now)",
            opt(e.manifest.head_seq),
            opt(l.manifest.head_seq)
        ));
    }
    not_proven.push(
        "entries added after the earlier export and removed before the later one cannot be seen in two exports; `audit verify` on the log (with its keychain) covers that".into(),
    );
    AuditContinuityCheck {
        ok: extends,
        extends,
        earlier: e.check,
        later: l.check,
        overlap,
        problems,
        proven,
        not_proven,
    }
}

fn opt(v: Option<i64>) -> String {
    v.map_or("(none)".into(), |n| n.to_string())
}

/// Per-entry checks while reading an export.
struct EntryChecks<'a> {
    v: ChainVerifier,
    filter: &'a AuditFilter,
    problem: Option<AuditProblem>,
    entry1_hash: Option<String>,
    cp_seq: Option<i64>,
    cp_hash_seen: Option<String>,
    last_hash: Option<String>,
    last_seq: Option<i64>,
    collect: Option<Vec<(i64, [u8; 32])>>,
}

impl EntryChecks<'_> {
    fn push(&mut self, e: &EntryRef<'_>) {
        if self.problem.is_some() {
            return;
        }
        if !self.filter.matches(e) {
            self.problem = Some(AuditProblem {
                kind: AuditProblemKind::OutsideFilter,
                seq: Some(e.seq),
                message: format!(
                    "entry {} does not match the export's filters: it was added to the file",
                    e.seq
                ),
            });
            return;
        }
        if let Err(p) = self.v.push(e) {
            self.problem = Some(p);
            return;
        }
        if e.seq == 1 {
            self.entry1_hash = Some(e.hash.to_string());
        }
        if Some(e.seq) == self.cp_seq {
            self.cp_hash_seen = Some(e.hash.to_string());
        }
        self.last_seq = Some(e.seq);
        self.last_hash = Some(e.hash.to_string());
        if let (Some(c), Some(h)) = (self.collect.as_mut(), crate::domain::audit::decode_hash(e.hash)) {
            c.push((e.seq, h));
        }
    }

    fn malformed(&mut self, line: Option<u64>, why: String) {
        if self.problem.is_none() {
            self.problem = Some(AuditProblem {
                kind: AuditProblemKind::Malformed,
                seq: None,
                message: format!("line {}: {why}", line.map_or("?".into(), |l| l.to_string())),
            });
        }
    }
}

fn check_export_checkpoint(
    m: &AuditExportManifest,
    entry1_hash: Option<String>,
    cp_hash_seen: Option<String>,
    problems: &mut Vec<AuditProblem>,
    proven: &mut Vec<String>,
    not_proven: &mut Vec<String>,
) {
    let Some(cp) = &m.checkpoint else {
        not_proven.push("the log had no signed checkpoint when this was exported: a deleted tail or a recomputed chain before export would not be detected".into());
        return;
    };
    let mut bad = |seq: Option<i64>, message: String| {
        problems.push(AuditProblem {
            kind: AuditProblemKind::CheckpointMismatch,
            seq,
            message,
        })
    };
    let Some(public) = checkpoint::decode_public(&cp.public_key) else {
        bad(None, "the manifest's checkpoint has no well-formed public key".into());
        return;
    };
    if let Err(e) = checkpoint::check(cp, &public) {
        bad(Some(cp.seq), e.to_string());
        return;
    }
    proven.push(format!(
        "the checkpoint (entry {}, hash {}) is signed by key {}; compare this key id with `audit verify` on the machine that wrote the log",
        cp.seq,
        &cp.hash[..cp.hash.len().min(16)],
        cp.key_id
    ));
    if let Some(h) = entry1_hash {
        if h != cp.log_id {
            bad(
                Some(1),
                "the checkpoint is for another log than the one entry 1 starts".into(),
            );
            return;
        }
    }
    match cp_hash_seen {
        Some(h) if h == cp.hash => proven.push(format!("entry {} in the file is the one the signed checkpoint names", cp.seq)),
        Some(_) => bad(Some(cp.seq), format!("entry {} in the file differs from the signed checkpoint's", cp.seq)),
        None => not_proven.push(format!(
            "the signed checkpoint names entry {}, which is not in this export, so the exported entries are not tied to it",
            cp.seq
        )),
    }
}
