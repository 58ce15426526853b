//! Events as imported: one failed or blocked write, keyed by `(lane_id, event_key)`.
//!
//! Validation works on a parsed JSON value and reports every problem of a record, not just the
//! first, so an operator fixes a file in one pass.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The fields an event record may carry, in the order a CSV header would list them.
pub const FIELDS: &[&str] = &[
    "lane_id",
    "event_key",
    "source_system",
    "object",
    "external_id",
    "operation",
    "payload",
    "status",
    "failure",
    "occurred_at",
];

pub const MAX_KEY_LEN: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum EventStatus {
    Failed,
    Blocked,
    InFlight,
    Replayed,
    UnknownOutcome,
    Discarded,
}

impl EventStatus {
    pub const ALL: [EventStatus; 6] = [
        EventStatus::Failed,
        EventStatus::Blocked,
        EventStatus::InFlight,
        EventStatus::Replayed,
        EventStatus::UnknownOutcome,
        EventStatus::Discarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Failed => "failed",
            EventStatus::Blocked => "blocked",
            EventStatus::InFlight => "in_flight",
            EventStatus::Replayed => "replayed",
            EventStatus::UnknownOutcome => "unknown_outcome",
            EventStatus::Discarded => "discarded",
        }
    }

    pub fn parse(s: &str) -> Option<EventStatus> {
        EventStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum Operation {
    Upsert,
    Update,
    Insert,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Upsert => "upsert",
            Operation::Update => "update",
            Operation::Insert => "insert",
        }
    }
    pub fn parse(s: &str) -> Option<Operation> {
        [Operation::Upsert, Operation::Update, Operation::Insert]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub http_status: Option<u16>,
}

/// A validated event record, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub lane_id: String,
    pub event_key: String,
    pub source_system: String,
    pub object: String,
    /// `None` is the `external_id_missing` case: stored and flagged, never guessed.
    pub external_id: Option<String>,
    pub operation: Operation,
    pub payload: Map<String, Value>,
    pub status: EventStatus,
    pub failure: Option<Failure>,
    pub occurred_at: DateTime<Utc>,
}

/// One problem with one field of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn fe(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Domain tag of a derived event key: a change of derivation changes every derived key.
pub const DERIVED_KEY_TAG: &str = "replay-console/event-key/v1";

/// `replay_policy.event_key: source_event_id_or_composite_business_key`: an event record without
/// `event_key` gets `bk-` and 32 hex characters of SHA-256 over its composite business key: the
/// lane, the object, the external ID, the lane's business-key fields with their values, and
/// `occurred_at` (normalised to UTC). The same event imported again derives the same key, so it
/// deduplicates; another write to the same record at another time does not collide.
///
/// `None`: nothing to do (the record has a key, or the contract wants the source's key only, so
/// `validate` reports it missing). `Some(Err)`: no key and no complete business key to derive
/// one from.
pub fn derive_missing_key(
    contract: &crate::domain::contract::LaneContract,
    value: &mut Value,
) -> Option<Result<(), String>> {
    use crate::domain::contract::EventKeyPolicy;
    if contract.replay_policy.event_key != EventKeyPolicy::SourceEventIdOrCompositeBusinessKey {
        return None;
    }
    let obj = value.as_object_mut()?;
    match obj.get("event_key") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.trim().is_empty() => {}
        Some(_) => return None,
    }
    let empty = Map::new();
    let payload = obj.get("payload").and_then(Value::as_object).unwrap_or(&empty);
    let key = match crate::domain::preflight::business_key(contract, payload) {
        Ok(k) => k,
        Err(missing) => {
            return Some(Err(format!(
                "no event_key, and the composite business key it would be derived from is incomplete ({} missing or not text in payload)",
                missing.join(", ")
            )))
        }
    };
    let text = |k: &str| match obj.get(k) {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        _ => Value::Null,
    };
    let occurred = match obj.get("occurred_at").and_then(Value::as_str) {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| format_time(d.with_timezone(&Utc)))
            .unwrap_or_else(|_| t.to_string()),
        None => String::new(),
    };
    let canonical = serde_json::json!([text("lane_id"), text("object"), text("external_id"), key, occurred,]);
    let mut h = sha2::Sha256::new();
    sha2::Digest::update(&mut h, DERIVED_KEY_TAG.as_bytes());
    sha2::Digest::update(&mut h, [0u8]);
    sha2::Digest::update(&mut h, canonical.to_string().as_bytes());
    let digest = hex::encode(sha2::Digest::finalize(h));
    obj.insert("event_key".into(), Value::String(format!("bk-{}", &digest[..32])));
    Some(Ok(()))
}

/// As [`validate`], taking the record: its payload (most of an event) is moved into the event,
/// not copied. The import's path, where the record is not needed afterwards.
pub fn validate_owned(mut value: Value) -> Result<NewEvent, Vec<FieldError>> {
    let payload = match value.get_mut("payload") {
        // An empty object in its place validates alike: nothing inside a payload is checked here.
        Some(Value::Object(p)) => Some(std::mem::take(p)),
        _ => None,
    };
    let mut event = validate(&value)?;
    if let Some(p) = payload {
        event.payload = p;
    }
    Ok(event)
}

/// Validates one record (a JSON object). Every problem is returned.
pub fn validate(value: &Value) -> Result<NewEvent, Vec<FieldError>> {
    let obj = match value {
        Value::Object(o) => o,
        other => {
            return Err(vec![fe(
                "",
                format!("an event must be a JSON object, not {}", kind_of(other)),
            )])
        }
    };
    let mut errors = Vec::new();
    for key in obj.keys() {
        if !FIELDS.contains(&key.as_str()) {
            errors.push(fe(
                key,
                format!("unknown field (expected one of: {})", FIELDS.join(", ")),
            ));
        }
    }
    let lane_id = required_text(obj, "lane_id", &mut errors);
    let event_key = required_text(obj, "event_key", &mut errors);
    let source_system = required_text(obj, "source_system", &mut errors);
    let object = required_text(obj, "object", &mut errors);
    let external_id = match obj.get("external_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => {
            if s.len() > MAX_KEY_LEN {
                errors.push(fe("external_id", format!("longer than {MAX_KEY_LEN} bytes")));
            }
            Some(s.clone())
        }
        // Middleware often writes numeric external IDs; Salesforce compares them as text.
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            errors.push(fe("external_id", format!("must be text, not {}", kind_of(other))));
            None
        }
    };
    let operation = match required_text(obj, "operation", &mut errors) {
        Some(s) => match Operation::parse(&s) {
            Some(o) => Some(o),
            None => {
                errors.push(fe("operation", format!("`{s}` is not one of upsert, update, insert")));
                None
            }
        },
        None => None,
    };
    let payload = match obj.get("payload") {
        Some(Value::Object(p)) => Some(p.clone()),
        Some(other) => {
            errors.push(fe("payload", format!("must be a JSON object, not {}", kind_of(other))));
            None
        }
        None => {
            errors.push(fe("payload", "is required"));
            None
        }
    };
    let status = match required_text(obj, "status", &mut errors) {
        Some(s) => match s.as_str() {
            "failed" => Some(EventStatus::Failed),
            "blocked" => Some(EventStatus::Blocked),
            _ => {
                errors.push(fe("status", format!("`{s}` is not failed or blocked")));
                None
            }
        },
        None => None,
    };
    let failure = match obj.get("failure") {
        None | Some(Value::Null) => None,
        Some(Value::Object(f)) => validate_failure(f, &mut errors),
        Some(other) => {
            errors.push(fe("failure", format!("must be a JSON object, not {}", kind_of(other))));
            None
        }
    };
    let occurred_at = match required_text(obj, "occurred_at", &mut errors) {
        Some(s) => match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(e) => {
                errors.push(fe("occurred_at", format!("`{s}` is not an RFC 3339 time ({e})")));
                None
            }
        },
        None => None,
    };
    for (field, v) in [("event_key", &event_key), ("lane_id", &lane_id)] {
        if let Some(v) = v {
            if v.len() > MAX_KEY_LEN {
                errors.push(fe(field, format!("longer than {MAX_KEY_LEN} bytes")));
            }
        }
    }
    let keys = [
        ("lane_id", &lane_id),
        ("event_key", &event_key),
        ("external_id", &external_id),
        ("object", &object),
        ("source_system", &source_system),
    ];
    refuse_control_characters(&keys, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    match (
        lane_id,
        event_key,
        source_system,
        object,
        operation,
        payload,
        status,
        occurred_at,
    ) {
        (
            Some(lane_id),
            Some(event_key),
            Some(source_system),
            Some(object),
            Some(operation),
            Some(payload),
            Some(status),
            Some(occurred_at),
        ) => Ok(NewEvent {
            lane_id,
            event_key,
            source_system,
            object,
            external_id,
            operation,
            payload,
            status,
            failure,
            occurred_at,
        }),
        // Every None above pushed an error, so this is unreachable in practice; say so plainly
        // rather than panic.
        _ => Err(vec![fe("", "incomplete record")]),
    }
}

fn validate_failure(f: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Failure> {
    for key in f.keys() {
        if !["code", "message", "http_status"].contains(&key.as_str()) {
            errors.push(fe(
                &format!("failure.{key}"),
                "unknown field (expected code, message, http_status)",
            ));
        }
    }
    let code = match f.get("code") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(_) => {
            errors.push(fe("failure.code", "must be non-empty text"));
            None
        }
        None => {
            errors.push(fe("failure.code", "is required"));
            None
        }
    };
    let message = match f.get("message") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => String::new(),
        Some(_) => {
            errors.push(fe("failure.message", "must be text"));
            String::new()
        }
    };
    let http_status = match f.get("http_status") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if (100..=599).contains(&v) => Some(v as u16),
            _ => {
                errors.push(fe(
                    "failure.http_status",
                    format!("{n} is not an HTTP status (100..599)"),
                ));
                None
            }
        },
        Some(_) => {
            errors.push(fe("failure.http_status", "must be a number"));
            None
        }
    };
    code.map(|code| Failure {
        code,
        message,
        http_status,
    })
}

/// Keys are compared, printed and sent to Salesforce: a control character (an escape that would
/// move a terminal's cursor, a line break that forges a line) has no place in one.
fn refuse_control_characters(keys: &[(&str, &Option<String>)], errors: &mut Vec<FieldError>) {
    for (field, v) in keys {
        if let Some((at, c)) = v.as_deref().and_then(first_control) {
            errors.push(fe(
                field,
                format!(
                    "contains the control character U+{:04X} at character {at}; identifiers must be printable text",
                    c as u32
                ),
            ));
        }
    }
}

/// The first control character of `s` (or Unicode direction override), 1-based, with its place.
fn first_control(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find_map(|(i, c)| {
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
        (c.is_control() || bidi).then_some((i + 1, c))
    })
}

fn required_text(obj: &Map<String, Value>, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match obj.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            errors.push(fe(field, "must not be empty"));
            None
        }
        None | Some(Value::Null) => {
            errors.push(fe(field, "is required"));
            None
        }
        Some(other) => {
            errors.push(fe(field, format!("must be text, not {}", kind_of(other))));
            None
        }
    }
}

pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Fixed-width UTC time with milliseconds: stored as text, it sorts as time does.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The canonical form of a record for hashing: fields in a fixed (alphabetical) order, the
/// payload with sorted keys, no whitespace. Borrowed, so hashing copies nothing.
#[derive(Serialize)]
struct Canonical<'a, P: ?Sized> {
    event_key: &'a str,
    external_id: &'a Option<String>,
    failure: &'a Option<Failure>,
    lane_id: &'a str,
    object: &'a str,
    occurred_at: String,
    operation: &'static str,
    payload: &'a P,
    source_system: &'a str,
    status: &'static str,
}

impl NewEvent {
    /// The payload as canonical JSON (keys sorted, no whitespace).
    pub fn payload_json(&self) -> String {
        serde_json::to_string(&self.payload).unwrap_or_else(|_| "{}".into())
    }

    /// SHA-256 over the canonical record. Two imports of the same event agree on it; a changed
    /// payload (or failure, or time) does not, and is reported as a conflict.
    pub fn content_hash(&self) -> [u8; 32] {
        self.content_hash_with(&self.payload)
    }

    /// [`content_hash`](Self::content_hash) and [`payload_json`](Self::payload_json) at once,
    /// the payload serialized one time: its canonical text goes into the hash as it is (the same
    /// bytes serializing the map would give).
    pub fn content_hash_and_payload_json(&self) -> ([u8; 32], String) {
        let json = self.payload_json();
        let hash = match serde_json::value::RawValue::from_string(json.clone()) {
            Ok(raw) => self.content_hash_with(&raw),
            Err(_) => self.content_hash(),
        };
        (hash, json)
    }

    fn content_hash_with<P: Serialize + ?Sized>(&self, payload: &P) -> [u8; 32] {
        let canonical = Canonical {
            event_key: &self.event_key,
            external_id: &self.external_id,
            failure: &self.failure,
            lane_id: &self.lane_id,
            object: &self.object,
            occurred_at: format_time(self.occurred_at),
            operation: self.operation.as_str(),
            payload,
            source_system: &self.source_system,
            status: self.status.as_str(),
        };
        let mut h = Sha256::new();
        // Serializing into the hasher directly: no intermediate string.
        let _ = serde_json::to_writer(HashWriter(&mut h), &canonical);
        h.finalize().into()
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"lane_id":"account_sync_north_america","event_key":"evt-1001","source_system":"billing",
               "object":"Account","external_id":"BA-1001","operation":"upsert",
               "payload":{"Name":"Acme GmbH","Tier__c":"Gold"},"status":"failed",
               "failure":{"code":"UNABLE_TO_LOCK_ROW","message":"lock","http_status":400},
               "occurred_at":"2026-11-20T10:00:00Z"})
    }

    #[test]
    fn the_owned_path_gives_the_same_event_and_the_same_hash_from_one_serialization() {
        let mut v = good();
        v["payload"] = json!({"Name": "Ünïcode \"quoted\" \u{1F600}\n", "b": [1, 2.5, null, {"z": 1, "a": true}],
                              "a": {"nested": "\\"}, "Tier__c": "Gold"});
        let by_ref = validate(&v).expect("valid");
        let owned = validate_owned(v.clone()).expect("valid");
        assert_eq!(owned.payload, by_ref.payload, "the payload is moved, not lost");
        let (hash, json) = owned.content_hash_and_payload_json();
        assert_eq!(
            hash,
            by_ref.content_hash(),
            "hashing the serialized payload hashes the same bytes"
        );
        assert_eq!(json, by_ref.payload_json());
        let mut bad = good();
        bad["payload"] = json!([1]);
        assert_eq!(
            validate_owned(bad.clone()).map(|_| ()).unwrap_err(),
            validate(&bad).map(|_| ()).unwrap_err(),
            "and refuses alike"
        );
    }

    #[test]
    fn design_example_is_valid() {
        let e = validate(&good()).expect("DESIGN's example record must validate");
        assert_eq!(e.external_id.as_deref(), Some("BA-1001"));
        assert_eq!(e.failure.unwrap().http_status, Some(400));
    }

    #[test]
    fn every_problem_is_listed() {
        let mut v = good();
        v["status"] = json!("replayed");
        v["payload"] = json!([1]);
        v["extra"] = json!(1);
        let errs = validate(&v).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"status"), "status other than failed/blocked: {errs:?}");
        assert!(fields.contains(&"payload"), "a payload that is not an object: {errs:?}");
        assert!(fields.contains(&"extra"), "unknown fields are named: {errs:?}");
    }

    #[test]
    fn missing_external_id_is_kept_as_none() {
        let mut v = good();
        v.as_object_mut().unwrap().remove("external_id");
        let e = validate(&v).expect("an event without external_id is stored, then flagged");
        assert_eq!(e.external_id, None);
        v["external_id"] = json!("  ");
        assert_eq!(validate(&v).unwrap().external_id, None, "blank is missing too");
    }

    #[test]
    fn hash_sees_payload_changes_but_not_key_order() {
        let a = validate(&good()).unwrap();
        let mut v = good();
        v["payload"] = json!({"Tier__c":"Gold","Name":"Acme GmbH"});
        assert_eq!(
            a.content_hash(),
            validate(&v).unwrap().content_hash(),
            "key order is not content"
        );
        v["payload"]["Tier__c"] = json!("Silver");
        assert_ne!(
            a.content_hash(),
            validate(&v).unwrap().content_hash(),
            "a changed value is a conflict"
        );
    }
}
