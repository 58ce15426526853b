//! Incident exports of the audit log (CSV, NDJSON) with a manifest, and their offline check.
//!
//! An export is written to a hidden temp file in the target folder and renamed only when
//! complete, then its manifest is written the same way: a cancelled or failed export never
//! leaves a file under the name asked for, and a file whose manifest is missing or does not
//! match is reported as such by `verify-export`.

mod extends;
mod read;
mod write;

pub use extends::{verify_extension, AuditContinuityCheck};
pub use read::{verify_export, AuditExportCheck};
pub use write::export;

use crate::domain::audit::checkpoint::AuditCheckpoint;
use crate::domain::audit::{parse_window, AuditFilter, AuditProblem};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

/// What a check found, established, and could not establish.
#[derive(Default)]
struct Proof {
    problems: Vec<AuditProblem>,
    proven: Vec<String>,
    not_proven: Vec<String>,
}

/// A sequence number for a message, or `(none)`.
fn opt(v: Option<i64>) -> String {
    v.map_or("(none)".into(), |n| n.to_string())
}
