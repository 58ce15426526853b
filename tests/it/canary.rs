//! The secret canary: a unique secret goes into the keychain, then the console imports, preflights,
//! replays, fails on purpose, logs at trace level and exports. The secret, its base64 and its
//! percent-encoded forms must appear nowhere: not in the database files (the WAL included), the
//! checkpoint, the exports and their manifests, nor any output of the CLI (whose JSON is the same
//! service result the desktop's IPC replies carry).

use crate::common::*;
use crate::replay::{account, base_seed};
use base64::Engine;
use replay_console::sandbox::{self, Applies, Fault, FaultKind, SandboxConfig};
use serde_json::json;
use std::process::Command;

#[test]
fn the_secret_appears_nowhere() {
    let canary = format!("cAnArY+{}/x=", std::process::id() as u64 * 7_919 + 12_345);
    let forms = [
        canary.clone(),
        base64::engine::general_purpose::STANDARD.encode(&canary),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&canary),
        percent_encoding::utf8_percent_encode(&canary, percent_encoding::NON_ALPHANUMERIC).to_string(),
        canary.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D"),
    ];

    let (mut seed, u) = base_seed();
    account(
        &mut seed,
        "C1",
        "Canary Co (old)",
        &u.rita,
        "2026-11-19T08:00:00.000+0000",
        "Gold",
    );
    account(
        &mut seed,
        "C2",
        "Canary Two (old)",
        &u.rita,
        "2026-11-19T08:00:00.000+0000",
        "Gold",
    );
    seed.client_credentials("3MVG9CANARYAPP", &canary, "sf_account_sync_app@acme.example");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let org = rt
        .block_on(sandbox::start(SandboxConfig { port: 0, seed }))
        .expect("org");

    let env = Env::file();
    let lane = format!("canary_{}", std::process::id());
    let yaml = reference_contract()
        .replace("lane_id: account_sync_north_america", &format!("lane_id: {lane}"))
        .replace(
            "instance_url: https://acme.my.salesforce.com",
            &format!("instance_url: {}", org.base_url()),
        )
        .replace("auth: jwt_bearer", "auth: client_credentials")
        .replace("3MVG9EXAMPLECONSUMERKEY", "3MVG9CANARYAPP");
    let mut outputs = String::new();
    let mut run = |args: &[&str]| -> Run {
        let out = Command::new(BIN)
            .arg("--db")
            .arg(&env.db)
            .args(args)
            .env("RUST_LOG", "trace")
            .env("REPLAY_CONSOLE_LOG_DIR", env.dir.path().join("logs"))
            .output()
            .expect("run");
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        outputs.push_str(&r.stdout);
        outputs.push_str(&r.stderr);
        r
    };
    assert_eq!(run(&["lanes", "import", &env.write("lane.yaml", yaml)]).code, 0);
    let secret_file = env.write("secret.txt", &canary);
    assert_eq!(
        run(&["credentials", "set", &lane, "--from-file", &secret_file]).code,
        0,
        "stored in the keychain"
    );
    std::fs::remove_file(&secret_file).expect("the only copy outside the keychain goes away");
    assert_eq!(
        run(&["credentials", "check", &lane, "--json"]).code,
        0,
        "the canary secret works"
    );
    let events = format!(
        "{}\n{}\n",
        json!({"lane_id": lane, "event_key": "c1", "source_system": "billing", "object": "Account", "external_id": "C1",
               "operation": "upsert", "payload": {"Name": "Canary Co"}, "status": "failed", "occurred_at": "2026-11-20T10:00:00Z"}),
        json!({"lane_id": lane, "event_key": "c2", "source_system": "billing", "object": "Account", "external_id": "C2",
               "operation": "upsert", "payload": {"Name": "Canary Two"}, "status": "failed", "occurred_at": "2026-11-20T10:00:00Z"})
    );
    assert_eq!(
        run(&["events", "import", &env.write("events.ndjson", events), "--json"]).code,
        0
    );
    let ids: Vec<String> = serde_json::from_str::<serde_json::Value>(&run(&["events", "list", "--json"]).stdout)
        .expect("json")
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["id"].to_string())
        .collect();
    let token = |out: &str| {
        serde_json::from_str::<serde_json::Value>(out).expect("json")["preflight"]["ack_token"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let t1 = token(&run(&["preflight", &ids[0], "--json"]).stdout);
    assert_eq!(
        run(&[
            "replay",
            &ids[0],
            "--operator",
            "Dana",
            "--reason",
            "canary",
            "--ack",
            &t1,
            "--json"
        ])
        .code,
        0
    );
    // Forced errors: a refusal, a Salesforce error, an expired session, a bad secret.
    let t2 = token(&run(&["preflight", &ids[1], "--json"]).stdout);
    assert_eq!(
        run(&[
            "replay",
            &ids[1],
            "--operator",
            "Dana",
            "--reason",
            "canary",
            "--ack",
            "badbadbadbad"
        ])
        .code,
        3
    );
    org.inject(Fault {
        kind: FaultKind::ServerUnavailable,
        count: 1,
        latency_ms: 0,
        applies_to: Some(Applies::Writes),
    });
    assert_eq!(
        run(&[
            "replay",
            &ids[1],
            "--operator",
            "Dana",
            "--reason",
            "canary",
            "--ack",
            &t2
        ])
        .code,
        4
    );
    org.expire_tokens();
    assert_eq!(
        run(&["preflight", &ids[1]]).code,
        0,
        "an expired session is renewed once"
    );
    let wrong = env.write("wrong.txt", "not-the-secret");
    run(&["credentials", "set", &lane, "--from-file", &wrong]);
    assert_ne!(
        run(&["credentials", "check", &lane]).code,
        0,
        "a wrong secret fails with the OAuth error"
    );
    let csv = env.dir.path().join("audit.csv");
    let ndjson = env.dir.path().join("audit.ndjson");
    assert_eq!(
        run(&[
            "audit",
            "export",
            "--format",
            "csv",
            "--out",
            &csv.display().to_string()
        ])
        .code,
        0
    );
    assert_eq!(
        run(&[
            "audit",
            "export",
            "--format",
            "ndjson",
            "--out",
            &ndjson.display().to_string()
        ])
        .code,
        0
    );
    run(&["audit", "verify"]);
    run(&["credentials", "delete", &lane]);

    let mut files = Vec::new();
    for entry in std::fs::read_dir(env.dir.path()).expect("dir").flatten() {
        if entry.path().is_file() {
            files.push(entry.path());
        }
    }
    // The log files of every run above, written at trace level.
    let logs: Vec<std::path::PathBuf> = std::fs::read_dir(env.dir.path().join("logs"))
        .expect("the runs wrote their log directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    let logged: u64 = logs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    assert!(
        logged > 10_000,
        "the log files hold the trace of every run ({logged} bytes in {logs:?})"
    );
    files.extend(logs);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(".db-wal")) || names.iter().any(|n| n.ends_with(".db")),
        "the database files are checked: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with(".manifest.json")),
        "manifests are checked: {names:?}"
    );
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        for form in &forms {
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
                "{} contains the secret (as `{form}`)",
                path.display()
            );
        }
    }
    assert!(
        outputs.contains("TRACE") || outputs.contains("DEBUG"),
        "trace logging was really on"
    );
    for form in &forms {
        assert!(
            !outputs.contains(form.as_str()),
            "CLI output or logs contain the secret (as `{form}`)"
        );
    }
}
