//! The window's commands: each parses its input, calls one service function and returns its
//! result or `{kind, message}`. This file is the one list of them: build.rs reads every
//! `#[tauri::command]` here to register the handlers, grant them to the main window
//! (capabilities/main.json) and write their TypeScript wrappers (ui/src/ipc/bindings/commands.ts).
//! Documentation comments above a command become the wrapper's.

use super::{tracked, Reply, Tasks};
use crate::app::App;
use crate::domain::preflight::{OverrideRequest, ReplayRequest};
use crate::domain::replay::ReplayResult;
use crate::keychain::Secret;
use crate::services;
use crate::services::alerts::AlertsView;
use crate::services::audit::export::{AuditExportOutcome, AuditExportRequest};
use crate::services::audit::{AuditEntryDetail, AuditLoss, AuditPage, AuditQuery, AuditVerifyReport};
use crate::services::batch::{BatchDetail, BatchPage, BatchPlan, BatchRunRequest, BatchSummary, Selection};
use crate::services::credentials::{CheckResult, CredentialSet, CredentialStatus};
use crate::services::events::{EventDetail, EventPage, EventQuery, StatusCount};
use crate::services::groups::GroupsView;
use crate::services::import::{Format, ImportOutcome};
use crate::services::lanes::{LaneDetail, LaneSummary};
use crate::services::logs::LogFolder;
use crate::services::preflight::PreflightView;
use crate::services::queue_export::{QueueExportOutcome, QueueExportRequest};
use crate::services::revisions::{EditRequest, RevisionView, RevisionsView};
use crate::services::settle::SettleResult;
use crate::services::team::{Approval, Person};
use crate::services::triage::{TriageChange, TriageOutcome};
use tauri::{AppHandle, State};

#[tauri::command]
pub async fn lanes_list(app: State<'_, App>) -> Reply<Vec<LaneSummary>> {
    services::lanes::list(&app).await.map_err(|e| e.reply())
}

#[tauri::command]
pub async fn lane_show(app: State<'_, App>, lane_id: String) -> Reply<LaneDetail> {
    services::lanes::show(&app, &lane_id).await.map_err(|e| e.reply())
}

#[tauri::command]
pub async fn events_list(app: State<'_, App>, query: EventQuery) -> Reply<EventPage> {
    services::events::list(&app, &query).await.map_err(|e| e.reply())
}

#[tauri::command]
pub async fn event_show(app: State<'_, App>, id: i64) -> Reply<EventDetail> {
    services::events::show(&app, id).await.map_err(|e| e.reply())
}

/// Failure groups (lane, failure code, message signature), most open events first; one lane's
/// when `lane_id` is given. One pass over the events.
#[tauri::command]
pub async fn groups_list(app: State<'_, App>, lane_id: Option<String>) -> Reply<GroupsView> {
    services::groups::list(&app, lane_id.as_deref())
        .await
        .map_err(|e| e.reply())
}

/// The event's payload history: the original, each revision with its changes, editor, approver.
#[tauri::command]
pub async fn event_revisions(app: State<'_, App>, event_id: i64) -> Reply<RevisionsView> {
    services::revisions::list(&app, event_id).await.map_err(|e| e.reply())
}

/// Proposes an edited payload as the event's next revision (audited); it is replayed only after
/// a preflight on it and another person's approval.
#[tauri::command]
pub async fn event_edit(app: State<'_, App>, event_id: i64, request: EditRequest) -> Reply<RevisionView> {
    services::revisions::edit(&app, event_id, &request)
        .await
        .map_err(|e| e.reply())
}

/// Approves the event's current revision: someone other than its editor (audited).
#[tauri::command]
pub async fn event_edit_approve(
    app: State<'_, App>,
    event_id: i64,
    revision: i64,
    approver: String,
    reason: String,
) -> Reply<RevisionView> {
    services::revisions::approve(&app, event_id, revision, &approver, &reason)
        .await
        .map_err(|e| e.reply())
}

/// Writes the remaining failures of a filter (one lane) as a CSV for Salesforce Data Loader;
/// audited.
#[tauri::command]
pub async fn queue_export_csv(app: State<'_, App>, request: QueueExportRequest) -> Reply<QueueExportOutcome> {
    services::queue_export::export(&app, &request)
        .await
        .map_err(|e| e.reply())
}

/// Triage: one change (assignee, investigating, tags, a note) applied to these events (audited).
#[tauri::command]
pub async fn events_triage(app: State<'_, App>, event_ids: Vec<i64>, change: TriageChange) -> Reply<TriageOutcome> {
    services::triage::update(&app, &event_ids, &change)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
pub async fn event_counts(app: State<'_, App>) -> Reply<Vec<StatusCount>> {
    services::events::counts(&app).await.map_err(|e| e.reply())
}

/// Reads the target record from Salesforce now (0.1 to 2 s) and stores the preflight.
#[tauri::command]
pub async fn preflight_run(
    app: State<'_, App>,
    event_id: i64,
    override_request: Option<OverrideRequest>,
) -> Reply<PreflightView> {
    services::preflight::run(&app, event_id, override_request)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
pub async fn preflight_latest(app: State<'_, App>, event_id: i64) -> Reply<Option<PreflightView>> {
    services::preflight::latest(&app, event_id).await.map_err(|e| e.reply())
}

/// Rejects with kind `refused` when the gate says no; nothing is written then.
#[tauri::command]
pub async fn replay_run(app: State<'_, App>, event_id: i64, request: ReplayRequest) -> Reply<ReplayResult> {
    services::replay::replay(&app, event_id, request)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
pub async fn event_discard(app: State<'_, App>, event_id: i64, operator: String, reason: String) -> Reply<()> {
    services::discard::discard(&app, event_id, &operator, &reason)
        .await
        .map_err(|e| e.reply())
}

/// Settles an event in `unknown_outcome`: reads the record and decides applied or not.
#[tauri::command]
pub async fn settle_run(app: State<'_, App>, event_id: i64) -> Reply<SettleResult> {
    services::settle::settle(&app, event_id, None)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
pub async fn credentials_status(app: State<'_, App>, lane_id: String) -> Reply<CredentialStatus> {
    services::credentials::status(&app, &lane_id)
        .await
        .map_err(|e| e.reply())
}

/// Rejects with kind `refused` when the secret acts as another user than the lane's.
#[tauri::command]
pub async fn credentials_check(app: State<'_, App>, lane_id: String) -> Reply<CheckResult> {
    services::credentials::check(&app, &lane_id)
        .await
        .map_err(|e| e.reply())
}

/// The secret goes to the keychain; the reply never carries it back.
#[tauri::command]
pub async fn credentials_set(
    app: State<'_, App>,
    lane_id: String,
    secret: String,
    allow_host: Option<String>,
) -> Reply<CredentialSet> {
    // The secret arrives once, goes to the keychain, and is never sent back to the window.
    services::credentials::set(&app, &lane_id, Secret::new(secret), allow_host.as_deref())
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
pub async fn credentials_delete(app: State<'_, App>, lane_id: String) -> Reply<bool> {
    services::credentials::delete(&app, &lane_id)
        .await
        .map_err(|e| e.reply())
}

/// Sets the cancel flag of a running task; a task that already ended is not an error.
#[tauri::command]
pub fn task_cancel(tasks: State<'_, Tasks>, task_id: String) {
    tasks.cancel(&task_id);
}

/// Rejects with kind `invalid_input` (the problems by line) when any record is invalid; nothing is
/// imported then.
#[tauri::command]
pub async fn events_import(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    path: String,
    format: Option<Format>,
    task_id: String,
) -> Reply<ImportOutcome> {
    let outcome = tracked(&handle, &tasks, &task_id, |p| {
        services::import::import_file(&app, std::path::Path::new(&path), format, p)
    })
    .await?;
    super::index_in_background(app.inner().clone());
    Ok(outcome)
}

#[tauri::command]
pub async fn audit_list(app: State<'_, App>, query: AuditQuery) -> Reply<AuditPage> {
    services::audit::list(&app, &query).await.map_err(|e| e.reply())
}

#[tauri::command]
pub async fn audit_show(app: State<'_, App>, seq: i64) -> Reply<AuditEntryDetail> {
    services::audit::show(&app, seq).await.map_err(|e| e.reply())
}

/// Long: reports `task-progress` under `task_id`.
#[tauri::command]
pub async fn audit_verify(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    task_id: String,
) -> Reply<AuditVerifyReport> {
    tracked(&handle, &tasks, &task_id, |p| services::audit::verify_chain(&app, p)).await
}

/// Long and cancellable: a cancelled export rejects with kind `cancelled` and leaves no file.
#[tauri::command]
pub async fn audit_export(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    request: AuditExportRequest,
    task_id: String,
) -> Reply<AuditExportOutcome> {
    tracked(&handle, &tasks, &task_id, |p| {
        services::audit::export::export(&app, &request, p)
    })
    .await
}

/// The checkpoint losses the log records, acknowledged or not: the audit screen's standing alert.
#[tauri::command]
pub async fn audit_losses(app: State<'_, App>) -> Reply<Vec<AuditLoss>> {
    services::audit::losses(&app).await.map_err(|e| e.reply())
}

/// A reviewer's acknowledgment of one loss, itself an audit entry.
#[tauri::command]
pub async fn audit_acknowledge(app: State<'_, App>, seq: i64, reviewer: String, reason: String) -> Reply<AuditLoss> {
    services::audit::acknowledge(&app, seq, &reviewer, &reason)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
pub async fn alerts(app: State<'_, App>) -> Reply<AlertsView> {
    services::alerts::alerts(&app).await.map_err(|e| e.reply())
}

/// Reads the selection's target records from Salesforce and stores the batch with one preflight per
/// event.
#[tauri::command]
pub async fn batch_preflight(
    app: State<'_, App>,
    selection: Selection,
    planned_by: Option<String>,
) -> Reply<BatchPlan> {
    services::batch::preflight(&app, &selection, planned_by.as_deref())
        .await
        .map_err(|e| e.reply())
}

/// Runs (or resumes) a batch; a cancel stops new writes and lets the in-flight ones settle, and
/// the summary then says `cancelled`.
#[tauri::command]
pub async fn batch_execute(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    request: BatchRunRequest,
    task_id: String,
) -> Reply<BatchSummary> {
    let request = request.into_request().map_err(|e| e.reply())?;
    tracked(&handle, &tasks, &task_id, |p| {
        services::batch::execute(&app, request, p)
    })
    .await
}

#[tauri::command]
pub async fn batch_list(app: State<'_, App>, before: Option<i64>, limit: Option<u32>) -> Reply<BatchPage> {
    services::batch::list(&app, before, limit).await.map_err(|e| e.reply())
}

#[tauri::command]
pub async fn batch_show(app: State<'_, App>, batch_id: i64) -> Reply<BatchDetail> {
    services::batch::show(&app, batch_id).await.map_err(|e| e.reply())
}

/// Who is at the console: in team mode the server's authenticated login and its roles; in solo
/// mode the OS user, not authenticated, with every role.
#[tauri::command]
pub async fn whoami(app: State<'_, App>) -> Reply<Person> {
    services::team::whoami(&app).await.map_err(|e| e.reply())
}

/// Team mode's approval requests, newest first (`pending`, `approved`, `rejected`, or all);
/// rejects with kind `invalid_input` on a database file (solo mode has no approvals).
#[tauri::command]
pub async fn approvals_list(app: State<'_, App>, status: Option<String>) -> Reply<Vec<Approval>> {
    services::team::approvals(&app, status.as_deref(), 200)
        .await
        .map_err(|e| e.reply())
}

/// Approves or rejects a pending request as the session's login; the server refuses (kind
/// `refused`) a login without the approver role, the requester and a second decision.
#[tauri::command]
pub async fn approval_decide(app: State<'_, App>, id: i64, approve: bool, reason: String) -> Reply<Approval> {
    services::team::decide(&app, id, approve, &reason)
        .await
        .map_err(|e| e.reply())
}

/// The folder of the app's log files and the files in it, newest first.
#[tauri::command]
pub async fn log_folder() -> Reply<LogFolder> {
    blocking(services::logs::folder).await
}

/// Opens the log folder in the OS file manager; rejects with the folder's path when no opener
/// works, so it can be opened by hand.
#[tauri::command]
pub async fn log_folder_open() -> Reply<LogFolder> {
    blocking(services::logs::open_folder).await
}

/// Runs file-system work off the async runtime's threads.
async fn blocking<T: Send + 'static>(work: fn() -> crate::error::Result<T>) -> Reply<T> {
    match tauri::async_runtime::spawn_blocking(work).await {
        Ok(r) => r.map_err(|e| e.reply()),
        Err(e) => Err(crate::error::Error::Io(format!("the task stopped: {e}")).reply()),
    }
}
