//! The reviewer's views of the log: `audit list` (filtered pages) and `audit show` (one entry,
//! its diff, and whether its hash, link and MAC hold).

use super::keys::KeychainView;
use super::{blocking, AuditError};
use crate::app::App;
use crate::domain::audit::{
    before_after_diff, chain_hash, parse_time_bound, AuditEntry, AuditFieldChange, AuditFilter, GENESIS,
};
use crate::error::{Error, Result};
use crate::store::audit::LogReader;
use serde::{Deserialize, Serialize};

/// A page request of `audit list`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditQuery {
    #[serde(default)]
    pub filter: AuditFilter,
    /// Continue after this sequence number (the previous page's `next_after`).
    #[serde(default)]
    pub after: Option<i64>,
    /// Default 50, at most 1000.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Newest first (then `after` continues towards older entries).
    #[serde(default)]
    pub newest_first: bool,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next_after: Option<i64>,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 1000;

/// The filter with its time bounds in the stored form (the UI may send any RFC 3339 time), so
/// that comparing text is comparing time.
pub fn normalise_filter(f: &AuditFilter) -> Result<AuditFilter> {
    let bound = |name: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_time_bound(t).map_err(|e| Error::InvalidInput(format!("{name}: {e}"))))
            .transpose()
    };
    Ok(AuditFilter {
        since: bound("since", &f.since)?,
        until: bound("until", &f.until)?,
        ..f.clone()
    })
}

pub async fn list(app: &App, q: &AuditQuery) -> Result<AuditPage> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let db = app.log_source();
    let q = AuditQuery {
        filter: normalise_filter(&q.filter)?,
        ..q.clone()
    };
    let mut entries = blocking(move || {
        let reader = LogReader::open(&db)?;
        // One more than asked tells whether there is a next page.
        Ok(reader.snapshot(|s| s.page(&q.filter, q.after, limit + 1, q.newest_first))?)
    })
    .await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    Ok(AuditPage {
        next_after: if more { entries.last().map(|e| e.seq) } else { None },
        entries,
    })
}

/// One entry for a reviewer: the entry, its detail as JSON, before/after and their diff, and
/// whether the entry matches its own hash and links to its predecessor.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AuditEntryDetail {
    pub entry: AuditEntry,
    /// `detail` parsed; `null` if the stored text is not JSON.
    #[ts(type = "unknown")]
    pub detail: serde_json::Value,
    #[ts(type = "unknown")]
    pub before: Option<serde_json::Value>,
    #[ts(type = "unknown")]
    pub after: Option<serde_json::Value>,
    /// Field by field, when the detail has `before` and `after` objects.
    pub diff: Option<Vec<AuditFieldChange>>,
    /// The entry's content matches its hash.
    pub hash_ok: bool,
    /// Its `prev_hash` is the previous entry's hash; `None` when the previous entry is missing.
    pub link_ok: Option<bool>,
    /// Whether it carries this log's MAC: what tells an entry the console wrote from one
    /// inserted with SQL.
    pub mac: AuditMacState,
}

/// An entry's MAC as `audit show` finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum AuditMacState {
    /// Made by this log's key over this entry's hash.
    Valid,
    /// Present but not made by this log's key over this hash: forged or rewritten.
    Invalid,
    /// None, though entries from `macs_from` on must carry one: inserted outside the console.
    Missing,
    /// None, and none is required: written before entries carried MACs.
    BeforeMacs,
    /// Present, but the log's key is not in this keychain (or the keychain is unavailable).
    Unchecked,
}

pub async fn show(app: &App, seq: i64) -> Result<AuditEntryDetail> {
    let db = app.log_source();
    let (entry, prev) = blocking(move || {
        let reader = LogReader::open(&db)?;
        reader.snapshot(|s| -> Result<_> {
            let prev = if seq > 1 {
                s.hash_at(seq - 1)?
            } else {
                Some(GENESIS.to_string())
            };
            Ok((s.entry(seq)?, prev))
        })
    })
    .await?;
    let entry = entry.ok_or(AuditError::NoEntry(seq))?;
    let (mac, log_id) = {
        let db = app.log_source();
        blocking(move || LogReader::open(&db)?.snapshot(|s| -> Result<_> { Ok((s.mac_at(seq)?, s.hash_at(1)?)) }))
            .await?
    };
    let kc = match &log_id {
        Some(id) => Some(KeychainView::read(&app.db_path, id, true).await),
        None => None,
    };
    // From which entry a MAC is required: the keychain's record; without one (and only for an
    // entry without a MAC, where it matters), the first entry that carries one.
    let required_from = match (kc.as_ref().and_then(|k| k.macs_from()), &mac) {
        (Some(f), _) => Some(f),
        (None, Some(_)) => None,
        (None, None) => {
            let db = app.log_source();
            blocking(move || Ok(LogReader::open(&db)?.snapshot(|s| s.first_mac())?)).await?
        }
    };
    let mac = match (mac, kc.as_ref().and_then(|k| k.mac_key())) {
        (None, _) if required_from.is_some_and(|f| seq >= f) => AuditMacState::Missing,
        (None, _) => AuditMacState::BeforeMacs,
        (Some(m), Some(key)) => match crate::domain::audit::decode_hash(&entry.hash) {
            Some(h) if key.check(&h, &m) => AuditMacState::Valid,
            _ => AuditMacState::Invalid,
        },
        (Some(_), None) => AuditMacState::Unchecked,
    };
    let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap_or(serde_json::Value::Null);
    Ok(AuditEntryDetail {
        mac,
        hash_ok: chain_hash(&entry.prev_hash, &entry).as_deref() == Some(entry.hash.as_str()),
        link_ok: prev.map(|p| p == entry.prev_hash),
        before: detail.get("before").cloned(),
        after: detail.get("after").cloned(),
        diff: before_after_diff(&detail),
        detail,
        entry,
    })
}
