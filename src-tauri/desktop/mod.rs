//! The desktop shell: the window over the services. The only module that names Tauri. The
//! window's commands are the functions of `commands.rs`; the build script registers them, grants
//! them to the main window and writes their TypeScript wrappers from that one list.

mod commands;

use crate::app::App;
use crate::error::ErrorReply;
use crate::services::Progress;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter};

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
    // Alerts reach their owner while the window is open: one delivery check a minute (episodes,
    // the lanes' webhooks). A console that may not write them (a reader in team mode) logs why.
    // Each episode also shows once as a desktop notification to whoever has this window open.
    let alerting = app.clone();
    tauri::async_runtime::spawn(async move {
        use crate::services::alert_delivery;
        let mut shown = std::collections::HashSet::new();
        let mut warned = false;
        // A failure is logged when it starts or changes, not every minute (a reader's login on
        // a team server may not open episodes: its window shows the alerts, an operator's sends).
        let mut last_error: Option<String> = None;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            let report = match alert_delivery::deliver(&alerting).await {
                Ok(r) => {
                    last_error = None;
                    r
                }
                Err(e) => {
                    let e = e.to_string();
                    if last_error.as_ref() != Some(&e) {
                        tracing::warn!("alert delivery check failed (logged again only if it changes): {e}");
                        last_error = Some(e);
                    }
                    continue;
                }
            };
            let notices = alert_delivery::unshown_notices(&alerting, &report, &mut shown).await;
            for (title, text) in notices.unwrap_or_default() {
                if let Err(e) = crate::notify::show(&title, &text).await {
                    if !std::mem::replace(&mut warned, true) {
                        tracing::warn!("desktop notification not shown: {e}");
                    }
                }
            }
        }
    });
    // The full-text index catches up with events imported while no window ran (the CLI's imports).
    index_in_background(app.clone());
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(app)
        .manage(Tasks::default())
        // `tauri::generate_handler![commands::…]` of every command in commands.rs (build.rs).
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/window_handler.rs")))
        .run(tauri::generate_context!());
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: the window failed: {e}");
            1
        }
    }
}

/// Extends the full-text index to every imported event, in the background (the queue stays
/// usable: each step holds the write lock about a second). A search meanwhile answers over the
/// indexed events and says how many are not yet (`EventPage::search_unindexed`). A login that
/// may not write the index (a team server's reader) logs why; an operator's console indexes.
fn index_in_background(app: App) {
    tauri::async_runtime::spawn(async move {
        let started = std::time::Instant::now();
        match crate::services::search::catch_up(&app, |_, _| {}).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                "search index: {n} events added in {:.1} s",
                started.elapsed().as_secs_f64()
            ),
            Err(e) => tracing::warn!("the search index could not be brought up to date: {e}"),
        }
    });
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
    fn cancel(&self, id: &str) {
        if let Ok(m) = self.0.lock() {
            if let Some(flag) = m.get(id) {
                flag.store(true, Ordering::Relaxed);
            }
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

/// Runs long work as the task `task_id`: its progress reaches the window, `task_cancel` stops it.
async fn tracked<T, F, Fut>(handle: &AppHandle, tasks: &Tasks, task_id: &str, work: F) -> Reply<T>
where
    F: FnOnce(Arc<dyn Progress>) -> Fut,
    Fut: Future<Output = crate::error::Result<T>>,
{
    let progress = Arc::new(WindowProgress {
        handle: handle.clone(),
        task_id: task_id.to_string(),
        cancelled: tasks.start(task_id),
    });
    let r = work(progress).await;
    tasks.finish(task_id);
    r.map_err(|e| e.reply())
}
