//! What can go wrong talking to Salesforce, typed so callers decide without reading messages:
//! the three error envelopes, 300/404/412, limits, transient vs permanent, and — for writes —
//! whether the request may have been applied.

use serde::Serialize;
use serde_json::Value;

/// `Sforce-Limit-Info: api-usage=N/M`: the org's daily API calls used and allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApiUsage {
    pub used: u64,
    pub limit: u64,
}

impl ApiUsage {
    /// Parses the header; other parts (`api-bursts=`, `per-app-api-usage=`) are ignored.
    pub fn parse(header: &str) -> Option<ApiUsage> {
        header.split(';').find_map(|part| {
            let v = part.trim().strip_prefix("api-usage=")?;
            let (used, limit) = v.split_once('/')?;
            Some(ApiUsage {
                used: used.trim().parse().ok()?,
                limit: limit.trim().parse().ok()?,
            })
        })
    }
}

/// One entry of the top-level REST error array: `{message, errorCode, fields}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiErrorItem {
    pub error_code: String,
    pub message: String,
    pub fields: Vec<String>,
    /// Present for `DUPLICATES_DETECTED`.
    pub duplicate: Option<DuplicateInfo>,
}

/// The `duplicateResut` (sic) part of a `DUPLICATES_DETECTED` error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateInfo {
    pub rule: Option<String>,
    pub allow_save: bool,
    pub matched_ids: Vec<String>,
}

/// One entry of a per-record result's `errors`: `{statusCode, message, fields}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordError {
    pub status_code: String,
    pub message: String,
    pub fields: Vec<String>,
}

/// Whether a request reached Salesforce, for deciding what a failed write means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// It never left this machine (refused before sending, no connection): nothing applied.
    NotSent,
    /// Salesforce answered: the answer says what happened.
    Answered,
    /// It was sent and no complete answer came (timeout, reset, a gateway's page): it may
    /// have been applied. Only a later read can tell.
    NoAnswer,
}

#[derive(Debug, thiserror::Error)]
pub enum SalesforceError {
    /// Refused before any request was built (a bad external ID, API name or Id).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The connection settings or the secret cannot work (bad URL, unreadable key).
    #[error("Salesforce connection settings: {0}")]
    Config(String),
    /// The token endpoint said no: OAuth's `{error, error_description}`.
    #[error("Salesforce refused the token request ({status}): {error}: {description}")]
    OAuth {
        status: u16,
        error: String,
        description: String,
    },
    /// The token acts as another user than the lane's integration user.
    #[error("the token acts as `{actual}`, not the lane's integration user `{expected}`")]
    IdentityMismatch { expected: String, actual: String },
    /// Several records share the external ID (HTTP 300); nothing was written.
    #[error("{} records share this external ID: {}", ids.len(), ids.join(", "))]
    MultipleMatches { urls: Vec<String>, ids: Vec<String> },
    /// 404: no such record (or object, or external-ID match with updateOnly).
    #[error("not found: {message}")]
    NotFound { message: String },
    /// 412: the record changed after the If-Unmodified-Since date; nothing was written.
    #[error("the record changed since it was read (412 Precondition Failed); nothing was written")]
    PreconditionFailed,
    /// 403 `REQUEST_LIMIT_EXCEEDED`: the org's API allowance is spent.
    #[error("Salesforce API request limit exceeded: {message}")]
    LimitExceeded {
        message: String,
        api_usage: Option<ApiUsage>,
    },
    /// Any other answer in the top-level REST error shape.
    #[error("Salesforce answered {status}: {}", describe(errors))]
    Api {
        status: u16,
        errors: Vec<ApiErrorItem>,
        api_usage: Option<ApiUsage>,
    },
    /// A 2xx per-record result with `success: false`.
    #[error("Salesforce rejected the record: {}", errors.iter().map(|e| format!("{}: {}", e.status_code, e.message)).collect::<Vec<_>>().join("; "))]
    RecordErrors { errors: Vec<RecordError> },
    /// An answer in no Salesforce shape (a proxy's page, a truncated body).
    #[error("unexpected answer from Salesforce ({status}): {snippet}")]
    Unexpected { status: u16, snippet: String },
    #[error("the request was never sent: {0}")]
    NotSent(String),
    #[error("the request was sent but no answer came: {0}")]
    NoAnswer(String),
}

fn describe(errors: &[ApiErrorItem]) -> String {
    if errors.is_empty() {
        return "no error details".into();
    }
    errors
        .iter()
        .map(|e| {
            if e.fields.is_empty() {
                format!("{}: {}", e.error_code, e.message)
            } else {
                format!("{}: {} ({})", e.error_code, e.message, e.fields.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Codes that mean "try again later": the same request may well succeed.
const TRANSIENT_CODES: &[&str] = &[
    "UNABLE_TO_LOCK_ROW",
    "SERVER_UNAVAILABLE",
    "QUERY_TIMEOUT",
    "REQUEST_RUNNING_TOO_LONG",
];

impl SalesforceError {
    /// Salesforce's own `errorCode` (or OAuth `error`), when it gave one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            SalesforceError::Api { errors, .. } => errors.first().map(|e| e.error_code.as_str()),
            SalesforceError::OAuth { error, .. } => Some(error),
            SalesforceError::RecordErrors { errors } => errors.first().map(|e| e.status_code.as_str()),
            SalesforceError::LimitExceeded { .. } => Some("REQUEST_LIMIT_EXCEEDED"),
            SalesforceError::PreconditionFailed => Some("PRECONDITION_FAILED"),
            SalesforceError::NotFound { .. } => Some("NOT_FOUND"),
            _ => None,
        }
    }

    /// A stable, small name for the kind of failure (for logs, audit details and the UI).
    pub fn kind(&self) -> &'static str {
        match self {
            SalesforceError::InvalidInput(_) => "invalid_input",
            SalesforceError::Config(_) => "config",
            SalesforceError::OAuth { .. } => "auth",
            SalesforceError::IdentityMismatch { .. } => "identity_mismatch",
            SalesforceError::MultipleMatches { .. } => "multiple_matches",
            SalesforceError::NotFound { .. } => "not_found",
            SalesforceError::PreconditionFailed => "precondition_failed",
            SalesforceError::LimitExceeded { .. } => "limit_exceeded",
            SalesforceError::Api { .. } => "rejected",
            SalesforceError::RecordErrors { .. } => "rejected",
            SalesforceError::Unexpected { .. } => "unexpected",
            SalesforceError::NotSent(_) => "not_sent",
            SalesforceError::NoAnswer(_) => "no_answer",
        }
    }

    /// Whether it reached Salesforce. A write whose delivery is `NoAnswer` has an unknown
    /// outcome; every other failed write was not applied.
    pub fn delivery(&self) -> Delivery {
        match self {
            SalesforceError::InvalidInput(_) | SalesforceError::Config(_) | SalesforceError::NotSent(_) => {
                Delivery::NotSent
            }
            SalesforceError::NoAnswer(_) => Delivery::NoAnswer,
            // A 5xx in no Salesforce shape comes from something in between (a gateway): the
            // request may have reached Salesforce and been applied.
            SalesforceError::Unexpected { status, .. } if *status >= 500 => Delivery::NoAnswer,
            _ => Delivery::Answered,
        }
    }

    /// Whether the same request may succeed if simply tried again later (row locks,
    /// maintenance, a connection that never opened). Limits and unknown outcomes are not
    /// transient: the first waits for a new day, the second needs a read before anything else.
    pub fn is_transient(&self) -> bool {
        match self {
            SalesforceError::NotSent(_) => true,
            SalesforceError::Api { status, errors, .. } => {
                *status == 503 || errors.iter().any(|e| TRANSIENT_CODES.contains(&e.error_code.as_str()))
            }
            SalesforceError::RecordErrors { errors } => {
                errors.iter().any(|e| TRANSIENT_CODES.contains(&e.status_code.as_str()))
            }
            _ => false,
        }
    }

    /// The `Sforce-Limit-Info` usage that came with the error, if any.
    pub fn api_usage(&self) -> Option<ApiUsage> {
        match self {
            SalesforceError::Api { api_usage, .. } | SalesforceError::LimitExceeded { api_usage, .. } => *api_usage,
            _ => None,
        }
    }
}

/// Parses a top-level error array (tolerating a bare object, as some docs show).
pub(crate) fn parse_error_items(body: &Value) -> Option<Vec<ApiErrorItem>> {
    let list: Vec<&Value> = match body {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![body],
        _ => return None,
    };
    let mut out = Vec::new();
    for v in list {
        let code = v.get("errorCode").and_then(Value::as_str)?;
        let fields = v
            .get("fields")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        // Salesforce spells it `duplicateResut`; accept the corrected spelling too.
        let duplicate = v
            .get("duplicateResut")
            .or_else(|| v.get("duplicateResult"))
            .map(|d| DuplicateInfo {
                rule: d.get("duplicateRule").and_then(Value::as_str).map(str::to_string),
                allow_save: d.get("allowSave").and_then(Value::as_bool).unwrap_or(false),
                matched_ids: d
                    .get("matchResults")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .flat_map(|m| m.get("matchRecords").and_then(Value::as_array).into_iter().flatten())
                    .filter_map(|r| r.get("record").and_then(|rec| rec.get("Id")).and_then(Value::as_str))
                    .map(str::to_string)
                    .collect(),
            });
        out.push(ApiErrorItem {
            error_code: code.to_string(),
            message: v.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
            fields,
            duplicate,
        });
    }
    Some(out)
}

/// Parses a per-record `errors` array.
pub(crate) fn parse_record_errors(v: Option<&Value>) -> Vec<RecordError> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| RecordError {
            status_code: e
                .get("statusCode")
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN")
                .to_string(),
            message: e.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
            fields: e
                .get("fields")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limit_info_parses_with_extra_parts() {
        assert_eq!(
            ApiUsage::parse("api-usage=10018/100000"),
            Some(ApiUsage {
                used: 10018,
                limit: 100000
            }),
            "the documented form"
        );
        assert_eq!(
            ApiUsage::parse("api-usage=1/750; api-bursts=1/750"),
            Some(ApiUsage { used: 1, limit: 750 }),
            "extra parts are ignored"
        );
        assert_eq!(
            ApiUsage::parse("per-app-api-usage=2/250(appName=x)"),
            None,
            "per-app usage is not the org's"
        );
    }

    #[test]
    fn duplicates_detected_reads_the_misspelled_key() {
        let body = json!([{"duplicateResut":{"allowSave":false,"duplicateRule":"R","matchResults":[{"matchRecords":[{"record":{"Id":"001A0000006Vm9rIAC"}}]}]},"errorCode":"DUPLICATES_DETECTED","message":"Use one of these records?"}]);
        let items = parse_error_items(&body).expect("an error array");
        let d = items[0]
            .duplicate
            .as_ref()
            .expect("duplicateResut is Salesforce's real spelling");
        assert_eq!(
            d.matched_ids,
            vec!["001A0000006Vm9rIAC".to_string()],
            "the matched record is what the operator needs to see"
        );
    }

    #[test]
    fn unknown_outcome_only_when_no_answer() {
        assert_eq!(
            SalesforceError::NoAnswer("timeout".into()).delivery(),
            Delivery::NoAnswer,
            "a timeout after sending leaves the outcome open"
        );
        assert_eq!(
            SalesforceError::NotSent("refused".into()).delivery(),
            Delivery::NotSent,
            "a refused connection sent nothing"
        );
        assert_eq!(
            SalesforceError::PreconditionFailed.delivery(),
            Delivery::Answered,
            "a 412 is Salesforce saying nothing was written"
        );
        assert_eq!(
            SalesforceError::Unexpected {
                status: 502,
                snippet: String::new()
            }
            .delivery(),
            Delivery::NoAnswer,
            "a gateway's 502 may hide an applied write"
        );
    }
}
