//! The attacks of docs/AUDIT.md's table, each done as someone holding the files would do it:
//! plain SQL through the `sqlite3` command-line tool and plain file operations, never the app's
//! code. Then the app's ordinary next action (an import of one event), then `audit verify`: the
//! attack must be named, the exit status must be 1, and nothing may say "intact".
//! Needs the real Secret Service: `scripts/with-keyring cargo test --test it audit_attacks`.

use crate::common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs SQL with the `sqlite3` CLI, as an attacker with the file would; returns its output.
pub(crate) fn sqlite(db: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        // Wait for a lock rather than fail, as a patient attacker would.
        .args(["-cmd", ".timeout 10000"])
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 command-line tool is installed (apt-get install sqlite3)");
    assert!(
        out.status.success(),
        "sqlite3 must run `{sql}`: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Drops the append-only triggers, runs `sql`, and puts the triggers back exactly as the
/// migration made them (a careful attacker leaves the start-up check nothing to see).
pub(crate) fn tamper(db: &Path, sql: &str) {
    let triggers = sqlite(
        db,
        "SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log' ORDER BY name",
    );
    assert!(
        triggers.contains("RAISE(ABORT"),
        "the log has its triggers before the attack"
    );
    sqlite(
        db,
        &format!("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}; {triggers}"),
    );
}

pub(crate) fn checkpoint_file(env: &Env) -> PathBuf {
    PathBuf::from(format!("{}.checkpoint.json", env.db.display()))
}

pub(crate) fn head(db: &Path) -> i64 {
    sqlite(db, "SELECT max(seq) FROM audit_log").parse().expect("a head")
}

/// A log made by the app itself through its CLI: a lane import and `n` event imports, one
/// entry each, every one with its MAC, checkpointed after each command.
pub(crate) fn app_log(env: &Env, n: usize) {
    env.import_reference_lane();
    for i in 0..n {
        import_one(env, 100 + i);
    }
}

/// The ordinary next action: an import of one new event.
pub(crate) fn import_one(env: &Env, i: usize) {
    let f = env.write(&format!("event-{i}.ndjson"), ndjson(i..i + 1));
    env.ok(&["events", "import", &f]);
}

/// `audit verify --json` must exit 1 and its plain form must not say "intact"; returns the report.
fn verify_fails(env: &Env) -> Value {
    let r = env.run(&["audit", "verify", "--json"]);
    assert_eq!(
        r.code, 1,
        "audit verify must exit 1 after the attack; stdout: {}",
        r.stdout
    );
    let plain = env.run(&["audit", "verify"]);
    assert_eq!(plain.code, 1, "the plain report exits 1 too");
    assert!(
        !plain.stdout.contains("audit log intact") && plain.stdout.contains("AUDIT LOG PROBLEM"),
        "nothing may report the attacked log as intact: {}",
        plain.stdout
    );
    let report: Value = serde_json::from_str(&r.stdout).expect("one JSON report");
    assert_eq!(report["ok"], false, "the report is not ok: {report}");
    report
}

/// The problem of this kind, if verify named one.
fn problem<'a>(report: &'a Value, kind: &str) -> Option<&'a Value> {
    report["problems"].as_array()?.iter().find(|p| p["kind"] == kind)
}

fn kinds(report: &Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .map(|a| a.iter().map(|p| p["kind"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn attack_edit_an_entry_is_named_at_its_seq() {
    let env = Env::new();
    app_log(&env, 8);
    tamper(&env.db, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 5");
    import_one(&env, 900);
    let r = verify_fails(&env);
    let p = &r["problems"][0];
    assert_eq!(
        (p["kind"].as_str(), p["seq"].as_i64()),
        (Some("content_changed"), Some(5)),
        "the edited entry is named: {r}"
    );
}

#[test]
fn attack_delete_in_the_middle_is_a_gap() {
    let env = Env::new();
    app_log(&env, 8);
    tamper(&env.db, "DELETE FROM audit_log WHERE seq = 4");
    import_one(&env, 900);
    let r = verify_fails(&env);
    let p = &r["problems"][0];
    assert_eq!(
        (p["kind"].as_str(), p["seq"].as_i64()),
        (Some("gap"), Some(4)),
        "the missing entry is named: {r}"
    );
}

#[test]
fn attack_delete_the_tail_is_named_by_the_checkpoint_and_the_keychain() {
    let env = Env::new();
    app_log(&env, 10);
    let before = head(&env.db);
    tamper(&env.db, &format!("DELETE FROM audit_log WHERE seq > {}", before - 6));
    import_one(&env, 900);
    let r = verify_fails(&env);
    let ks = kinds(&r);
    assert!(
        ks.iter().any(|k| k == "checkpoint_mismatch") && ks.iter().any(|k| k == "rolled_back"),
        "the signed checkpoint and the keychain's head both name the deleted tail: {r}"
    );
    let rb = problem(&r, "rolled_back").expect("rolled_back");
    assert!(
        rb["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("entry {before}"))),
        "the keychain's recorded head is named: {rb}"
    );
}

/// The scenario of issue 15: delete the tail, remove the checkpoint file, then an ordinary write.
/// Before, that write signed a fresh checkpoint over the shortened log and verify said "intact".
#[test]
fn attack_delete_the_tail_and_the_checkpoint_then_write_stays_named_until_acknowledged() {
    let env = Env::new();
    app_log(&env, 10);
    let before = head(&env.db);
    tamper(&env.db, &format!("DELETE FROM audit_log WHERE seq > {}", before - 6));
    std::fs::remove_file(checkpoint_file(&env)).expect("remove the checkpoint file");
    // Before any write: the keychain says a checkpoint was signed at `before`.
    let r = verify_fails(&env);
    assert!(
        problem(&r, "checkpoint_lost").is_some() && problem(&r, "rolled_back").is_some(),
        "a missing checkpoint and a log below the keychain's head are both named: {r}"
    );
    import_one(&env, 900);
    assert!(
        checkpoint_file(&env).exists(),
        "the write signs a new checkpoint (over the loss entry)"
    );
    let r = verify_fails(&env);
    let lost = problem(&r, "checkpoint_lost").expect("the loss is named after the write");
    let lost_seq = lost["seq"].as_i64().expect("at the checkpoint_lost entry");
    assert_eq!(
        lost_seq,
        before - 6 + 2,
        "the loss entry follows the imported event's entry: {r}"
    );
    let entry = env.json(&["audit", "show", &lost_seq.to_string()]);
    assert_eq!(
        entry["entry"]["action"], "checkpoint_lost",
        "the loss is an audit entry: {entry}"
    );
    let detail = &entry["detail"];
    assert_eq!(detail["expected"]["seq"], before, "it says what was expected: {detail}");
    assert_eq!(
        detail["found"]["checkpoint"],
        Value::Null,
        "and what was found: {detail}"
    );
    assert_eq!(
        detail["unproven"]["last"],
        lost_seq - 1,
        "and which range is unproven: {detail}"
    );

    // Permanently: more ordinary writes do not clear it, nor record it again.
    import_one(&env, 901);
    let r = verify_fails(&env);
    assert_eq!(
        r["losses"].as_array().map(Vec::len),
        Some(1),
        "one loss, recorded once: {r}"
    );

    // A reviewer acknowledges it: verify no longer fails on it, but still says what is unproven.
    env.fails(
        &[
            "audit",
            "acknowledge",
            &lost_seq.to_string(),
            "--reviewer",
            "",
            "--reason",
            "x",
        ],
        1,
    );
    let ack = env.json(&[
        "audit",
        "acknowledge",
        &lost_seq.to_string(),
        "--reviewer",
        "Rita Reviewer",
        "--reason",
        "INC-4711: restored from backup, see ticket",
    ]);
    assert_eq!(ack["acknowledged"]["reviewer"], "Rita Reviewer", "{ack}");
    let r = env.run(&["audit", "verify", "--json"]);
    assert_eq!(r.code, 0, "an acknowledged loss is not a failure: {}", r.stdout);
    let report: Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(
        report["not_proven"].as_array().is_some_and(|n| n.iter().any(|s| s
            .as_str()
            .is_some_and(|s| s.contains(&format!("entries 1 to {}", lost_seq - 1))))),
        "the unproven range stays in the report: {report}"
    );
    let plain = env.ok(&["audit", "verify"]);
    assert!(
        !plain.contains("audit log intact") && plain.contains("NOT proven"),
        "the plain report does not call it intact: {plain}"
    );
    env.fails(
        &[
            "audit",
            "acknowledge",
            &lost_seq.to_string(),
            "--reviewer",
            "Rita",
            "--reason",
            "again",
        ],
        1,
    );
}

#[test]
fn a_checkpoint_made_unreadable_alone_is_recorded_as_lost_not_re_signed() {
    let env = Env::new();
    app_log(&env, 3);
    std::fs::write(checkpoint_file(&env), b"{ not a checkpoint").expect("overwrite the checkpoint");
    let r = verify_fails(&env);
    assert!(
        problem(&r, "checkpoint_lost").is_some(),
        "an unreadable file where the keychain expects one: {r}"
    );
    import_one(&env, 900);
    let r = verify_fails(&env);
    assert_eq!(
        r["losses"][0]["why"], "checkpoint_unreadable",
        "the write recorded the loss: {r}"
    );
    assert_eq!(
        r["checkpoint"]["state"], "valid",
        "and then signed the head after the loss entry: {r}"
    );
}

/// SHA-256 over the documented v1 layout (docs/AUDIT.md), written here independently of the
/// app's encoder: what an attacker reading the docs would compute.
fn attacker_hash(prev_hex: &str, fields: &[Option<&str>]) -> String {
    let mut b: Vec<u8> = Vec::new();
    b.extend_from_slice(b"replay-console/audit-entry/v1");
    b.push(0);
    b.extend_from_slice(&hex::decode(prev_hex).expect("hex"));
    for f in fields {
        match f {
            None => b.push(0),
            Some(s) => {
                b.push(1);
                b.extend_from_slice(&(s.len() as u64).to_be_bytes());
                b.extend_from_slice(s.as_bytes());
            }
        }
    }
    hex::encode(Sha256::digest(&b))
}

/// Appends an entry with a correct chain hash by plain SQL, with the given MAC column.
pub(crate) fn forge_append(db: &Path, mac: &str) -> i64 {
    let prev = sqlite(db, "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    let seq = head(db) + 1;
    let seq_text = seq.to_string();
    let (at, action, actor, detail) = (
        "2026-11-21T09:00:00.000Z",
        "discard",
        "Dana Ops",
        r#"{"note":"closed, nothing to replay"}"#,
    );
    let mut fields: Vec<Option<&str>> = vec![
        Some(&seq_text),
        Some(at),
        Some(action),
        Some(actor),
        Some("dana"),
        Some("ops-laptop"),
    ];
    fields.extend([None; 12]);
    fields.push(Some(detail));
    let hash = attacker_hash(&prev, &fields);
    sqlite(
        db,
        &format!(
            "INSERT INTO audit_log (seq, at, action, actor, os_user, host, detail, prev_hash, hash, mac)
             VALUES ({seq}, '{at}', '{action}', '{actor}', 'dana', 'ops-laptop', '{detail}', '{prev}', '{hash}', {mac})"
        ),
    );
    seq
}

#[test]
fn attack_forged_append_with_a_right_hash_is_named_at_its_seq() {
    for mac in [
        "NULL",
        "'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'",
    ] {
        let env = Env::new();
        app_log(&env, 6);
        let forged = forge_append(&env.db, mac);
        let check = env.json(&["audit", "show", &forged.to_string()]);
        assert_eq!(
            check["hash_ok"], true,
            "the forged entry's chain hash is right: {check}"
        );
        let want = if mac == "NULL" { "missing" } else { "invalid" };
        assert_eq!(
            check["mac"], want,
            "but `audit show` says its MAC is not the log's: {check}"
        );
        let genuine = env.json(&["audit", "show", "2"]);
        assert_eq!(
            genuine["mac"], "valid",
            "an entry the console wrote carries the log's MAC: {genuine}"
        );
        import_one(&env, 900);
        let r = verify_fails(&env);
        let p = &r["problems"][0];
        assert_eq!(
            (p["kind"].as_str(), p["seq"].as_i64()),
            (Some("forged"), Some(forged)),
            "the entry inserted with SQL (mac {mac}) is named at its seq: {r}"
        );
    }
}

#[test]
fn attack_roll_back_the_database_and_the_checkpoint_together_is_named() {
    let env = Env::new();
    app_log(&env, 5);
    // A backup of both files, taken as anyone with the folder could.
    let backup = env.dir.path().join("backup.db");
    sqlite(&env.db, &format!(".backup '{}'", backup.display()));
    let cp_backup = std::fs::read(checkpoint_file(&env)).expect("read the checkpoint");
    for i in 0..4 {
        import_one(&env, 200 + i);
    }
    let newest = head(&env.db);
    // Restore both: the old database (no -wal, no -shm) and its old, validly signed checkpoint.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.db.display()));
    }
    std::fs::copy(&backup, &env.db).expect("restore the database");
    std::fs::write(checkpoint_file(&env), &cp_backup).expect("restore the checkpoint");
    let r = verify_fails(&env);
    assert!(
        problem(&r, "rolled_back").is_some_and(|p| p["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("entry {newest}")))),
        "the keychain's head names the rollback before any write: {r}"
    );
    import_one(&env, 900);
    let r = verify_fails(&env);
    let lost = problem(&r, "checkpoint_lost").expect("the rollback is recorded as a lost checkpoint");
    assert!(
        r["losses"][0]["why"] == "checkpoint_older",
        "the loss says the checkpoint was older than the keychain's head: {r} {lost}"
    );
}

#[test]
fn attack_replace_the_whole_log_is_named() {
    let env = Env::new();
    app_log(&env, 4);
    // Another log, made elsewhere (here: by the app at another path), copied over this one with
    // its own valid checkpoint.
    let other = Env::new();
    app_log(&other, 7);
    sqlite(&other.db, "PRAGMA wal_checkpoint(TRUNCATE)");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.db.display()));
    }
    std::fs::copy(&other.db, &env.db).expect("copy the other log over this one");
    std::fs::copy(checkpoint_file(&other), checkpoint_file(&env)).expect("copy its checkpoint too");
    let r = verify_fails(&env);
    assert!(
        problem(&r, "log_replaced").is_some(),
        "the keychain knows which log lived here: {r}"
    );
    import_one(&env, 900);
    let r = verify_fails(&env);
    let lost = problem(&r, "checkpoint_lost").expect("the replacement is recorded in the new log");
    assert!(
        lost["message"].as_str().is_some_and(|m| m.contains("replaced")),
        "it says the log was replaced: {lost}"
    );
}

#[test]
fn attack_reorder_two_entries_is_named() {
    let env = Env::new();
    app_log(&env, 8);
    let cols = "at, action, actor, os_user, host, lane_id, lane_version, event_id, attempt_id, batch_id, integration_user, external_id, record_type, operation_type, reason, ack_token, outcome, detail, prev_hash, hash, mac";
    // Swap the contents of entries 3 and 6 (each row keeps its seq).
    let set = cols
        .split(", ")
        .map(|c| format!("{c} = (SELECT {c} FROM swap WHERE swap.seq = CASE audit_log.seq WHEN 3 THEN 6 ELSE 3 END)"))
        .collect::<Vec<_>>()
        .join(", ");
    tamper(
        &env.db,
        &format!(
            "CREATE TEMP TABLE swap AS SELECT * FROM audit_log WHERE seq IN (3, 6); UPDATE audit_log SET {set} WHERE seq IN (3, 6)"
        ),
    );
    import_one(&env, 900);
    let r = verify_fails(&env);
    let p = &r["problems"][0];
    assert_eq!(
        (p["kind"].as_str(), p["seq"].as_i64()),
        (Some("order"), Some(3)),
        "the moved entry is named: {r}"
    );
}

/// A log as the console wrote it before entries carried MACs and before the keychain held a
/// head record: the reference lane imported by the old path (`store::audit::append`, no MAC,
/// kept for exactly this), its key made at the first checkpoint and that checkpoint signed, as
/// the old writer did; no head record.
fn old_log(env: &Env, n: usize) {
    use replay_console::domain::audit::checkpoint;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = replay_console::App::open(&env.db).await.expect("open");
        let mut tx = replay_console::store::write_tx(&app.pool).await.expect("write lock");
        let mut last = None;
        for i in 0..n {
            let d = replay_console::domain::audit::AuditDraft {
                action: "events_imported".into(),
                actor: "dana".into(),
                detail: serde_json::json!({"db": env.db.display().to_string(), "i": i}),
                ..Default::default()
            };
            last = Some(
                replay_console::store::audit::append(&mut tx, &d, "2026-11-01T10:00:00.000Z", "dana", "laptop")
                    .await
                    .expect("append"),
            );
        }
        tx.commit().await.expect("commit");
        app.close().await;
        let last = last.expect("entries");
        let log_id = sqlite(&env.db, "SELECT hash FROM audit_log WHERE seq = 1");
        let key = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        replay_console::keychain::set(
            &checkpoint::key_account(&log_id),
            replay_console::keychain::Secret::new(checkpoint::encode_key(&key)),
        )
        .await
        .expect("the old writer kept the key in the keychain");
        let cp = checkpoint::sign(&key, &log_id, last.seq, &last.hash, "2026-11-01T10:00:01.000Z");
        std::fs::write(checkpoint_file(env), serde_json::to_vec_pretty(&cp).expect("json")).expect("write");
    });
}

#[test]
fn an_old_log_without_macs_still_verifies_and_says_where_macs_start() {
    let env = Env::new();
    old_log(&env, 3);
    env.import_reference_lane();
    import_one(&env, 900);
    import_one(&env, 901);
    let r = env.json(&["audit", "verify"]);
    assert_eq!(r["ok"], true, "an old log plus new entries verifies: {r}");
    assert_eq!(
        r["macs_from"], 4,
        "MACs start with the first entry written after the change: {r}"
    );
    assert_eq!(r["macs_checked"], 3, "the new entries' MACs are checked: {r}");
    assert!(
        r["not_proven"].as_array().is_some_and(|n| n.iter().any(|s| s
            .as_str()
            .is_some_and(|s| s.contains("entries carry MACs from entry 4")))),
        "the report says from which entry MACs are carried: {r}"
    );
    // And stripping a new entry's MAC is still seen: the keychain now records where MACs start.
    tamper(&env.db, "UPDATE audit_log SET mac = NULL WHERE seq >= 4");
    let r = verify_fails(&env);
    assert_eq!(r["problems"][0]["kind"], "forged", "{r}");
    assert_eq!(r["problems"][0]["seq"], 4, "{r}");
}

#[test]
fn verify_export_extends_shows_that_exported_entries_were_not_removed_since() {
    let env = Env::new();
    app_log(&env, 4);
    let earlier = env.dir.path().join("week1.csv");
    env.ok(&[
        "audit",
        "export",
        "--format",
        "csv",
        "--out",
        &earlier.display().to_string(),
    ]);
    import_one(&env, 300);
    let later = env.dir.path().join("week2.ndjson");
    env.ok(&[
        "audit",
        "export",
        "--format",
        "ndjson",
        "--out",
        &later.display().to_string(),
    ]);
    let c = env.json(&[
        "audit",
        "verify-export",
        &later.display().to_string(),
        "--extends",
        &earlier.display().to_string(),
    ]);
    assert_eq!(
        c["extends"], true,
        "a later export of the same log extends the earlier: {c}"
    );
    assert!(
        c["overlap"].as_u64().is_some_and(|n| n >= 5),
        "every earlier entry is in the later one: {c}"
    );

    // The tail deleted since the earlier export: a new export no longer extends it.
    tamper(&env.db, "DELETE FROM audit_log WHERE seq > 3");
    let cut = env.dir.path().join("week3.csv");
    env.ok(&[
        "audit",
        "export",
        "--format",
        "csv",
        "--out",
        &cut.display().to_string(),
    ]);
    let r = env.run(&[
        "audit",
        "verify-export",
        &cut.display().to_string(),
        "--extends",
        &earlier.display().to_string(),
        "--json",
    ]);
    assert_eq!(r.code, 1, "not an extension exits 1: {}", r.stdout);
    let c: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(c["extends"], false, "{c}");
    assert!(
        c["problems"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["kind"] == "not_extended")),
        "named as not an extension: {c}"
    );
    // And the other way round: the earlier does not extend the later.
    env.fails(
        &[
            "audit",
            "verify-export",
            &earlier.display().to_string(),
            "--extends",
            &later.display().to_string(),
        ],
        1,
    );
}

#[cfg(unix)]
#[test]
fn files_the_app_creates_are_the_users_only_and_exports_never_overwrite_unasked() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    app_log(&env, 1);
    let out = env.dir.path().join("log.csv");
    let out_s = out.display().to_string();
    env.ok(&["audit", "export", "--format", "csv", "--out", &out_s]);
    let manifest = PathBuf::from(format!("{out_s}.manifest.json"));
    for p in [env.db.clone(), checkpoint_file(&env), out.clone(), manifest.clone()] {
        let mode = std::fs::metadata(&p).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} must be readable by the user only", p.display());
    }
    for suffix in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", env.db.display()));
        if let Ok(m) = std::fs::metadata(&p) {
            assert_eq!(
                m.permissions().mode() & 0o077,
                0,
                "{} must not be group/other readable",
                p.display()
            );
        }
    }
    let before = std::fs::read(&out).expect("read");
    let err = env.fails(&["audit", "export", "--format", "csv", "--out", &out_s], 1);
    assert!(err.contains("--force"), "the refusal says how to replace: {err}");
    assert_eq!(
        std::fs::read(&out).expect("read"),
        before,
        "the existing export is untouched"
    );
    import_one(&env, 500);
    env.ok(&["audit", "export", "--format", "csv", "--out", &out_s, "--force"]);
    assert_ne!(std::fs::read(&out).expect("read"), before, "--force replaces it");
    env.ok(&["audit", "verify-export", &out_s]);
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "no temp file is left behind");
}

#[test]
fn without_a_keychain_a_new_log_is_written_without_macs_and_a_macd_log_is_not_continued() {
    let no_keychain = |env: &Env, args: &[&str]| {
        Command::new(BIN)
            .arg("--db")
            .arg(&env.db)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("REPLAY_CONSOLE_DB")
            .output()
            .expect("run")
    };
    // A new log where no keychain answers: the console works as before MACs, and says so.
    let fresh = Env::new();
    let lane = fresh.write("lane.yaml", reference_contract());
    let out = no_keychain(&fresh, &["lanes", "import", &lane]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a new log does not need the keychain: {out:?}"
    );
    let r = fresh.json(&["audit", "verify"]);
    assert_eq!(r["macs_from"], Value::Null, "no entry carries a MAC: {r}");
    assert!(
        r["not_proven"].as_array().is_some_and(|n| n
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.contains("no entry carries a MAC")))),
        "and the report says what that leaves unproven: {r}"
    );

    // A log whose entries carry MACs is not continued without its key: such an entry could not
    // be told from a forged one. Nothing is written.
    let env = Env::new();
    app_log(&env, 1);
    let before = head(&env.db);
    let f = env.write("more.ndjson", ndjson(700..701));
    let out = no_keychain(&env, &["events", "import", &f]);
    assert_eq!(out.status.code(), Some(3), "refused: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not write audit entries it cannot authenticate"),
        "the refusal says why: {out:?}"
    );
    assert_eq!(head(&env.db), before, "nothing was appended");
}
