//! `audit verify-export`: an export checked offline against its manifest and the hash chain
//! (no database, no keychain): the file's bytes, every entry's hash, the links between
//! consecutive entries, the filters, and the signed checkpoint the manifest carries.

use super::{manifest_path, opt, AuditExportFormat, AuditExportManifest, Hashing, Proof};
use crate::domain::audit::checkpoint;
use crate::domain::audit::export::{self as enc, NdjsonEntry, EXPORT_FORMAT};
use crate::domain::audit::{AuditFilter, AuditProblem, AuditProblemKind, ChainMode, ChainVerifier, EntryRef};
use crate::error::{Error, Result};
use crate::services::audit::blocking;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

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
pub(super) struct ReadExport {
    pub check: AuditExportCheck,
    pub manifest: AuditExportManifest,
    pub hashes: Vec<(i64, [u8; 32])>,
}

/// Checks an export: its manifest, then every entry as read, then the file's bytes, the
/// manifest's counts and range, and the checkpoint the manifest carries.
pub(super) fn read_export(file: &Path, collect: bool) -> Result<ReadExport> {
    let (mpath, m) = read_manifest(file)?;
    let f = std::fs::File::open(file).map_err(|e| Error::Io(format!("cannot open {}: {e}", file.display())))?;
    let mut src = Hashing {
        inner: BufReader::with_capacity(1 << 20, f),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut st = EntryChecks::new(&m, collect);
    match m.file_format {
        AuditExportFormat::Csv => read_csv(&mut src, &mut st),
        AuditExportFormat::Ndjson => read_ndjson(&mut src, &mut st),
    }
    // The file hash covers every byte, read or not.
    std::io::copy(&mut src, &mut std::io::sink())
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", file.display())))?;
    let mut proof = Proof::default();
    check_bytes(src, &m, &mut proof);
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
    proof.problems.extend(problem);
    let verified = v.verified();
    let read = Read {
        entries: v.entries(),
        first_seq: verified.as_ref().map(|x| x.first),
        last_seq,
        last_hash,
        links: verified.as_ref().map_or(0, |x| x.links_checked),
    };
    if chain_ok {
        check_against_manifest(&m, &read, &mut proof);
    }
    check_export_checkpoint(&m, entry1_hash, cp_hash_seen, &mut proof);
    proof.not_proven.push(
        "the manifest is not signed: someone who can edit the file can also edit the manifest; what binds the entries is their hashes and the signed checkpoint"
            .into(),
    );
    let check = AuditExportCheck {
        ok: proof.problems.is_empty(),
        file: file.display().to_string(),
        manifest_path: mpath.display().to_string(),
        entries: read.entries,
        first_seq: read.first_seq,
        last_seq: read.last_seq,
        links_checked: read.links,
        problems: proof.problems,
        proven: proof.proven,
        not_proven: proof.not_proven,
    };
    Ok(ReadExport {
        check,
        manifest: m,
        hashes: collect.unwrap_or_default(),
    })
}

/// The manifest beside `file`, in this console's format.
fn read_manifest(file: &Path) -> Result<(PathBuf, AuditExportManifest)> {
    let mpath = manifest_path(file);
    let mfile = std::fs::File::open(&mpath).map_err(|e| {
        Error::NotFound(format!(
            "no manifest for {} ({}: {e}); an export without its manifest proves nothing",
            file.display(),
            mpath.display()
        ))
    })?;
    let what = format!("the manifest {}", mpath.display());
    let mtext = crate::services::limits::read_at_most(mfile, crate::services::limits::MANIFEST_BYTES, &what)?;
    let m: AuditExportManifest = serde_json::from_slice(&mtext)
        .map_err(|e| Error::InvalidInput(format!("{} is not an export manifest: {e}", mpath.display())))?;
    if m.format != EXPORT_FORMAT {
        return Err(Error::InvalidInput(format!(
            "{} has format `{}`; this console reads {EXPORT_FORMAT}",
            mpath.display(),
            m.format
        )));
    }
    Ok((mpath, m))
}

/// Reads CSV rows (header first) into the checks, up to the first problem.
fn read_csv(src: &mut impl std::io::Read, st: &mut EntryChecks<'_>) {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(src);
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

/// Reads NDJSON lines into the checks, up to the first problem.
fn read_ndjson(src: &mut impl std::io::Read, st: &mut EntryChecks<'_>) {
    let mut lines = BufReader::new(src);
    let mut line = String::new();
    let mut n = 0u64;
    while st.problem.is_none() {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {
                n += 1;
                match NdjsonEntry::parse(line.trim_end_matches('\n')).and_then(|p| p.entry_ref().map(|e| st.push(&e))) {
                    Ok(()) => {}
                    Err(why) => st.malformed(Some(n), why),
                }
            }
            Err(e) => st.malformed(Some(n + 1), format!("not UTF-8 text: {e}")),
        }
    }
}

/// The file's bytes against the manifest's hash and size.
fn check_bytes<R>(src: Hashing<R>, m: &AuditExportManifest, proof: &mut Proof) {
    let sha = hex::encode(src.hasher.finalize());
    if sha != m.sha256 || src.bytes != m.bytes {
        proof.problems.push(AuditProblem {
            kind: AuditProblemKind::FileChanged,
            seq: None,
            message: format!(
                "the file's SHA-256 is {sha} ({} bytes), the manifest says {} ({} bytes): the file was changed after export",
                src.bytes, m.sha256, m.bytes
            ),
        });
    } else {
        proof.proven.push(format!(
            "the file is byte for byte the one the manifest describes (SHA-256 {sha})"
        ));
    }
}

/// What the entries of a file showed.
struct Read {
    entries: u64,
    first_seq: Option<i64>,
    last_seq: Option<i64>,
    last_hash: Option<String>,
    links: u64,
}

/// An intact chain against the manifest's count, range and head; what it proves.
fn check_against_manifest(m: &AuditExportManifest, read: &Read, proof: &mut Proof) {
    let Read {
        entries,
        first_seq,
        last_seq,
        links,
        ..
    } = *read;
    let mut mm = |message: String| {
        proof.problems.push(AuditProblem {
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
    if m.last_seq.is_some() && m.last_seq == m.head_seq && read.last_hash != m.head_hash {
        mm("the last entry is the log's head at export, but its hash is not the head hash the manifest states".into());
    }
    proof.proven.push(format!(
        "each of the {entries} entries matches its own hash (canonical encoding {})",
        m.canonical_encoding
    ));
    if m.complete {
        proof.proven.push(format!(
            "entries {} to {} form one unbroken chain from the first entry ({links} links)",
            opt(first_seq),
            opt(last_seq)
        ));
    } else {
        proof
            .proven
            .push(format!("{links} links between consecutive exported entries hold"));
        proof.not_proven.push(
            "a filtered export: links across entries that were not exported cannot be checked, and whether the filter selected every matching entry cannot be proven from the file alone (compare with `audit verify` and `audit list` on the log)"
                .into(),
        );
    }
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

impl<'a> EntryChecks<'a> {
    fn new(m: &'a AuditExportManifest, collect: bool) -> Self {
        let mode = if m.complete {
            ChainMode::Complete
        } else {
            ChainMode::Sparse
        };
        let mut v = ChainVerifier::new(mode);
        v.set_relocation_bound(m.last_seq.unwrap_or(0));
        EntryChecks {
            v,
            filter: &m.filters,
            problem: None,
            entry1_hash: None,
            cp_hash_seen: None,
            cp_seq: m.checkpoint.as_ref().map(|c| c.seq),
            last_hash: None,
            last_seq: None,
            collect: collect.then(Vec::new),
        }
    }

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
    proof: &mut Proof,
) {
    let Proof {
        problems,
        proven,
        not_proven,
    } = proof;
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
