//! Composite (SALESFORCE.md §8, §8a): several requests in one `POST /composite`, which is one
//! round trip and one API call; each subrequest has its own status, headers and body, read here
//! exactly as the same request's answer alone would be. `allOrNone` is always false: one
//! subrequest's failure stops only those that refer to it, and those answer
//! `PROCESSING_HALTED` (a missing piece, e.g. no record so no owner, not a failure).

use super::api::{queue_from, select_list, write_answer, write_body, write_headers};
use super::encode::{self, api_name, external_id_segment, record_id, soql_literal};
use super::error::SalesforceError;
use super::transport::{Answer, Call};
use super::{ExternalIdLookup, FieldDescribe, Owner, SalesforceClient, SfRecord, UpdateOptions, UpsertOptions};
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

/// Salesforce's limit on subrequests in one composite call.
pub const MAX_SUBREQUESTS: usize = 25;

/// One subrequest.
pub(crate) struct Sub {
    pub method: Method,
    /// From `/services/data/vXX.X/`, references (`@{ref.path}`) left as they are.
    pub url: String,
    pub reference_id: String,
    pub body: Option<Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// What a preflight reads, fetched in one call.
#[derive(Debug)]
pub struct PreflightReads {
    pub lookup: ExternalIdLookup,
    /// The owner and the last modifier, in that order (one entry when they are the same Id);
    /// `None` when there is no record to own (nothing was looked up), `Err` when a look-up failed.
    pub people: Option<Result<Vec<Owner>, SalesforceError>>,
    /// The business-key query's rows, when one was asked for.
    pub key_rows: Option<Result<Vec<Map<String, Value>>, SalesforceError>>,
    /// The external-ID field's describe, when asked for.
    pub describe: Option<Result<Option<FieldDescribe>, SalesforceError>>,
}

/// A write and the read-back of the same record, answered in one call.
#[derive(Debug)]
pub struct WriteAndReadBack<T> {
    pub write: Result<T, SalesforceError>,
    /// `None` when the read-back did not run (the write's answer gave no record to read).
    pub read_back: Option<Result<Option<SfRecord>, SalesforceError>>,
}

/// A business-key query: the columns to select and the fields to compare, each with its value.
pub struct KeyQuery<'a> {
    pub select: &'a [&'a str],
    pub equals: &'a [(&'a str, &'a str)],
}

const USER_COLUMNS: &str = "Id, Name, Username, IsActive";

fn is_halted(a: &Answer) -> bool {
    a.status.as_u16() == 400
        && a.json()
            .and_then(|j| j.get(0)?.get("errorCode")?.as_str().map(str::to_string))
            .is_some_and(|c| c == "PROCESSING_HALTED")
}

impl SalesforceClient {
    /// Sends the subrequests in one call (`allOrNone: false`) and returns their answers in
    /// order. An answer that cannot be read is `NoAnswer`: subrequests may have been applied.
    pub(crate) async fn composite(&self, subs: &[Sub]) -> Result<Vec<Answer>, SalesforceError> {
        if subs.is_empty() || subs.len() > MAX_SUBREQUESTS {
            return Err(SalesforceError::InvalidInput(format!(
                "a composite call carries 1 to {MAX_SUBREQUESTS} subrequests, not {}",
                subs.len()
            )));
        }
        let list: Vec<Value> = subs
            .iter()
            .map(|s| {
                let mut item = json!({"method": s.method.as_str(), "url": s.url, "referenceId": s.reference_id});
                if let Some(b) = &s.body {
                    item["body"] = b.clone();
                }
                if !s.headers.is_empty() {
                    let h: Map<String, Value> = s
                        .headers
                        .iter()
                        .map(|(k, v)| (canonical(k.as_str()), json!(v.to_str().unwrap_or_default())))
                        .collect();
                    item["httpHeaders"] = Value::Object(h);
                }
                item
            })
            .collect();
        let body = serde_json::to_vec(&json!({"allOrNone": false, "compositeRequest": list}))
            .map_err(|e| SalesforceError::InvalidInput(format!("the composite request cannot be encoded: {e}")))?;
        let call = Call {
            method: Method::POST,
            path: self.data_path("composite"),
            headers: Vec::new(),
            body: Some(body),
        };
        let a = self.success(self.send(&call).await?)?;
        let unreadable = |why: &str| {
            SalesforceError::NoAnswer(format!(
                "the composite answer ({}) {why}; its subrequests may have been applied",
                a.status.as_u16()
            ))
        };
        let j = a.json().ok_or_else(|| unreadable("is not JSON"))?;
        let items = j
            .get("compositeResponse")
            .and_then(Value::as_array)
            .ok_or_else(|| unreadable("has no compositeResponse"))?;
        if items.len() != subs.len() {
            return Err(unreadable(&format!(
                "has {} answers for {} subrequests",
                items.len(),
                subs.len()
            )));
        }
        let mut out = Vec::with_capacity(items.len());
        for (item, s) in items.iter().zip(subs) {
            if item.get("referenceId").and_then(Value::as_str) != Some(s.reference_id.as_str()) {
                return Err(unreadable("answers in another order than asked"));
            }
            let status = item
                .get("httpStatusCode")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| unreadable("has a subrequest without a status"))?;
            let mut headers = HeaderMap::new();
            for (k, v) in item.get("httpHeaders").and_then(Value::as_object).into_iter().flatten() {
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(k.as_bytes()),
                    v.as_str().map(HeaderValue::from_str),
                ) {
                    headers.append(name, value);
                }
            }
            let body = match item.get("body") {
                None | Some(Value::Null) => Bytes::new(),
                Some(b) => Bytes::from(serde_json::to_vec(b).unwrap_or_default()),
            };
            out.push(Answer { status, headers, body });
        }
        Ok(out)
    }

    /// The preflight's reads in one call: the record by external ID (`rec`), its owner (as a
    /// user and as a queue) and last modifier by reference, and optionally the business-key
    /// query and the external-ID field's describe. A record that is not there (or several)
    /// leaves the owner look-ups not run, which is read as "no owner to look up".
    pub async fn preflight_reads(
        &self,
        object: &str,
        field: &str,
        value: &str,
        key_query: Option<KeyQuery<'_>>,
        describe: bool,
    ) -> Result<PreflightReads, SalesforceError> {
        api_name("object", object)?;
        api_name("field", field)?;
        let seg = external_id_segment(value)?;
        let path = |rest: &str| self.data_path(rest);
        let query = |soql_before: &str, reference: &str, soql_after: &str| {
            // The reference stays as it is; the SOQL around it is encoded.
            path(&format!(
                "query?q={}{reference}{}",
                utf8_percent_encode(soql_before, NON_ALPHANUMERIC),
                utf8_percent_encode(soql_after, NON_ALPHANUMERIC)
            ))
        };
        let get = |url: String, reference: &str| Sub {
            method: Method::GET,
            url,
            reference_id: reference.into(),
            body: None,
            headers: Vec::new(),
        };
        let mut subs = vec![
            get(path(&format!("sobjects/{object}/{field}/{seg}")), "rec"),
            get(
                query(
                    &format!("SELECT {USER_COLUMNS} FROM User WHERE Id = '"),
                    "@{rec.OwnerId}",
                    "'",
                ),
                "ownerUser",
            ),
            get(
                query(
                    "SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND Id = '",
                    "@{rec.OwnerId}",
                    "'",
                ),
                "ownerQueue",
            ),
            get(
                query(
                    &format!("SELECT {USER_COLUMNS} FROM User WHERE Id = '"),
                    "@{rec.LastModifiedById}",
                    "'",
                ),
                "modifier",
            ),
        ];
        let asked_key = key_query.is_some();
        if let Some(k) = key_query {
            let cols = select_list(k.select)?;
            let mut conds = Vec::new();
            for (f, v) in k.equals {
                api_name("field", f)?;
                conds.push(format!("{f} = {}", soql_literal(v)));
            }
            let soql = format!("SELECT {cols} FROM {object} WHERE {}", conds.join(" AND "));
            subs.push(get(query(&soql, "", ""), "businessKey"));
        }
        if describe {
            subs.push(get(path(&format!("sobjects/{object}/describe")), "describe"));
        }
        let answers = self.composite(&subs).await?;
        let lookup = self.external_id_answer(&answers[0], object)?;
        let people = match &lookup {
            ExternalIdLookup::Found { record } => Some(self.people_of(record, &answers[1..4])),
            _ => None,
        };
        let mut next = 4;
        let key_rows = asked_key.then(|| {
            next += 1;
            self.query_rows(&answers[next - 1])
        });
        let describe = describe.then(|| describe_answer(self, &answers[next], field));
        Ok(PreflightReads {
            lookup,
            people,
            key_rows,
            describe,
        })
    }

    /// The conditional update by Id and the read-back of the same record, in one call. The
    /// read-back runs whatever the update answered (after a 412 it shows why).
    pub async fn update_and_read_back(
        &self,
        object: &str,
        id: &str,
        fields: &Map<String, Value>,
        opts: &UpdateOptions,
    ) -> Result<WriteAndReadBack<()>, SalesforceError> {
        api_name("object", object)?;
        record_id(id)?;
        let body: Value = serde_json::from_slice(&write_body(fields, &[])?).unwrap_or(Value::Null);
        let mut headers = write_headers(&opts.auto_assign, opts.duplicate_rule_header.as_deref())?;
        if let Some(t) = opts.if_unmodified_since {
            let v = HeaderValue::from_str(&encode::http_date(t))
                .map_err(|_| SalesforceError::InvalidInput("bad date".into()))?;
            headers.push((HeaderName::from_static("if-unmodified-since"), v));
        }
        let url = self.data_path(&format!("sobjects/{object}/{id}"));
        let subs = [
            Sub {
                method: Method::PATCH,
                url: url.clone(),
                reference_id: "write".into(),
                body: Some(body),
                headers,
            },
            Sub {
                method: Method::GET,
                url,
                reference_id: "readBack".into(),
                body: None,
                headers: Vec::new(),
            },
        ];
        let answers = self.composite(&subs).await?;
        let write = self.success(answers[0].clone()).map(|_| ());
        Ok(WriteAndReadBack {
            write,
            read_back: Some(self.record_answer(&answers[1], object)),
        })
    }

    /// A plain create and the read-back of the record it made, in one call (the read-back
    /// refers to the create's `id`, so it does not run when the create failed).
    pub async fn create_and_read_back(
        &self,
        object: &str,
        fields: &Map<String, Value>,
        opts: &UpsertOptions,
    ) -> Result<WriteAndReadBack<super::CreateResult>, SalesforceError> {
        api_name("object", object)?;
        let body: Value = serde_json::from_slice(&write_body(fields, &[])?).unwrap_or(Value::Null);
        let headers = write_headers(&opts.auto_assign, opts.duplicate_rule_header.as_deref())?;
        let subs = [
            Sub {
                method: Method::POST,
                url: self.data_path(&format!("sobjects/{object}/")),
                reference_id: "create".into(),
                body: Some(body),
                headers,
            },
            Sub {
                method: Method::GET,
                url: self.data_path(&format!("sobjects/{object}/@{{create.id}}")),
                reference_id: "readBack".into(),
                body: None,
                headers: Vec::new(),
            },
        ];
        let answers = self.composite(&subs).await?;
        let write = self.success(answers[0].clone()).and_then(|a| {
            let j = write_answer(&a, "the create answer", "the record may have been created")?;
            Ok(super::CreateResult {
                status: a.status.as_u16(),
                id: j.get("id").and_then(Value::as_str).map(str::to_string),
                created: j.get("created").and_then(Value::as_bool),
            })
        });
        let read_back = (!is_halted(&answers[1])).then(|| self.record_answer(&answers[1], object));
        Ok(WriteAndReadBack { write, read_back })
    }

    /// Conditional updates by Id of several records of `object`, each its own subrequest with
    /// its own headers, in one call: one record's 412 or validation error does not stop the
    /// others. Each answer is read as [`SalesforceClient::update_by_id`] reads its own.
    pub async fn update_many(
        &self,
        object: &str,
        updates: &[(&str, &Map<String, Value>, &UpdateOptions)],
    ) -> Result<Vec<Result<(), SalesforceError>>, SalesforceError> {
        api_name("object", object)?;
        let mut subs = Vec::with_capacity(updates.len());
        for (i, (id, fields, opts)) in updates.iter().enumerate() {
            record_id(id)?;
            let body: Value = serde_json::from_slice(&write_body(fields, &[])?).unwrap_or(Value::Null);
            let mut headers = write_headers(&opts.auto_assign, opts.duplicate_rule_header.as_deref())?;
            if let Some(t) = opts.if_unmodified_since {
                let v = HeaderValue::from_str(&encode::http_date(t))
                    .map_err(|_| SalesforceError::InvalidInput("bad date".into()))?;
                headers.push((HeaderName::from_static("if-unmodified-since"), v));
            }
            subs.push(Sub {
                method: Method::PATCH,
                url: self.data_path(&format!("sobjects/{object}/{id}")),
                reference_id: format!("w{i}"),
                body: Some(body),
                headers,
            });
        }
        let answers = self.composite(&subs).await?;
        Ok(answers.into_iter().map(|a| self.success(a).map(|_| ())).collect())
    }

    /// A record read's answer: the record, `None` for 404, or the error.
    pub(super) fn record_answer(&self, a: &Answer, object: &str) -> Result<Option<SfRecord>, SalesforceError> {
        if a.status.as_u16() == 404 {
            return match self.error_for(a) {
                SalesforceError::NotFound { .. } => Ok(None),
                other => Err(other),
            };
        }
        let a = self.success(a.clone())?;
        let v = a.json().ok_or_else(|| SalesforceError::Unexpected {
            status: a.status.as_u16(),
            snippet: "record is not JSON".into(),
        })?;
        SfRecord::from_json(v, object).map(Some)
    }

    /// A read by external ID's answer: found, not found, or several (300).
    pub(super) fn external_id_answer(&self, a: &Answer, object: &str) -> Result<ExternalIdLookup, SalesforceError> {
        if a.status.as_u16() == 200 {
            let v = a.json().ok_or_else(|| SalesforceError::Unexpected {
                status: 200,
                snippet: "record is not JSON".into(),
            })?;
            return Ok(ExternalIdLookup::Found {
                record: SfRecord::from_json(v, object)?,
            });
        }
        match self.error_for(a) {
            SalesforceError::NotFound { .. } => Ok(ExternalIdLookup::NotFound),
            SalesforceError::MultipleMatches { ids, .. } => Ok(ExternalIdLookup::Multiple { ids }),
            other => Err(other),
        }
    }

    /// A query answer's rows (without `attributes`); a query answered in several batches is
    /// asked again whole (the owner and business-key look-ups are a row or a few).
    fn query_rows(&self, a: &Answer) -> Result<Vec<Map<String, Value>>, SalesforceError> {
        let a = self.success(a.clone())?;
        let j = a.json().ok_or_else(|| SalesforceError::Unexpected {
            status: a.status.as_u16(),
            snippet: "query answer is not JSON".into(),
        })?;
        if !j.get("done").and_then(Value::as_bool).unwrap_or(true) {
            return Err(SalesforceError::Unexpected {
                status: a.status.as_u16(),
                snippet: "a preflight look-up answered in more than one batch".into(),
            });
        }
        Ok(j.get("records")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| match r.clone() {
                Value::Object(mut m) => {
                    m.remove("attributes");
                    Some(m)
                }
                _ => None,
            })
            .collect())
    }

    /// The owner and the last modifier from the three look-ups (owner as user, owner as
    /// queue, modifier as user), as [`SalesforceClient::owners`] would give them.
    fn people_of(&self, record: &SfRecord, answers: &[Answer]) -> Result<Vec<Owner>, SalesforceError> {
        let mut rows: Vec<Map<String, Value>> = Vec::new();
        for a in answers {
            // Not run: the record has no such Id to look up (the check says so from the record).
            if is_halted(a) {
                continue;
            }
            rows.extend(self.query_rows(a)?);
        }
        let mut ids: Vec<&str> = Vec::new();
        for id in [record.owner_id(), record.last_modified_by_id()].into_iter().flatten() {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids
            .into_iter()
            .map(|id| {
                let id18 = encode::id18(id).unwrap_or_else(|| id.to_string());
                let row = rows.iter().find(|r| {
                    r.get("Id")
                        .and_then(Value::as_str)
                        .and_then(encode::id18)
                        .is_some_and(|i| i == id18)
                });
                match row {
                    Some(r) if r.contains_key("DeveloperName") => queue_from(r).unwrap_or(Owner::Missing { id: id18 }),
                    Some(r) => {
                        let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
                        Owner::User {
                            id: id18,
                            name: s("Name").unwrap_or_default(),
                            username: s("Username"),
                            active: r.get("IsActive").and_then(Value::as_bool).unwrap_or(false),
                        }
                    }
                    None if id18.starts_with("005") || id18.starts_with("00G") => Owner::Missing { id: id18 },
                    None => Owner::Other { id: id18 },
                }
            })
            .collect())
    }
}

/// A describe answer: whether `field` is marked `unique` and `externalId`; `None` when the
/// object has no such field.
pub(super) fn describe_answer(
    client: &SalesforceClient,
    a: &Answer,
    field: &str,
) -> Result<Option<FieldDescribe>, SalesforceError> {
    let a = client.success(a.clone())?;
    let j = a.json().ok_or_else(|| SalesforceError::Unexpected {
        status: a.status.as_u16(),
        snippet: "describe is not JSON".into(),
    })?;
    let fields = j
        .get("fields")
        .and_then(Value::as_array)
        .ok_or_else(|| SalesforceError::Unexpected {
            status: a.status.as_u16(),
            snippet: "describe has no fields".into(),
        })?;
    Ok(fields
        .iter()
        .find(|f| {
            f.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(field))
        })
        .map(|f| FieldDescribe {
            unique: f.get("unique").and_then(Value::as_bool).unwrap_or(false),
            external_id: f.get("externalId").and_then(Value::as_bool).unwrap_or(false),
        }))
}

/// `if-unmodified-since` -> `If-Unmodified-Since`, as Salesforce's examples write them.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
