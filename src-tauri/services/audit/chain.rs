//! `audit verify`: [`verify_chain`] walks the whole hash chain (content, links, MACs) in one
//! read transaction, then checks the signed checkpoint against it and both against what the
//! keychain remembers ([`super::anchors`]). Not to be confused with settling a replay's unknown
//! outcome (`replay-console verify ID`, `services::settle`).

use super::anchors::{check_checkpoint, check_keychain_head, AuditCheckpointCheck};
use super::keys::KeychainView;
use super::losses::{judge_losses, recorded_losses};
use super::{bad_row, blocking, checkpoint_path, read_checkpoint, AuditKeychainHead, AuditLoss, Findings};
use crate::app::App;
use crate::domain::audit::mac::MacKey;
use crate::domain::audit::{
    AuditEntry, AuditFilter, AuditProblem, AuditProblemKind, ChainMode, ChainVerifier, Verified,
};
use crate::error::{Error, Result};
use crate::services::Progress;
use crate::store::audit::{LogReader, Snapshot};
use serde::Serialize;
use std::ops::ControlFlow;
use std::sync::Arc;

/// `audit verify`'s answer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditVerifyReport {
    /// Nothing wrong was found. What could not be proven is in `not_proven`.
    pub ok: bool,
    /// Entries read.
    pub entries: u64,
    /// The range whose content and links were verified (before the first bad entry, if any).
    pub verified_first: Option<i64>,
    pub verified_last: Option<i64>,
    /// The hash of `verified_last`.
    pub verified_hash: Option<String>,
    /// The log's last entry as stored.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The first bad entry comes first; then checkpoint, keychain, loss and trigger problems.
    pub problems: Vec<AuditProblem>,
    pub checkpoint: AuditCheckpointCheck,
    pub triggers_missing: Vec<String>,
    /// From which entry every entry must carry a MAC (the keychain's record, or the first MAC
    /// seen); `None`: no entry carries one.
    pub macs_from: Option<i64>,
    /// MACs checked against the log's key (0 without the key).
    pub macs_checked: u64,
    /// The head the keychain recorded at the last checkpoint.
    pub keychain_head: Option<AuditKeychainHead>,
    /// Every checkpoint loss the log records, acknowledged or not.
    pub losses: Vec<AuditLoss>,
    /// What this run could not prove, in words.
    pub not_proven: Vec<String>,
    pub elapsed_ms: u64,
}

impl AuditVerifyReport {
    pub fn first_problem(&self) -> Option<&AuditProblem> {
        self.problems.first()
    }
}

/// What one read transaction saw of the log.
pub(super) struct Walk {
    pub triggers_missing: Vec<String>,
    pub head: Option<(i64, String)>,
    pub first: Option<String>,
    pub at_checkpoint: Option<String>,
    pub at_keychain_head: Option<String>,
    pub verified: Option<Verified>,
    pub entries: u64,
    pub problem: Option<AuditProblem>,
    pub first_mac: Option<i64>,
    pub macs_checked: u64,
    pub loss_entries: Vec<AuditEntry>,
    pub ack_entries: Vec<AuditEntry>,
    pub cancelled: bool,
}

/// What the walk needs from outside the database: the entries whose hashes the checkpoint and
/// the keychain name, and the MAC rules.
struct WalkPlan {
    cp_seq: Option<i64>,
    kc_seq: Option<i64>,
    mac_key: Option<MacKey>,
    macs_from: Option<i64>,
}

/// Walks the whole chain (hashes, links, MACs) in one read transaction, then checks the
/// checkpoint against it and both against what the keychain remembers.
pub async fn verify_chain(app: &App, progress: Arc<dyn Progress>) -> Result<AuditVerifyReport> {
    let started = std::time::Instant::now();
    let cp_path = checkpoint_path(&app.db_path);
    // Which log (entry 1 never changes legitimately), then the keychain, then the file, then the
    // database snapshot: writers update them in the opposite order, so none of these names a
    // head the next one cannot see.
    let log_id = {
        let db = app.log_source();
        blocking(move || Ok(LogReader::open(&db)?.snapshot(|s| s.hash_at(1))?)).await?
    };
    let kc = match &log_id {
        Some(id) => Some(KeychainView::read(&app.db_path, id, true).await),
        None => None,
    };
    let cp_read = read_checkpoint(&cp_path);
    let plan = WalkPlan {
        cp_seq: cp_read.as_ref().ok().and_then(|c| c.as_ref()).map(|c| c.seq),
        kc_seq: kc.as_ref().and_then(|k| k.head()).map(|h| h.seq).filter(|s| *s > 0),
        mac_key: kc.as_ref().and_then(|k| k.mac_key()),
        macs_from: kc.as_ref().and_then(|k| k.macs_from()),
    };
    let w = {
        let db = app.log_source();
        blocking(move || LogReader::open(&db)?.snapshot(|s| walk(s, plan, &*progress))).await?
    };
    if w.cancelled {
        return Err(Error::Cancelled("audit verify; nothing was proven".into()));
    }
    let mut found = Findings {
        problems: w.problem.iter().cloned().collect(),
        not_proven: Vec::new(),
    };
    let checkpoint = check_checkpoint(&cp_path, cp_read, &w, kc.as_ref(), &mut found);
    if let Some(kc) = &kc {
        check_keychain_head(kc, &w, log_id.as_deref().unwrap_or(""), &mut found);
    }
    let verified_last = w.verified.as_ref().map_or(0, |v| v.last);
    let losses = judge_losses(&w.loss_entries, &w.ack_entries, verified_last, &mut found);
    let macs_from = kc.as_ref().and_then(|k| k.macs_from()).or(w.first_mac);
    if app.pool.is_server() && macs_from.is_none() {
        // Team mode writes no MACs (docs/TEAM.md): say what protects the entries instead.
        found.unproven(
            "entries on a team server carry no MAC (no key is shared by every console): they are protected by \
             the server's privileges (no application role may change or delete one), its triggers, the chain and \
             this machine's checkpoint",
        );
    } else {
        judge_macs(macs_from, kc.as_ref(), &mut found);
    }
    judge_rest(&w, &mut found);
    Ok(report(w, kc.as_ref(), checkpoint, losses, macs_from, found, started))
}

/// The whole log in one snapshot: what the checkpoint and the keychain name, the recorded
/// losses, the append-only triggers, and every entry through a [`ChainVerifier`].
fn walk(s: &Snapshot<'_>, plan: WalkPlan, progress: &dyn Progress) -> Result<Walk> {
    let triggers_missing = s.missing_triggers()?;
    let head = s.head()?;
    let hash_at = |seq: Option<i64>| seq.map_or(Ok(None), |q| s.hash_at(q));
    let (at_checkpoint, at_keychain_head) = (hash_at(plan.cp_seq)?, hash_at(plan.kc_seq)?);
    let (loss_entries, ack_entries) = recorded_losses(s)?;
    let total = head.as_ref().map_or(0, |h| h.0.max(0) as u64);
    let mut v = ChainVerifier::new(ChainMode::Complete);
    v.set_relocation_bound(head.as_ref().map_or(0, |h| h.0));
    v.set_macs(plan.mac_key, plan.macs_from);
    let mut problem = None;
    let mut cancelled = false;
    let mut n = 0u64;
    s.walk(0, &AuditFilter::default(), &mut |r| {
        if let Err(p) = r.map_err(bad_row).and_then(|e| v.push(e)) {
            problem = Some(p);
            return ControlFlow::Break(());
        }
        n += 1;
        if n.is_multiple_of(65536) {
            progress.report(n, total);
            if progress.cancelled() {
                cancelled = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })?;
    progress.report(total, total);
    Ok(Walk {
        triggers_missing,
        head,
        first: s.hash_at(1)?,
        at_checkpoint,
        at_keychain_head,
        verified: v.verified(),
        entries: n + u64::from(problem.is_some()),
        problem,
        first_mac: v.first_mac(),
        macs_checked: v.macs_checked(),
        loss_entries,
        ack_entries,
        cancelled,
    })
}

/// Why MACs could not be checked, if they could not.
fn mac_key_state(kc: Option<&KeychainView>) -> Option<String> {
    match kc.map(|k| &k.key) {
        None => Some("entry 1 is missing, so the log's key cannot be named".into()),
        Some(Ok(Some(_))) => None,
        Some(Ok(None)) => Some("the log's key is not in this keychain (another machine or user?)".into()),
        Some(Err(e)) => Some(format!("the keychain is unavailable: {e}")),
    }
}

/// What the MACs could not prove: none at all, unchecked ones, or entries from before MACs.
fn judge_macs(macs_from: Option<i64>, kc: Option<&KeychainView>, found: &mut Findings) {
    match (macs_from, &mac_key_state(kc)) {
        (None, _) => found.unproven(
            "no entry carries a MAC (a log written before MACs, or without a keychain): an entry appended with SQL and a correct hash would be detected only by the checkpoint",
        ),
        (Some(f), Some(why)) => found.unproven(format!(
            "entries carry MACs from entry {f}, but they were not checked: {why}"
        )),
        (Some(f), None) if f > 1 => found.unproven(format!(
            "entries carry MACs from entry {f}; entries 1 to {} were written before MACs and are protected by the chain and the checkpoint only",
            f - 1
        )),
        _ => {}
    }
}

/// The triggers, and what a bad entry leaves unchecked.
fn judge_rest(w: &Walk, found: &mut Findings) {
    if !w.triggers_missing.is_empty() {
        found.problem(
            AuditProblemKind::TriggersMissing,
            None,
            format!(
                "the append-only triggers are missing or altered ({}): the database was changed outside the console",
                w.triggers_missing.join(", ")
            ),
        );
    }
    if w.problem.is_some() {
        found.unproven("entries after the first bad one were not checked");
    }
}

fn report(
    w: Walk,
    kc: Option<&KeychainView>,
    checkpoint: AuditCheckpointCheck,
    losses: Vec<AuditLoss>,
    macs_from: Option<i64>,
    found: Findings,
    started: std::time::Instant,
) -> AuditVerifyReport {
    AuditVerifyReport {
        ok: found.problems.is_empty(),
        entries: w.entries,
        verified_first: w.verified.as_ref().map(|v| v.first),
        verified_last: w.verified.as_ref().map(|v| v.last),
        verified_hash: w.verified.as_ref().map(|v| v.head_hash.clone()),
        head_seq: w.head.as_ref().map(|h| h.0),
        head_hash: w.head.map(|h| h.1),
        problems: found.problems,
        checkpoint,
        triggers_missing: w.triggers_missing,
        macs_from,
        macs_checked: w.macs_checked,
        keychain_head: kc.and_then(|k| k.head().cloned()),
        losses,
        not_proven: found.not_proven,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}
