//! Integration-user secrets in the real Secret Service (CI runs the suite inside
//! `dbus-run-session` with an unlocked gnome-keyring; see .ci/run).

use crate::common::*;
use std::process::Command;

/// A lane of its own per test, so tests running at once never share a keychain entry.
fn env_with_own_lane(tag: &str) -> (Env, String) {
    let env = Env::new();
    let lane = format!("kc_{tag}_{}", std::process::id());
    let yaml = reference_contract().replace("lane_id: account_sync_north_america", &format!("lane_id: {lane}"));
    env.ok(&["lanes", "import", &env.write("lane.yaml", yaml)]);
    (env, lane)
}

pub fn test_key_pem() -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/test_only_rsa_key.pem"))
        .expect("tests/data/test_only_rsa_key.pem")
}

fn secret_tool_lists(account: &str) -> bool {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "replay-console", "username", account])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by .ci/setup");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.contains(&format!("attribute.username = {account}"))
}

#[test]
fn set_status_and_delete_a_real_keychain_entry() {
    let (env, lane) = env_with_own_lane("cycle");
    let account = format!("{lane}/sf_account_sync_app");
    let key = env.write("key.pem", test_key_pem());
    let set = env.run(&["credentials", "set", &lane, "--from-file", &key, "--json"]);
    assert_eq!(
        set.code, 0,
        "storing needs a running Secret Service: run the tests through .ci/run (dbus-run-session + gnome-keyring). stderr: {} stdout: {}",
        set.stderr, set.stdout
    );
    assert!(
        secret_tool_lists(&account),
        "the entry is in the keyring daemon itself, under service replay-console"
    );

    let status = env.json(&["credentials", "status", &lane]);
    assert_eq!(status["present"], true, "status reads the keychain");
    assert!(
        status["set_at"].is_string(),
        "the set time is recorded (the secret is not)"
    );
    let lanes = env.json(&["lanes", "list"]);
    assert_eq!(
        lanes[0]["credential"]["present"], true,
        "lanes list shows the credential status"
    );

    let del = env.json(&["credentials", "delete", &lane]);
    assert_eq!(del["deleted"], true);
    assert!(!secret_tool_lists(&account), "deleted from the daemon");
    assert_eq!(env.json(&["credentials", "status", &lane])["present"], false);
    assert_eq!(
        env.json(&["credentials", "delete", &lane])["deleted"],
        false,
        "a second delete finds nothing"
    );
}

#[test]
fn secret_from_stdin_and_rotation() {
    let (env, lane) = env_with_own_lane("stdin");
    let account = format!("{lane}/sf_account_sync_app");
    for _ in 0..2 {
        let mut child = Command::new(BIN)
            .args(["--db", &env.db.display().to_string(), "credentials", "set", &lane])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(test_key_pem().as_bytes())
            .expect("write the key");
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "a secret on stdin is stored (and stored again: rotation): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(secret_tool_lists(&account));
    env.ok(&["credentials", "delete", &lane]);
}

#[test]
fn a_secret_pasted_into_a_terminal_is_not_echoed() {
    let (env, lane) = env_with_own_lane("tty");
    let account = format!("{lane}/sf_account_sync_app");
    // `script` gives the command a real terminal; what the terminal shows comes back on stdout.
    let command = format!("{BIN} --db {} credentials set {lane}", env.db.display());
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("REPLAY_CONSOLE_LOG_DIR", log_dir_for(&env.db))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !String::from_utf8_lossy(&shown.lock().expect("lock")).contains("it is not shown") {
        assert!(
            std::time::Instant::now() < deadline,
            "the prompt appears on the terminal"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    use std::io::Write;
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(test_key_pem().as_bytes()).expect("paste");
    stdin.write_all(b"\x04").expect("Ctrl-D");
    let status = child.wait().expect("wait");
    drop(stdin);
    reader.join().expect("reader");
    let screen = String::from_utf8_lossy(&shown.lock().expect("lock")).into_owned();
    assert!(status.success(), "the pasted secret is stored: {screen}");
    let body_line = test_key_pem().lines().nth(1).expect("a key line").to_string();
    assert!(
        !screen.contains("PRIVATE KEY") && !screen.contains(&body_line),
        "nothing of the paste is echoed to the terminal: {screen}"
    );
    assert!(secret_tool_lists(&account), "and it is in the keychain");
    env.ok(&["credentials", "delete", &lane]);
}

#[test]
fn a_secret_longer_than_64_kb_is_refused() {
    let (env, lane) = env_with_own_lane("long");
    let account = format!("{lane}/sf_account_sync_app");
    let long = env.write("long.pem", "A".repeat(64 * 1024 + 1));
    let stderr = env.fails(&["credentials", "set", &lane, "--from-file", &long], 1);
    assert!(stderr.contains("a secret is at most 64 kB"), "{stderr}");
    assert!(!secret_tool_lists(&account), "nothing was stored");
}

#[test]
fn a_secret_of_the_wrong_form_is_refused_and_not_stored() {
    let (env, lane) = env_with_own_lane("form");
    let account = format!("{lane}/sf_account_sync_app");
    let bad = env.write("not-a-key.txt", "s3cr3t-but-not-a-pem-key");
    let stderr = env.fails(&["credentials", "set", &lane, "--from-file", &bad], 1);
    assert!(
        stderr.contains("must be an unencrypted RSA private key of 2048 bits or more in PEM"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cr3t"),
        "the error never quotes the secret: {stderr}"
    );
    assert!(!secret_tool_lists(&account), "nothing was stored");
}

#[test]
fn no_secret_service_is_a_clear_error_and_leaves_no_file() {
    let (env, lane) = env_with_own_lane("nobus");
    let before = files_under(env.dir.path());
    // The key file is there, so the only thing missing is the keychain.
    let key = env.write("key.pem", test_key_pem());
    let before_key = files_under(env.dir.path());
    let out = Command::new(BIN)
        .args([
            "--db",
            &env.db.display().to_string(),
            "credentials",
            "set",
            &lane,
            "--from-file",
            &key,
            "--json",
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "no keychain is an error, never a fallback");
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert_eq!(
        reply["kind"], "keychain_unavailable",
        "the UI and scripts can branch on it"
    );
    let msg = reply["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("no keychain") && msg.contains("gnome-keyring-daemon --unlock"),
        "says what is missing and how to start it: {msg}"
    );
    assert_eq!(
        files_under(env.dir.path()),
        before_key,
        "no file appeared (no plaintext fallback)"
    );
    assert!(
        before.len() < before_key.len(),
        "test set-up: the key file was the only addition"
    );
    // The database's every text value, on whichever store: nothing of the key is in it.
    let needle = &test_key_pem()[40..60];
    let stored: Vec<u8> = if env.on_server() {
        ["credential_events", "audit_log", "settings", "lane_versions"]
            .iter()
            .flat_map(|t| env.rows(&format!("SELECT CAST(t.* AS text) FROM {t} t")))
            .flatten()
            .flatten()
            .flat_map(String::into_bytes)
            .collect()
    } else {
        std::fs::read(&env.db).expect("db")
    };
    assert!(
        !stored.windows(20).any(|w| w == needle.as_bytes()),
        "nothing of the key reached the database"
    );
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("console.db"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_contract_pointed_elsewhere_gets_no_secret_and_the_refusal_is_audited() {
    let d = crate::desktop::demo_org();
    let lane = "account_sync_north_america";
    // The demo's secret was stored for the demo org at 127.0.0.1. A listener stands in for the
    // place a changed contract now names.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let mut contract = d.env.json(&["lanes", "show", lane])["contract"].clone();
    contract["connection"]["instance_url"] = serde_json::json!(format!("http://localhost:{port}"));
    // JSON is YAML: the contract as the console shows it imports as a new version.
    d.env
        .ok(&["lanes", "import", &d.env.write("moved.yaml", contract.to_string())]);

    let stderr = d.env.fails(&["preflight", "1"], 3);
    assert!(
        stderr.contains("was stored for another connection (login host `127.0.0.1` is now `localhost`)")
            && stderr.contains(&format!("credentials set {lane}")),
        "the refusal names what changed and how to go on: {stderr}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        listener.accept().is_err(),
        "nothing, not even a connection, reached the new place"
    );
    let refused = d.env.json(&["audit", "list", "--action", "credential_refused"]);
    let entry = &refused.as_array().expect("entries")[0];
    assert_eq!(entry["lane_id"], lane);
    assert!(
        entry["detail"]
            .to_string()
            .contains("login host `127.0.0.1` is now `localhost`"),
        "the audit says what changed: {entry}"
    );
    assert!(!entry.to_string().contains("PRIVATE KEY"), "and never the secret");
}

#[test]
fn a_login_host_outside_salesforce_needs_allow_host_when_the_secret_is_stored() {
    let env = Env::new();
    let lane = format!("kc_host_{}", std::process::id());
    let yaml = reference_contract()
        .replace("lane_id: account_sync_north_america", &format!("lane_id: {lane}"))
        .replace("https://acme.my.salesforce.com", "https://sf-proxy.acme.example");
    env.ok(&["lanes", "import", &env.write("lane.yaml", yaml)]);
    let account = format!("{lane}/sf_account_sync_app");
    let key = env.write("key.pem", test_key_pem());
    let stderr = env.fails(&["credentials", "set", &lane, "--from-file", &key], 3);
    assert!(
        stderr.contains("`sf-proxy.acme.example`, which is not a Salesforce host")
            && stderr.contains("--allow-host sf-proxy.acme.example"),
        "{stderr}"
    );
    assert!(!secret_tool_lists(&account), "nothing was stored");
    env.ok(&[
        "credentials",
        "set",
        &lane,
        "--from-file",
        &key,
        "--allow-host",
        "sf-proxy.acme.example",
    ]);
    assert!(secret_tool_lists(&account), "allowed explicitly, it is stored");
    let set = env.json(&["audit", "list", "--action", "credential_set"]);
    let detail = set[0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("\"allowed_host\":\"sf-proxy.acme.example\""),
        "the audit records the allowed host: {detail}"
    );
    env.ok(&["credentials", "delete", &lane]);
}
