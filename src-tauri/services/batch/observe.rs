//! The batch preflight's reads: records by external ID (≤200 a query), their owners and last
//! modifiers at once, and the business keys of the not-found events OR-ed together.

use crate::domain::contract::LaneContract;
use crate::domain::preflight::{self, EventFacts, FailedCheck, KeyMatch, Observed, RecordState, Target};
use crate::error::Result;
use crate::services::org::{is_field_name, Session, IN_LIST_MAX};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Observes every event of the selection with batched reads (see the module comment).
pub(super) async fn observe_all(
    session: &Session,
    contract: &LaneContract,
    facts: &[EventFacts],
    calls: &AtomicU64,
) -> Result<Vec<Observed>> {
    let object = contract.identity_policy.object.as_str();
    let ext_field = contract.identity_policy.external_id_field.as_str();
    let mut select: Vec<String> = ["OwnerId", "LastModifiedDate", "LastModifiedById", ext_field]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for f in facts {
        for k in f.payload.keys() {
            if is_field_name(k) && !select.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                select.push(k.clone());
            }
        }
    }
    let mut values: Vec<&str> = facts.iter().filter_map(|f| f.external_id.as_deref()).collect();
    values.sort_unstable();
    values.dedup();
    let (records, queries) = session
        .records_where_in(object, ext_field, &values, &mut select)
        .await?;
    calls.fetch_add(queries, Ordering::Relaxed);
    // External IDs match case-insensitively, as Salesforce's (non case-sensitive) external ID
    // fields do for the GET by external ID.
    let mut by_ext: HashMap<String, Vec<RecordState>> = HashMap::new();
    for r in records {
        if let Some(ext) = r.fields.get(ext_field).and_then(Value::as_str) {
            by_ext.entry(ext.to_lowercase()).or_default().push(r);
        }
    }
    let mut people: Vec<&str> = Vec::new();
    for r in by_ext.values().flatten() {
        for id in [r.owner_id.as_deref(), r.last_modified_by_id.as_deref()]
            .into_iter()
            .flatten()
        {
            if !people.contains(&id) {
                people.push(id);
            }
        }
    }
    // A failed lookup is not the end of the batch preflight: each found event records the
    // checks it leaves open, for the contract's verify_before_replay to decide.
    let mut lookup_failed: Option<String> = None;
    let resolved = if people.is_empty() {
        Vec::new()
    } else {
        // Users and queues: one query each per 200 ids, run at once.
        calls.fetch_add(2 * people.len().div_ceil(IN_LIST_MAX) as u64, Ordering::Relaxed);
        match session.resolve_owners(&people).await {
            Ok(r) => r,
            Err(e) => {
                lookup_failed = Some(format!("the owner and last-modifier lookup failed: {e}"));
                Vec::new()
            }
        }
    };
    let any_create = facts.iter().any(|f| {
        f.external_id
            .as_deref()
            .is_some_and(|v| !by_ext.contains_key(&v.to_lowercase()))
    });
    let external_id_unique_in_org = if contract.write_policy.external_id_must_be_unique && any_create {
        calls.fetch_add(1, Ordering::Relaxed);
        Some(session.external_id_is_unique(object, ext_field).await?)
    } else {
        None
    };
    let find = |id: Option<&str>| id.and_then(|i| resolved.iter().find(|o| o.id == i).cloned());
    let mut out = Vec::with_capacity(facts.len());
    for f in facts {
        let target = match f.external_id.as_deref() {
            None => Target::NoExternalId,
            Some(v) => match by_ext.get(&v.to_lowercase()).map(Vec::as_slice) {
                None | Some([]) => Target::NotFound,
                Some([one]) => Target::Found { record: one.clone() },
                Some(many) => Target::Several {
                    ids: many.iter().map(|r| r.id.clone()).collect(),
                },
            },
        };
        let mut observed = Observed {
            owner: None,
            last_modified_by: None,
            key_matches: Vec::new(),
            acts_as: session.acts_as().to_string(),
            latest_attempt: None,
            target,
            failed_checks: Vec::new(),
            external_id_unique_in_org,
        };
        if let Target::Found { record } = &observed.target {
            observed.owner = find(record.owner_id.as_deref());
            observed.last_modified_by = find(record.last_modified_by_id.as_deref());
            observed.failed_checks = match &lookup_failed {
                Some(m) => ["owner_state", "last_write_result"]
                    .iter()
                    .map(|c| FailedCheck {
                        check: (*c).into(),
                        message: m.clone(),
                    })
                    .collect(),
                None => crate::services::preflight::unresolved_checks(
                    record,
                    observed.owner.as_ref(),
                    observed.last_modified_by.as_ref(),
                ),
            };
        }
        out.push(observed);
    }
    if contract.identity_policy.search_before_write {
        search_business_keys(session, contract, facts, &mut out, calls).await?;
    }
    Ok(out)
}

/// The complete business key of an event whose values are all text (as a single preflight
/// searches only such keys; an incomplete one is the preflight's `business_key_incomplete`).
pub(super) fn business_key(contract: &LaneContract, f: &EventFacts) -> Option<Vec<(String, String)>> {
    preflight::business_key(contract, &f.payload).ok()
}

/// The business-key search of every not-found event, in OR-ed queries (see
/// `find_by_any_key`), each match handed back to the events whose key it has (compared as SOQL
/// does: text case-insensitively).
pub(super) async fn search_business_keys(
    session: &Session,
    contract: &LaneContract,
    facts: &[EventFacts],
    observed: &mut [Observed],
    calls: &AtomicU64,
) -> Result<()> {
    let object = contract.identity_policy.object.as_str();
    let mut wanted: Vec<(usize, Vec<(String, String)>)> = Vec::new();
    for (i, (f, o)) in facts.iter().zip(observed.iter()).enumerate() {
        if matches!(o.target, Target::NotFound) {
            if let Some(key) = business_key(contract, f) {
                wanted.push((i, key));
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    // One search per distinct key.
    let mut distinct: Vec<Vec<(&str, &str)>> = Vec::new();
    for (_, key) in &wanted {
        let k: Vec<(&str, &str)> = key.iter().map(|(f, v)| (f.as_str(), v.as_str())).collect();
        if !distinct.iter().any(|d| same_key(d, &k)) {
            distinct.push(k);
        }
    }
    let select: Vec<&str> = contract
        .replay_console
        .business_key_fields
        .iter()
        .map(|k| k.as_str())
        .collect();
    let (found, queries) = session.records_matching_any_key(object, &select, &distinct).await?;
    calls.fetch_add(queries, Ordering::Relaxed);
    for (i, key) in &wanted {
        let matches: Vec<KeyMatch> = found
            .iter()
            .filter(|m| {
                key.iter().all(|(f, v)| {
                    m.fields
                        .get(f.as_str())
                        .and_then(Value::as_str)
                        .is_some_and(|x| x.to_lowercase() == v.to_lowercase())
                })
            })
            .cloned()
            .collect();
        if let Some(o) = observed.get_mut(*i) {
            o.key_matches = matches;
        }
    }
    Ok(())
}

pub(super) fn same_key(a: &[(&str, &str)], b: &[(&str, &str)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((fa, va), (fb, vb))| fa == fb && va.to_lowercase() == vb.to_lowercase())
}
