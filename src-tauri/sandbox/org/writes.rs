//! The writes the API offers (update by Id, upsert by external ID, create) and the log of
//! applied writes. Each checks its row through `prepare` (in `write_rules`) first, then
//! stores it: nothing changes when a check fails.

use super::{row_id, sf_datetime, ApiError, Org, Row};
use crate::sandbox::json::Out;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One applied write, as tests and the control endpoint see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WriteRecord {
    pub seq: u64,
    pub at: String,
    pub method: String,
    /// Path and query as received.
    pub path: String,
    pub object: String,
    pub record_id: String,
    /// `update` (by Id), `upsert_update` or `upsert_create`.
    pub operation: String,
    pub status: u16,
    /// Request headers, lower-case names; `authorization` is never stored.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    pub user_id: String,
    /// The write was applied but its answer withheld (the `drop_after_write` fault).
    pub response_dropped: bool,
}

impl WriteRecord {
    /// A record created by someone other than the client (the `record_appears` fault): logged
    /// so a test sees it, with operation `made_by_someone_else`.
    pub fn by_someone_else(
        object: &str,
        record_id: &str,
        body: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> WriteRecord {
        WriteRecord {
            seq: 0,
            at: sf_datetime(now),
            method: "POST".into(),
            path: String::new(),
            object: object.into(),
            record_id: record_id.into(),
            operation: "made_by_someone_else".into(),
            status: 201,
            headers: BTreeMap::new(),
            body: Value::Object(body.clone()),
            user_id: String::new(),
            response_dropped: false,
        }
    }
}

/// Who writes, and which request headers steer the rules.
pub struct WriteCtx<'a> {
    pub user_id: &'a str,
    pub version: &'a str,
    /// `Sforce-Auto-Assign` absent or not FALSE.
    pub auto_assign: bool,
    /// `Sforce-Duplicate-Rule-Header: allowSave=true`.
    pub allow_save: bool,
    /// `Sforce-Duplicate-Rule-Header: includeRecordDetails=true`.
    pub include_details: bool,
    pub now: DateTime<Utc>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Create,
    Update,
}

pub struct UpsertDone {
    pub id: String,
    pub created: bool,
}

impl Org {
    /// PATCH by Id, honouring `If-Unmodified-Since` (1-second precision).
    pub fn update_by_id(
        &mut self,
        t: usize,
        row: usize,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
        if_unmodified_since: Option<DateTime<Utc>>,
    ) -> Result<(), ApiError> {
        if let Some(limit) = if_unmodified_since {
            check_unmodified_since(&self.tables[t].rows[row], limit)?;
        }
        let new_row = self.prepare(t, Some(row), body, ctx, Op::Update, None)?;
        self.tables[t].rows[row] = new_row;
        Ok(())
    }

    /// PATCH by external ID: one match updates, none creates (unless `update_only`), several
    /// answer 300.
    pub fn upsert(
        &mut self,
        t: usize,
        field: &str,
        value: &str,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
        update_only: bool,
    ) -> Result<UpsertDone, ApiError> {
        let matches = self.tables[t].rows_by_external_id(field, value);
        match matches.as_slice() {
            [] if update_only => Err(ApiError::not_found()),
            [] => {
                let id = self.insert_new(t, body, ctx, Some((field, value)))?;
                Ok(UpsertDone { id, created: true })
            }
            [one] => {
                let new_row = self.prepare(t, Some(*one), body, ctx, Op::Update, Some((field, value)))?;
                let id = row_id(&new_row).to_string();
                self.tables[t].rows[*one] = new_row;
                Ok(UpsertDone { id, created: false })
            }
            several => Err(self.multiple_choices(t, several, ctx.version)),
        }
    }

    /// POST to the object: always a new record.
    pub fn create(&mut self, t: usize, body: &Map<String, Value>, ctx: &WriteCtx) -> Result<String, ApiError> {
        self.insert_new(t, body, ctx, None)
    }

    /// Checks a new record and stores it; returns its Id.
    fn insert_new(
        &mut self,
        t: usize,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
        ext: Option<(&str, &str)>,
    ) -> Result<String, ApiError> {
        let new_row = self.prepare(t, None, body, ctx, Op::Create, ext)?;
        let id = row_id(&new_row).to_string();
        self.tables[t].rows.push(new_row);
        Ok(id)
    }

    /// A record created by the org's admin, as someone other than the client would between a
    /// preflight and a replay: no unique check (the data is simply there), logged as
    /// `made_by_someone_else`.
    pub fn insert_as_admin(
        &mut self,
        t: usize,
        fields: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let admin = self.admin_id.clone();
        let ctx = WriteCtx {
            user_id: &admin,
            version: crate::sandbox::seed::LATEST_API_VERSION,
            auto_assign: false,
            allow_save: true,
            include_details: false,
            now,
        };
        let id = self.create_unchecked(t, fields, &ctx)?;
        let name = self.tables[t].name.clone();
        self.log_write(WriteRecord::by_someone_else(&name, &id, fields, now));
        Ok(id)
    }

    /// A create that skips the unique external-ID check: data that is simply there (the
    /// `record_appears` fault), not a request Salesforce would judge.
    pub fn create_unchecked(
        &mut self,
        t: usize,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
    ) -> Result<String, ApiError> {
        let unique = std::mem::replace(&mut self.tables[t].unique_external_ids, false);
        let r = self.create(t, body, ctx);
        self.tables[t].unique_external_ids = unique;
        r
    }

    /// 300 Multiple Choices: an array of the matching records' URLs.
    pub fn multiple_choices(&self, t: usize, rows: &[usize], version: &str) -> ApiError {
        let table = &self.tables[t];
        let urls: Vec<Value> = rows
            .iter()
            .map(|&i| json!(table.record_url(version, row_id(&table.rows[i]))))
            .collect();
        ApiError {
            status: 300,
            body: Out::Val(Value::Array(urls)),
        }
    }

    pub fn log_write(&mut self, mut w: WriteRecord) {
        w.seq = self.writes.len() as u64 + 1;
        self.writes.push(w);
    }
}

/// 412 when the record changed after `limit`.
fn check_unmodified_since(row: &Row, limit: DateTime<Utc>) -> Result<(), ApiError> {
    // The docs say "last modified date"; the later of LastModifiedDate and SystemModstamp is
    // the safer reading (a spurious 412 writes nothing; a missed one overwrites someone's
    // change).
    let changed = ["LastModifiedDate", "SystemModstamp"]
        .iter()
        .filter_map(|f| row.get(*f).and_then(Value::as_str).and_then(super::parse_datetime))
        .max();
    match changed {
        Some(changed) if changed.trunc_subsecs(0) > limit => Err(ApiError::new(
            412,
            "PRECONDITION_FAILED",
            "The record was modified after the date in If-Unmodified-Since",
            None,
        )),
        _ => Ok(()),
    }
}
