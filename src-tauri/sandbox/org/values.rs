//! Field values as the org stores them: Salesforce's datetime form, and how a JSON value from a
//! request or a seed is made to fit a field (or refused with Salesforce's error code).

use crate::sandbox::ids;
use crate::sandbox::seed::FieldType;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value;

use super::FieldDef;

/// Salesforce's datetime form: milliseconds and an offset without a colon.
pub fn sf_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

/// Parses Salesforce's datetime form, or RFC 3339 (what seed files and callers may write).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// A JSON value made to fit a field, or `(errorCode, message)`.
pub fn coerce(def: &FieldDef, v: &Value) -> Result<Value, (&'static str, String)> {
    let parser_err = |what: &str| {
        (
            "JSON_PARSER_ERROR",
            format!(
                "Cannot deserialize instance of {what} from {} value {v} or request may be missing a required field",
                json_token(v)
            ),
        )
    };
    if v.is_null() {
        return Ok(Value::Null);
    }
    match def.ty {
        FieldType::Text | FieldType::LongText => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(parser_err("string")),
            };
            if s.is_empty() {
                // Salesforce stores an empty text as null.
                return Ok(Value::Null);
            }
            let len = s.chars().count();
            if len > def.max_len {
                return Err((
                    "STRING_TOO_LONG",
                    format!(
                        "{}: data value too large: {} (max length={})",
                        def.label(),
                        truncate(&s, 40),
                        def.max_len
                    ),
                ));
            }
            Ok(Value::String(s))
        }
        FieldType::Number => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                _ => None,
            };
            n.map(Value::from).ok_or_else(|| parser_err("double"))
        }
        FieldType::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(parser_err("boolean")),
        },
        FieldType::Reference => {
            let s = v.as_str().ok_or_else(|| parser_err("reference"))?;
            ids::normalize(s).map(Value::String).ok_or_else(|| {
                (
                    "MALFORMED_ID",
                    format!("{}: id value of incorrect type: {}", def.label(), truncate(s, 40)),
                )
            })
        }
        FieldType::Datetime => {
            let s = v.as_str().ok_or_else(|| parser_err("datetime"))?;
            parse_datetime(s)
                .map(|t| Value::String(sf_datetime(t.trunc_subsecs(3))))
                .ok_or_else(|| parser_err("datetime"))
        }
    }
}

fn json_token(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
        Value::Null => "VALUE_NULL",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}
