//! Shared set-up: a temp directory with a real SQLite file (or, with `REPLAY_CONSOLE_TEST_PG`
//! set to a server's admin URL, a fresh database of its own on that real PostgreSQL server:
//! the team-mode pass of the suite), and the real CLI binary.

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
    /// The SQLite file, or the server database's URL (`postgres://…`, no password).
    pub db: PathBuf,
    /// The server database this test made, dropped with the test.
    server: Option<ServerDb>,
}

/// A person of the team on the test server: their login and the URL their console opens.
pub struct Person {
    pub login: String,
    pub db: PathBuf,
}

/// Where a test's CLI runs keep their log files: beside the test's database file, or (a server)
/// in one directory of the machine's temp dir. Never the user's own log directory.
pub fn log_dir_for(db: &Path) -> PathBuf {
    let server = db.to_string_lossy().starts_with("postgres");
    match db.parent() {
        Some(p) if !server && !p.as_os_str().is_empty() => p.join("logs"),
        _ => std::env::temp_dir().join("replay-console-test-logs"),
    }
}

/// Runs the CLI on a database (a file or a server URL), with standard input if given.
pub fn run_on(db: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("REPLAY_CONSOLE_DB")
        .env("REPLAY_CONSOLE_LOG_DIR", log_dir_for(db))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the CLI binary runs");
    let input = child.stdin.take();
    if let (Some(mut i), Some(text)) = (input, stdin) {
        i.write_all(text.as_bytes()).expect("write standard input");
    }
    let out: Output = child.wait_with_output().expect("the CLI binary ends");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The suite's server, when the team-mode pass runs (`REPLAY_CONSOLE_TEST_PG`, an admin URL).
pub fn test_server() -> Option<String> {
    std::env::var("REPLAY_CONSOLE_TEST_PG").ok().filter(|s| !s.is_empty())
}

/// A database made for one test on the suite's server.
struct ServerDb {
    admin: String,
    name: String,
}

impl ServerDb {
    fn create(admin: &str) -> (ServerDb, String) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "rc_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000
        );
        admin_sql(admin, &format!("CREATE DATABASE {name}"));
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        (
            ServerDb {
                admin: admin.to_string(),
                name: name.clone(),
            },
            format!("{base}/{name}"),
        )
    }
}

impl Drop for ServerDb {
    fn drop(&mut self) {
        admin_sql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs one statement as the suite server's administrator.
fn admin_sql(admin: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(admin)
            .await
            .unwrap_or_else(|e| panic!("connect to the test server {admin}: {e}"));
        sqlx::Executor::execute(&mut c, sql)
            .await
            .unwrap_or_else(|e| panic!("`{sql}` on the test server: {e}"));
        let _ = c.close().await;
    });
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    /// A fresh database: a SQLite file, or on the team-mode pass a database on the server.
    pub fn new() -> Env {
        match test_server() {
            Some(admin) => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let (server, url) = ServerDb::create(&admin);
                Env {
                    dir,
                    db: PathBuf::from(url),
                    server: Some(server),
                }
            }
            None => Env::file(),
        }
    }

    /// A SQLite file whatever the pass: for tests of the file itself (its bytes, its
    /// triggers, the sqlite3 CLI).
    pub fn file() -> Env {
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = dir.path().join("console.db");
        Env { dir, db, server: None }
    }

    /// Whether this test runs on the server (the team-mode pass).
    pub fn on_server(&self) -> bool {
        self.server.is_some()
    }

    /// Rows of a read-only query (text columns; NULL as None), on whichever store the test
    /// runs: the file through its own connection, the server through its own login.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        if self.server.is_some() {
            let url = self.db.to_string_lossy().into_owned();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            return rt.block_on(async {
                use sqlx::{Connection, Row};
                let mut c = sqlx::PgConnection::connect(&url)
                    .await
                    .expect("connect to the test database");
                let rows = sqlx::query(&format!("SELECT * FROM ({sql}) q"))
                    .fetch_all(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                let out = rows
                    .iter()
                    .map(|r| {
                        (0..r.columns().len())
                            .map(|i| {
                                r.try_get::<Option<String>, _>(i)
                                    .or_else(|_| r.try_get::<Option<i64>, _>(i).map(|v| v.map(|n| n.to_string())))
                                    .unwrap_or_else(|e| panic!("{sql}: column {i}: {e}"))
                            })
                            .collect()
                    })
                    .collect();
                let _ = c.close().await;
                out
            });
        }
        let c = rusqlite::Connection::open_with_flags(&self.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the database read-only");
        let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let n = st.column_count();
        st.query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => None,
                        rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                        rusqlite::types::ValueRef::Blob(b) => Some(hex::encode(b)),
                    })
                })
                .collect()
        })
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs one changing statement (a test's set-up behind the app's back): `file_sql` on a
    /// SQLite file, `server_sql` on the server (the dialects differ where JSON is edited).
    pub fn execute(&self, file_sql: &str, server_sql: &str) {
        if self.server.is_some() {
            admin_sql(&self.db.to_string_lossy(), server_sql);
            return;
        }
        let c = rusqlite::Connection::open(&self.db).expect("open the database");
        c.execute_batch(file_sql).unwrap_or_else(|e| panic!("{file_sql}: {e}"));
    }

    /// One integer of a read-only query (a count), on whichever store the test runs.
    pub fn scalar(&self, sql: &str) -> i64 {
        self.rows(sql)
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{sql}: one integer"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_on(&self.db, args, None)
    }

    /// Runs as a person of the team (their own login on the test server).
    pub fn run_as(&self, who: &Person, args: &[&str]) -> Run {
        run_on(&who.db, args, None)
    }

    /// `team init` on this test's database, as the server's administrator. Roles are the
    /// cluster's, shared by every test: one test at a time creates them.
    pub fn team_init(&self) {
        static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = ONE.lock().unwrap_or_else(|p| p.into_inner());
        self.ok(&["team", "init"]);
    }

    /// A new person on the test server: a login with a password (kept in the keychain with
    /// `team login`, as a person would), holding `role` if given. Call [`Env::team_init`] first.
    pub fn person(&self, role: Option<&str>) -> Person {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        assert!(self.on_server(), "people exist on a team server only");
        let login = format!(
            "p{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            role.unwrap_or("none")
        );
        let password = format!("pw-{login}-Z9");
        admin_sql(
            &self.db.to_string_lossy(),
            &format!("CREATE ROLE {login} LOGIN PASSWORD '{password}'"),
        );
        if let Some(r) = role {
            self.ok(&["team", "grant", &login, r]);
        }
        let url = self.db.to_string_lossy().into_owned();
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let (_, host_db) = rest.split_once('@').expect("a login in the URL");
        let db = PathBuf::from(format!("{scheme}://{login}@{host_db}"));
        let stored = run_on(&db, &["team", "login"], Some(&password));
        assert_eq!(stored.code, 0, "team login: {} {}", stored.stdout, stored.stderr);
        Person { login, db }
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
