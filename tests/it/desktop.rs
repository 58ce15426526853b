//! End to end: the real desktop app under Xvfb, driven through WebDriver (tauri-driver +
//! WebKitWebDriver), on a real SQLite file. CI provides the display (xvfb-run), a D-Bus session
//! with gnome-keyring, and installs tauri-driver (.ci/setup).

use crate::common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn tauri_driver() -> PathBuf {
    if let Ok(p) = std::env::var("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let cargo_bin = Path::new(&home).join(".cargo/bin/tauri-driver");
    if cargo_bin.exists() {
        return cargo_bin;
    }
    PathBuf::from("tauri-driver")
}

/// tauri-driver plus a WebDriver session on the real app. Dropping it ends the session and stops
/// tauri-driver with SIGTERM (SIGKILL would orphan WebKitWebDriver).
pub struct Desktop {
    pub client: Client,
    driver: Child,
    pub rt: tokio::runtime::Runtime,
}

impl Desktop {
    pub fn launch(db: &Path) -> Desktop {
        Desktop::launch_with(db, &[])
    }

    /// The app with more environment (a GTK theme, a PATH): tauri-driver passes its own to
    /// WebKitWebDriver, which passes it to the app. The app's log files go beside the database.
    pub fn launch_with(db: &Path, env: &[(&str, &str)]) -> Desktop {
        assert!(
            std::env::var("DISPLAY").is_ok_and(|d| !d.is_empty()),
            "the desktop tests need a display: run them through .ci/run or scripts/with-keyring (Xvfb)"
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let port = free_port();
        let native = free_port();
        let driver = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("REPLAY_CONSOLE_LOG_DIR", log_dir_for(db))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver runs (cargo install tauri-driver --version ^2 --locked; .ci/setup does it)");
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "tauri:options": {"application": BIN, "args": ["--db", db.display().to_string()]},
            "browserName": "wry"
        }))
        .expect("capabilities");
        let url = format!("http://127.0.0.1:{port}");
        let client = rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let attempt = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await;
                match attempt {
                    Ok(c) => break c,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    Err(e) => panic!("no WebDriver session with the app within 30 s: {e}"),
                }
            }
        });
        Desktop { client, driver, rt }
    }

    /// Waits for an element to appear (the UI loads data asynchronously). Generous: on a loaded
    /// CI machine a keychain call may take seconds.
    pub fn wait(&self, css: &str) -> fantoccini::elements::Element {
        self.rt.block_on(async {
            self.client
                .wait()
                .at_most(Duration::from_secs(60))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("`{css}` must appear in the window: {e}"))
        })
    }

    /// Waits up to `secs` for `css`; on time-out, fails with what the window shows instead.
    pub fn wait_long(&self, css: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let found = self
                .rt
                .block_on(async { self.client.find(Locator::Css(css)).await.is_ok() });
            if found {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "`{css}` must appear within {secs} s; the window shows:\n{}",
                    self.text("body")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the page's text contains `needle`.
    pub fn wait_text(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.text("body");
            if text.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the window must show `{needle}`; it shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn text(&self, css: &str) -> String {
        self.rt.block_on(async {
            match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            }
        })
    }

    pub fn click(&self, css: &str) {
        let el = self.wait(css);
        self.rt
            .block_on(el.click())
            .unwrap_or_else(|e| panic!("`{css}` must be clickable: {e}"));
    }

    /// Clicks the first element matching `css` whose text contains `needle`.
    pub fn click_text(&self, css: &str, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found = self.rt.block_on(async {
                for el in self.client.find_all(Locator::Css(css)).await.unwrap_or_default() {
                    if el.text().await.unwrap_or_default().contains(needle) {
                        el.click().await.ok()?;
                        return Some(());
                    }
                }
                None
            });
            if found.is_some() {
                return;
            }
            assert!(Instant::now() < deadline, "no `{css}` with text `{needle}` to click");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Types into the first element matching `css`.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.wait(css);
        self.rt
            .block_on(el.send_keys(text))
            .unwrap_or_else(|e| panic!("`{css}` must take text: {e}"));
    }

    /// Replaces the text of the first element matching `css`.
    pub fn fill(&self, css: &str, text: &str) {
        let el = self.wait(css);
        self.rt.block_on(async {
            el.clear()
                .await
                .unwrap_or_else(|e| panic!("`{css}` must be clearable: {e}"));
            el.send_keys(text)
                .await
                .unwrap_or_else(|e| panic!("`{css}` must take text: {e}"));
        });
    }

    /// Clicks every element matching `css` (e.g. all the acknowledgment checkboxes).
    pub fn click_all(&self, css: &str) -> usize {
        self.rt.block_on(async {
            let els = self.client.find_all(Locator::Css(css)).await.unwrap_or_default();
            let n = els.len();
            for el in els {
                el.click()
                    .await
                    .unwrap_or_else(|e| panic!("`{css}` must be clickable: {e}"));
            }
            n
        })
    }

    /// A DOM property (for inputs, `value` is the live text, unlike the attribute).
    pub fn prop(&self, css: &str, name: &str) -> Option<String> {
        let el = self.wait(css);
        self.rt.block_on(el.prop(name)).ok().flatten()
    }

    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let el = self.wait(css);
        self.rt.block_on(el.attr(name)).ok().flatten()
    }

    /// Runs `script` (a function body) in the window and returns what it returns.
    pub fn js(&self, script: &str) -> serde_json::Value {
        self.rt
            .block_on(self.client.execute(script, vec![]))
            .unwrap_or_else(|e| panic!("the window runs `{script}`: {e}"))
    }

    pub fn screenshot(&self, name: &str) {
        let png = self
            .rt
            .block_on(self.client.screenshot())
            .expect("a screenshot of the window");
        let dir = std::env::var("REPLAY_CONSOLE_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let client = self.client.clone();
        let _ = self
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), client.close()).await });
        // SIGTERM, never SIGKILL: tauri-driver then stops WebKitWebDriver and the app.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.driver.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.driver.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.driver.kill();
    }
}

pub fn demo_db(env: &Env) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    env.import_reference_lane();
    env.ok(&[
        "lanes",
        "import",
        &root.join("examples/lane_contact_enrichment.yaml").display().to_string(),
    ]);
    env.ok(&[
        "events",
        "import",
        &root.join("examples/demo_events.ndjson").display().to_string(),
    ]);
}

#[test]
fn queue_and_lanes_in_the_real_window() {
    let env = Env::new();
    demo_db(&env);
    let app = Desktop::launch(&env.db);
    app.wait("[aria-label='Counts by lane and status']");
    app.wait_text("400 events in 2 lanes");
    app.wait("[aria-label='Events'] tbody tr[aria-rowindex='2']");
    app.wait("[aria-label='Events'] td[title='billing-100001']");
    let grid = app.text("[aria-label='Events']");
    assert!(
        grid.to_lowercase().contains("missing"),
        "events without external ID are flagged in the table: {grid}"
    );
    app.screenshot("queue");

    // Filter by a status chip: only blocked events remain.
    app.click("[aria-label='account_sync_north_america: Blocked, 80']");
    app.wait_text("80 matching");
    let grid = app.text("[aria-label='Events']");
    assert!(!grid.contains("Failed"), "the status filter holds in the table: {grid}");

    app.click_text("nav[aria-label='Main'] button", "Lanes");
    app.wait_text("revenue_ops_queue");
    app.wait_text("protected_field_overwrite_attempt");
    app.screenshot("lanes");
}

/// The demo org in this process and a demo database prepared against it (lanes, 400 events,
/// secrets in the keychain under the demo prefix).
pub struct DemoOrg {
    pub env: Env,
    pub org: replay_console::sandbox::SandboxHandle,
    _rt: tokio::runtime::Runtime,
}

pub fn demo_org() -> DemoOrg {
    use replay_console::services::demo;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let env = Env::new();
    let org = rt.block_on(async {
        let org = replay_console::sandbox::start(replay_console::sandbox::SandboxConfig {
            port: 0,
            seed: demo::seed().expect("demo seed"),
        })
        .await
        .expect("the demo org starts");
        let mut app = replay_console::App::open(&env.db).await.expect("open");
        app.mark_demo().await.expect("mark demo");
        demo::prepare(&app, org.base_url())
            .await
            .expect("demo data, and its secrets in the keychain");
        app.close().await;
        org
    });
    DemoOrg { env, org, _rt: rt }
}

#[test]
fn an_operator_imports_preflights_and_replays_in_the_window() {
    let d = demo_org();
    // One more file, imported from the window.
    let extra = serde_json::json!({"lane_id": "account_sync_north_america", "event_key": "window-1", "source_system": "erp",
        "object": "Account", "external_id": "BA-99001", "operation": "upsert", "payload": {"Name": "Imported From The Window"},
        "status": "failed", "failure": {"code": "UNABLE_TO_LOCK_ROW", "message": "lock"}, "occurred_at": "2026-11-20T12:00:00Z"});
    let file = d.env.write("from-window.ndjson", format!("{extra}\n"));
    let app = Desktop::launch(&d.env.db);
    app.wait_text("400 events in 2 lanes");
    app.click_text("button", "Import events");
    app.type_into("input[placeholder*='failed.ndjson']", &file);
    app.click_text("form button.btn-primary", "Start import");
    app.wait_text("401 events in 2 lanes");
    app.screenshot("import");
    app.click_text(".dialog-actions button", "Done");

    // Event 1 is a clean update in the demo org.
    app.click("[aria-label='Events'] td[title='billing-100001']");
    app.click_text("button", "Preflight and replay");
    app.click_text("button", "Run preflight");
    app.wait("table[aria-label='Planned change']");
    app.wait_text("Replay as sf_account_sync_app@acme.example");
    assert!(
        app.attr("button.btn-replay", "disabled").is_some(),
        "nothing is acknowledged yet: the button waits"
    );
    app.type_into("input[placeholder^='Your name']", "Dana Ops");
    app.type_into(
        "[placeholder^='Why this event is written again']",
        "INC-4711: lock storm during the billing sync",
    );
    let ticked = app.click_all("form[aria-label='Replay'] input[type='checkbox'][data-code]");
    assert!(ticked >= 4, "every side effect has its own checkbox ({ticked})");
    assert!(
        app.attr("button.btn-replay", "disabled").is_none(),
        "operator, reason and every acknowledgment: enabled"
    );
    app.screenshot("preflight");
    let writes_before = d.org.writes().len();
    app.click("button.btn-replay");
    app.wait("section[aria-label='Replay result']");
    app.wait_text("Applied");
    app.wait("table[aria-label='Post-verify']");
    app.screenshot("replay-result");
    assert_eq!(
        d.org.writes().len(),
        writes_before + 1,
        "exactly one write reached the org"
    );
    let shown = d.env.json(&["events", "show", "1"]);
    assert_eq!(shown["status"], "replayed", "the database agrees with the window");

    // The reviewer: the entries are in the audit screen, the chain verifies.
    app.click_text("nav[aria-label='Main'] button", "Audit");
    app.wait("table[aria-label='Audit entries']");
    app.wait_text("Replay result");
    app.click_text(".audit-header-actions button", "Verify chain");
    app.wait("[aria-label='Verify result']");
    let verdict = app.text("[aria-label='Verify result']");
    assert!(
        verdict.contains("Chain verified"),
        "the untouched log verifies in the window: {verdict}"
    );
    app.screenshot("audit");

    // The incident lead: a CSV export and its manifest, on disk.
    let out = d.env.dir.path().join("incident.csv");
    app.click_text(".audit-header-actions button", "Export");
    // The dialog suggests a path in the home folder once it knows it; type ours after that.
    let path_input = "input.mono[type='text']";
    let deadline = Instant::now() + Duration::from_secs(20);
    while !app.prop(path_input, "value").unwrap_or_default().starts_with('/') && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    app.fill(path_input, &out.display().to_string());
    assert_eq!(
        app.prop(path_input, "value").as_deref(),
        Some(out.display().to_string().as_str()),
        "the path field holds exactly the path typed"
    );
    app.click_text(".dialog-actions button", "Start export");
    app.wait_long("[aria-label='Export manifest']", 60);
    app.screenshot("export");
    assert!(out.exists(), "the export file is where the dialog said");
    let manifest = d.env.dir.path().join("incident.csv.manifest.json");
    assert!(manifest.exists(), "its manifest is beside it");
    let check = d.env.run(&["audit", "verify-export", &out.display().to_string()]);
    assert_eq!(
        check.code, 0,
        "the export checks out offline: {} {}",
        check.stdout, check.stderr
    );
}

#[test]
fn a_blocked_event_keeps_the_replay_button_disabled_and_says_why() {
    let d = demo_org();
    let app = Desktop::launch(&d.env.db);
    app.wait_text("400 events in 2 lanes");
    // billing-100006 has no external ID: external_id_missing blocks it.
    app.click("[aria-label='Events'] td[title='billing-100006']");
    app.click_text("button", "Preflight and replay");
    app.click_text("button", "Run preflight");
    app.wait("ul[aria-label='Findings']");
    app.wait_text("external_id_missing");
    assert!(
        app.attr("button.btn-replay", "disabled").is_some(),
        "a blocking finding keeps the button disabled"
    );
    let why = app.text(".gate-reason");
    assert!(
        !why.trim().is_empty() && why.contains("billing_account_id__c"),
        "the reason is shown next to the button: {why}"
    );
    app.screenshot("blocked");
    assert_eq!(d.org.writes().len(), 0, "nothing was written");
}

#[test]
fn an_operator_replays_a_lanes_failed_events_as_a_batch_in_the_window() {
    let d = demo_org();
    let app = Desktop::launch(&d.env.db);
    app.wait_text("400 events in 2 lanes");

    // The queue's filter is the batch's selection: the lane's failed events with one reason code.
    app.click("[aria-label='account_sync_north_america: Failed, 260']");
    app.wait_text("260 matching");
    app.type_into("input[aria-label='Failure reason code']", "SERVER_UNAVAILABLE");
    app.click_text("form.field button", "Apply");
    app.wait("[aria-label='Events'] td[title='billing-100005']");
    app.screenshot("batch-queue");
    app.click_text(".screen-actions button", "Batch replay");
    let start = app.text("[aria-label='Batch preflight']");
    assert!(
        start.contains("account_sync_north_america")
            && start.contains("failed")
            && start.contains("SERVER_UNAVAILABLE"),
        "the batch takes the queue's lane, status and reason code: {start}"
    );
    app.click_text("button", "Run batch preflight");

    app.wait_long("[aria-label='What the batch would do']", 60);
    // The history's screen is mounted too (hidden, so its heading's text is empty).
    let heading = app.rt.block_on(async {
        let mut shown = String::new();
        for h in app
            .client
            .find_all(Locator::Css(".batch-screen h1"))
            .await
            .unwrap_or_default()
        {
            let t = h.text().await.unwrap_or_default();
            if t.starts_with("Batch ") {
                shown = t;
            }
        }
        shown
    });
    let batch_id: i64 = heading
        .trim()
        .strip_prefix("Batch ")
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("the batch screen names its batch: {heading}"));
    let shown = d.env.json(&["replay", "batch", "show", &batch_id.to_string()]);
    let aggregate = app.text("[aria-label='What the batch would do']");
    let agg = &shown["aggregate"];
    let tiles: Vec<String> = app.rt.block_on(async {
        let mut out = Vec::new();
        for t in app
            .client
            .find_all(Locator::Css(".batch-tile"))
            .await
            .unwrap_or_default()
        {
            out.push(t.text().await.unwrap_or_default());
        }
        out
    });
    for (label, key) in [
        ("Would update", "would_update"),
        ("Would create", "would_create"),
        ("Blocked", "blocked"),
        ("Change owner", "change_owner"),
        ("Touch protected fields", "touch_protected"),
    ] {
        let tile = tiles
            .iter()
            .find(|t| t.contains(label))
            .unwrap_or_else(|| panic!("a tile for `{label}`: {tiles:?}"));
        let count: String = tile
            .replacen(label, "", 1)
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect();
        assert_eq!(count, agg[key].to_string(), "`{label}` shows the stored count: {tile}");
    }
    assert!(
        aggregate.contains(&format!("{} events", agg["total"])),
        "the window says how many events the batch has ({agg}): {aggregate}"
    );
    assert!(
        agg["blocked_by"]
            .as_object()
            .is_some_and(|m| !m.is_empty() && m.keys().all(|code| aggregate.contains(code.as_str()))),
        "each blocking finding is named with its count: {aggregate}"
    );
    let events = shown["events"].as_array().cloned().unwrap_or_default();
    let rows = app.rt.block_on(async {
        app.client
            .find_all(Locator::Css("table[aria-label='Batch events'] tbody tr"))
            .await
            .map(|r| r.len())
            .unwrap_or(0)
    });
    assert_eq!(rows, events.len(), "one row per event of the batch");
    assert!(
        app.attr("button.btn-batch-run", "disabled").is_some(),
        "nothing filled in: the run waits"
    );
    // The operator's name may be remembered from an earlier test's window (same profile): the
    // first thing missing is then the reason.
    let why = app.text(".batch-form .gate-reason");
    assert!(
        why.contains("operator") || why.contains("reason"),
        "and says why: {why}"
    );
    app.screenshot("batch-preflight");

    app.fill(".batch-form input[placeholder^='Your name']", "Dana Ops");
    app.type_into(
        ".batch-form textarea",
        "INC-4711: Salesforce maintenance window, 20 Nov",
    );
    let ticked = app.click_all(".batch-form input[type='checkbox'][data-code]");
    assert!(ticked >= 4, "one acknowledgment per kind of side effect ({ticked})");
    assert!(
        app.attr("button.btn-batch-run", "disabled").is_none(),
        "operator, reason and every acknowledgment: enabled ({})",
        app.text(".batch-form .gate-reason")
    );
    let writes_before = d.org.writes().len();
    app.click("button.btn-batch-run");
    app.wait_long("[aria-label='Batch summary']", 180);
    let summary = app.text("[aria-label='Batch summary']");
    assert!(summary.contains("Done"), "the batch ran to its end: {summary}");
    app.screenshot("batch-summary");

    // The org's write log: exactly one write per written event, none for the others.
    let shown = d.env.json(&["replay", "batch", "show", &batch_id.to_string()]);
    let events = shown["events"].as_array().cloned().unwrap_or_default();
    let applied: Vec<&serde_json::Value> = events.iter().filter(|e| e["outcome"] == "applied").collect();
    let sent = events
        .iter()
        .filter(|e| e["outcome"] == "applied" || e["outcome"] == "unknown_outcome")
        .count();
    assert!(!applied.is_empty(), "the batch wrote events: {shown}");
    let writes = d.org.writes();
    let new_writes = &writes[writes_before..];
    assert_eq!(
        new_writes.len(),
        sent,
        "one write per written (or unanswered) event, no retry of a write that landed"
    );
    let mut per_record = std::collections::BTreeMap::new();
    for w in new_writes {
        *per_record.entry(w.record_id.clone()).or_insert(0) += 1;
    }
    assert!(
        per_record.values().all(|n| *n == 1),
        "no record is written twice: {per_record:?}"
    );
    assert!(
        summary.contains(&format!(
            "Updated ({})",
            shown["summary"]["updated"].as_array().map_or(0, Vec::len)
        )),
        "the summary lists the updated events as the batch stored them: {summary}"
    );
    for e in &applied {
        let id = e["event_id"].as_i64().expect("event id");
        assert_eq!(
            d.env.json(&["events", "show", &id.to_string()])["status"],
            "replayed",
            "event {id} is replayed in the database too"
        );
    }

    // The reviewer: the audit screen, filtered by the batch, shows its entries.
    app.click_text("button", "Audit entries of this batch");
    app.wait("table[aria-label='Audit entries']");
    assert_eq!(
        app.prop(".audit-filters label:nth-of-type(6) input", "value")
            .as_deref(),
        Some(batch_id.to_string().as_str()),
        "the batch filter is applied"
    );
    app.wait_text("Batch finished");
    app.wait_text("Batch planned");
    let listed = d
        .env
        .json(&["audit", "list", "--batch", &batch_id.to_string(), "--limit", "1000"]);
    let n = listed.as_array().map_or(0, Vec::len);
    app.wait_text(&format!("{n} loaded"));
    app.screenshot("batch-audit");
}

/// Issue 15 in the real window: a checkpoint lost (the tail and the checkpoint file deleted, then
/// an ordinary write) stands in the navigation and on the audit screen with its seq, and a
/// forged entry appended with SQL is named at its seq by "Verify chain".
#[test]
fn the_audit_screen_shows_a_lost_checkpoint_and_a_forged_entry_with_their_seqs() {
    use crate::audit_attacks::{app_log, checkpoint_file, forge_append, head, import_one, tamper};
    let env = Env::new();
    app_log(&env, 8);
    let cut = head(&env.db) - 4;
    tamper(&env.db, &format!("DELETE FROM audit_log WHERE seq > {cut}"));
    std::fs::remove_file(checkpoint_file(&env)).expect("remove the checkpoint file");
    import_one(&env, 900);
    let lost = cut + 2;
    let forged = forge_append(&env.db, "NULL");

    let app = Desktop::launch(&env.db);
    app.wait(&format!(
        "nav[aria-label='Main'] [aria-label='Audit checkpoint lost at entry {lost}: not acknowledged']"
    ));
    app.click_text("nav[aria-label='Main'] button", "Audit");
    app.wait_text("Checkpoint lost: one loss is not acknowledged");
    app.wait_text(&format!("Entries 1 to {} are not proven by a checkpoint", lost - 1));
    app.click_text("button", "Verify chain");
    app.wait_text(&format!("Entry {forged}: Forged entry (no valid MAC)"));
    app.wait_text(&format!("Entry {lost}: Checkpoint lost"));
    app.screenshot("audit-checkpoint-lost");
}

/// Issue 17 in the real window, on the team pass's server: an operator's override opens an
/// approval request (through the CLI); a reader's window shows who is at the console and keeps
/// Approve disabled with the reason; the approver's own window (their login, their keychain)
/// approves it with a reason, and the CLI then sees it approved by that login.
#[test]
fn team_an_approver_approves_in_the_window_and_a_reader_may_not() {
    use crate::replay::{account, base_seed, Org, BEFORE};
    if test_server().is_none() {
        return; // runs in the team pass (scripts/test-team desktop::team)
    }
    let (mut s, u) = base_seed();
    account(&mut s, "A1", "A1 (old)", &u.rita, BEFORE, "Gold");
    account(&mut s, "A2", "A2 (old)", &u.rita, BEFORE, "Gold");
    let o = Org::start("window", s);
    o.env.team_init();
    let operator = o.env.person(Some("operator"));
    let approver = o.env.person(Some("approver"));
    let reader = o.env.person(Some("reader"));
    let ids = o.events(&[
        (Some("A1"), serde_json::json!({"Name": "A1 new", "Tier__c": "Silver"})),
        (Some("A2"), serde_json::json!({"Name": "A2 new", "Tier__c": "Silver"})),
    ]);
    let ev = ids[0];
    let (ev_s, reason) = (ev.to_string(), "tier fixed by finance");
    let p = o.env.run_as(
        &operator,
        &["preflight", &ev_s, "--reassignment-reason", reason, "--json"],
    );
    let p: serde_json::Value = serde_json::from_str(&p.stdout).unwrap_or_else(|e| panic!("{e}: {}", p.stderr));
    let token = p["preflight"]["ack_token"].as_str().expect("a token").to_string();
    let replay = |who: &Person| {
        let args = [
            "replay",
            &ev_s,
            "--operator",
            "Dana Ops",
            "--reason",
            "INC-4711",
            "--ack",
            &token,
        ];
        o.env
            .run_as(who, &[&args[..], &["--reassignment-reason", reason]].concat())
    };
    let r = replay(&operator);
    assert!(r.code == 3 && r.stderr.contains("approval_pending"), "{}", r.stderr);
    let listed = o.env.json(&["approvals", "list"]);
    let id = listed[0]["id"].as_i64().expect("a request");
    let card = format!("article[data-approval-id='{id}']");

    // The reader: who is here, Approve disabled and why; the queue's import too.
    {
        let app = Desktop::launch(&reader.db);
        app.wait_text("authenticated by the server");
        app.screenshot("team-queue-reader");
        let who = app.text("[aria-label='Who is at the console']");
        let login = app.prop(".whoami-login", "textContent").unwrap_or_default();
        assert!(login == reader.login && who.contains("reader"), "{login}: {who}");
        app.wait_text(&format!("Your login `{}` is a reader: importing events", reader.login));
        app.click_text("nav[aria-label='Main'] button", "Approvals");
        app.wait(&card);
        app.wait_text("Dana Ops");
        assert!(
            app.attr(&format!("{card} button.btn-approve"), "disabled").is_some(),
            "a reader cannot approve"
        );
        let why = app.text(&format!("{card} .decide-reason"));
        assert!(why.contains("is a reader") && why.contains("approver role"), "{why}");
        app.screenshot("team-approvals-reader");
    }

    // The approver approves in the window, with a reason.
    {
        let app = Desktop::launch(&approver.db);
        app.click_text("nav[aria-label='Main'] button", "Approvals");
        app.wait(&card);
        assert!(
            app.attr(&format!("{card} button.btn-approve"), "disabled").is_some(),
            "no reason yet"
        );
        app.type_into(&format!("{card} textarea"), "finance confirmed in the window");
        app.screenshot("team-approvals-approver");
        app.click(&format!("{card} button.btn-approve"));
        app.wait(&format!("article[data-approval-id='{id}'][data-status='approved']"));
        app.wait_text("Nothing waits for a decision.");
        app.screenshot("team-approvals-approved");
    }
    let listed = o.env.json(&["approvals", "list"]);
    let a = listed
        .as_array()
        .and_then(|l| l.iter().find(|a| a["id"] == id))
        .expect("the request");
    assert_eq!(a["status"], "approved", "{a}");
    assert_eq!(a["decided_by"], approver.login.as_str(), "{a}");
    assert_eq!(a["decision_reason"], "finance confirmed in the window", "{a}");
    let r = replay(&operator);
    assert_eq!(
        r.code, 0,
        "approved in the window, the replay runs: {} {}",
        r.stdout, r.stderr
    );
    assert_eq!(o.writes(), 1);

    // The operator's window: an override names no approver; the replay opens a request.
    let app = Desktop::launch(&operator.db);
    app.click("[aria-label='Events'] td[title='evt-1']");
    app.click_text("button", "Preflight and replay");
    app.click_text("button", "Run preflight");
    app.fill("input[placeholder^='Your name']", "Otto Ops");
    app.type_into("[placeholder^='Why this event is written again']", "INC-4711");
    app.click_text("form[aria-label='Replay'] label.check", "under an approved override");
    app.type_into("input[id$='-override-reason']", reason);
    app.click_text("button", "Run the preflight with this override");
    app.wait_text("the replay opens an approval request for it");
    app.click_all("form[aria-label='Replay'] input[type='checkbox'][data-code]");
    app.click("button.btn-replay");
    app.wait("[aria-label='Approval requested']");
    let said = app.text("[aria-label='Approval requested']");
    assert!(
        said.contains(&format!(
            "An approval request was opened for your login {}",
            operator.login
        )),
        "{said}"
    );
    app.screenshot("team-approval-requested");
    let listed = o.env.json(&["approvals", "list", "--status", "pending"]);
    assert_eq!(listed[0]["event_id"], ids[1], "{listed}");
    assert_eq!(listed[0]["requested_by"], operator.login.as_str(), "{listed}");
    assert_eq!(o.writes(), 1, "nothing more was written");
}
