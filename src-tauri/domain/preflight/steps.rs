//! The steps of a preflight's evaluation: who writes and the event's lifecycle, what the target
//! and the contract allow, the planned change, the owner, the exact request and the side effects.
//! Each step adds its findings; `evaluate` in the parent module runs them in order.

use super::*;

/// Adds findings to `findings`: `add(code, severity, message)`.
pub(super) fn adder(findings: &mut Vec<Finding>) -> impl FnMut(&str, Severity, String) + '_ {
    move |code, severity, message| {
        findings.push(Finding {
            code: code.into(),
            severity,
            message,
        })
    }
}

pub(super) fn block_if(contract: &LaneContract, c: BlockCondition) -> Severity {
    severity(contract.blocks(c))
}

pub(super) fn severity(blocking: bool) -> Severity {
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

/// Findings of who writes (the token's user) and of the event's lifecycle.
pub(super) fn identity_and_lifecycle(
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
pub(super) fn target_findings(
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
pub(super) fn create_findings(
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
pub(super) fn planned_change(
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
pub(super) fn owner_findings(
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
pub(super) fn planned_request(
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
pub(super) fn update_effects(
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
pub(super) fn side_effects(
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

pub(super) fn key_fields(contract: &LaneContract) -> Vec<&str> {
    contract
        .replay_console
        .business_key_fields
        .iter()
        .map(|f| f.as_str())
        .collect()
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(super) fn describe_owner(o: Option<&OwnerState>) -> String {
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
