//! Replay outcomes and post-verification: what was meant against what the record now holds.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum ReplayOutcome {
    /// Salesforce accepted the write (2xx).
    Applied,
    /// Salesforce said no; the event stays replayable.
    Rejected,
    /// 412: the record changed since the preflight; nothing was written.
    PreconditionFailed,
    /// Sent, no answer: replay is refused until `verify` settles it.
    UnknownOutcome,
    /// A planned create found a record with its external ID at the write (re-read or
    /// `DUPLICATE_VALUE`): refused, nothing was written.
    RecordAppeared,
}

impl ReplayOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayOutcome::Applied => "applied",
            ReplayOutcome::Rejected => "rejected",
            ReplayOutcome::PreconditionFailed => "precondition_failed",
            ReplayOutcome::UnknownOutcome => "unknown_outcome",
            ReplayOutcome::RecordAppeared => "record_appeared",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct FieldCheck {
    pub field: String,
    pub intended: Value,
    pub actual: Option<Value>,
    pub matches: bool,
}

/// The record read back after the write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct PostVerify {
    /// Every sent field holds the value sent.
    pub matches: bool,
    pub fields: Vec<FieldCheck>,
    pub record_id: Option<String>,
    pub last_modified_date: Option<String>,
    pub last_modified_by_id: Option<String>,
    /// Why it could not be read back, when it could not.
    pub error: Option<String>,
}

impl PostVerify {
    /// The record as read back, compared with what the replay sent.
    pub fn of_record(sent: &Map<String, Value>, record: &crate::domain::preflight::RecordState) -> PostVerify {
        let (matches, fields) = compare(sent, &record.fields);
        PostVerify {
            matches,
            fields,
            record_id: Some(record.id.clone()),
            last_modified_date: Some(record.last_modified_date.clone()),
            last_modified_by_id: record.last_modified_by_id.clone(),
            error: None,
        }
    }

    /// The record `record_id` could not be read back, and why.
    pub fn unread(record_id: Option<String>, error: String) -> PostVerify {
        PostVerify {
            matches: false,
            fields: Vec::new(),
            record_id,
            last_modified_date: None,
            last_modified_by_id: None,
            error: Some(error),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct ReplayResult {
    pub event_id: i64,
    pub attempt_id: i64,
    pub outcome: ReplayOutcome,
    pub http_status: Option<u16>,
    /// Salesforce's error code, when it said no.
    pub error_code: Option<String>,
    /// A sentence for the operator: what happened and what to do next.
    pub message: String,
    pub record_id: Option<String>,
    pub written_as: String,
    pub post_verify: Option<PostVerify>,
}

/// Salesforce returns numbers as floats (`123.0`): compare numbers by value.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Compares the body that was sent with the record as read back.
pub fn compare(sent: &Map<String, Value>, record: &Map<String, Value>) -> (bool, Vec<FieldCheck>) {
    let fields: Vec<FieldCheck> = sent
        .iter()
        .map(|(field, intended)| {
            let actual = record.get(field).cloned();
            let matches = actual.as_ref().is_some_and(|a| same_value(a, intended));
            FieldCheck {
                field: field.clone(),
                intended: intended.clone(),
                actual,
                matches,
            }
        })
        .collect();
    (fields.iter().all(|f| f.matches), fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_missing_fields_do_not_match() {
        let sent = json!({"AnnualRevenue": 1000, "Name": "Acme"});
        let rec = json!({"AnnualRevenue": 1000.0, "Name": "Acme"});
        let (ok, _) = compare(sent.as_object().unwrap(), rec.as_object().unwrap());
        assert!(ok, "Salesforce's 1000.0 is the 1000 that was sent");
        let (ok, checks) = compare(sent.as_object().unwrap(), json!({"Name": "Acme"}).as_object().unwrap());
        assert!(!ok, "a field that is not there was not written");
        assert_eq!(checks.iter().filter(|c| !c.matches).count(), 1);
    }
}
