//! Preflight: from the event, its lane's contract and the state fetched from Salesforce, decide
//! what a replay would send, what it would change, what stands in its way (findings), what the
//! operator must acknowledge (side effects), and the digest that binds them all.
//!
//! Pure: the fetched state and the current time come in as arguments.

use crate::domain::contract::OwnerOverrideCondition;
use crate::domain::contract::{
    BlockCondition, CreateCondition, LaneContract, ReplayRequirement, VerifyItem, WriteOperation,
};
use crate::domain::replay::same_value;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

mod gate;
mod steps;

pub use gate::{check_override, gate, unacknowledged, GatePolicy, Refusal, ReplayRequest};
use steps::{identity_and_lifecycle, owner_findings, planned_change, planned_request, side_effects, target_findings};

/// Versioned domain tag of the digest: a change of encoding changes every token.
pub const DIGEST_TAG: &str = "replay-console/preflight/v1";
/// The acknowledgment token is this many hex characters of the digest.
pub const ACK_LEN: usize = 12;

/// The event as the preflight needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct EventFacts {
    pub event_id: i64,
    pub lane_id: String,
    pub lane_version: i64,
    pub event_key: String,
    pub object: String,
    pub external_id: Option<String>,
    pub status: String,
    pub occurred_at: String,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub payload: Map<String, Value>,
    /// The event's own `operation`: `upsert`, `update` (never creates) or `insert` (never
    /// updates). Preflights stored before it was recorded read as `upsert`.
    #[serde(default = "default_operation")]
    pub operation: String,
    /// The payload revision the preflight saw (`events edit`); absent: the imported payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub revision: Option<i64>,
}

fn default_operation() -> String {
    "upsert".into()
}

/// The target record as Salesforce returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct RecordState {
    pub id: String,
    pub owner_id: Option<String>,
    /// Salesforce's `LastModifiedDate`, normalised to RFC 3339 UTC.
    pub last_modified_date: String,
    pub last_modified_by_id: Option<String>,
    /// Every field returned, as Salesforce returned it.
    pub fields: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum Target {
    Found {
        record: RecordState,
    },
    NotFound,
    /// HTTP 300: several records share the external ID.
    Several {
        ids: Vec<String>,
    },
    /// The event has no external ID: nothing was looked up.
    NoExternalId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum OwnerKind {
    User,
    Queue,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct OwnerState {
    pub id: String,
    pub kind: OwnerKind,
    pub name: Option<String>,
    /// Users only.
    pub active: Option<bool>,
    /// Queue DeveloperName or user Username: what a contract's `fallback_owner` names.
    pub api_name: Option<String>,
}

/// A record the business-key search found where the external ID found nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct KeyMatch {
    pub id: String,
    pub fields: Map<String, Value>,
}

/// Our latest attempt at this event, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct AttemptFacts {
    pub attempt_id: i64,
    pub outcome: String,
    pub operator: String,
    pub at: String,
}

/// Everything fetched and known before deciding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub target: Target,
    /// The owner of the found record, resolved.
    pub owner: Option<OwnerState>,
    /// Who last modified the found record, resolved (name), when known.
    pub last_modified_by: Option<OwnerState>,
    /// Business-key matches (only searched when the external ID found nothing).
    pub key_matches: Vec<KeyMatch>,
    /// The username the lane's token acts as (identity check).
    pub acts_as: String,
    pub latest_attempt: Option<AttemptFacts>,
    /// Checks of the contract's `verify_before_replay` that could not be completed, and why.
    #[serde(default)]
    pub failed_checks: Vec<FailedCheck>,
    /// What the org's describe says of the external-ID field (`unique` and `externalId`), when
    /// the contract states `external_id_must_be_unique` and the check was made.
    #[serde(default)]
    pub external_id_unique_in_org: Option<bool>,
}

/// One check of the preflight that could not be completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct FailedCheck {
    /// `target_record_id`, `last_write_result` or `owner_state`, as the contract names them.
    pub check: String,
    pub message: String,
}

/// Whose policy the lane's contract is: shown in the preflight and kept in the audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct LanePolicy {
    pub system_of_record: String,
    pub business_owner: String,
    pub technical_owner: String,
    pub alert_owner: String,
    /// `write_policy.operation`: `upsert` or `update`.
    pub write_operation: String,
}

impl LanePolicy {
    pub fn of(contract: &LaneContract) -> LanePolicy {
        LanePolicy {
            system_of_record: contract.salesforce_lane.system_of_record.0.clone(),
            business_owner: contract.salesforce_lane.business_owner.0.clone(),
            technical_owner: contract.salesforce_lane.technical_owner.0.clone(),
            alert_owner: contract.observability.alert_owner.0.clone(),
            write_operation: match contract.write_policy.operation {
                WriteOperation::Upsert => "upsert".into(),
                WriteOperation::Update => "update".into(),
            },
        }
    }
}

/// The event's business key (the lane's `business_key_fields`, as text), or the fields that
/// are missing or not text.
pub fn business_key(
    contract: &LaneContract,
    payload: &Map<String, Value>,
) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut key = Vec::new();
    let mut incomplete = Vec::new();
    for f in &contract.replay_console.business_key_fields {
        match payload.get(f.as_str()) {
            Some(Value::String(v)) if !v.trim().is_empty() => key.push((f.as_str().to_string(), v.clone())),
            _ => incomplete.push(f.as_str().to_string()),
        }
    }
    if incomplete.is_empty() {
        Ok(key)
    } else {
        Err(incomplete)
    }
}

/// The operator's intent to write protected fields (owner included) despite the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct OverrideRequest {
    pub reassignment_reason: String,
    pub approved_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum Severity {
    Blocking,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Finding {
    /// Named after the contract where it has a name: `external_id_missing`,
    /// `duplicate_conflict_detected`, `protected_field_conflict`, ...
    pub code: String,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct SideEffect {
    pub code: String,
    /// One plain sentence the operator acknowledges.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct FieldChange {
    pub field: String,
    pub current: Option<Value>,
    pub replay: Value,
    pub changes: bool,
    pub protected: bool,
    /// Whether the replay will send it (protected fields are stripped unless overridden).
    pub sent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "bindings/")]
pub enum WriteKind {
    /// Conditional update by Id (`If-Unmodified-Since`).
    Update,
    /// A plain create (`POST /sobjects/{Object}/`, the external ID in the body), never an
    /// upsert: the record did not exist at preflight.
    Create,
    /// Nothing can be sent (several matches, no external ID).
    None,
}

/// The exact request a replay would send (path relative to `/services/data/vXX.X`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct PlannedRequest {
    pub kind: WriteKind,
    pub method: String,
    /// Path segments after `/sobjects/`, unencoded: `[Object, Id]` or `[Object, Field, value]`.
    pub path: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub body: Map<String, Value>,
    /// For a create: re-read by this external ID just before the write, and write nothing if a
    /// record is there now (`create_new_record_only_when: no_existing_external_id_match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recheck_external_id: Option<ExternalIdRecheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct ExternalIdRecheck {
    pub field: String,
    pub value: String,
}

/// The whole preflight, as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Preflight {
    pub event: EventFacts,
    pub taken_at: String,
    pub integration_user: String,
    pub acts_as: String,
    pub target: Target,
    pub owner: Option<OwnerState>,
    pub owner_is_fallback: bool,
    pub last_modified_by: Option<OwnerState>,
    /// The record changed after the event occurred.
    pub modified_after_event: bool,
    pub key_matches: Vec<KeyMatch>,
    pub latest_attempt: Option<AttemptFacts>,
    /// Whose policy this is (the contract's owners), for the operator and the reviewer.
    #[serde(default)]
    pub lane_policy: LanePolicy,
    /// Checks that could not be completed (each also a finding).
    #[serde(default)]
    pub failed_checks: Vec<FailedCheck>,
    pub changes: Vec<FieldChange>,
    pub request: PlannedRequest,
    pub override_request: Option<OverrideRequest>,
    pub findings: Vec<Finding>,
    pub side_effects: Vec<SideEffect>,
    pub digest: String,
    pub ack_token: String,
}

impl Preflight {
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Blocking)
    }
}

/// Parses Salesforce's `2026-11-20T10:00:00.000+0000` (no colon in the offset) or RFC 3339.
pub fn parse_sf_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Builds the preflight. `now` is when it was taken. In steps: who writes and what the event's
/// lifecycle allows, what the target and the contract allow (update-only, insert-only, create
/// conditions, checks), the planned change, the owner and last modification, the exact request,
/// and the side effects the operator acknowledges.
pub fn evaluate(
    contract: &LaneContract,
    event: &EventFacts,
    observed: &Observed,
    override_request: Option<&OverrideRequest>,
    now: DateTime<Utc>,
) -> Preflight {
    let integration_user = contract.salesforce_lane.integration_user.as_str().to_string();
    let record = match &observed.target {
        Target::Found { record } => Some(record),
        _ => None,
    };
    let mut findings: Vec<Finding> = Vec::new();
    identity_and_lifecycle(contract, event, observed, &mut findings);
    let creating = target_findings(contract, event, observed, &mut findings);
    let (changes, body) = planned_change(contract, event, record, override_request, creating, &mut findings);
    let (owner_is_fallback, modified, modified_after_event) =
        owner_findings(contract, event, observed, record, &changes, &mut findings);
    let request = planned_request(contract, event, observed, body, creating, &mut findings);
    let effects = side_effects(
        contract,
        event,
        observed,
        record,
        &changes,
        &request,
        &findings,
        override_request,
        modified,
    );
    let mut p = Preflight {
        event: event.clone(),
        taken_at: crate::domain::event::format_time(now),
        integration_user,
        acts_as: observed.acts_as.clone(),
        target: observed.target.clone(),
        owner: observed.owner.clone(),
        owner_is_fallback,
        last_modified_by: observed.last_modified_by.clone(),
        modified_after_event,
        key_matches: observed.key_matches.clone(),
        latest_attempt: observed.latest_attempt.clone(),
        lane_policy: LanePolicy::of(contract),
        failed_checks: observed.failed_checks.clone(),
        changes,
        request,
        override_request: override_request.cloned(),
        findings,
        side_effects: effects,
        digest: String::new(),
        ack_token: String::new(),
    };
    p.digest = digest(&p);
    p.ack_token = p.digest[..ACK_LEN].to_string();
    p
}

/// SHA-256 over the canonical JSON (sorted keys) of everything but the digest itself.
pub fn digest(p: &Preflight) -> String {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("digest");
        m.remove("ack_token");
    }
    let mut h = Sha256::new();
    h.update(DIGEST_TAG.as_bytes());
    h.update([0u8]);
    h.update(v.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// `If-Unmodified-Since` wants an HTTP date in GMT (1-second precision).
pub fn http_date(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc).format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract() -> LaneContract {
        LaneContract::from_yaml(include_str!("../../../tests/data/lane_account_sync.yaml")).expect("fixture")
    }

    fn event(payload: Value) -> EventFacts {
        EventFacts {
            event_id: 1,
            lane_id: "account_sync_north_america".into(),
            lane_version: 1,
            event_key: "evt-1".into(),
            object: "Account".into(),
            external_id: Some("BA-1".into()),
            status: "failed".into(),
            occurred_at: "2026-11-20T10:00:00.000Z".into(),
            failure_code: Some("UNABLE_TO_LOCK_ROW".into()),
            failure_message: None,
            payload: payload.as_object().cloned().unwrap_or_default(),
            operation: "upsert".into(),
            revision: None,
        }
    }

    fn found(fields: Value, modified: &str) -> Observed {
        Observed {
            target: Target::Found {
                record: RecordState {
                    id: "001000000000001AAA".into(),
                    owner_id: Some("005000000000001AAA".into()),
                    last_modified_date: modified.into(),
                    last_modified_by_id: Some("005000000000009AAA".into()),
                    fields: fields.as_object().cloned().unwrap_or_default(),
                },
            },
            owner: Some(OwnerState {
                id: "005000000000001AAA".into(),
                kind: OwnerKind::User,
                name: Some("Rita Owner".into()),
                active: Some(true),
                api_name: Some("rita@acme.example".into()),
            }),
            last_modified_by: None,
            key_matches: vec![],
            acts_as: "sf_account_sync_app@acme.example".into(),
            latest_attempt: None,
            failed_checks: Vec::new(),
            external_id_unique_in_org: None,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn codes(p: &Preflight) -> Vec<(&str, Severity)> {
        p.findings.iter().map(|f| (f.code.as_str(), f.severity)).collect()
    }

    #[test]
    fn clean_update_has_no_findings_and_suppresses_assignment() {
        let obs = found(json!({"Name": "Old", "Tier__c": "Gold"}), "2026-11-19T08:00:00.000Z");
        let p = evaluate(&contract(), &event(json!({"Name": "New"})), &obs, None, now());
        assert!(p.findings.is_empty(), "nothing stands in the way: {:?}", p.findings);
        assert_eq!(p.request.kind, WriteKind::Update);
        assert!(
            p.request
                .headers
                .contains(&("Sforce-Auto-Assign".into(), "FALSE".into())),
            "owner precedence stays with the contract"
        );
        assert!(p
            .request
            .headers
            .contains(&("If-Unmodified-Since".into(), "Thu, 19 Nov 2026 08:00:00 GMT".into())));
        assert_eq!(p.ack_token.len(), ACK_LEN);
        assert!(p
            .side_effects
            .iter()
            .any(|s| s.text == "updates field Name of Account 001000000000001AAA"));
    }

    #[test]
    fn protected_field_change_blocks_and_is_stripped() {
        let obs = found(json!({"Name": "Old", "Tier__c": "Gold"}), "2026-11-19T08:00:00.000Z");
        let p = evaluate(
            &contract(),
            &event(json!({"Name": "New", "Tier__c": "Silver"})),
            &obs,
            None,
            now(),
        );
        assert_eq!(
            codes(&p),
            vec![("protected_field_conflict", Severity::Blocking)],
            "the contract blocks protected_field_conflict"
        );
        assert!(
            !p.request.body.contains_key("Tier__c"),
            "protected fields are stripped unless overridden"
        );
        let o = OverrideRequest {
            reassignment_reason: "tier corrected by finance".into(),
            approved_by: "vp-revops".into(),
        };
        let p2 = evaluate(
            &contract(),
            &event(json!({"Name": "New", "Tier__c": "Silver"})),
            &obs,
            Some(&o),
            now(),
        );
        assert_eq!(
            codes(&p2),
            vec![("protected_field_conflict", Severity::Warning)],
            "an approved override turns it into a warning"
        );
        assert_eq!(p2.request.body.get("Tier__c"), Some(&json!("Silver")));
        assert_ne!(
            p.ack_token, p2.ack_token,
            "a different request is a different acknowledgment"
        );
    }

    #[test]
    fn modified_after_event_and_inactive_owner_warn() {
        let mut obs = found(json!({"Name": "Old"}), "2026-11-20T12:00:00.000Z");
        if let Some(o) = obs.owner.as_mut() {
            o.active = Some(false);
        }
        let p = evaluate(&contract(), &event(json!({"Name": "New"})), &obs, None, now());
        assert_eq!(
            codes(&p),
            vec![
                ("owner_inactive", Severity::Warning),
                ("record_modified_after_event", Severity::Warning)
            ],
            "the reference contract does not block on these"
        );
    }

    #[test]
    fn several_matches_and_missing_external_id_block() {
        let mut obs = found(json!({}), "2026-11-19T08:00:00.000Z");
        obs.target = Target::Several {
            ids: vec!["001A".into(), "001B".into()],
        };
        obs.owner = None;
        let p = evaluate(&contract(), &event(json!({"Name": "X"})), &obs, None, now());
        assert_eq!(codes(&p), vec![("duplicate_conflict_detected", Severity::Blocking)]);
        assert_eq!(p.request.kind, WriteKind::None, "nothing can be sent");
        obs.target = Target::NoExternalId;
        let mut e = event(json!({"Name": "X"}));
        e.external_id = None;
        let p = evaluate(&contract(), &e, &obs, None, now());
        assert_eq!(codes(&p), vec![("external_id_missing", Severity::Blocking)]);
    }

    #[test]
    fn create_with_a_business_key_match_blocks() {
        let mut obs = found(json!({}), "2026-11-19T08:00:00.000Z");
        obs.target = Target::NotFound;
        obs.owner = None;
        let p = evaluate(&contract(), &event(json!({"Name": "Acme"})), &obs, None, now());
        assert!(p.findings.is_empty());
        assert_eq!(p.request.kind, WriteKind::Create);
        assert_eq!(p.request.method, "POST", "a create is a plain POST, never an upsert");
        assert_eq!(p.request.path, vec!["Account"]);
        assert_eq!(
            p.request.body.get("billing_account_id__c"),
            Some(&json!("BA-1")),
            "the external ID travels in the body"
        );
        assert_eq!(
            p.request.recheck_external_id,
            Some(ExternalIdRecheck {
                field: "billing_account_id__c".into(),
                value: "BA-1".into()
            }),
            "the contract lists no_existing_external_id_match: re-read before the write"
        );
        obs.key_matches = vec![KeyMatch {
            id: "001C".into(),
            fields: Map::new(),
        }];
        let p = evaluate(&contract(), &event(json!({"Name": "Acme"})), &obs, None, now());
        assert_eq!(
            codes(&p),
            vec![("duplicate_conflict_detected", Severity::Blocking)],
            "create_new_record_only_when forbids it"
        );
    }

    #[test]
    fn identity_mismatch_and_already_replayed_block() {
        let mut obs = found(json!({"Name": "Old"}), "2026-11-19T08:00:00.000Z");
        obs.acts_as = "someone_else@acme.example".into();
        let mut e = event(json!({"Name": "New"}));
        e.status = "replayed".into();
        let p = evaluate(&contract(), &e, &obs, None, now());
        let c = codes(&p);
        assert!(c.contains(&("integration_user_mismatch", Severity::Blocking)));
        assert!(c.contains(&("already_replayed", Severity::Blocking)));
    }

    #[test]
    fn gate_refuses_each_missing_piece() {
        let obs = found(json!({"Name": "Old"}), "2026-11-19T08:00:00.000Z");
        let p = evaluate(&contract(), &event(json!({"Name": "New"})), &obs, None, now());
        let ok = ReplayRequest {
            operator: "dana".into(),
            reason: "incident 42".into(),
            ack_token: p.ack_token.clone(),
            ..Default::default()
        };
        assert_eq!(gate(Some(&p), &ok, &GatePolicy::strict(15), now()), Ok(()));
        let code = |r: Result<(), Refusal>| r.err().map(|e| e.code);
        assert_eq!(
            code(gate(None, &ok, &GatePolicy::strict(15), now())).as_deref(),
            Some("no_preflight")
        );
        assert_eq!(
            code(gate(
                Some(&p),
                &ok,
                &GatePolicy::strict(15),
                now() + chrono::Duration::minutes(16)
            ))
            .as_deref(),
            Some("preflight_stale")
        );
        assert_eq!(
            code(gate(
                Some(&p),
                &ReplayRequest {
                    ack_token: "000000000000".into(),
                    ..ok.clone()
                },
                &GatePolicy::strict(15),
                now()
            ))
            .as_deref(),
            Some("ack_mismatch")
        );
        assert_eq!(
            code(gate(
                Some(&p),
                &ReplayRequest {
                    operator: " ".into(),
                    ..ok.clone()
                },
                &GatePolicy::strict(15),
                now()
            ))
            .as_deref(),
            Some("operator_missing")
        );
        assert_eq!(
            code(gate(
                Some(&p),
                &ReplayRequest {
                    reason: String::new(),
                    ..ok.clone()
                },
                &GatePolicy::strict(15),
                now()
            ))
            .as_deref(),
            Some("reason_missing")
        );
        let self_approved = ReplayRequest {
            override_request: Some(OverrideRequest {
                reassignment_reason: "x".into(),
                approved_by: "Dana".into(),
            }),
            ..ok.clone()
        };
        assert_eq!(
            code(gate(Some(&p), &self_approved, &GatePolicy::strict(15), now())).as_deref(),
            Some("override_self_approved")
        );
    }

    #[test]
    fn gate_checks_each_ticked_side_effect_when_they_are_sent() {
        let obs = found(json!({"Name": "Old"}), "2026-11-19T08:00:00.000Z");
        let p = evaluate(&contract(), &event(json!({"Name": "New"})), &obs, None, now());
        let all: Vec<String> = p.side_effects.iter().map(|s| s.code.clone()).collect();
        assert!(all.len() >= 2, "an update lists several side effects: {all:?}");
        let req = |acknowledged: Option<Vec<String>>| ReplayRequest {
            operator: "dana".into(),
            reason: "incident 42".into(),
            ack_token: p.ack_token.clone(),
            acknowledged,
            ..Default::default()
        };
        assert_eq!(
            gate(Some(&p), &req(None), &GatePolicy::strict(15), now()),
            Ok(()),
            "the token alone acknowledges all"
        );
        assert_eq!(
            gate(Some(&p), &req(Some(all.clone())), &GatePolicy::strict(15), now()),
            Ok(()),
            "every one ticked"
        );
        let refusal =
            gate(Some(&p), &req(Some(all[1..].to_vec())), &GatePolicy::strict(15), now()).expect_err("one left out");
        assert_eq!(refusal.code, "side_effects_unacknowledged");
        assert!(
            refusal.message.contains(&all[0]),
            "the refusal names what is missing: {}",
            refusal.message
        );
        assert_eq!(
            unacknowledged(["a", "b", "a", "c"], &["b".to_string()]),
            vec!["a", "c"],
            "each missing code once, in the listed order"
        );
    }

    #[test]
    fn salesforce_times_parse() {
        let t = parse_sf_time("2026-11-20T10:00:00.000+0000").expect("Salesforce's form, no colon in the offset");
        assert_eq!(t.to_rfc3339(), "2026-11-20T10:00:00+00:00");
        assert!(parse_sf_time("2026-11-20T10:00:00Z").is_some());
        assert!(parse_sf_time("yesterday").is_none());
    }
}
