//! The gate: what the lane's contract makes a replay require (operator, reason, side effects,
//! override, a fresh preflight), checked just before anything is sent. Pure.

use super::*;

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
