//! The sObject resources: a record by Id (read, update), by external ID (read, upsert), the
//! create, describe, and the `record_appears` fault that races a create. Also how a request
//! becomes a write: its JSON body, the headers that steer the rules, its log entry.

use super::data::{header_str, method_not_allowed, query_param, DataRequest, Dispatched, NEWEST_VERSION};
use super::Reply;
use crate::sandbox::faults::{Fault, FaultKind};
use crate::sandbox::ids;
use crate::sandbox::json::Out;
use crate::sandbox::org::{row_id, sf_datetime, ApiError, Org, Table, WriteCtx, WriteRecord};
use crate::sandbox::seed::FieldType;
use chrono::{DateTime, Utc};
use hyper::Method;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// `/sobjects/{SObject}/{Id}`: GET (all fields or `?fields=`), PATCH.
pub(super) fn by_id(org: &mut Org, t: usize, key: &str, r: &DataRequest) -> Dispatched {
    if !ids::looks_like_id(key) {
        return Err(no_external_id_field(key));
    }
    match *r.method {
        Method::GET | Method::HEAD => {
            let row = org.tables[t].row_by_id(key).ok_or_else(ApiError::not_found)?;
            let table = &org.tables[t];
            let only = match query_param(r.query, "fields") {
                Some(list) => {
                    let mut cols = field_list(table, &list)?;
                    // The Id comes back whatever `fields` says, after the chosen fields.
                    if !cols.contains(&0) {
                        cols.push(0);
                    }
                    Some(cols)
                }
                None => None,
            };
            Ok((
                Reply::json(200, table.render(&table.rows[row], r.version, only.as_deref())),
                None,
            ))
        }
        Method::PATCH => update(org, t, key, r),
        _ => Err(method_not_allowed(r.method, "GET,HEAD,PATCH")),
    }
}

/// `/sobjects/{SObject}/{field}/{value}`: GET, PATCH (upsert).
pub(super) fn by_external_id(org: &mut Org, t: usize, field: &str, value: &str, r: &DataRequest) -> Dispatched {
    let name = org.tables[t]
        .field(field)
        .filter(|d| d.external_id)
        .ok_or_else(|| no_external_id_field(field))?
        .name
        .clone();
    if value.is_empty() {
        return Err(ApiError::not_found());
    }
    match *r.method {
        Method::GET | Method::HEAD => {
            // `fields` is not documented here; every field is returned whatever it says.
            let matches = org.tables[t].rows_by_external_id(&name, value);
            match matches.as_slice() {
                [] => Err(ApiError::not_found()),
                [one] => {
                    let table = &org.tables[t];
                    Ok((Reply::json(200, table.render(&table.rows[*one], r.version, None)), None))
                }
                several => Err(org.multiple_choices(t, several, r.version)),
            }
        }
        Method::PATCH => upsert(org, t, &name, value, r),
        _ => Err(method_not_allowed(r.method, "GET,HEAD,PATCH")),
    }
}

fn no_external_id_field(name: &str) -> ApiError {
    ApiError::new(
        404,
        "NOT_FOUND",
        &format!("Provided external ID field does not exist or is not accessible: {name}"),
        None,
    )
}

fn update(org: &mut Org, t: usize, key: &str, r: &DataRequest) -> Dispatched {
    let row = org.tables[t].row_by_id(key).ok_or_else(ApiError::not_found)?;
    let if_unmodified = match header_str(r.headers, "if-unmodified-since") {
        Some(v) => Some(
            DateTime::parse_from_rfc2822(v.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::new(
                        400,
                        "INVALID_HEADER_VALUE",
                        &format!("If-Unmodified-Since: `{v}` is not a date like `Mon, 30 Nov 2020 08:34:54 GMT`"),
                        None,
                    )
                })?,
        ),
        None => None,
    };
    let body = json_body(r)?;
    let ctx = write_ctx(r);
    org.update_by_id(t, row, &body, &ctx, if_unmodified)?;
    let table = &org.tables[t];
    let id = row_id(&table.rows[row]).to_string();
    let w = write_record(r, &table.name, &id, "update", 204, &body);
    Ok((Reply::empty(204), Some(w)))
}

fn upsert(org: &mut Org, t: usize, field: &str, value: &str, r: &DataRequest) -> Dispatched {
    let update_only = query_param(r.query, "updateOnly").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let body = json_body(r)?;
    let ctx = write_ctx(r);
    let done = org.upsert(t, field, value, &body, &ctx, update_only)?;
    let name = org.tables[t].name.clone();
    // `created` exists from v46.0; before it an update answered 204 with no body.
    let modern = r
        .version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(NEWEST_VERSION)
        >= 46;
    let reply = if done.created || modern {
        let o = save_result(&done.id);
        let o = if modern {
            o.with("created", json!(done.created))
        } else {
            o
        };
        Reply::json(if done.created { 201 } else { 200 }, o)
    } else {
        Reply::empty(204)
    };
    let op = if done.created { "upsert_create" } else { "upsert_update" };
    let w = write_record(r, &name, &done.id, op, reply.status, &body);
    Ok((reply, Some(w)))
}

pub(super) fn create(org: &mut Org, t: usize, r: &DataRequest) -> Dispatched {
    let body = json_body(r)?;
    let ctx = write_ctx(r);
    let id = org.create(t, &body, &ctx)?;
    let name = org.tables[t].name.clone();
    let reply = Reply::json(201, save_result(&id));
    let w = write_record(r, &name, &id, "create", 201, &body);
    Ok((reply, Some(w)))
}

/// A create's or upsert's answer: `{id, success, errors}`.
fn save_result(id: &str) -> Out {
    Out::obj()
        .with("id", json!(id))
        .with("success", json!(true))
        .with("errors", json!([]))
}

/// `GET /sobjects/{SObject}/describe`, the part of it the console reads: each field's name,
/// type, and whether it is `unique`, `externalId` and `idLookup`.
pub(super) fn describe(t: &Table) -> Value {
    let fields: Vec<Value> = t
        .fields
        .iter()
        .map(|f| {
            let is_id = f.name == "Id";
            let ty = match f.ty {
                _ if is_id => "id",
                FieldType::Text => "string",
                FieldType::LongText => "textarea",
                FieldType::Number => "double",
                FieldType::Boolean => "boolean",
                FieldType::Reference => "reference",
                FieldType::Datetime => "datetime",
            };
            let unique = is_id || (f.external_id && t.unique_external_ids);
            json!({
                "name": f.name,
                "type": ty,
                "unique": unique,
                "externalId": f.external_id,
                "idLookup": is_id || f.external_id,
                "caseSensitive": f.external_id && t.case_sensitive_external_ids,
                "nillable": !f.required && !is_id,
                "createable": f.writable,
                "updateable": f.writable,
            })
        })
        .collect();
    json!({
        "name": t.name,
        "keyPrefix": t.key_prefix,
        "createable": t.writable,
        "updateable": t.writable,
        "fields": fields,
    })
}

/// The `record_appears` fault on this request: a create meets the admin's record first; any
/// other request leaves the fault for the next one.
pub(super) fn record_appears(org: &mut Org, r: &DataRequest) {
    let segs: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    if let (Method::POST, ["sobjects", object] | ["sobjects", object, ""]) = (r.method.clone(), segs.as_slice()) {
        appear_before_create(org, object, r.body, r.now);
    } else {
        // Not a create: the fault waits for the next one.
        org.faults.insert(0, Fault::new(FaultKind::RecordAppears, 1));
    }
}

/// The `record_appears` fault: the org's admin creates a record carrying the create's
/// external-ID values just before the create is handled (logged as a write by someone else).
fn appear_before_create(org: &mut Org, object: &str, body: &[u8], now: DateTime<Utc>) {
    let Some(t) = org.table_index(object) else {
        return;
    };
    let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let mut row = Map::new();
    for def in org.tables[t].fields.iter().filter(|d| d.external_id) {
        if let Some(v) = sent.get(&def.name) {
            row.insert(def.name.clone(), v.clone());
        }
    }
    if row.is_empty() {
        return;
    }
    row.insert("Name".into(), json!("Made by someone else"));
    // Inserted as the data would be (no unique check: the admin's record is there first).
    let _ = org.insert_as_admin(t, &row, now);
}

fn field_list(t: &Table, list: &str) -> Result<Vec<usize>, ApiError> {
    let mut out = Vec::new();
    for f in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let i = t.fields.iter().position(|d| d.name.eq_ignore_ascii_case(f)).ok_or_else(|| {
            ApiError::new(400, "INVALID_FIELD", &format!("No such column '{f}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", t.name), None)
        })?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(out)
}

/// The request body as a JSON object, or Salesforce's parser error.
fn json_body(r: &DataRequest) -> Result<Map<String, Value>, ApiError> {
    if let Some(ct) = header_str(r.headers, "content-type") {
        let ct = ct.to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(ApiError::new(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                &format!("Content type '{ct}' not supported; the simulated org speaks JSON only"),
                None,
            ));
        }
    }
    if r.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            "No content to map due to end-of-input",
            None,
        ));
    }
    match serde_json::from_slice::<Value>(r.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            &format!(
                "Cannot deserialize instance of object from {} value or request may be missing a required field",
                if other.is_array() { "START_ARRAY" } else { "scalar" }
            ),
            None,
        )),
        Err(e) => Err(ApiError::new(
            400,
            "JSON_PARSER_ERROR",
            &format!("Unexpected character or end of input: {e}"),
            None,
        )),
    }
}

fn write_ctx<'a>(r: &'a DataRequest) -> WriteCtx<'a> {
    let auto = header_str(r.headers, "sforce-auto-assign").map(str::trim);
    let dup = header_str(r.headers, "sforce-duplicate-rule-header")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let flag = |name: &str| {
        dup.split(';')
            .any(|p| p.trim().replace(' ', "") == format!("{name}=true"))
    };
    WriteCtx {
        user_id: r.user_id,
        version: r.version,
        // Absent means TRUE; only FALSE turns assignment rules off.
        auto_assign: !auto.is_some_and(|v| v.eq_ignore_ascii_case("false")),
        allow_save: flag("allowsave"),
        include_details: flag("includerecorddetails"),
        now: r.now,
    }
}

fn write_record(
    r: &DataRequest,
    object: &str,
    record_id: &str,
    operation: &str,
    status: u16,
    body: &Map<String, Value>,
) -> WriteRecord {
    let mut headers = BTreeMap::new();
    for (k, v) in r.headers {
        let name = k.as_str().to_ascii_lowercase();
        if name == "authorization" || name == "cookie" {
            continue;
        }
        headers.insert(name, String::from_utf8_lossy(v.as_bytes()).into_owned());
    }
    WriteRecord {
        seq: 0,
        at: sf_datetime(r.now),
        method: r.method.to_string(),
        path: r.target.to_string(),
        object: object.to_string(),
        record_id: record_id.to_string(),
        operation: operation.to_string(),
        status,
        headers,
        body: Value::Object(body.clone()),
        user_id: r.user_id.to_string(),
        response_dropped: false,
    }
}
