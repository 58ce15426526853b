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

/// The org's daily API usage, from the last answer's `Sforce-Limit-Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    pub used: u64,
    pub limit: u64,
}

impl Session {
    /// Records of `object` whose `field` is one of `values`, ≤200 values a query, with the
    /// `select`ed fields. Payload fields the object does not have are dropped from `select` (one
    /// extra query per such field): the write itself reports them, as a single replay would.
    /// Returns the records and the number of queries made.
    pub async fn records_where_in(
        &self,
        object: &str,
        field: &str,
        values: &[&str],
        select: &mut Vec<String>,
    ) -> Result<(Vec<RecordState>, u64)> {
        let mut out = Vec::new();
        let mut calls = 0u64;
        for chunk in values.chunks(IN_LIST_MAX) {
            loop {
                let cols: Vec<&str> = select.iter().map(String::as_str).collect();
                calls += 1;
                match self.client.find_by_external_ids(object, field, chunk, &cols).await {
                    Ok(rows) => {
                        out.extend(rows.into_iter().filter_map(|row| record_from_row(row, object)));
                        break;
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
        Ok((out, calls))
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
