//! The desktop shell: Tauri commands over services. The only module that names Tauri. Each
//! command parses its input, calls one service function and returns its result or
//! `{kind, message}`.

use crate::app::App;
use crate::domain::preflight::{OverrideRequest, ReplayRequest};
use crate::domain::replay::ReplayResult;
use crate::error::ErrorReply;
use crate::keychain::Secret;
use crate::services;
use crate::services::alerts::AlertsView;
use crate::services::audit::export::{AuditExportOutcome, AuditExportRequest};
use crate::services::audit::{AuditEntryDetail, AuditLoss, AuditPage, AuditQuery, AuditVerifyReport};
use crate::services::batch::{BatchDetail, BatchPage, BatchPlan, BatchRunRequest, BatchSummary, Selection};
use crate::services::credentials::CredentialSet;
use crate::services::credentials::{CheckResult, CredentialStatus};
use crate::services::events::{EventDetail, EventPage, EventQuery, StatusCount};
use crate::services::import::{Format, ImportOutcome};
use crate::services::lanes::{LaneDetail, LaneSummary};
use crate::services::preflight::PreflightView;
use crate::services::settle::VerifyResult;
use crate::services::Progress;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, State};

type Reply<T> = std::result::Result<T, ErrorReply>;

/// Opens the database, then the window; returns the exit code.
pub fn run(db_path: PathBuf) -> i32 {
    let app = match tauri::async_runtime::block_on(App::open(&db_path)) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let result = tauri::Builder::default()
        .manage(app)
        .manage(Tasks::default())
        .invoke_handler(tauri::generate_handler![
            lanes_list,
            lane_show,
            events_list,
            event_show,
            event_counts,
            preflight_run,
            preflight_latest,
            replay_run,
            event_discard,
            verify_run,
            credentials_status,
            credentials_check,
            credentials_set,
            credentials_delete,
            events_import,
            audit_list,
            audit_show,
            audit_verify,
            audit_export,
            audit_losses,
            audit_acknowledge,
            task_cancel,
            alerts,
            batch_preflight,
            batch_execute,
            batch_list,
            batch_show,
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: the window failed: {e}");
            1
        }
    }
}

#[tauri::command]
async fn lanes_list(app: State<'_, App>) -> Reply<Vec<LaneSummary>> {
    services::lanes::list(&app).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn lane_show(app: State<'_, App>, lane_id: String) -> Reply<LaneDetail> {
    services::lanes::show(&app, &lane_id).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn events_list(app: State<'_, App>, query: EventQuery) -> Reply<EventPage> {
    services::events::list(&app, &query).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn event_show(app: State<'_, App>, id: i64) -> Reply<EventDetail> {
    services::events::show(&app, id).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn event_counts(app: State<'_, App>) -> Reply<Vec<StatusCount>> {
    services::events::counts(&app).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn preflight_run(
    app: State<'_, App>,
    event_id: i64,
    override_request: Option<OverrideRequest>,
) -> Reply<PreflightView> {
    services::preflight::run(&app, event_id, override_request)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn preflight_latest(app: State<'_, App>, event_id: i64) -> Reply<Option<PreflightView>> {
    services::preflight::latest(&app, event_id).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn replay_run(app: State<'_, App>, event_id: i64, request: ReplayRequest) -> Reply<ReplayResult> {
    services::replay::replay(&app, event_id, request)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn event_discard(app: State<'_, App>, event_id: i64, operator: String, reason: String) -> Reply<()> {
    services::discard::discard(&app, event_id, &operator, &reason)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn verify_run(app: State<'_, App>, event_id: i64) -> Reply<VerifyResult> {
    services::settle::settle(&app, event_id, None)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn credentials_status(app: State<'_, App>, lane_id: String) -> Reply<CredentialStatus> {
    services::credentials::status(&app, &lane_id)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn credentials_check(app: State<'_, App>, lane_id: String) -> Reply<CheckResult> {
    services::credentials::check(&app, &lane_id)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn credentials_set(app: State<'_, App>, lane_id: String, secret: String) -> Reply<CredentialSet> {
    // The secret arrives once, goes to the keychain, and is never sent back to the window.
    services::credentials::set(&app, &lane_id, Secret::new(secret))
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn credentials_delete(app: State<'_, App>, lane_id: String) -> Reply<bool> {
    services::credentials::delete(&app, &lane_id)
        .await
        .map_err(|e| e.reply())
}

/// Long work the window can follow and cancel: import, export, verify, batch replay.
#[derive(Default)]
struct Tasks(Mutex<HashMap<String, Arc<AtomicBool>>>);

impl Tasks {
    fn start(&self, id: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        if let Ok(mut m) = self.0.lock() {
            m.insert(id.to_string(), flag.clone());
        }
        flag
    }
    fn finish(&self, id: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(id);
        }
    }
}

/// Reports progress to the window as `task-progress` events `{task_id, done, total}`.
struct WindowProgress {
    handle: AppHandle,
    task_id: String,
    cancelled: Arc<AtomicBool>,
}

impl Progress for WindowProgress {
    fn report(&self, done: u64, total: u64) {
        let _ = self.handle.emit(
            "task-progress",
            serde_json::json!({"task_id": self.task_id, "done": done, "total": total}),
        );
    }
    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

fn progress(handle: &AppHandle, tasks: &Tasks, task_id: &str) -> Arc<dyn Progress> {
    Arc::new(WindowProgress {
        handle: handle.clone(),
        task_id: task_id.to_string(),
        cancelled: tasks.start(task_id),
    })
}

#[tauri::command]
fn task_cancel(tasks: State<'_, Tasks>, task_id: String) {
    if let Ok(m) = tasks.0.lock() {
        if let Some(flag) = m.get(&task_id) {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

#[tauri::command]
async fn events_import(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    path: String,
    format: Option<Format>,
    task_id: String,
) -> Reply<ImportOutcome> {
    let p = progress(&handle, &tasks, &task_id);
    let r = services::import::import_file(&app, std::path::Path::new(&path), format, p).await;
    tasks.finish(&task_id);
    r.map_err(|e| e.reply())
}

#[tauri::command]
async fn audit_list(app: State<'_, App>, query: AuditQuery) -> Reply<AuditPage> {
    services::audit::list(&app, &query).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn audit_show(app: State<'_, App>, seq: i64) -> Reply<AuditEntryDetail> {
    services::audit::show(&app, seq).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn audit_verify(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    task_id: String,
) -> Reply<AuditVerifyReport> {
    let p = progress(&handle, &tasks, &task_id);
    let r = services::audit::verify_chain(&app, p).await;
    tasks.finish(&task_id);
    r.map_err(|e| e.reply())
}

#[tauri::command]
async fn audit_export(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    request: AuditExportRequest,
    task_id: String,
) -> Reply<AuditExportOutcome> {
    let p = progress(&handle, &tasks, &task_id);
    let r = services::audit::export::export(&app, &request, p).await;
    tasks.finish(&task_id);
    r.map_err(|e| e.reply())
}

/// The checkpoint losses the log records: the audit screen's standing alert.
#[tauri::command]
async fn audit_losses(app: State<'_, App>) -> Reply<Vec<AuditLoss>> {
    services::audit::losses(&app).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn audit_acknowledge(app: State<'_, App>, seq: i64, reviewer: String, reason: String) -> Reply<AuditLoss> {
    services::audit::acknowledge(&app, seq, &reviewer, &reason)
        .await
        .map_err(|e| e.reply())
}

#[tauri::command]
async fn alerts(app: State<'_, App>) -> Reply<AlertsView> {
    services::alerts::alerts(&app).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn batch_preflight(app: State<'_, App>, selection: Selection, planned_by: Option<String>) -> Reply<BatchPlan> {
    services::batch::preflight(&app, &selection, planned_by.as_deref())
        .await
        .map_err(|e| e.reply())
}

/// Runs (or resumes) a batch; a cancel stops new writes and lets the in-flight ones settle, and
/// the summary then says `cancelled`.
#[tauri::command]
async fn batch_execute(
    app: State<'_, App>,
    handle: AppHandle,
    tasks: State<'_, Tasks>,
    request: BatchRunRequest,
    task_id: String,
) -> Reply<BatchSummary> {
    let request = request.into_request().map_err(|e| e.reply())?;
    let p = progress(&handle, &tasks, &task_id);
    let r = services::batch::execute(&app, request, p).await;
    tasks.finish(&task_id);
    r.map_err(|e| e.reply())
}

#[tauri::command]
async fn batch_list(app: State<'_, App>, before: Option<i64>, limit: Option<u32>) -> Reply<BatchPage> {
    services::batch::list(&app, before, limit).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn batch_show(app: State<'_, App>, batch_id: i64) -> Reply<BatchDetail> {
    services::batch::show(&app, batch_id).await.map_err(|e| e.reply())
}
