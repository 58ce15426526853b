//! The tamper-evident audit log: verify names what an attacker with the database file did,
//! the signed checkpoint catches what the chain alone cannot, reviewer views, exports and their
//! offline check. Needs the real Secret Service (the checkpoint key lives there): run through
//! `scripts/with-keyring cargo test --test it audit`.

use crate::common::*;
use replay_console::domain::audit::{chain_hash, AuditDraft};
use replay_console::services::{self, Progress};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The batch (1 to 3) of every fourth entry that `fill` appends; none for the others.
fn batch_of(i: usize) -> Option<i64> {
    i.is_multiple_of(4).then_some(i as i64 % 3 + 1)
}

/// Appends `n` varied entries in one transaction (as fast as the store allows), then writes the
/// checkpoint as the services do after a commit. Entry 1 names this database, so no two tests
/// share a log id (and so a keychain key). Chosen times and actors, behind the services' back:
/// on a file only (a team server takes no actor but the writer's login).
fn fill(env: &Env, n: usize) {
    rt().block_on(async {
        let app = replay_console::App::open(&env.db)
            .await
            .expect("open the test database");
        let mut tx = replay_console::store::write_tx(&app.pool).await.expect("write lock");
        let mut key = None;
        for i in 1..=n {
            let lane = if i % 2 == 0 { "lane_a" } else { "lane_b" };
            let d = AuditDraft {
                action: if i % 3 == 0 {
                    "replay_outcome".into()
                } else {
                    "preflight".into()
                },
                actor: if i % 5 == 0 { "erin".into() } else { "dana".into() },
                lane_id: Some(lane.into()),
                lane_version: Some(1),
                event_id: Some(i as i64),
                batch_id: batch_of(i),
                external_id: Some(format!("BA-{i:05}")),
                record_type: Some("Account".into()),
                operation_type: Some("upsert".into()),
                reason: Some(format!("incident 42, entry {i}")),
                outcome: (i % 3 == 0).then(|| if i % 2 == 0 { "replayed".into() } else { "failed".into() }),
                detail: json!({
                    "db": env.db.display().to_string(),
                    "before": {"Name": format!("Old {i}"), "Tier__c": "Gold"},
                    "after": {"Name": format!("New {i}"), "Tier__c": "Gold"},
                }),
                ..Default::default()
            };
            // Spread entries over time so time filters have something to select.
            let at = format!("2026-11-20T{:02}:{:02}:00.000Z", 8 + i / 600, (i / 10) % 60);
            // As `services::audit::record` appends (head, entry, MAC under the log's key), but
            // with a chosen time.
            let head = replay_console::store::audit::append_head(&mut tx).await.expect("head");
            let e =
                replay_console::store::audit::build_entry(&d, &at, "tester", "testhost", head.as_ref()).expect("entry");
            if key.is_none() {
                key = services::audit::mac_key_for_new_log(&e.hash)
                    .await
                    .expect("the MAC key needs the keychain: run through scripts/with-keyring");
            }
            let mac = key.as_ref().and_then(|k| k.mac_hex(&e.hash));
            replay_console::store::audit::insert(&mut tx, &e, mac.as_deref())
                .await
                .expect("append");
        }
        tx.commit().await.expect("commit");
        services::audit::write_checkpoint(&app)
            .await
            .expect("the checkpoint needs the keychain: run through scripts/with-keyring");
        app.close().await;
    });
}

/// A raw connection with the append-only triggers dropped: what an attacker with the file does.
fn attacker(env: &Env) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(&env.db).expect("open the file directly");
    c.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .expect("an attacker with the file can drop triggers");
    c
}

/// A careful attacker puts the triggers back, so only the chain and the checkpoint can tell.
fn restore_triggers(c: &rusqlite::Connection) {
    c.execute_batch(replay_console::store::audit::TRIGGER_SQL)
        .expect("re-create the triggers");
}

/// `audit verify --json`, expecting the given exit code.
fn verify(env: &Env, code: i32) -> Value {
    let r = env.run(&["audit", "verify", "--json"]);
    assert_eq!(
        r.code, code,
        "audit verify exit code; stdout: {} stderr: {}",
        r.stdout, r.stderr
    );
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("verify prints one JSON report ({e}): {}", r.stdout))
}

fn first_problem(report: &Value) -> (&str, i64) {
    let p = &report["problems"][0];
    (p["kind"].as_str().unwrap_or("(none)"), p["seq"].as_i64().unwrap_or(-1))
}

fn checkpoint_path(env: &Env) -> std::path::PathBuf {
    services::audit::checkpoint_path(&env.db)
}

#[test]
fn an_untouched_log_verifies_with_its_range_head_and_checkpoint() {
    let env = Env::file();
    fill(&env, 1000);
    let r = verify(&env, 0);
    assert_eq!(r["ok"], true, "nothing was touched: {r}");
    assert_eq!(
        (r["verified_first"].as_i64(), r["verified_last"].as_i64()),
        (Some(1), Some(1000)),
        "the whole range is verified"
    );
    assert_eq!(
        r["head_hash"], r["verified_hash"],
        "the verified head is the stored head"
    );
    assert_eq!(
        r["checkpoint"]["state"], "valid",
        "the writer's checkpoint is signed by the keychain key: {r}"
    );
    assert_eq!(r["checkpoint"]["seq"], 1000, "the checkpoint names the head");
    assert_eq!(
        r["not_proven"],
        json!([]),
        "with a checkpoint at the head everything is proven: {r}"
    );
    let text = env.ok(&["audit", "verify"]);
    assert!(
        text.contains("entries 1 to 1000 verified"),
        "the text form states the range: {text}"
    );
}

#[test]
fn one_changed_byte_in_entry_500_is_named() {
    let env = Env::file();
    fill(&env, 1000);
    let c = attacker(&env);
    c.execute(
        "UPDATE audit_log SET reason = replace(reason, 'incident 42', 'incident 43') WHERE seq = 500",
        [],
    )
    .expect("tamper");
    restore_triggers(&c);
    let r = verify(&env, 1);
    assert_eq!(
        first_problem(&r),
        ("content_changed", 500),
        "the edited entry is named: {r}"
    );
    assert_eq!(r["verified_last"], 499, "everything before it is still proven");
}

#[test]
fn a_deleted_entry_is_a_gap() {
    let env = Env::file();
    fill(&env, 1000);
    let c = attacker(&env);
    c.execute("DELETE FROM audit_log WHERE seq = 500", []).expect("tamper");
    let r = verify(&env, 1);
    assert_eq!(
        first_problem(&r),
        ("gap", 500),
        "the missing sequence number is named: {r}"
    );
    assert!(
        r["problems"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["kind"] == "triggers_missing")),
        "the dropped triggers are reported too: {r}"
    );
}

#[test]
fn swapped_entries_are_out_of_order() {
    let env = Env::file();
    fill(&env, 1000);
    let c = attacker(&env);
    c.execute_batch(
        "UPDATE audit_log SET seq = -1 WHERE seq = 500;
         UPDATE audit_log SET seq = 500 WHERE seq = 501;
         UPDATE audit_log SET seq = 501 WHERE seq = -1;",
    )
    .expect("tamper");
    restore_triggers(&c);
    let r = verify(&env, 1);
    assert_eq!(
        first_problem(&r),
        ("order", 500),
        "an intact entry in the wrong place is named as order: {r}"
    );
    assert!(
        r["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("belongs at position 501")),
        "the message says where it belongs: {r}"
    );
}

#[test]
fn a_deleted_tail_is_caught_by_the_checkpoint() {
    let env = Env::file();
    fill(&env, 1000);
    let c = attacker(&env);
    c.execute("DELETE FROM audit_log WHERE seq > 990", []).expect("tamper");
    restore_triggers(&c);
    let r = verify(&env, 1);
    assert_eq!(r["verified_last"], 990, "the remaining chain is internally consistent");
    assert_eq!(
        first_problem(&r),
        ("checkpoint_mismatch", 991),
        "only the checkpoint knows entries 991..1000 existed: {r}"
    );
    // And the writer refuses to sign over the evidence.
    let w = env.run(&["audit", "checkpoint"]);
    assert_eq!(
        w.code, 1,
        "the checkpoint is not advanced over a deleted tail: {}",
        w.stdout
    );
    assert!(w.stderr.contains("log ends at 990"), "it says why: {}", w.stderr);
}

/// Edits entry 500 and recomputes every hash from there, so the chain verifies on its own.
fn edit_and_recompute(c: &rusqlite::Connection) -> String {
    c.execute("UPDATE audit_log SET reason = 'nothing happened' WHERE seq = 500", [])
        .expect("tamper");
    let rt = rt();
    let app = rt
        .block_on(replay_console::App::open_unguarded(Path::new(
            &c.path().expect("a file database").to_string(),
        )))
        .expect("open");
    let page = rt
        .block_on(services::audit::list(
            &app,
            &services::audit::AuditQuery {
                after: Some(498),
                limit: Some(1000),
                ..Default::default()
            },
        ))
        .expect("read the log");
    let mut prev = page.entries[0].hash.clone();
    for mut e in page.entries.into_iter().skip(1) {
        e.prev_hash = prev;
        e.hash = chain_hash(&e.prev_hash, &e).expect("hex");
        c.execute(
            "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
            rusqlite::params![e.prev_hash, e.hash, e.seq],
        )
        .expect("rewrite");
        prev = e.hash;
    }
    rt.block_on(app.close());
    prev
}

#[test]
fn a_recomputed_chain_is_caught_by_the_checkpoint_signature() {
    let env = Env::file();
    fill(&env, 1000);
    let c = attacker(&env);
    let new_head = edit_and_recompute(&c);
    restore_triggers(&c);
    let r = verify(&env, 1);
    assert_eq!(
        first_problem(&r),
        ("forged", 500),
        "the recomputed chain is consistent on its own, but the edited entry's MAC was made over its old hash: {r}"
    );
    let problem = |r: &Value, kind: &str| -> Option<String> {
        r["problems"]
            .as_array()?
            .iter()
            .find(|p| p["kind"] == kind)
            .and_then(|p| p["message"].as_str().map(str::to_string))
    };
    assert!(
        problem(&r, "checkpoint_mismatch").is_some_and(|m| m.contains("entry 1000")),
        "and the signed head differs: {r}"
    );

    // The attacker also rewrites the checkpoint's hash; the old signature no longer fits.
    let path = checkpoint_path(&env);
    let mut cp: Value = serde_json::from_slice(&std::fs::read(&path).expect("checkpoint")).expect("json");
    cp["hash"] = json!(new_head);
    std::fs::write(&path, serde_json::to_vec(&cp).expect("json")).expect("write");
    let r = verify(&env, 1);
    assert!(
        problem(&r, "checkpoint_mismatch").is_some_and(|m| m.contains("signature")),
        "a moved checkpoint with the old signature fails, and it is the signature that fails: {r}"
    );

    // Or signs it with a key of their own: valid signature, but not this log's key.
    use ed25519_dalek::SigningKey;
    let own = SigningKey::from_bytes(&[9u8; 32]);
    let forged = replay_console::domain::audit::checkpoint::sign(
        &own,
        cp["log_id"].as_str().expect("log id"),
        1000,
        &new_head,
        "2026-11-21T00:00:00.000Z",
    );
    std::fs::write(&path, serde_json::to_vec(&forged).expect("json")).expect("write");
    let r = verify(&env, 1);
    assert!(
        problem(&r, "checkpoint_mismatch").is_some_and(|m| m.contains("not by this log's key")),
        "a checkpoint signed by another key fails, naming the wrong key: {r}"
    );
    assert!(
        problem(&r, "rolled_back").is_some(),
        "and the keychain's head record still holds the original head's hash: {r}"
    );
}

#[test]
fn an_update_through_the_apps_own_connection_fails() {
    let env = Env::file();
    fill(&env, 3);
    rt().block_on(async {
        let app = replay_console::App::open(&env.db).await.expect("open");
        let upd = sqlx::query("UPDATE audit_log SET reason = 'x' WHERE seq = 2")
            .execute(app.pool.as_sqlite().expect("a SQLite file"))
            .await;
        let err = upd.expect_err("the triggers abort an update even from the app itself");
        assert!(err.to_string().contains("append-only"), "the trigger's message: {err}");
        let del = sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(app.pool.as_sqlite().expect("a SQLite file"))
            .await;
        assert!(del.is_err(), "and a delete");
        app.close().await;
    });
    verify(&env, 0);
}

#[test]
fn missing_triggers_stop_the_console_until_a_verified_restore() {
    let env = Env::file();
    env.import_reference_lane();
    let c = attacker(&env);
    drop(c);
    let err = env.fails(&["lanes", "list"], 1);
    assert!(
        err.contains("triggers are missing"),
        "the console refuses to work on an unprotected log: {err}"
    );
    let r = verify(&env, 1);
    assert_eq!(
        first_problem(&r).0,
        "triggers_missing",
        "verify still runs and says so: {r}"
    );
    env.ok(&["audit", "restore-triggers"]);
    env.ok(&["lanes", "list"]);
    let r = verify(&env, 0);
    assert_eq!(
        r["verified_last"], 2,
        "the restore is itself an audit entry after the lane import"
    );
    let last = env.json(&["audit", "list", "--newest-first", "--limit", "1"]);
    assert_eq!(
        last[0]["action"], "audit_triggers_restored",
        "who restored them is on record"
    );
}

#[test]
fn a_deleted_checkpoint_file_is_reported() {
    let env = Env::file();
    fill(&env, 5);
    std::fs::remove_file(checkpoint_path(&env)).expect("delete the checkpoint");
    let r = verify(&env, 1);
    assert_eq!(
        r["checkpoint"]["state"], "missing",
        "the log's key is in the keychain, so a checkpoint existed: {r}"
    );
}

#[test]
fn without_a_keychain_the_signature_is_not_proven_and_says_so() {
    let env = Env::file();
    fill(&env, 5);
    let run = |extra: &[&str]| {
        std::process::Command::new(BIN)
            .arg("--db")
            .arg(&env.db)
            .args(["audit", "verify", "--json"])
            .args(extra)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("REPLAY_CONSOLE_DB")
            .output()
            .expect("run")
    };
    let out = run(&[]);
    let r: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(out.status.code(), Some(0), "nothing wrong was found: {r}");
    assert_eq!(
        r["checkpoint"]["state"], "unchecked",
        "the signature could not be checked: {r}"
    );
    assert!(
        r["not_proven"]
            .as_array()
            .is_some_and(|n| n.iter().any(|s| s.as_str().is_some_and(|s| s.contains("signature")))),
        "never silently: the report says what it could not prove: {r}"
    );
    let strict = run(&["--require-checkpoint"]);
    assert_eq!(
        strict.status.code(),
        Some(1),
        "--require-checkpoint makes unproven a failure"
    );
}

#[test]
fn list_filters_and_pages_by_keyset() {
    let env = Env::file();
    fill(&env, 120);
    let page = env.json(&["audit", "list", "--lane", "lane_a", "--limit", "25"]);
    let seqs: Vec<i64> = page
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(seqs.len(), 25, "a page holds --limit entries");
    assert!(seqs.iter().all(|s| s % 2 == 0), "only lane_a (even entries) is listed");
    let last = seqs[24].to_string();
    let next = env.json(&["audit", "list", "--lane", "lane_a", "--limit", "25", "--after", &last]);
    assert_eq!(
        next[0]["seq"].as_i64(),
        Some(seqs[24] + 2),
        "the next page continues right after the cursor"
    );
    let erin = env.json(&[
        "audit",
        "list",
        "--operator",
        "erin",
        "--outcome",
        "replayed",
        "--limit",
        "1000",
    ]);
    assert!(
        erin.as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|e| e["actor"] == "erin" && e["outcome"] == "replayed")),
        "filters combine with AND: {erin}"
    );
    let ev = env.json(&[
        "audit",
        "list",
        "--event",
        "7",
        "--external-id",
        "BA-00007",
        "--action",
        "preflight",
    ]);
    assert_eq!(
        ev.as_array().map(Vec::len),
        Some(1),
        "event, external ID and action select one entry"
    );
    let window = env.json(&[
        "audit",
        "list",
        "--since",
        "2026-11-20T08:01:00Z",
        "--until",
        "2026-11-20T08:02:00Z",
        "--limit",
        "1000",
    ]);
    let ws: Vec<i64> = window
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(ws, (10..20).collect::<Vec<_>>(), "since is inclusive, until exclusive");
    let newest = env.json(&["audit", "list", "--newest-first", "--limit", "2"]);
    assert_eq!(newest[0]["seq"], 120, "newest first starts at the head");
    let bad = env.fails(&["audit", "list", "--since", "yesterday"], 1);
    assert!(bad.contains("--since"), "a bad time names the flag: {bad}");
}

#[test]
fn show_gives_before_after_and_the_field_diff() {
    let env = Env::file();
    fill(&env, 3);
    let d = env.json(&["audit", "show", "2"]);
    assert_eq!(d["entry"]["seq"], 2);
    assert_eq!(d["hash_ok"], true, "the entry matches its hash");
    assert_eq!(d["link_ok"], true, "and links to entry 1");
    assert_eq!(d["before"]["Name"], "Old 2");
    let diff = d["diff"].as_array().expect("a diff");
    let name = diff.iter().find(|c| c["field"] == "Name").expect("Name is in the diff");
    assert_eq!(
        (
            name["before"].as_str(),
            name["after"].as_str(),
            name["changed"].as_bool()
        ),
        (Some("Old 2"), Some("New 2"), Some(true))
    );
    let tier = diff.iter().find(|c| c["field"] == "Tier__c").expect("Tier__c too");
    assert_eq!(tier["changed"], false, "unchanged fields are listed as unchanged");
    let text = env.ok(&["audit", "show", "2"]);
    assert!(
        text.contains("before / after") && text.contains("New 2"),
        "the text form shows the diff: {text}"
    );
    env.fails(&["audit", "show", "99"], 1);
}

fn export(env: &Env, format: &str, name: &str, extra: &[&str]) -> (std::path::PathBuf, Value) {
    let out = env.dir.path().join(name);
    let mut args = vec![
        "audit",
        "export",
        "--format",
        format,
        "--out",
        out.to_str().expect("utf8 path"),
    ];
    args.extend_from_slice(extra);
    let o = env.json(&args);
    (out, o)
}

#[test]
fn exports_verify_offline_and_an_edited_byte_is_named() {
    let env = Env::file();
    fill(&env, 200);
    for format in ["csv", "ndjson"] {
        let (out, o) = export(&env, format, &format!("log.{format}"), &[]);
        let m = &o["manifest"];
        // Each export is itself recorded, so the second export holds the first one's entry.
        assert_eq!(m["first_seq"], 1, "{format}: the whole log from its first entry");
        assert_eq!(
            m["count"].as_i64(),
            m["last_seq"].as_i64(),
            "{format}: every entry up to the last"
        );
        assert_eq!(m["last_seq"], m["head_seq"], "{format}: up to the head when exported");
        assert_eq!(m["complete"], true);
        assert_eq!(
            m["checkpoint"]["seq"], m["head_seq"],
            "{format}: the signed head checkpoint travels with the export"
        );
        let bytes = std::fs::read(&out).expect("the export exists");
        assert_eq!(
            m["sha256"].as_str(),
            Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)).as_str()),
            "{format}: the manifest hashes the file"
        );
        // Offline: no --db, and a database that does not exist is never created.
        let nodb = env.dir.path().join("never.db");
        let r = std::process::Command::new(BIN)
            .args([
                "--db",
                nodb.to_str().expect("utf8"),
                "audit",
                "verify-export",
                out.to_str().expect("utf8"),
                "--json",
            ])
            .output()
            .expect("run");
        let c: Value = serde_json::from_slice(&r.stdout).expect("a JSON report");
        assert_eq!(r.status.code(), Some(0), "{format}: an untouched export verifies: {c}");
        assert!(!nodb.exists(), "verify-export opens no database");

        // One edited byte: in the reason of entry 100 ("entry 100" -> "entry 900").
        let text = String::from_utf8(bytes).expect("utf8");
        let edited = text.replacen("incident 42, entry 100", "incident 42, entry 900", 1);
        assert_ne!(text, edited, "the edit applies");
        std::fs::write(&out, edited).expect("edit");
        let r = env.run(&["audit", "verify-export", out.to_str().expect("utf8"), "--json"]);
        assert_eq!(r.code, 1, "{format}: an edited export fails: {}", r.stdout);
        let c: Value = serde_json::from_str(&r.stdout).expect("json");
        let kinds: Vec<(&str, i64)> = c["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| (p["kind"].as_str().unwrap_or(""), p["seq"].as_i64().unwrap_or(-1)))
            .collect();
        assert!(
            kinds.contains(&("content_changed", 100)),
            "{format}: the edited entry is named: {c}"
        );
        assert!(
            kinds.iter().any(|k| k.0 == "file_changed"),
            "{format}: and the file hash: {c}"
        );
    }
}

#[test]
fn a_batchs_entries_are_listed_exported_and_served_by_an_index() {
    let env = Env::file();
    fill(&env, 200);
    let expected: Vec<i64> = (1..=200usize)
        .filter(|i| batch_of(*i) == Some(2))
        .map(|i| i as i64)
        .collect();
    let listed = env.json(&["audit", "list", "--batch", "2", "--limit", "1000"]);
    let seqs: Vec<i64> = listed
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    assert_eq!(
        seqs, expected,
        "--batch lists exactly the batch's entries, in log order"
    );
    assert!(
        listed.as_array().is_some_and(|a| a.iter().all(|e| e["batch_id"] == 2)),
        "each listed entry names its batch: {listed}"
    );

    let (csv, o) = export(&env, "csv", "batch2.csv", &["--batch", "2"]);
    assert_eq!(
        o["manifest"]["count"],
        expected.len(),
        "the export holds the batch's entries"
    );
    assert_eq!(
        o["manifest"]["filters"]["batch_id"], 2,
        "the manifest records the batch filter"
    );
    let text = std::fs::read_to_string(&csv).expect("the CSV export");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "batch_id")
        .expect("the CSV has a batch_id column");
    assert!(
        lines.all(|l| l.split(',').nth(col) == Some("2")),
        "every row carries the batch id (no text cell before it holds a comma here)"
    );
    let c = env.json(&["audit", "verify-export", csv.to_str().expect("utf8")]);
    assert_eq!(c["ok"], true, "a batch's CSV export verifies offline: {c}");
    let (nd, _) = export(&env, "ndjson", "batch2.ndjson", &["--batch", "2"]);
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&nd)
            .expect("the NDJSON export")
            .lines()
            .next()
            .expect("a line"),
    )
    .expect("JSON");
    assert_eq!(first["batch_id"], 2, "NDJSON lines carry the batch id: {first}");
    let c = env.json(&["audit", "verify-export", nd.to_str().expect("utf8")]);
    assert_eq!(c["ok"], true, "a batch's NDJSON export verifies offline: {c}");

    // The screen's query: the batch index serves it in both orders, without sorting the log.
    rusqlite::Connection::open(&env.db)
        .and_then(|c| c.execute_batch("ANALYZE"))
        .expect("fresh statistics, as a used database has");
    let reader = replay_console::store::audit::LogReader::open(&replay_console::store::Source::File(env.db.clone()))
        .expect("reader");
    let filter = replay_console::domain::audit::AuditFilter {
        batch_id: Some(2),
        ..Default::default()
    };
    for newest_first in [true, false] {
        let plan = reader
            .snapshot(|s| s.explain_page(&filter, newest_first))
            .map_err(|e: replay_console::store::StoreError| e.to_string())
            .expect("explain")
            .join(" | ");
        assert!(
            plan.contains("audit_log_batch") && !plan.contains("TEMP B-TREE"),
            "a batch's entries come from its index in log order (newest first: {newest_first}): {plan}"
        );
    }
}

#[test]
fn filtered_and_incident_window_exports_say_what_they_prove() {
    let env = Env::file();
    fill(&env, 200);
    let (out, o) = export(&env, "ndjson", "lane_a.ndjson", &["--lane", "lane_a"]);
    assert_eq!(o["manifest"]["count"], 100, "half the entries are lane_a");
    assert_eq!(
        o["manifest"]["complete"], false,
        "a filtered export is not the complete chain"
    );
    let c = env.json(&["audit", "verify-export", out.to_str().expect("utf8")]);
    assert_eq!(c["ok"], true, "a filtered export verifies: {c}");
    assert!(
        c["not_proven"]
            .as_array()
            .is_some_and(|n| n.iter().any(|s| s.as_str().is_some_and(|s| s.contains("filtered")))),
        "and says links across filtered-out entries are not proven: {c}"
    );
    let (out, o) = export(
        &env,
        "csv",
        "incident.csv",
        &["--incident-window", "2026-11-20T08:01:00Z..2026-11-20T08:03:00Z"],
    );
    assert_eq!(
        (o["manifest"]["first_seq"].as_i64(), o["manifest"]["last_seq"].as_i64()),
        (Some(10), Some(29)),
        "the window selects its entries"
    );
    assert_eq!(
        o["manifest"]["filters"]["since"], "2026-11-20T08:01:00.000Z",
        "the window is recorded as filters"
    );
    let c = env.json(&["audit", "verify-export", out.to_str().expect("utf8")]);
    assert_eq!(c["ok"], true, "consecutive entries in a window link to each other: {c}");
    assert_eq!(c["links_checked"], 19, "19 links between 20 consecutive entries");
    let clash = env.fails(
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--out",
            "x.csv",
            "--since",
            "2026-11-20",
            "--incident-window",
            "2026-11-20..2026-11-21",
        ],
        1,
    );
    assert!(
        clash.contains("--incident-window"),
        "a window and --since do not combine: {clash}"
    );
}

#[test]
fn csv_export_neutralises_formulas_end_to_end() {
    let env = Env::new();
    rt().block_on(async {
        let app = replay_console::App::open(&env.db).await.expect("open");
        let mut tx = replay_console::store::write_tx(&app.pool).await.expect("lock");
        for reason in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "a \"q\", b\nc",
            "Zoë",
        ] {
            let d = AuditDraft {
                action: "discard".into(),
                actor: reason.into(),
                reason: Some(reason.into()),
                detail: json!({"db": env.db.display().to_string()}),
                ..Default::default()
            };
            services::audit::record(&mut tx, &d).await.expect("append");
        }
        tx.commit().await.expect("commit");
        services::audit::checkpoint(&app).await;
        app.close().await;
    });
    let (out, _) = export(&env, "csv", "n.csv", &[]);
    let mut r = csv::Reader::from_path(&out).expect("a real CSV parser reads it");
    let reasons: Vec<String> = r.records().map(|rec| rec.expect("row")[15].to_string()).collect();
    assert_eq!(
        reasons,
        [
            "'=HYPERLINK(\"http://x\",\"y\")",
            "'+1",
            "'-1",
            "'@SUM(A1)",
            "'\tx",
            "'\rx",
            "a \"q\", b\nc",
            "Zoë"
        ],
        "formula starters are neutralised; quotes, commas, newlines and non-ASCII survive"
    );
    let c = env.json(&["audit", "verify-export", out.to_str().expect("utf8")]);
    assert_eq!(
        c["ok"], true,
        "neutralised cells still verify against their hashes: {c}"
    );
}

struct CancelNow;
impl Progress for CancelNow {
    fn report(&self, _: u64, _: u64) {}
    fn cancelled(&self) -> bool {
        true
    }
}

#[test]
fn a_cancelled_export_leaves_no_file_under_the_name() {
    let env = Env::file();
    fill(&env, 50);
    let out = env.dir.path().join("cancelled.csv");
    let r = rt().block_on(async {
        let app = replay_console::App::open(&env.db).await.expect("open");
        let r = services::audit::export::export(
            &app,
            &services::audit::export::AuditExportRequest {
                format: services::audit::export::AuditExportFormat::Csv,
                out: out.display().to_string(),
                filter: Default::default(),
                incident_window: None,
                force: false,
            },
            Arc::new(CancelNow),
        )
        .await;
        app.close().await;
        r
    });
    assert!(
        matches!(r, Err(replay_console::Error::Cancelled(_))),
        "the export reports the cancel"
    );
    let left: Vec<String> = std::fs::read_dir(env.dir.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains("cancelled"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "no file, no manifest, no temp file is left");
}
