//! Reads of many records at once, for batches: records by a field's values (≤200 a query),
//! business keys OR-ed together, and the org's API usage. In the domain's types, like the rest
//! of the adapter; the batch preflight and the batch's post-verify go through here.

use super::{record_state, Session};
use crate::domain::preflight::{KeyMatch, RecordState};
use crate::error::Result;
use crate::salesforce::{encode, SalesforceError, SfRecord};
use serde_json::{Map, Value};

/// Salesforce's practical limit of values in one SOQL `IN` list.
pub const IN_LIST_MAX: usize = 200;

/// Chunked reads of one batch in flight at once: the batch's own default concurrency.
pub const READS_AT_ONCE: usize = 4;

/// Records read and the queries it took.
type Found = (Vec<RecordState>, u64);

/// One of several reads run together by [`at_most`].
pub type Read<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Runs the reads `n` at a time (each `n` together, then the next); their results in order.
pub async fn at_most<T>(n: usize, mut reads: Vec<Read<'_, T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(reads.len());
    while !reads.is_empty() {
        let now: Vec<Read<'_, T>> = reads.drain(..n.max(1).min(reads.len())).collect();
        out.extend(futures_util::future::join_all(now).await);
    }
    out
}

/// The org's daily API usage, from the last answer's `Sforce-Limit-Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    pub used: u64,
    pub limit: u64,
}

impl Session {
    /// Records of `object` whose `field` is one of `values`, ≤200 values a query, with the
    /// `select`ed fields, [`READS_AT_ONCE`] queries at a time (1,000 values: one round trip,
    /// not five). Payload fields the object does not have are dropped from `select` (the write
    /// itself reports them, as a single replay would): each query in flight finds that out for
    /// itself, at the cost of one extra query per such field. Returns the records and the
    /// number of queries made.
    pub async fn records_where_in(
        &self,
        object: &str,
        field: &str,
        values: &[&str],
        select: &mut Vec<String>,
    ) -> Result<(Vec<RecordState>, u64)> {
        let asked = select.clone();
        let reads: Vec<Read<'_, (Result<Found>, Vec<String>)>> = values
            .chunks(IN_LIST_MAX)
            .map(|chunk| -> Read<'_, _> {
                let mut cols = asked.clone();
                Box::pin(async move {
                    let r = self.chunk_where_in(object, field, chunk, &mut cols).await;
                    (r, cols)
                })
            })
            .collect();
        let (mut out, mut calls) = (Vec::new(), 0u64);
        for (r, cols) in at_most(READS_AT_ONCE, reads).await {
            let (rows, n) = r?;
            out.extend(rows);
            calls += n;
            if cols.len() < select.len() {
                *select = cols;
            }
        }
        Ok((out, calls))
    }

    /// One query of [`Self::records_where_in`] (more when a selected field is not on the object).
    async fn chunk_where_in(
        &self,
        object: &str,
        field: &str,
        chunk: &[&str],
        select: &mut Vec<String>,
    ) -> Result<(Vec<RecordState>, u64)> {
        let mut calls = 0u64;
        loop {
            let cols: Vec<&str> = select.iter().map(String::as_str).collect();
            calls += 1;
            match self.client.find_by_external_ids(object, field, chunk, &cols).await {
                Ok(rows) => {
                    let records = rows
                        .into_iter()
                        .filter_map(|row| record_from_row(row, object))
                        .collect();
                    return Ok((records, calls));
                }
                Err(e) => match invalid_field(&e) {
                    Some(f) if select.iter().any(|s| s.eq_ignore_ascii_case(&f)) => {
                        select.retain(|s| !s.eq_ignore_ascii_case(&f));
                    }
                    _ => return Err(e.into()),
                },
            }
        }
    }

    /// Records of `object` matching any of the business `keys` (each a list of field = text), in
    /// OR-ed queries; each match with the `select`ed fields. Returns them and the queries made.
    pub async fn records_matching_any_key(
        &self,
        object: &str,
        select: &[&str],
        keys: &[Vec<(&str, &str)>],
    ) -> Result<(Vec<KeyMatch>, u64)> {
        let (rows, queries) = self.client.find_by_any_key(object, select, keys).await?;
        let matches = rows
            .into_iter()
            .filter_map(|row| {
                let id = row.get("Id").and_then(Value::as_str)?.to_string();
                Some(KeyMatch { id, fields: row })
            })
            .collect();
        Ok((matches, queries as u64))
    }

    /// The org's daily API usage as of the last answer, if the org reported it.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        self.client.api_usage().map(|u| ApiUsage {
            used: u.used,
            limit: u.limit,
        })
    }
}

/// The key under which two forms of one record Id (15 or 18 characters) are the same.
pub fn id_key(id: &str) -> String {
    encode::id18(id).unwrap_or_else(|| id.to_string())
}

/// Whether `f` can be a field's API name (payload keys that cannot are never selected).
pub fn is_field_name(f: &str) -> bool {
    encode::api_name("field", f).is_ok()
}

/// A query row as the domain's record, mapped as every other read is (`record_state`).
fn record_from_row(row: Map<String, Value>, object: &str) -> Option<RecordState> {
    SfRecord::from_json(Value::Object(row), object).ok().map(record_state)
}

/// The field a SOQL `INVALID_FIELD` error names, if any.
fn invalid_field(e: &SalesforceError) -> Option<String> {
    let SalesforceError::Api { errors, .. } = e else {
        return None;
    };
    let item = errors.iter().find(|i| i.error_code == "INVALID_FIELD")?;
    let rest = item.message.split("No such column '").nth(1)?;
    Some(rest.split('\'').next()?.to_string())
}
