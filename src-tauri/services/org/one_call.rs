//! The preflight's reads and a replay's write with its read-back, each in one Composite call
//! (one round trip, one API call): the same facts as the separate calls give, in the domain's
//! types.

use super::{outcome_of_error, owner_state, record_state, Session};
use crate::domain::preflight::{KeyMatch, OwnerState, RecordState, Target};
use crate::error::{Error, Result};
use crate::salesforce::{ExternalIdLookup, KeyQuery, SalesforceError};
use serde_json::Value;

/// What a preflight reads about its target.
pub struct Reads {
    pub target: Target,
    /// The owner and the last modifier (when there is one record); `Err` when the look-up failed.
    pub people: Option<Result<Vec<OwnerState>>>,
    /// The business-key matches, when a key was given.
    pub key_matches: Option<Result<Vec<KeyMatch>>>,
    /// Whether the org marks the external-ID field unique, when asked.
    pub external_id_unique: Option<Result<bool>>,
}

/// The record read back after a write: `Ok(None)` when it is not there, `Err` (why) when it
/// could not be read.
pub type ReadBack = std::result::Result<Option<RecordState>, String>;

impl Session {
    /// The record by external ID, its owner and last modifier, the business-key query (`keys`,
    /// text values) and the external-ID field's describe (when `want_unique` and not known yet
    /// in this process), in one call.
    pub async fn preflight_reads(
        &self,
        object: &str,
        field: &str,
        value: &str,
        keys: Option<&[(String, String)]>,
        want_unique: bool,
    ) -> Result<Reads> {
        let cache_key = (object.to_ascii_lowercase(), field.to_ascii_lowercase());
        let known = if want_unique {
            self.unique_checked.lock().await.get(&cache_key).copied()
        } else {
            None
        };
        let select: Vec<&str> = keys.into_iter().flatten().map(|(f, _)| f.as_str()).collect();
        let equals: Vec<(&str, &str)> = keys
            .into_iter()
            .flatten()
            .map(|(f, v)| (f.as_str(), v.as_str()))
            .collect();
        let key_query = keys.filter(|k| !k.is_empty()).map(|_| KeyQuery {
            select: &select,
            equals: &equals,
        });
        let r = self
            .client
            .preflight_reads(object, field, value, key_query, want_unique && known.is_none())
            .await?;
        let target = match r.lookup {
            ExternalIdLookup::Found { record } => Target::Found {
                record: record_state(record),
            },
            ExternalIdLookup::NotFound => Target::NotFound,
            ExternalIdLookup::Multiple { ids } => Target::Several { ids },
        };
        let people = r.people.map(|res| {
            res.map_err(Error::from).map(|owners| {
                let mut out: Vec<OwnerState> = owners.into_iter().map(owner_state).collect();
                // Salesforce answers with 18-character Ids; the record may carry either form.
                if let Target::Found { record } = &target {
                    let ids = [record.owner_id.as_deref(), record.last_modified_by_id.as_deref()];
                    for o in &mut out {
                        if let Some(orig) = ids
                            .iter()
                            .flatten()
                            .find(|i| o.id.starts_with(**i) || i.starts_with(&o.id))
                        {
                            o.id = orig.to_string();
                        }
                    }
                }
                out
            })
        });
        let key_matches = r.key_rows.map(|res| {
            res.map_err(Error::from).map(|rows| {
                rows.into_iter()
                    .filter_map(|m| {
                        let id = m.get("Id").and_then(Value::as_str)?.to_string();
                        Some(KeyMatch { id, fields: m })
                    })
                    .collect()
            })
        });
        let external_id_unique = match (known, r.describe) {
            (Some(k), _) => Some(Ok(k)),
            (None, Some(Ok(d))) => {
                let unique = d.is_some_and(|d| d.unique && d.external_id);
                self.unique_checked.lock().await.insert(cache_key, unique);
                Some(Ok(unique))
            }
            (None, Some(Err(e))) => Some(Err(e.into())),
            (None, None) => None,
        };
        Ok(Reads {
            target,
            people,
            key_matches,
            external_id_unique,
        })
    }
}

/// A write's outcome and, when the same call read the record back, what it read.
pub(super) fn read_back_of(
    read_back: Option<std::result::Result<Option<crate::salesforce::SfRecord>, SalesforceError>>,
) -> Option<ReadBack> {
    read_back.map(|r| r.map(|rec| rec.map(record_state)).map_err(|e| e.to_string()))
}

/// A composite call that failed as a whole: what it means for the write inside it.
pub(super) fn whole_call_failed(e: SalesforceError) -> super::SendOutcome {
    outcome_of_error(e)
}
