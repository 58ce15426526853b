//! The checks one write passes before anything is stored, in Salesforce's order: writable
//! object, known and writable fields, field values, required fields, the owner, validation
//! rules, assignment rules, unique external IDs, duplicate rules; then the system fields.

use super::writes::{Op, WriteCtx};
use super::{coerce, row_id, sf_datetime, ApiError, FieldDef, Org, Row, Table};
use crate::sandbox::json::Out;
use crate::sandbox::seed::{DuplicateAction, DuplicateRule};
use serde_json::{json, Map, Value};

/// The fields a write sets, with their values made to fit.
type Changes = Vec<(FieldDef, Value)>;

impl Org {
    /// Checks a write and returns the row as it would be after it. Nothing is changed here.
    pub(super) fn prepare(
        &mut self,
        t: usize,
        existing: Option<usize>,
        body: &Map<String, Value>,
        ctx: &WriteCtx,
        op: Op,
        ext: Option<(&str, &str)>,
    ) -> Result<Row, ApiError> {
        let table = &self.tables[t];
        if !table.writable {
            return Err(ApiError::bad_request(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                &format!("{} records are read-only in the simulated org", table.name),
            ));
        }
        let changes = changes_from_body(table, body, ext)?;
        let mut row = changed_row(table, existing, &changes, op, ext)?;
        check_required(table, &row)?;
        self.check_owner(table, &changes)?;
        self.check_validation_rules(table, &changes)?;
        self.assign_owner(table, &mut row, ctx, op);
        let own_id = existing
            .map(|i| &table.rows[i])
            .and_then(|r| r.get("Id"))
            .and_then(Value::as_str);
        check_unique_external_ids(table, &row, own_id)?;
        self.check_duplicate_rules(table, &row, own_id, ctx, op)?;
        self.stamp_write(t, &mut row, ctx, op);
        Ok(row)
    }

    /// A new owner must be an active user or a queue.
    fn check_owner(&self, table: &Table, changes: &Changes) -> Result<(), ApiError> {
        let Some(owner) = changes
            .iter()
            .find(|(d, _)| d.name == "OwnerId")
            .and_then(|(_, owner)| owner.as_str())
        else {
            return Ok(());
        };
        match self.owner_state(owner) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ApiError::new(
                400,
                "INACTIVE_OWNER_OR_USER",
                &format!(
                    "operation performed with inactive user [{owner}] as owner of {}",
                    table.name.to_lowercase()
                ),
                Some(&[]),
            )),
            Err(()) => Err(ApiError::new(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
                Some(&["OwnerId"]),
            )),
        }
    }

    fn check_validation_rules(&self, table: &Table, changes: &Changes) -> Result<(), ApiError> {
        for rule in self.validation_rules.iter().filter(|r| r.object == table.name) {
            if let Some((_, v)) = changes.iter().find(|(d, _)| d.name == rule.field) {
                if rule.reject_values.iter().any(|r| r == v) {
                    return Err(ApiError::new(
                        400,
                        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                        &rule.message,
                        Some(&[rule.field.as_str()]),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The assignment rule's owner (when auto-assign is on), else the writer for a new record.
    fn assign_owner(&self, table: &Table, row: &mut Row, ctx: &WriteCtx, op: Op) {
        if ctx.auto_assign {
            if let Some(rule) = self.assignment_rules.iter().find(|r| r.object == table.name) {
                if op == Op::Create || rule.on_update {
                    row.insert("OwnerId".into(), json!(rule.owner_id));
                }
            }
        }
        if op == Op::Create && table.field("OwnerId").is_some() && !row.contains_key("OwnerId") {
            row.insert("OwnerId".into(), json!(ctx.user_id));
        }
    }

    fn check_duplicate_rules(
        &self,
        table: &Table,
        row: &Row,
        own_id: Option<&str>,
        ctx: &WriteCtx,
        op: Op,
    ) -> Result<(), ApiError> {
        for rule in self.duplicate_rules.iter().filter(|r| r.object == table.name) {
            if (op == Op::Create && !rule.on_create) || (op == Op::Update && !rule.on_update) {
                continue;
            }
            if rule.action == DuplicateAction::Allow && ctx.allow_save {
                continue;
            }
            let matches: Vec<usize> = table
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.get("Id").and_then(Value::as_str) != own_id)
                .filter(|(_, r)| rule.fields.iter().all(|f| same_text(r.get(f), row.get(f))))
                .map(|(i, _)| i)
                .collect();
            if !matches.is_empty() {
                return Err(duplicates_detected(table, rule, &matches, ctx));
            }
        }
        Ok(())
    }

    /// Id and creation fields on a new record, modification fields on every write.
    fn stamp_write(&mut self, t: usize, row: &mut Row, ctx: &WriteCtx, op: Op) {
        let now = json!(sf_datetime(ctx.now));
        if op == Op::Create {
            let prefix = self.tables[t].key_prefix.clone();
            row.insert("Id".into(), json!(self.ids.next(&prefix)));
            row.insert("IsDeleted".into(), json!(false));
            row.insert("CreatedDate".into(), now.clone());
            row.insert("CreatedById".into(), json!(ctx.user_id));
        }
        row.insert("LastModifiedDate".into(), now.clone());
        row.insert("LastModifiedById".into(), json!(ctx.user_id));
        row.insert("SystemModstamp".into(), now);
    }
}

/// The body's fields, each known, writable and made to fit; read-only ones are refused together.
fn changes_from_body(table: &Table, body: &Map<String, Value>, ext: Option<(&str, &str)>) -> Result<Changes, ApiError> {
    let mut changes = Changes::new();
    let mut readonly = Vec::new();
    for (k, v) in body {
        if k == "attributes" {
            continue;
        }
        let def = writable_field(table, k, ext)?;
        if !def.writable {
            readonly.push(def.name.clone());
            continue;
        }
        let value = coerce(def, v).map_err(|(code, msg)| {
            let fields = [def.name.as_str()];
            ApiError::new(
                400,
                code,
                &msg,
                Some(if code == "JSON_PARSER_ERROR" { &[] } else { &fields }),
            )
        })?;
        changes.push((def.clone(), value));
    }
    if !readonly.is_empty() {
        let names: Vec<&str> = readonly.iter().map(String::as_str).collect();
        return Err(ApiError::new(400, "INVALID_FIELD_FOR_INSERT_UPDATE", &format!("Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", names.join(", ")), Some(&names)));
    }
    Ok(changes)
}

/// The field a body key names, unless it may not stand in a body at all (unknown, the Id, the
/// URL's external ID).
fn writable_field<'a>(table: &'a Table, k: &str, ext: Option<(&str, &str)>) -> Result<&'a FieldDef, ApiError> {
    let Some(def) = table.field(k) else {
        return Err(ApiError::bad_request(
            "INVALID_FIELD",
            &format!("No such column '{k}' on sobject of type {}", table.name),
        ));
    };
    if def.name == "Id" {
        return Err(ApiError::bad_request("INVALID_FIELD", "Json Deserialization failed on token 'Id' and has left off in the middle of parsing a row. Will go to end of row to begin parsing the next row"));
    }
    if let Some((f, _)) = ext {
        if def.name == f {
            // Older docs forbid the key field in the body; the URL carries it.
            return Err(ApiError::bad_request(
                "INVALID_FIELD",
                &format!("The external ID field {f} is given in the URL; leave it out of the request body"),
            ));
        }
    }
    Ok(def)
}

/// The row with the changes applied (null removes a value), and a new record's external ID
/// from the URL.
fn changed_row(
    table: &Table,
    existing: Option<usize>,
    changes: &Changes,
    op: Op,
    ext: Option<(&str, &str)>,
) -> Result<Row, ApiError> {
    let mut row = match existing {
        Some(i) => table.rows[i].clone(),
        None => Row::new(),
    };
    for (def, v) in changes {
        if v.is_null() {
            row.remove(&def.name);
        } else {
            row.insert(def.name.clone(), v.clone());
        }
    }
    if let (Some((f, value)), Op::Create) = (ext, op) {
        if let Some(def) = table.field(f) {
            // The URL's value is stored like any field value: length limits apply.
            let v = coerce(def, &json!(value))
                .map_err(|(code, msg)| ApiError::new(400, code, &msg, Some(&[def.name.as_str()])))?;
            row.insert(def.name.clone(), v);
        }
    }
    Ok(row)
}

fn check_required(table: &Table, row: &Row) -> Result<(), ApiError> {
    match table
        .fields
        .iter()
        .find(|d| d.required && row.get(&d.name).is_none_or(Value::is_null))
    {
        Some(def) => Err(ApiError::new(
            400,
            "REQUIRED_FIELD_MISSING",
            &format!("Required fields are missing: [{}]", def.name),
            Some(&[def.name.as_str()]),
        )),
        None => Ok(()),
    }
}

/// With unique external IDs, no other record may carry the row's values.
fn check_unique_external_ids(table: &Table, row: &Row, own_id: Option<&str>) -> Result<(), ApiError> {
    if !table.unique_external_ids {
        return Ok(());
    }
    for def in table.fields.iter().filter(|d| d.external_id) {
        let Some(v) = row.get(&def.name).and_then(Value::as_str) else {
            continue;
        };
        for other in table.rows_by_external_id(&def.name, v) {
            let other_id = row_id(&table.rows[other]);
            if Some(other_id) != own_id {
                return Err(ApiError::new(
                    400,
                    "DUPLICATE_VALUE",
                    &format!(
                        "duplicate value found: {} duplicates value on record with id: {other_id}",
                        def.name
                    ),
                    Some(&[]),
                ));
            }
        }
    }
    Ok(())
}

/// Both present and equal ignoring case (the exact matching engine ignores case); two empty
/// values are no match.
fn same_text(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a.and_then(Value::as_str), b.and_then(Value::as_str)) {
        (Some(a), Some(b)) => !a.trim().is_empty() && a.trim().to_lowercase() == b.trim().to_lowercase(),
        _ => false,
    }
}

/// The 400 a blocking duplicate rule answers, with the `duplicateResut` key spelled as
/// Salesforce spells it.
fn duplicates_detected(table: &Table, rule: &DuplicateRule, matches: &[usize], ctx: &WriteCtx) -> ApiError {
    let records: Vec<Out> = matches
        .iter()
        .map(|&i| {
            let row = &table.rows[i];
            let id = row_id(row);
            let mut rec = Out::obj()
                .with("attributes", table.attributes(ctx.version, id))
                .with("Id", json!(id));
            if ctx.include_details {
                for f in &rule.fields {
                    rec = rec.with(f, row.get(f).cloned().unwrap_or(Value::Null));
                }
            }
            Out::obj()
                .with("additionalInformation", json!([]))
                .with("fieldDiffs", json!([]))
                .with("matchConfidence", json!(100.0))
                .with("record", rec)
        })
        .collect();
    let match_result = Out::obj()
        .with("entityType", json!(table.name))
        .with("errors", json!([]))
        .with("matchEngine", json!("ExactMatchEngine"))
        .with("matchRecords", Out::Arr(records))
        .with("rule", json!(rule.matching_rule))
        .with("size", json!(matches.len()))
        .with("success", json!(true));
    let dup = Out::obj()
        .with("allowSave", json!(rule.action == DuplicateAction::Allow))
        .with("duplicateRule", json!(rule.name))
        .with("duplicateRuleEntityType", json!(table.name))
        .with("errorMessage", json!(rule.error_message))
        .with("matchResults", Out::Arr(vec![match_result]));
    let e = Out::obj()
        .with("duplicateResut", dup)
        .with("errorCode", json!("DUPLICATES_DETECTED"))
        .with("message", json!("Use one of these records?"));
    ApiError {
        status: 400,
        body: Out::Arr(vec![e]),
    }
}
