fn main() {
    // Migrations are embedded by `sqlx::migrate!`; rebuild when they change.
    println!("cargo:rerun-if-changed=migrations");
    #[cfg(feature = "gui")]
    desktop();
}

/// The app's own commands, each granted to the main window only (capabilities/main.json).
#[cfg(feature = "gui")]
fn desktop() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "lanes_list",
        "lane_show",
        "events_list",
        "event_show",
        "event_counts",
        "preflight_run",
        "preflight_latest",
        "replay_run",
        "event_discard",
        "verify_run",
        "credentials_status",
        "credentials_check",
        "credentials_set",
        "credentials_delete",
        "events_import",
        "audit_list",
        "audit_show",
        "audit_verify",
        "audit_export",
        "audit_losses",
        "audit_acknowledge",
        "task_cancel",
        "alerts",
        "batch_preflight",
        "batch_execute",
        "batch_list",
        "batch_show",
    ]);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}
