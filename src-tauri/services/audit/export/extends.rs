//! `audit verify-export LATER --extends EARLIER`: whether a later export of the same log holds
//! every entry of an earlier one unchanged.

use super::read::{read_export, AuditExportCheck, ReadExport};
use super::{opt, Proof};
use crate::domain::audit::AuditProblem;
use crate::domain::audit::AuditProblemKind;
use crate::error::Result;
use crate::services::audit::blocking;
use serde::Serialize;
use std::path::Path;

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
    let mut proof = Proof::default();
    same_log(&e, &l, &mut proof);
    let comparable = l.manifest.complete || l.manifest.filters == e.manifest.filters;
    if !comparable {
        not_extended(
            &mut proof,
            None,
            "the later export's filters differ from the earlier's and it is not complete, so it cannot show that the earlier entries are all still there; export the whole log (or the same filters) again".into(),
        );
    }
    match (e.manifest.head_seq, l.manifest.head_seq) {
        (Some(a), Some(b)) if b < a => not_extended(
            &mut proof,
            Some(b + 1),
            format!(
                "the log's head was entry {a} at the earlier export and entry {b} at the later one: entries {} to {a} were removed, or an older copy of the log was restored",
                b + 1
            ),
        ),
        (Some(a), None) => not_extended(
            &mut proof,
            Some(1),
            format!("the log's head was entry {a} at the earlier export, and the later export saw an empty log"),
        ),
        _ => {}
    }
    let overlap = if comparable { overlap(&e, &l, &mut proof) } else { 0 };
    for (which, r) in [("earlier", &e), ("later", &l)] {
        if !r.check.ok {
            not_extended(
                &mut proof,
                None,
                format!(
                    "the {which} export does not verify on its own ({} problem(s))",
                    r.check.problems.len()
                ),
            );
        }
    }
    let extends = proof.problems.is_empty();
    if extends {
        proof.proven.push(format!(
            "all {overlap} entries of the earlier export are in the later one with the same hashes, and the log's head did not go back (entry {} then, {} now)",
            opt(e.manifest.head_seq),
            opt(l.manifest.head_seq)
        ));
    }
    proof.not_proven.push(
        "entries added after the earlier export and removed before the later one cannot be seen in two exports; `audit verify` on the log (with its keychain) covers that".into(),
    );
    AuditContinuityCheck {
        ok: extends,
        extends,
        earlier: e.check,
        later: l.check,
        overlap,
        problems: proof.problems,
        proven: proof.proven,
        not_proven: proof.not_proven,
    }
}

fn not_extended(proof: &mut Proof, seq: Option<i64>, message: String) {
    proof.problems.push(AuditProblem {
        kind: AuditProblemKind::NotExtended,
        seq,
        message,
    });
}

/// Whether both exports are of the same log, as far as they say (the checkpoint's log id, or
/// entry 1's hash).
fn same_log(e: &ReadExport, l: &ReadExport, proof: &mut Proof) {
    let log_of = |r: &ReadExport| {
        r.manifest
            .checkpoint
            .as_ref()
            .map(|c| c.log_id.clone())
            .or_else(|| r.hashes.first().filter(|(s, _)| *s == 1).map(|(_, h)| hex::encode(h)))
    };
    match (log_of(e), log_of(l)) {
        (Some(a), Some(b)) if a != b => not_extended(
            proof,
            Some(1),
            format!(
                "the exports are of different logs ({} and {}): the log was replaced between them",
                &a[..a.len().min(16)],
                &b[..b.len().min(16)]
            ),
        ),
        (Some(_), Some(_)) => proof
            .proven
            .push("both exports are of the same log (entry 1's hash)".into()),
        _ => proof.not_proven.push(
            "which log each export is of (neither names entry 1's hash: no checkpoint, entry 1 not exported)".into(),
        ),
    }
}

/// How many entries of the earlier export the later one holds unchanged, up to the first that
/// it does not; and whether it holds the earlier head unchanged.
fn overlap(e: &ReadExport, l: &ReadExport, proof: &mut Proof) -> u64 {
    let mut overlap = 0u64;
    for (seq, hash) in &e.hashes {
        match l.hashes.binary_search_by_key(seq, |(s, _)| *s) {
            Ok(i) if l.hashes[i].1 == *hash => overlap += 1,
            Ok(_) => {
                not_extended(
                    proof,
                    Some(*seq),
                    format!("entry {seq} differs between the exports: it was rewritten after the earlier export"),
                );
                break;
            }
            Err(_) => {
                not_extended(
                    proof,
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
                    proof,
                    Some(hs),
                    format!("entry {hs}, the log's head at the earlier export, has another hash in the later one"),
                );
            }
        }
    }
    overlap
}
