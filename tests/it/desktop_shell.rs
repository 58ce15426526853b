//! End to end, the window as an installed desktop app: it follows the OS colour scheme (light and
//! dark screenshots of the queue and the event view), picks an import file in the native GTK file
//! dialog (driven with xdotool, as WebDriver cannot reach native windows) and opens its log folder
//! with the OS opener.

use crate::common::*;
use crate::desktop::{demo_db, demo_org, Desktop};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The page's background (the root element's, where styles.css sets it): its relative luminance (0 black, 1 white).
fn background_luminance(app: &Desktop) -> f64 {
    let rgb = app.js("return getComputedStyle(document.documentElement).backgroundColor;");
    let text = rgb.as_str().unwrap_or_default().to_string();
    let parts: Vec<f64> = text
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    assert!(parts.len() >= 3, "a colour: {text}");
    let lin = |c: f64| {
        let s = c / 255.0;
        if s <= 0.03928 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(parts[0]) + 0.7152 * lin(parts[1]) + 0.0722 * lin(parts[2])
}

#[test]
fn the_window_follows_the_os_colour_scheme_in_the_queue_and_the_event_view() {
    let d = demo_org();
    // GTK's own dark preference (GNOME's "prefer dark" sets the same): WebKitGTK reports it to the
    // page as prefers-color-scheme: dark.
    for (scheme, env) in [("light", vec![]), ("dark", vec![("GTK_THEME", "Adwaita:dark")])] {
        let app = Desktop::launch_with(&d.env.db, &env);
        app.wait_text("400 events in 2 lanes");
        app.wait("[aria-label='Events'] td[title='billing-100001']");
        let dark = app.js("return window.matchMedia('(prefers-color-scheme: dark)').matches;");
        assert_eq!(
            dark,
            serde_json::json!(scheme == "dark"),
            "the page sees the OS scheme ({scheme})"
        );
        let lum = background_luminance(&app);
        if scheme == "dark" {
            assert!(lum < 0.05, "a dark background in dark mode (luminance {lum:.3})");
        } else {
            assert!(lum > 0.8, "a light background in light mode (luminance {lum:.3})");
        }
        app.screenshot(&format!("queue-{scheme}"));

        app.click("[aria-label='Events'] td[title='billing-100001']");
        app.click_text("button", "Preflight and replay");
        // The light round took the event's first preflight; the dark one takes a fresh one.
        let run = if scheme == "light" {
            "Run preflight"
        } else {
            "Run the preflight again"
        };
        app.click_text("button", run);
        let deadline = Instant::now() + Duration::from_secs(60);
        while app.text("body").contains("Reading Salesforce") {
            assert!(Instant::now() < deadline, "the preflight ends within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        app.wait("table[aria-label='Planned change']");
        app.wait_text("Replay as sf_account_sync_app@acme.example");
        app.screenshot(&format!("event-{scheme}"));
    }
}

fn xdotool(args: &[&str]) -> Option<String> {
    let out = Command::new("xdotool").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The X window named `title`, once it is there.
fn window_named(title: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let pattern = format!("^{title}$");
        if let Some(ids) = xdotool(&["search", "--onlyvisible", "--name", &pattern]) {
            if let Some(id) = ids.lines().last() {
                return id.to_string();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no native window named `{title}` within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_operator_picks_the_import_file_in_the_native_file_dialog() {
    assert!(
        xdotool(&["version"]).is_some(),
        "xdotool drives the native dialog here (apt install xdotool; .ci/setup does it)"
    );
    let env = Env::new();
    demo_db(&env);
    let extra = serde_json::json!({"lane_id": "account_sync_north_america", "event_key": "picked-1", "source_system": "erp",
        "object": "Account", "external_id": "BA-99002", "operation": "upsert", "payload": {"Name": "Picked In The Dialog"},
        "status": "failed", "failure": {"code": "UNABLE_TO_LOCK_ROW", "message": "lock"}, "occurred_at": "2026-11-20T12:00:00Z"});
    let file = env.write("picked.ndjson", format!("{extra}\n"));
    let app = Desktop::launch(&env.db);
    app.wait_text("400 events in 2 lanes");
    app.click_text("button", "Import events");
    app.click_text("button", "Choose file…");

    // The GTK file chooser, titled as the app asked: type the path into its location bar.
    let dialog = window_named("Import events", 30);
    xdotool(&["windowfocus", "--sync", &dialog]).expect("focus the file dialog");
    xdotool(&["key", "--clearmodifiers", "ctrl+l"]).expect("open the location bar");
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&["type", "--delay", "20", &file]).expect("type the path");
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&["key", "Return"]).expect("accept the file");

    let input = "input[placeholder*='failed.ndjson']";
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.prop(input, "value").as_deref() != Some(file.as_str()) {
        assert!(
            Instant::now() < deadline,
            "the chosen file fills the path field; it holds {:?}",
            app.prop(input, "value")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    app.click_text("form button.btn-primary", "Start import");
    app.wait_text("401 events in 2 lanes");
    let shown = env.json(&[
        "events",
        "list",
        "--lane",
        "account_sync_north_america",
        "--limit",
        "1000",
    ]);
    assert!(
        shown.to_string().contains("picked-1"),
        "the picked file's event is in the database"
    );
}

#[test]
fn open_log_folder_hands_the_log_directory_to_the_os_opener() {
    let env = Env::new();
    demo_db(&env);
    // A stand-in xdg-open first on the app's PATH: it records what it was asked to open.
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let asked = env.dir.path().join("opened.txt");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        // Written beside, then renamed: the test never reads a file the shell has only created.
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}.part' && mv '{0}.part' '{0}'\n",
            asked.display()
        ),
    )
    .expect("opener");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());

    let app = Desktop::launch_with(&env.db, &[("PATH", &path)]);
    app.wait_text("400 events in 2 lanes");
    let logs = log_dir_for(&env.db);
    let title = app
        .attr("section[aria-label='Log files'] button", "title")
        .unwrap_or_default();
    assert_eq!(
        title,
        format!("Log files: {}", logs.display()),
        "the tooltip names the folder"
    );
    app.click_text("section[aria-label='Log files'] button", "Open log folder");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !asked.exists() {
        assert!(Instant::now() < deadline, "the opener was never run");
        std::thread::sleep(Duration::from_millis(100));
    }
    let opened = std::fs::read_to_string(&asked).expect("what was opened");
    assert_eq!(
        Path::new(opened.trim()),
        logs.as_path(),
        "the OS opener gets the log folder, nothing else"
    );
    let files: Vec<_> = std::fs::read_dir(&logs)
        .expect("the log folder exists")
        .flatten()
        .collect();
    assert!(
        files.iter().any(|f| f.file_name().to_string_lossy().ends_with(".log")),
        "the window writes its log file there"
    );
    assert!(
        app.text("section[aria-label='Log files']").lines().count() == 1,
        "no error under the button: {}",
        app.text("section[aria-label='Log files']")
    );
}

#[test]
fn the_window_may_show_the_open_and_save_dialogs_and_nothing_else_of_the_os() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("capabilities/main.json")).expect("the capability");
    let cap: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(cap["windows"], serde_json::json!(["main"]), "the main window only");
    let granted: Vec<&str> = cap["permissions"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    let plugins: Vec<&str> = granted
        .iter()
        .copied()
        .filter(|p| p.contains(':') && *p != "core:default")
        .collect();
    assert_eq!(
        plugins,
        ["dialog:allow-open", "dialog:allow-save"],
        "of the plugins, the file dialogs alone (no message boxes, no fs, shell or http)"
    );
    let commands = std::fs::read_to_string(root.join("src-tauri/desktop/commands.rs")).expect("commands");
    for p in granted.iter().filter(|p| p.starts_with("allow-")) {
        let name = p.trim_start_matches("allow-").replace('-', "_");
        assert!(
            commands.contains(&format!("pub async fn {name}(")) || commands.contains(&format!("pub fn {name}(")),
            "{p} grants a command of commands.rs"
        );
    }
}
