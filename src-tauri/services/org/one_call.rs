//! The preflight's reads and a replay's write with its read-back, each in one Composite call
//! (one round trip, one API call): the same facts as the separate calls give, in the domain's
//! types.

use super::{header, outcome_of_error, owner_state, parse_http_date, record_state, SendOutcome, Session};
use crate::domain::preflight::{KeyMatch, OwnerState, PlannedRequest, RecordState, Target, WriteKind};
use crate::error::{Error, Result};
use crate::salesforce::{AutoAssign, ExternalIdLookup, KeyQuery, SalesforceError, UpdateOptions};
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

impl Session {
    /// Conditional updates by Id of one object, in Composite calls of up to 25 (one round trip
    /// and one API call each): each event's outcome, read as a single send reads it. A call
    /// that failed as a whole gives every one of its events that failure (no answer: each is
    /// an unknown outcome). Anything but an update by Id is not sent.
    pub async fn send_many(&self, reqs: &[&PlannedRequest]) -> Vec<SendOutcome> {
        let mut out: Vec<SendOutcome> = Vec::with_capacity(reqs.len());
        for chunk in reqs.chunks(crate::salesforce::MAX_SUBREQUESTS) {
            let mut opts: Vec<UpdateOptions> = Vec::with_capacity(chunk.len());
            let mut items: Vec<(usize, &str, &str)> = Vec::with_capacity(chunk.len());
            let mut answers: Vec<Option<SendOutcome>> = (0..chunk.len()).map(|_| None).collect();
            for (i, req) in chunk.iter().enumerate() {
                match (req.kind, req.path.as_slice()) {
                    (WriteKind::Update, [object, id]) if items.first().is_none_or(|(_, o, _)| o == object) => {
                        opts.push(UpdateOptions {
                            if_unmodified_since: header(req, "If-Unmodified-Since").and_then(parse_http_date),
                            auto_assign: AutoAssign::False,
                            duplicate_rule_header: None,
                        });
                        items.push((i, object.as_str(), id.as_str()));
                    }
                    _ => {
                        answers[i] = Some(SendOutcome::Rejected {
                            status: 0,
                            code: "NOT_SENT".into(),
                            message: "only updates of one object by Id are sent together".into(),
                            body: Value::Null,
                        })
                    }
                }
            }
            if let Some((_, object, _)) = items.first() {
                let updates: Vec<(&str, &serde_json::Map<String, Value>, &UpdateOptions)> = items
                    .iter()
                    .zip(&opts)
                    .map(|((i, _, id), o)| (*id, &chunk[*i].body, o))
                    .collect();
                match self.client.update_many(object, &updates).await {
                    Ok(results) => {
                        for ((i, _, id), r) in items.iter().zip(results) {
                            answers[*i] = Some(match r {
                                Ok(()) => SendOutcome::Applied {
                                    status: 204,
                                    record_id: Some(id.to_string()),
                                    body: Value::Null,
                                },
                                Err(e) => outcome_of_error(e),
                            });
                        }
                    }
                    Err(e) => {
                        let whole = outcome_of_error(e);
                        for (i, _, _) in &items {
                            answers[*i] = Some(whole.clone());
                        }
                    }
                }
            }
            out.extend(answers.into_iter().map(|a| {
                a.unwrap_or(SendOutcome::Rejected {
                    status: 0,
                    code: "NOT_SENT".into(),
                    message: "not sent".into(),
                    body: Value::Null,
                })
            }));
        }
        out
    }
}

/// A write's outcome and, when the same call read the record back, what it read.
pub(super) fn read_back_of(
    read_back: Option<std::result::Result<Option<crate::salesforce::SfRecord>, SalesforceError>>,
) -> Option<ReadBack> {
    read_back.map(|r| r.map(|rec| rec.map(record_state)).map_err(|e| e.to_string()))
}
