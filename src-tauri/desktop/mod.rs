//! The desktop shell: Tauri commands over services. The only module that names Tauri. Each
//! command parses its input, calls one service function and returns its result or
//! `{kind, message}`.

use crate::app::App;
use crate::domain::preflight::{OverrideRequest, ReplayRequest};
use crate::domain::replay::ReplayResult;
use crate::error::ErrorReply;
use crate::services;
use crate::services::credentials::{CheckResult, CredentialStatus};
use crate::services::events::{EventDetail, EventPage, EventQuery, StatusCount};
use crate::services::lanes::{LaneDetail, LaneSummary};
use crate::services::preflight::PreflightView;
use crate::services::verify::VerifyResult;
use std::path::PathBuf;
use tauri::State;

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
    services::verify::verify(&app, event_id, None)
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
