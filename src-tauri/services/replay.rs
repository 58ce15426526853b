//! Guarded replay of one event (DESIGN "Replay protocol"):
//! gate -> token and identity -> durable intent (attempt + audit, one transaction) -> send ->
//! outcome -> post-verify. A send with no answer leaves the event `unknown_outcome`.

use crate::app::App;
use crate::domain::audit::AuditDraft;
use crate::domain::contract::LaneContract;
use crate::domain::preflight::{self, GatePolicy, Preflight, ReplayRequest, WriteKind};
use crate::domain::replay::{PostVerify, ReplayOutcome, ReplayResult};
use crate::error::{Error, Result};
use crate::services::org::{SendOutcome, Session};
use crate::services::{audit, holder, lanes};
use crate::store;
use chrono::Utc;

/// Keeps the log dimensions the lane's contract lists (`observability.log_dimensions`) and
/// clears the others: a lane owner who leaves `external_id` out (it can be personal data) finds
/// no external ID in the audit entries, the reviewer views or the exports of that lane.
pub(crate) fn dimensions(contract: &LaneContract, mut d: AuditDraft) -> AuditDraft {
    use crate::domain::contract::LogDimension;
    if !contract.logs(LogDimension::IntegrationUser) {
        d.integration_user = None;
    }
    if !contract.logs(LogDimension::ExternalId) {
        d.external_id = None;
    }
    if !contract.logs(LogDimension::RecordType) {
        d.record_type = None;
    }
    if !contract.logs(LogDimension::OperationType) {
        d.operation_type = None;
    }
    d
}

/// The audit draft every entry of a replay starts from: the contract's log dimensions.
pub(crate) fn draft(p: &Preflight, contract: &LaneContract, action: &str, actor: &str) -> AuditDraft {
    let integration_user = contract.salesforce_lane.integration_user.as_str();
    dimensions(
        contract,
        AuditDraft {
            action: action.into(),
            actor: actor.into(),
            lane_id: Some(p.event.lane_id.clone()),
            lane_version: Some(p.event.lane_version),
            event_id: Some(p.event.event_id),
            integration_user: Some(integration_user.into()),
            external_id: p.event.external_id.clone(),
            record_type: Some(p.event.object.clone()),
            operation_type: Some(
                match p.request.kind {
                    WriteKind::Update => "update",
                    WriteKind::Create => "create",
                    WriteKind::None => "none",
                }
                .into(),
            ),
            ack_token: Some(p.ack_token.clone()),
            ..AuditDraft::default()
        },
    )
}

/// Why the session may not write for the lane: its token acts as another user than the
/// contract's `connection.username`. `None` when it is the lane's own integration user.
pub(crate) fn identity_mismatch(session: &Session, contract: &crate::domain::contract::LaneContract) -> Option<String> {
    let expected = contract
        .connection
        .as_ref()
        .map(|c| c.username.0.clone())
        .unwrap_or_default();
    (!session.acts_as().eq_ignore_ascii_case(&expected)).then(|| {
        format!(
            "the lane's credential acts as `{}`, not `{expected}`; nothing was sent",
            session.acts_as()
        )
    })
}

/// Records a refusal in the audit log, then returns it as the error.
async fn refuse(app: &App, event_id: i64, req: &ReplayRequest, code: &str, message: String) -> Error {
    let entry = AuditDraft {
        event_id: Some(event_id),
        ..refusal_draft(
            "replay_refused",
            &req.operator,
            &req.reason,
            &req.ack_token,
            code,
            &message,
        )
    };
    audited_refusal(app, &entry, code, message).await
}

/// The audit entry of a refused replay or batch: who asked (or the OS user), why, with which
/// token, and the refusal.
pub(crate) fn refusal_draft(
    action: &str,
    operator: &str,
    reason: &str,
    ack_token: &str,
    code: &str,
    message: &str,
) -> AuditDraft {
    AuditDraft {
        action: action.into(),
        actor: if operator.trim().is_empty() {
            crate::services::holder::os_user()
        } else {
            operator.trim().into()
        },
        reason: Some(reason.to_string()).filter(|r| !r.trim().is_empty()),
        ack_token: Some(ack_token.to_string()).filter(|t| !t.trim().is_empty()),
        outcome: Some("refused".into()),
        detail: serde_json::json!({"code": code, "message": message}),
        ..AuditDraft::default()
    }
}

/// Commits the refusal's audit entry, then returns the refusal (or the error that kept it from
/// being recorded).
pub(crate) async fn audited_refusal(app: &App, entry: &AuditDraft, code: &str, message: String) -> Error {
    let recorded = async {
        let mut tx = store::write_tx(&app.pool).await?;
        audit::record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = recorded {
        return e;
    }
    app.checkpoint_soon();
    Error::Refused {
        code: code.into(),
        message,
    }
}

pub async fn replay(app: &App, event_id: i64, req: ReplayRequest) -> Result<ReplayResult> {
    let latest = store::preflights::latest(&app.pool, event_id).await?;
    let ev = store::events::get(&app.pool, event_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no event with id {event_id}")))?;
    let (_, contract) = lanes::contract(app, &ev.lane_id).await?;
    let policy = GatePolicy::of(&contract);
    // Where the contract does not require the operator's name, the OS user stands for it (the
    // audit entry always names someone).
    let mut req = req;
    if req.operator.trim().is_empty() && !policy.operator_name {
        req.operator = crate::services::holder::os_user();
    }
    // Team mode: an override the contract says needs approval is approved by another
    // authenticated approver through a request bound to this preflight; a typed name does not
    // count. The approver's login then stands in the attempt and the audit.
    req.override_request = crate::services::team::team_override(app, &contract, req.override_request);
    let mut approver_login = None;
    if app.pool.is_server() && policy.override_approval {
        if let (Some(ov), Some((preflight_id, p))) = (req.override_request.clone(), latest.as_ref()) {
            if p.override_request.as_ref() == Some(&ov) {
                match crate::services::team::approval_gate(app, *preflight_id, p, &ov, &req.operator).await? {
                    crate::services::team::ApprovalGate::Approved(login) => approver_login = Some(login),
                    crate::services::team::ApprovalGate::Refused(code, message) => {
                        return Err(refuse(app, event_id, &req, code, message).await);
                    }
                }
            }
        }
    }
    if let Err(r) = preflight::gate(latest.as_ref().map(|(_, p)| p), &req, &policy, Utc::now()) {
        return Err(refuse(app, event_id, &req, &r.code, r.message).await);
    }
    // The approving login, authenticated by the server, is what the attempt and its audit
    // entries record as the approver.
    if let (Some(login), Some(o)) = (approver_login, req.override_request.as_mut()) {
        o.approved_by = login;
    }
    let Some((preflight_id, p)) = latest else {
        return Err(refuse(
            app,
            event_id,
            &req,
            "no_preflight",
            "no preflight for this event".into(),
        )
        .await);
    };
    // The event must still be in the state the preflight saw; anything else (replayed by someone
    // else meanwhile, discarded) needs a new preflight.
    if ev.status != p.event.status {
        return Err(refuse(
            app,
            event_id,
            &req,
            "state_changed",
            format!(
                "the event is now {} (the preflight saw {}); run the preflight again",
                ev.status, p.event.status
            ),
        )
        .await);
    }
    // Token and identity: the write must act as the lane's own integration user.
    let session = app.session(&contract).await?;
    if let Some(message) = identity_mismatch(&session, &contract) {
        return Err(refuse(app, event_id, &req, "integration_user_mismatch", message).await);
    }

    // Durable intent: committed before anything is sent.
    let operator = req.operator.trim().to_string();
    let attempt_id = commit_intent(app, event_id, preflight_id, &p, &contract, &req).await?;

    // Send.
    // Team mode: the lease says to every other console that this send may still be going on.
    let _lease = crate::services::lease::Lease::hold(app, store::leases::Held::Attempt, vec![attempt_id]);
    // One call: the write and the read-back of the same record.
    let (sent, read_back) = session.send_with_read_back(&p.request).await;

    // Outcome.
    let settled = Settled::of(
        &sent,
        &p.event.status,
        "the record changed since the preflight; nothing was written. Run the preflight again",
    );
    let mut tx = store::write_tx(&app.pool).await?;
    settled.store(&mut tx, attempt_id, event_id).await?;
    let mut outcome_entry = draft(&p, &contract, "replay_outcome", &operator);
    outcome_entry.attempt_id = Some(attempt_id);
    outcome_entry.reason = Some(req.reason.trim().into());
    outcome_entry.outcome = Some(settled.outcome.as_str().into());
    outcome_entry.detail = settled.detail();
    let Settled {
        outcome,
        http_status,
        code,
        message,
        record_id,
        ..
    } = settled;
    // The outcome's entries (and the post-verify's, when the call read the record back) are
    // appended together, after the rows they describe.
    let mut entries = vec![outcome_entry];
    entries.extend(overwrote_on_create(&p, &contract, &sent, &operator, attempt_id));
    // Post-verify: compare the record read back with what was sent. When the write's own call
    // read it back, the result goes in the outcome's transaction (one commit after the call);
    // otherwise the record is read now and recorded after.
    let mut post_verify = None;
    if outcome == ReplayOutcome::Applied && read_back.is_some() {
        let from = ReadFrom {
            session: &session,
            read_back,
        };
        let pv = self::post_verify(from, &p, record_id.as_deref()).await;
        entries.push(store_post_verify(&mut tx, &pv, &p, &contract, &operator, attempt_id).await?);
        post_verify = Some(pv);
    }
    audit::record_all(&mut tx, &entries).await?;
    tx.commit().await?;
    if outcome == ReplayOutcome::Applied && post_verify.is_none() {
        let from = ReadFrom {
            session: &session,
            read_back: None,
        };
        let pv = self::post_verify(from, &p, record_id.as_deref()).await;
        let mut tx = store::write_tx(&app.pool).await?;
        let entry = store_post_verify(&mut tx, &pv, &p, &contract, &operator, attempt_id).await?;
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        post_verify = Some(pv);
    }

    app.checkpoint_soon();
    Ok(ReplayResult {
        event_id,
        attempt_id,
        outcome,
        http_status,
        error_code: code,
        message,
        record_id,
        written_as: session.acts_as().to_string(),
        post_verify,
    })
}

/// The replay's intent (attempt row and audit entry), committed before anything is sent: one
/// unsettled attempt per event (the database refuses a second), and the event still in the
/// state the preflight saw. Returns the attempt's id; a refusal is audited.
async fn commit_intent(
    app: &App,
    event_id: i64,
    preflight_id: i64,
    p: &Preflight,
    contract: &LaneContract,
    req: &ReplayRequest,
) -> Result<i64> {
    let operator = req.operator.trim().to_string();
    let request_json = serde_json::to_string(&p.request).map_err(|e| Error::Io(format!("request JSON: {e}")))?;
    let me = holder::me();
    let now = store::now_text();
    let allowed: &[&str] = if req.again.is_some() {
        &["replayed", "failed", "blocked"]
    } else {
        &["failed", "blocked"]
    };
    let mut tx = store::write_tx(&app.pool).await?;
    let intent = store::attempts::begin_intent(
        &mut tx,
        &store::attempts::Intent {
            event_id,
            preflight_id,
            batch_id: None,
            operator: &operator,
            reason: req.reason.trim(),
            ack_token: &p.ack_token,
            again_reason: req.again.as_deref(),
            override_reason: req.override_request.as_ref().map(|o| o.reassignment_reason.as_str()),
            approved_by: req.override_request.as_ref().map(|o| o.approved_by.as_str()),
            request: &request_json,
            holder_pid: me.pid,
            holder_started: &me.started,
            holder_host: &me.host,
            now: &now,
            revision: p.event.revision,
        },
        allowed,
    )
    .await?;
    let attempt_id = match intent {
        store::attempts::IntentResult::Created(id) => {
            crate::services::lease::grant(&mut tx, store::leases::Held::Attempt, id).await?;
            id
        }
        store::attempts::IntentResult::Busy => {
            drop(tx);
            return Err(refuse(
                app,
                event_id,
                req,
                "attempt_in_flight",
                "another replay of this event is in flight or awaits verification; nothing was sent".into(),
            )
            .await);
        }
        store::attempts::IntentResult::Revision(code, message) => {
            drop(tx);
            return Err(refuse(app, event_id, req, code, message).await);
        }
        store::attempts::IntentResult::StateChanged(s) => {
            drop(tx);
            return Err(refuse(
                app,
                event_id,
                req,
                "state_changed",
                format!("the event is {s}; run the preflight again"),
            )
            .await);
        }
    };
    let revision = match p.event.revision {
        Some(n) => crate::services::revisions::brief(app, event_id, n).await?,
        None => serde_json::Value::Null,
    };
    let mut intent_entry = draft(p, contract, "replay_intent", &operator);
    intent_entry.attempt_id = Some(attempt_id);
    intent_entry.reason = Some(req.reason.trim().into());
    intent_entry.outcome = Some("in_flight".into());
    intent_entry.detail = serde_json::json!({
        "preflight_id": preflight_id,
        "request": p.request,
        "before": p.target,
        "side_effects_acknowledged": p.side_effects,
        "lane_policy": p.lane_policy,
        // An edited payload: which revision, its editor and approver (the revision's own audit
        // entries hold its changes against the original).
        "revision": revision,
        // The window sends each ticked side effect; the CLI's token acknowledges the list whole.
        "acknowledged_by": if req.acknowledged.is_some() { "each ticked" } else { "the token" },
        "again": req.again,
        "override": req.override_request.as_ref().map(|o| serde_json::json!({
            "reassignment_reason": o.reassignment_reason,
            "approved_by": o.approved_by,
            // Team mode: the approver is a login the server authenticated (an approval
            // request decided by it); solo mode: a name the operator declared.
            "approver_authenticated": app.pool.is_server(),
        })),
    });
    audit::record(&mut tx, &intent_entry).await?;
    tx.commit().await?;

    Ok(attempt_id)
}

/// Stores what the read-back holds on the attempt, and audits the before and after of every
/// field sent (in the caller's transaction).
/// Stores the post-verify on the attempt and returns its audit entry, for the caller to append.
async fn store_post_verify(
    tx: &mut store::Tx<'_>,
    pv: &PostVerify,
    p: &Preflight,
    contract: &LaneContract,
    operator: &str,
    attempt_id: i64,
) -> Result<AuditDraft> {
    let pv_json = serde_json::to_string(pv).unwrap_or_default();
    store::attempts::set_post_verify(tx, attempt_id, &pv_json).await?;
    let mut e = draft(p, contract, "post_verify", operator);
    e.attempt_id = Some(attempt_id);
    e.outcome = Some(if pv.matches { "verified" } else { "mismatch" }.into());
    // Before and after, field by field, for the reviewer's diff: what the preflight read and
    // what the record holds now, for every field the replay sent.
    let before_fields: serde_json::Map<String, serde_json::Value> = match &p.target {
        preflight::Target::Found { record } => p
            .request
            .body
            .keys()
            .filter_map(|k| record.fields.get(k).map(|v| (k.clone(), v.clone())))
            .collect(),
        _ => serde_json::Map::new(),
    };
    let after_fields: serde_json::Map<String, serde_json::Value> = pv
        .fields
        .iter()
        .filter_map(|f| f.actual.clone().map(|v| (f.field.clone(), v)))
        .collect();
    e.detail = serde_json::json!({"before": before_fields, "after": after_fields, "post_verify": pv});
    Ok(e)
}

/// A critical audit entry when the answer to a planned create shows that an existing record was
/// changed (`created: false`): a create must never do that, and a reviewer must see it.
pub(crate) fn overwrote_on_create(
    p: &Preflight,
    contract: &LaneContract,
    sent: &SendOutcome,
    actor: &str,
    attempt_id: i64,
) -> Option<AuditDraft> {
    let SendOutcome::Applied { body, record_id, .. } = sent else {
        return None;
    };
    if p.request.kind != WriteKind::Create || body.get("created").and_then(serde_json::Value::as_bool) != Some(false) {
        return None;
    }
    let mut e = draft(p, contract, "create_overwrote_record", actor);
    e.attempt_id = Some(attempt_id);
    e.outcome = Some("critical".into());
    e.detail = serde_json::json!({
        "message": format!(
            "a replay planned as a create changed an existing record {}; review it",
            record_id.as_deref().unwrap_or("(no Id returned)")
        ),
        "record_id": record_id,
        "answer": body,
    });
    Some(e)
}

/// What an answer (or its absence) means for the attempt and the event.
pub(crate) struct Settled {
    pub outcome: ReplayOutcome,
    /// The event's status afterwards.
    pub event_status: String,
    pub http_status: Option<u16>,
    pub code: Option<String>,
    /// The sentence the operator reads.
    pub message: String,
    pub record_id: Option<String>,
    pub response: serde_json::Value,
}

impl Settled {
    /// `prior_status`: the event's status before the replay (a 412 leaves it there);
    /// `changed`: what a 412 tells the operator.
    pub(crate) fn of(sent: &SendOutcome, prior_status: &str, changed: &str) -> Settled {
        match sent {
            SendOutcome::Applied {
                status,
                record_id,
                body,
            } => Settled {
                outcome: ReplayOutcome::Applied,
                event_status: "replayed".into(),
                http_status: Some(*status),
                code: None,
                message: "written".into(),
                record_id: record_id.clone(),
                response: body.clone(),
            },
            SendOutcome::PreconditionFailed { status, body } => Settled {
                outcome: ReplayOutcome::PreconditionFailed,
                event_status: prior_status.into(),
                http_status: Some(*status),
                code: Some("PRECONDITION_FAILED".into()),
                message: changed.into(),
                record_id: None,
                response: body.clone(),
            },
            SendOutcome::Rejected {
                status,
                code,
                message,
                body,
            } => Settled {
                outcome: ReplayOutcome::Rejected,
                event_status: "failed".into(),
                http_status: Some(*status),
                code: Some(code.clone()),
                message: format!("Salesforce rejected the write: {code}: {message}"),
                record_id: None,
                response: body.clone(),
            },
            SendOutcome::RecordAppeared {
                status,
                record_ids,
                message,
                body,
            } => Settled {
                outcome: ReplayOutcome::RecordAppeared,
                event_status: prior_status.into(),
                http_status: Some(*status),
                code: Some("record_appeared_since_preflight".into()),
                message: message.clone(),
                record_id: record_ids.first().cloned(),
                response: serde_json::json!({"record_ids": record_ids, "answer": body}),
            },
            SendOutcome::NoAnswer { detail } => Settled {
                outcome: ReplayOutcome::UnknownOutcome,
                event_status: "unknown_outcome".into(),
                http_status: None,
                code: None,
                message: format!("sent, but no answer came ({detail}); run `verify` before anything else"),
                record_id: None,
                response: serde_json::Value::Null,
            },
        }
    }

    /// The `replay_outcome` audit entry's detail.
    pub(crate) fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "http_status": self.http_status,
            "error_code": self.code,
            "message": self.message,
            "record_id": self.record_id,
            "response": self.response,
        })
    }

    /// Records the outcome on the attempt and the event (inside the caller's transaction).
    pub(crate) async fn store(&self, conn: &mut store::Tx<'_>, attempt_id: i64, event_id: i64) -> Result<()> {
        let response_text = self.response.to_string();
        store::attempts::finish(
            conn,
            &store::attempts::Outcome {
                attempt_id,
                event_id,
                outcome: self.outcome.as_str(),
                event_status: &self.event_status,
                http_status: self.http_status.map(i64::from),
                error_code: self.code.as_deref(),
                error_message: (self.outcome != ReplayOutcome::Applied).then_some(self.message.as_str()),
                record_id: self.record_id.as_deref(),
                response: Some(&response_text),
                now: &store::now_text(),
            },
        )
        .await?;
        Ok(())
    }
}

/// Where the post-verify reads the record: what the write's own call read back, or else a read
/// of its own.
pub(crate) struct ReadFrom<'a> {
    pub session: &'a Session,
    pub read_back: Option<crate::services::org::ReadBack>,
}

/// Reads the written record back by Id (the preflight's, or the one the create returned).
pub(crate) async fn post_verify(from: ReadFrom<'_>, p: &Preflight, returned_id: Option<&str>) -> PostVerify {
    let id = match &p.target {
        preflight::Target::Found { record } => Some(record.id.clone()),
        _ => returned_id.map(str::to_string),
    };
    let Some(id) = id else {
        return PostVerify::unread(None, "Salesforce returned no record id to read back".into());
    };
    let read = match from.read_back {
        Some(read) => read,
        None => from
            .session
            .read_by_id(&p.event.object, &id)
            .await
            .map_err(|e| e.to_string()),
    };
    match read {
        Ok(Some(rec)) => PostVerify::of_record(&p.request.body, &rec),
        Ok(None) => PostVerify::unread(Some(id), "the record is not there any more".into()),
        Err(e) => PostVerify::unread(Some(id), format!("could not read the record back: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contract::LaneContract;
    use crate::domain::preflight::{evaluate, EventFacts, Observed, Target};

    fn contract() -> LaneContract {
        LaneContract::from_yaml(include_str!("../../tests/data/lane_account_sync.yaml")).expect("fixture")
    }

    fn create_preflight(c: &LaneContract) -> Preflight {
        let event = EventFacts {
            event_id: 7,
            lane_id: "account_sync_north_america".into(),
            lane_version: 1,
            event_key: "evt-7".into(),
            object: "Account".into(),
            external_id: Some("BA-7".into()),
            status: "failed".into(),
            occurred_at: "2026-11-20T10:00:00.000Z".into(),
            failure_code: None,
            failure_message: None,
            payload: serde_json::json!({"Name": "Seven"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            operation: "upsert".into(),
            revision: None,
        };
        let observed = Observed {
            target: Target::NotFound,
            owner: None,
            last_modified_by: None,
            key_matches: Vec::new(),
            acts_as: "sf_account_sync_app@acme.example".into(),
            latest_attempt: None,
            failed_checks: Vec::new(),
            external_id_unique_in_org: Some(true),
        };
        evaluate(c, &event, &observed, None, chrono::Utc::now())
    }

    #[test]
    fn an_answer_that_a_create_changed_an_existing_record_is_a_critical_entry() {
        let c = contract();
        let p = create_preflight(&c);
        assert_eq!(p.request.kind, WriteKind::Create);
        let overwrote = SendOutcome::Applied {
            status: 200,
            record_id: Some("001000000000007AAA".into()),
            body: serde_json::json!({"id": "001000000000007AAA", "created": false}),
        };
        let e = overwrote_on_create(&p, &c, &overwrote, "Dana Ops", 3).expect("flagged");
        assert_eq!(e.action, "create_overwrote_record");
        assert_eq!(e.outcome.as_deref(), Some("critical"), "a reviewer must see it");
        assert_eq!(e.attempt_id, Some(3));
        assert!(
            e.detail["message"]
                .as_str()
                .unwrap_or("")
                .contains("001000000000007AAA"),
            "it names the record: {}",
            e.detail
        );
        let created = SendOutcome::Applied {
            status: 201,
            record_id: Some("001000000000008AAA".into()),
            body: serde_json::json!({"id": "001000000000008AAA", "created": null}),
        };
        assert!(
            overwrote_on_create(&p, &c, &created, "Dana Ops", 3).is_none(),
            "a plain create's answer (no `created`) is not flagged"
        );
    }

    #[test]
    fn log_dimensions_left_out_are_cleared() {
        let yaml = include_str!("../../tests/data/lane_account_sync.yaml").replace("    - external_id\n", "");
        let c = LaneContract::from_yaml(&yaml).expect("a contract without external_id logged");
        let p = create_preflight(&c);
        let d = draft(&p, &c, "preflight", "dana");
        assert_eq!(d.external_id, None, "not listed: not logged");
        assert_eq!(d.record_type.as_deref(), Some("Account"), "listed: logged");
        assert_eq!(d.integration_user.as_deref(), Some("sf_account_sync_app"));
    }
}
