//! Shared set-up: a temp directory with a real SQLite file, and the real CLI binary.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_replay-console");
pub const LANE: &str = "account_sync_north_america";

pub fn reference_contract() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lane_account_sync.yaml"))
        .expect("tests/data/lane_account_sync.yaml is part of the repo")
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = dir.path().join("console.db");
        Env { dir, db }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out: Output = Command::new(BIN)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("REPLAY_CONSOLE_DB")
            .output()
            .expect("the CLI binary runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and requires exit 0.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code,
            0,
            "`{}` must succeed; stderr: {}\nstdout: {}",
            args.join(" "),
            r.stderr,
            r.stdout
        );
        r.stdout
    }

    /// Runs with `--json` and requires exit 0.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.ok(&a);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("`{}` must print one JSON document ({e}): {out}", a.join(" ")))
    }

    /// Runs and requires the given failing exit code; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code,
            code,
            "`{}` must fail with exit {code}; stdout: {} stderr: {}",
            args.join(" "),
            r.stdout,
            r.stderr
        );
        r.stderr
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write a test file");
        p.display().to_string()
    }

    pub fn import_reference_lane(&self) {
        let p = self.write("lane.yaml", reference_contract());
        self.ok(&["lanes", "import", &p]);
    }

    /// Total events stored, from the counts listing.
    pub fn event_total(&self) -> i64 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let app = replay_console::App::open(&self.db)
                .await
                .expect("open the test database");
            let n: i64 = replay_console::services::events::counts(&app)
                .await
                .expect("counts")
                .iter()
                .map(|c| c.count)
                .sum();
            app.close().await;
            n
        })
    }
}

/// One valid event record as an NDJSON line (no newline).
pub fn event_json(i: usize) -> Value {
    serde_json::json!({
        "lane_id": LANE,
        "event_key": format!("evt-{i:06}"),
        "source_system": "billing",
        "object": "Account",
        "external_id": format!("BA-{i:06}"),
        "operation": "upsert",
        "payload": {"Name": format!("Customer {i}"), "Tier__c": if i.is_multiple_of(3) { "Gold" } else { "Silver" }, "AnnualRevenue": i * 1000},
        "status": if i.is_multiple_of(5) { "blocked" } else { "failed" },
        "failure": {"code": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access to this record", "http_status": 400},
        "occurred_at": "2026-11-20T10:00:00Z"
    })
}

pub fn ndjson(range: std::ops::Range<usize>) -> String {
    let mut s = String::new();
    for i in range {
        s.push_str(&event_json(i).to_string());
        s.push('\n');
    }
    s
}
