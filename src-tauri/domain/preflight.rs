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

/// Adds findings to `findings`: `add(code, severity, message)`.
fn adder(findings: &mut Vec<Finding>) -> impl FnMut(&str, Severity, String) + '_ {
    move |code, severity, message| {
        findings.push(Finding {
            code: code.into(),
            severity,
            message,
        })
    }
}

fn block_if(contract: &LaneContract, c: BlockCondition) -> Severity {
    severity(contract.blocks(c))
}

fn severity(blocking: bool) -> Severity {
    if blocking {
        Severity::Blocking
    } else {
        Severity::Warning
    }
}

/// Fields Salesforce manages itself: never sent, whatever the payload says.
const SYSTEM_FIELDS: &[&str] = &[
    "Id",
    "IsDeleted",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
    "attributes",
];

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

/// Findings of who writes (the token's user) and of the event's lifecycle.
fn identity_and_lifecycle(
    contract: &LaneContract,
    event: &EventFacts,
    observed: &Observed,
    findings: &mut Vec<Finding>,
) {
    let expected_username = contract.connection.as_ref().map(|c| c.username.as_str().to_string());
    let mut add = adder(findings);
    // Identity: the token must act as the lane's integration user.
    match &expected_username {
        Some(u) if u.eq_ignore_ascii_case(&observed.acts_as) => {}
        Some(u) => add(
            "integration_user_mismatch",
            Severity::Blocking,
            format!("the lane's credential acts as `{}`, not `{u}`", observed.acts_as),
        ),
        None => add(
            "no_connection",
            Severity::Blocking,
            "the lane's contract has no `connection` block".into(),
        ),
    }

    // Lifecycle.
    match event.status.as_str() {
        "replayed" => {
            let by = observed
                .latest_attempt
                .as_ref()
                .map(|a| format!(" by {} at {}", a.operator, a.at))
                .unwrap_or_default();
            add(
                "already_replayed",
                Severity::Blocking,
                format!("already replayed{by}; replay again only with --again and a reason"),
            );
        }
        "unknown_outcome" => add(
            "unknown_outcome_pending",
            Severity::Blocking,
            "the last replay was sent but got no answer; run `verify` to settle whether it was applied".into(),
        ),
        "in_flight" => add(
            "attempt_in_flight",
            Severity::Blocking,
            "another replay of this event is in flight".into(),
        ),
        "discarded" => add("discarded", Severity::Blocking, "the event was discarded".into()),
        _ => {}
    }
}

/// Findings of the target and of what the contract and the event allow; whether the replay is
/// a create.
fn target_findings(
    contract: &LaneContract,
    event: &EventFacts,
    observed: &Observed,
    findings: &mut Vec<Finding>,
) -> bool {
    let object = contract.identity_policy.object.as_str();
    let ext_field = contract.identity_policy.external_id_field.as_str();
    let mut add = adder(findings);
    // What the event and the lane allow: an `update` lane or an `update` event never creates;
    // an `insert` event never updates.
    let update_only = contract.write_policy.operation == WriteOperation::Update || event.operation == "update";
    let insert_only = event.operation == "insert";

    // Target.
    let mut creating = false;
    match &observed.target {
        // Floor: without an external ID there is no key to write by, whatever block_write_if says.
        Target::NoExternalId => add(
            "external_id_missing",
            Severity::Blocking,
            format!("the event has no `{ext_field}`; the target cannot be identified"),
        ),
        // Floor: several records share the key (HTTP 300); a replay cannot choose.
        Target::Several { ids } => add(
            "duplicate_conflict_detected",
            Severity::Blocking,
            format!(
                "{} {object} records share {ext_field} = `{}` ({}); a replay cannot choose",
                ids.len(),
                event.external_id.as_deref().unwrap_or(""),
                ids.join(", ")
            ),
        ),
        Target::Found { record } if insert_only => add(
            "update_not_allowed",
            Severity::Blocking,
            format!(
                "the event's operation is insert, but {object} {} already has {ext_field} = `{}`; an insert never updates",
                record.id,
                event.external_id.as_deref().unwrap_or("")
            ),
        ),
        Target::Found { .. } => {}
        Target::NotFound if update_only => add(
            "create_not_allowed",
            Severity::Blocking,
            format!(
                "no {object} has {ext_field} = `{}`, and {} never creates",
                event.external_id.as_deref().unwrap_or(""),
                if contract.write_policy.operation == WriteOperation::Update {
                    "this lane's write_policy.operation is update: it".to_string()
                } else {
                    "the event's operation is update: it".to_string()
                }
            ),
        ),
        Target::NotFound => {
            creating = true;
            create_findings(contract, event, observed, &mut add);
        }
    }
    // The org's describe matters where the uniqueness is relied on: a create.
    if creating && contract.write_policy.external_id_must_be_unique && observed.external_id_unique_in_org == Some(false)
    {
        add(
            "external_id_not_unique_in_org",
            Severity::Warning,
            format!(
                "the contract says {ext_field} must be unique, but the org's describe does not mark it unique and external: Salesforce will not refuse a second record with the same value"
            ),
        );
    }

    // Checks of verify_before_replay that could not be completed: blocking when the contract
    // lists the check, a warning to acknowledge otherwise.
    for c in &observed.failed_checks {
        let listed = match c.check.as_str() {
            "owner_state" => contract.verifies(VerifyItem::OwnerState),
            "last_write_result" => contract.verifies(VerifyItem::LastWriteResult),
            // Floor: without the target there is nothing to write to.
            _ => true,
        };
        add(
            "verification_incomplete",
            severity(listed),
            format!(
                "{} could not be verified{}: {}",
                c.check,
                if listed {
                    " (the contract's verify_before_replay lists it)"
                } else {
                    ""
                },
                c.message
            ),
        );
    }
    creating
}

/// What the contract asks of a create: its create conditions, the business key, the external
/// ID's uniqueness, the reviewed duplicate and matching rules.
fn create_findings(
    contract: &LaneContract,
    event: &EventFacts,
    observed: &Observed,
    add: &mut impl FnMut(&str, Severity, String),
) {
    let object = contract.identity_policy.object.as_str();
    let ext_field = contract.identity_policy.external_id_field.as_str();
    let bk_required = contract.create_requires(CreateCondition::NoExistingApprovedBusinessKeyMatch);
    if contract.identity_policy.search_before_write {
        match business_key(contract, &event.payload) {
            Err(missing) => add(
                "business_key_incomplete",
                severity(bk_required || contract.blocks(BlockCondition::BusinessKeyIncomplete)),
                format!(
                    "the event's business key is incomplete ({} missing or not text), so the search for a record a create would duplicate cannot run",
                    missing.join(", ")
                ),
            ),
            Ok(_) if !observed.key_matches.is_empty() => {
                let ids: Vec<&str> = observed.key_matches.iter().map(|m| m.id.as_str()).collect();
                add(
                    "duplicate_conflict_detected",
                    severity(bk_required || contract.blocks(BlockCondition::DuplicateConflictDetected)),
                    format!(
                        "no {object} has {ext_field} = `{}`, but {} match{} the business key ({}): a create would duplicate {}",
                        event.external_id.as_deref().unwrap_or(""),
                        ids.join(", "),
                        if ids.len() == 1 { "es" } else { "" },
                        key_fields(contract).join(", "),
                        if ids.len() == 1 { "it" } else { "them" }
                    ),
                );
            }
            Ok(_) => {}
        }
    }
    if !contract.create_requires(CreateCondition::NoExistingExternalIdMatch) {
        add(
            "external_id_not_rechecked",
            Severity::Warning,
            format!(
                "create_new_record_only_when does not list no_existing_external_id_match: {ext_field} is not re-read before the create, so a record that appears meanwhile does not stop it"
            ),
        );
    }
    if !contract.write_policy.external_id_must_be_unique {
        add(
            "external_id_not_declared_unique",
            Severity::Warning,
            format!(
                "the contract does not declare {ext_field} unique: if the org does not refuse a second record with the same value, a record that appears between the re-read and the create is duplicated"
            ),
        );
    }
    if !contract.identity_policy.duplicate_rule_reviewed {
        add(
            "duplicate_rules_not_reviewed",
            Severity::Warning,
            "the org's duplicate rules were not reviewed for this lane".into(),
        );
    }
    if !contract.identity_policy.matching_rule_reviewed {
        add(
            "matching_rules_not_reviewed",
            Severity::Warning,
            "the org's matching rules were not reviewed for this lane".into(),
        );
    }
}

/// The planned change field by field, the body that would be sent, and the protected-field
/// finding.
fn planned_change(
    contract: &LaneContract,
    event: &EventFacts,
    record: Option<&RecordState>,
    override_request: Option<&OverrideRequest>,
    creating: bool,
    findings: &mut Vec<Finding>,
) -> (Vec<FieldChange>, Map<String, Value>) {
    let ext_field = contract.identity_policy.external_id_field.as_str();
    let protected: Vec<&str> = contract
        .write_policy
        .protected_fields
        .iter()
        .map(|f| f.as_str())
        .collect();
    let mut add = adder(findings);
    // Planned change.
    let overriding = override_request.is_some();
    let mut changes = Vec::new();
    let mut body = Map::new();
    for (field, value) in &event.payload {
        if SYSTEM_FIELDS.contains(&field.as_str()) || field == ext_field {
            continue;
        }
        let is_protected = protected.contains(&field.as_str());
        let current = record.and_then(|r| r.fields.get(field).cloned());
        let differs = match &current {
            Some(c) => !same_value(c, value),
            None => true,
        };
        let sent = !is_protected || overriding;
        if sent {
            body.insert(field.clone(), value.clone());
        }
        changes.push(FieldChange {
            field: field.clone(),
            current,
            replay: value.clone(),
            changes: differs,
            protected: is_protected,
            sent,
        });
    }
    if creating {
        // A plain create carries the external ID in its body (the URL no longer does).
        if let Some(ext) = &event.external_id {
            body.insert(ext_field.to_string(), Value::String(ext.clone()));
        }
    }
    let conflicts: Vec<&FieldChange> = changes
        .iter()
        .filter(|c| c.protected && (record.is_some() && c.changes))
        .collect();
    if !conflicts.is_empty() {
        let names: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
        let sev = if overriding {
            Severity::Warning
        } else {
            block_if(contract, BlockCondition::ProtectedFieldConflict)
        };
        add(
            "protected_field_conflict",
            sev,
            if overriding {
                format!(
                    "the replay overwrites protected field{} {} under an approved override",
                    plural(names.len()),
                    names.join(", ")
                )
            } else {
                format!(
                    "the event would change protected field{} {}; replay with an approved override (--reassignment-reason, --approved-by) or discard",
                    plural(names.len()),
                    names.join(", ")
                )
            },
        );
    }
    (changes, body)
}

/// Findings of the owner (inactive, fallback) and of a modification after the event: whether
/// the owner is the fallback, when the record was modified, and whether that is after the event.
fn owner_findings(
    contract: &LaneContract,
    event: &EventFacts,
    observed: &Observed,
    record: Option<&RecordState>,
    changes: &[FieldChange],
    findings: &mut Vec<Finding>,
) -> (bool, Option<DateTime<Utc>>, bool) {
    let fallback = contract.ownership_policy.fallback_owner.as_str();
    let mut add = adder(findings);
    // Owner and last modification.
    let owner_is_fallback = observed
        .owner
        .as_ref()
        .and_then(|o| o.api_name.as_deref())
        .is_some_and(|n| n.eq_ignore_ascii_case(fallback));
    if let Some(o) = &observed.owner {
        if o.kind == OwnerKind::User && o.active == Some(false) {
            add(
                "owner_inactive",
                block_if(contract, BlockCondition::OwnerInactive),
                format!(
                    "the record's owner {} is an inactive user",
                    o.name.as_deref().unwrap_or(&o.id)
                ),
            );
        }
        if owner_is_fallback {
            add(
                "fallback_owner",
                block_if(contract, BlockCondition::FallbackOwner),
                format!("the record is owned by the fallback owner `{fallback}`: its real owner was never assigned"),
            );
        }
    }
    let event_time = DateTime::parse_from_rfc3339(&event.occurred_at)
        .ok()
        .map(|t| t.with_timezone(&Utc));
    let modified = record.and_then(|r| {
        DateTime::parse_from_rfc3339(&r.last_modified_date)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    });
    let modified_after_event = matches!((modified, event_time), (Some(m), Some(e)) if m > e);
    if modified_after_event {
        let by = observed
            .last_modified_by
            .as_ref()
            .and_then(|u| u.name.clone())
            .or_else(|| record.and_then(|r| r.last_modified_by_id.clone()))
            .unwrap_or_else(|| "someone".into());
        let overwrites: Vec<&str> = changes
            .iter()
            .filter(|c| c.sent && c.changes)
            .map(|c| c.field.as_str())
            .collect();
        add(
            "record_modified_after_event",
            block_if(contract, BlockCondition::RecordModifiedAfterEvent),
            format!(
                "{by} modified the record at {} after the event occurred ({}){}",
                record.map(|r| r.last_modified_date.as_str()).unwrap_or(""),
                event.occurred_at,
                if overwrites.is_empty() {
                    String::new()
                } else {
                    format!("; the replay overwrites {}", overwrites.join(", "))
                }
            ),
        );
    }
    (owner_is_fallback, modified, modified_after_event)
}

/// The exact request a replay would send, and the floor that there is something to write.
fn planned_request(
    contract: &LaneContract,
    event: &EventFacts,
    observed: &Observed,
    body: Map<String, Value>,
    creating: bool,
    findings: &mut Vec<Finding>,
) -> PlannedRequest {
    let object = contract.identity_policy.object.as_str();
    let ext_field = contract.identity_policy.external_id_field.as_str();
    let mut add = adder(findings);
    // Request.
    let request = match (&observed.target, &event.external_id) {
        (Target::Found { record }, _) => PlannedRequest {
            kind: WriteKind::Update,
            method: "PATCH".into(),
            path: vec![object.into(), record.id.clone()],
            headers: vec![
                ("If-Unmodified-Since".into(), http_date(&record.last_modified_date)),
                ("Sforce-Auto-Assign".into(), "FALSE".into()),
                ("Sforce-Call-Options".into(), "client=replay-console".into()),
            ],
            body: body.clone(),
            recheck_external_id: None,
        },
        (Target::NotFound, Some(ext)) if creating => PlannedRequest {
            kind: WriteKind::Create,
            method: "POST".into(),
            path: vec![object.into()],
            // A new record's first owner comes from the assignment rules (the contract's
            // first_owner_source), so they run on create.
            headers: vec![
                ("Sforce-Auto-Assign".into(), "TRUE".into()),
                ("Sforce-Call-Options".into(), "client=replay-console".into()),
            ],
            body: body.clone(),
            recheck_external_id: contract
                .create_requires(CreateCondition::NoExistingExternalIdMatch)
                .then(|| ExternalIdRecheck {
                    field: ext_field.into(),
                    value: ext.clone(),
                }),
        },
        _ => PlannedRequest {
            kind: WriteKind::None,
            method: String::new(),
            path: Vec::new(),
            headers: Vec::new(),
            body: Map::new(),
            recheck_external_id: None,
        },
    };
    let written_fields = request
        .body
        .keys()
        .filter(|k| !(creating && k.as_str() == ext_field))
        .count();
    if request.kind != WriteKind::None && written_fields == 0 {
        add(
            "nothing_to_write",
            Severity::Blocking,
            "after protected fields are stripped, the payload has no field to write".into(),
        );
    }
    request
}

/// What an update does: the fields it changes, the owner, assignment rules, the condition.
fn update_effects(
    object: &str,
    record: Option<&RecordState>,
    observed: &Observed,
    changes: &[FieldChange],
    sent_changed: &[&str],
    modified: Option<DateTime<Utc>>,
    effect: &mut impl FnMut(&str, String),
) {
    let rec = record.map(|r| r.id.as_str()).unwrap_or("");
    if sent_changed.is_empty() {
        effect(
            "update_no_change",
            format!("updates {object} {rec} with values it already has (no field changes)"),
        );
    } else {
        effect(
            "update_fields",
            format!(
                "updates field{} {} of {object} {rec}",
                plural(sent_changed.len()),
                sent_changed.join(", ")
            ),
        );
    }
    let owner_change = changes.iter().find(|c| c.field == "OwnerId" && c.sent && c.changes);
    match (owner_change, &observed.owner) {
        (Some(c), _) => effect(
            "owner_changes",
            format!(
                "changes the owner from {} to {}",
                describe_owner(observed.owner.as_ref()),
                c.replay.as_str().unwrap_or("?")
            ),
        ),
        (None, o) => effect(
            "owner_unchanged",
            format!("owner unchanged ({})", describe_owner(o.as_ref())),
        ),
    }
    effect(
        "assignment_suppressed",
        "assignment rules do not run (Sforce-Auto-Assign: FALSE)".into(),
    );
    if let Some(m) = &modified {
        effect(
            "conditional_write",
            format!(
                "written only if the record is unchanged since {} (If-Unmodified-Since)",
                m.to_rfc3339()
            ),
        );
    }
}

/// The side effects the operator acknowledges, each a sentence: every warning, what the write
/// does, what it leaves out, who it is written as.
#[allow(clippy::too_many_arguments)]
fn side_effects(
    contract: &LaneContract,
    event: &EventFacts,
    observed: &Observed,
    record: Option<&RecordState>,
    changes: &[FieldChange],
    request: &PlannedRequest,
    findings: &[Finding],
    override_request: Option<&OverrideRequest>,
    modified: Option<DateTime<Utc>>,
) -> Vec<SideEffect> {
    let object = contract.identity_policy.object.as_str();
    let ext_field = contract.identity_policy.external_id_field.as_str();
    // Side effects.
    let mut effects = Vec::new();
    let mut effect = |code: &str, text: String| {
        effects.push(SideEffect {
            code: code.into(),
            text,
        })
    };
    let sent_changed: Vec<&str> = changes
        .iter()
        .filter(|c| c.sent && c.changes)
        .map(|c| c.field.as_str())
        .collect();
    // Every warning is acknowledged like a side effect: the operator goes ahead despite it.
    if request.kind != WriteKind::None {
        for f in findings.iter().filter(|f| f.severity == Severity::Warning) {
            effect(
                &format!("warning_{}", f.code),
                format!("goes ahead despite a warning: {}", f.message),
            );
        }
    }
    match request.kind {
        WriteKind::Update => update_effects(object, record, observed, changes, &sent_changed, modified, &mut effect),
        WriteKind::Create => {
            if let Some(r) = &request.recheck_external_id {
                effect(
                    "create_rechecked",
                    format!(
                        "{} is re-read just before the create; if a record has it by then, nothing is written",
                        r.field
                    ),
                );
            }
            effect(
                "creates_record",
                format!(
                    "creates a new {object} with {ext_field} = {} and field{} {}",
                    event.external_id.as_deref().unwrap_or(""),
                    plural(sent_changed.len()),
                    sent_changed.join(", ")
                ),
            );
            effect(
                "assignment_runs",
                format!(
                    "assignment rules choose the new record's owner ({})",
                    contract.ownership_policy.first_owner_source
                ),
            );
        }
        WriteKind::None => {}
    }
    if request.kind != WriteKind::None {
        // Only a stripped field whose value would change is a side effect: one that already
        // holds the event's value loses nothing by not being sent.
        let stripped: Vec<&str> = changes
            .iter()
            .filter(|c| !c.sent && c.changes)
            .map(|c| c.field.as_str())
            .collect();
        if !stripped.is_empty() {
            effect(
                "protected_stripped",
                format!(
                    "protected field{} {} {} not written",
                    plural(stripped.len()),
                    stripped.join(", "),
                    if stripped.len() == 1 { "is" } else { "are" }
                ),
            );
        }
        if let Some(o) = override_request {
            let written: Vec<&str> = changes
                .iter()
                .filter(|c| c.protected && c.sent)
                .map(|c| c.field.as_str())
                .collect();
            if !written.is_empty() {
                effect(
                    "protected_overwritten",
                    format!(
                        "protected field{} {} written under override approved by {} (reason: {})",
                        plural(written.len()),
                        written.join(", "),
                        o.approved_by,
                        o.reassignment_reason
                    ),
                );
            }
        }
        effect(
            "automation_runs",
            format!("triggers, flows and validation rules on {object} run again"),
        );
        effect(
            "writes_as",
            format!("written as the integration user {}", observed.acts_as),
        );
    }
    effects
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

fn key_fields(contract: &LaneContract) -> Vec<&str> {
    contract
        .replay_console
        .business_key_fields
        .iter()
        .map(|f| f.as_str())
        .collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn describe_owner(o: Option<&OwnerState>) -> String {
    match o {
        Some(o) => {
            let kind = match o.kind {
                OwnerKind::User => "user",
                OwnerKind::Queue => "queue",
                OwnerKind::Unknown => "owner",
            };
            match &o.name {
                Some(n) => format!("{kind} {n}, {}", o.id),
                None => format!("{kind} {}", o.id),
            }
        }
        None => "unknown".into(),
    }
}

/// `If-Unmodified-Since` wants an HTTP date in GMT (1-second precision).
pub fn http_date(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc).format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// Why a replay is refused before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct Refusal {
    pub code: String,
    pub message: String,
}

/// What the operator states when asking for a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, export_to = "bindings/")]
pub struct ReplayRequest {
    pub operator: String,
    pub reason: String,
    pub ack_token: String,
    /// Replay an already replayed event again: the reason why.
    pub again: Option<String>,
    pub override_request: Option<OverrideRequest>,
    /// The side effects the operator ticked one by one, by code (the window sends them). When
    /// given, every side effect of the preflight must be among them. Without it, the token alone
    /// acknowledges the whole list (`--ack TOKEN`: the token is the digest of the preflight, its
    /// side effects included).
    #[serde(default)]
    #[ts(optional)]
    pub acknowledged: Option<Vec<String>>,
}

/// The side effects of `listed` that `acknowledged` leaves out, in the listed order, once each.
pub fn unacknowledged<'a>(listed: impl IntoIterator<Item = &'a str>, acknowledged: &[String]) -> Vec<&'a str> {
    let mut missing: Vec<&str> = Vec::new();
    for code in listed {
        if !acknowledged.iter().any(|a| a == code) && !missing.contains(&code) {
            missing.push(code);
        }
    }
    missing
}

/// What the lane's contract makes the gate require (`manual_replay_requires`,
/// `owner_override_allowed_only_when`, `preflight_max_age_minutes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatePolicy {
    pub max_age_minutes: u32,
    pub operator_name: bool,
    pub replay_reason: bool,
    pub side_effect_review: bool,
    pub override_reason: bool,
    pub override_approval: bool,
}

impl GatePolicy {
    pub fn of(contract: &LaneContract) -> GatePolicy {
        GatePolicy {
            max_age_minutes: contract.replay_console.preflight_max_age_minutes.0,
            operator_name: contract.requires(ReplayRequirement::OperatorName),
            replay_reason: contract.requires(ReplayRequirement::ReplayReason),
            side_effect_review: contract.requires(ReplayRequirement::ExpectedSideEffectReview),
            override_reason: contract.override_requires(OwnerOverrideCondition::ExplicitReassignmentReason),
            override_approval: contract.override_requires(OwnerOverrideCondition::DownstreamOwnerChangeIsApproved),
        }
    }

    /// What the reference contract requires: everything.
    #[cfg(test)]
    pub fn strict(max_age_minutes: u32) -> GatePolicy {
        GatePolicy {
            max_age_minutes,
            operator_name: true,
            replay_reason: true,
            side_effect_review: true,
            override_reason: true,
            override_approval: true,
        }
    }
}

/// Checks an override against the contract's `owner_override_allowed_only_when`: exactly the
/// listed conditions are required. `operator` is who replays (the approver must be someone else
/// when approval is required).
pub fn check_override(o: &OverrideRequest, operator: &str, policy: &GatePolicy) -> Result<(), Refusal> {
    let refuse = |code: &str, message: &str| {
        Err(Refusal {
            code: code.into(),
            message: message.into(),
        })
    };
    if policy.override_reason && o.reassignment_reason.trim().is_empty() {
        return refuse(
            "override_incomplete",
            "the contract's owner_override_allowed_only_when requires an explicit reassignment reason (--reassignment-reason)",
        );
    }
    if policy.override_approval {
        if o.approved_by.trim().is_empty() {
            return refuse(
                "override_incomplete",
                "the contract's owner_override_allowed_only_when requires the change to be approved (--approved-by)",
            );
        }
        if o.approved_by.trim().eq_ignore_ascii_case(operator.trim()) {
            return refuse(
                "override_self_approved",
                "the approver of an override must be someone other than the operator",
            );
        }
    }
    if o.reassignment_reason.trim().is_empty() && o.approved_by.trim().is_empty() {
        return refuse(
            "override_incomplete",
            "an override names a reassignment reason or an approver",
        );
    }
    Ok(())
}

/// The gate. `None` preflight means none was taken. What it requires beyond the floors (a fresh
/// preflight, the same override, no blocking finding) comes from the contract (`policy`).
pub fn gate(
    p: Option<&Preflight>,
    req: &ReplayRequest,
    policy: &GatePolicy,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let max_age_minutes = policy.max_age_minutes;
    let refuse = |code: &str, message: String| {
        Err(Refusal {
            code: code.into(),
            message,
        })
    };
    if policy.operator_name && req.operator.trim().is_empty() {
        return refuse("operator_missing", "the operator's name is required".into());
    }
    if policy.replay_reason && req.reason.trim().is_empty() {
        return refuse("reason_missing", "a replay reason is required".into());
    }
    let Some(p) = p else {
        return refuse(
            "no_preflight",
            "no preflight for this event; run the preflight first".into(),
        );
    };
    let taken = DateTime::parse_from_rfc3339(&p.taken_at)
        .map(|t| t.with_timezone(&Utc))
        .ok();
    let age = taken.map(|t| now - t);
    if age.is_none_or(|a| a > chrono::Duration::minutes(i64::from(max_age_minutes)) || a < chrono::Duration::zero()) {
        return refuse(
            "preflight_stale",
            format!(
                "the preflight from {} is older than {max_age_minutes} minutes; run it again to see the record as it is now",
                p.taken_at
            ),
        );
    }
    // The token is required when the contract requires the side effects to be reviewed; a token
    // given anyway must still be the latest preflight's.
    let token = req.ack_token.trim();
    if (policy.side_effect_review || !token.is_empty()) && token != p.ack_token {
        return refuse(
            "ack_mismatch",
            if token.is_empty() {
                "the contract requires the side effects to be reviewed: pass the latest preflight's acknowledgment token (--ack)".into()
            } else {
                "the acknowledgment token does not match the latest preflight; review the side effects shown by the latest preflight and use its token".into()
            },
        );
    }
    if let Some(ack) = &req.acknowledged {
        let missing = unacknowledged(p.side_effects.iter().map(|s| s.code.as_str()), ack);
        if !missing.is_empty() {
            return refuse(
                "side_effects_unacknowledged",
                format!(
                    "not every side effect was acknowledged (missing: {}); tick each one shown by the preflight",
                    missing.join(", ")
                ),
            );
        }
    }
    if let Some(o) = &req.override_request {
        check_override(o, &req.operator, policy)?;
    }
    if req.override_request != p.override_request {
        return refuse(
            "override_mismatch",
            "the override differs from the one the preflight was taken with; take the preflight with the same override"
                .into(),
        );
    }
    for f in p.blocking() {
        if f.code == "already_replayed" {
            if req.again.as_deref().is_some_and(|r| !r.trim().is_empty()) {
                continue;
            }
            return refuse(&f.code, f.message.clone());
        }
        return refuse(&f.code, f.message.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract() -> LaneContract {
        LaneContract::from_yaml(include_str!("../../tests/data/lane_account_sync.yaml")).expect("fixture")
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
