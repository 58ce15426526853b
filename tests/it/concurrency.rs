//! Two instances on one database at once: CLI processes import, replay and export while an
//! in-process `App` (what the desktop window runs) imports and runs a batch replay. No "database is locked" reaches
//! the user, nothing is lost, and the audit chain verifies.

use crate::common::*;
use crate::replay::{account, base_seed, Org};
use replay_console::services::import::{import_reader, Format};
use replay_console::services::NoProgress;
use serde_json::json;
use std::sync::Arc;

const BEFORE: &str = "2026-11-19T08:00:00.000+0000";
const PER_FILE: usize = 1500;

fn file(lane: &str, tag: &str) -> String {
    let mut s = String::new();
    for i in 0..PER_FILE {
        let mut e = event_json(i);
        e["lane_id"] = json!(lane);
        e["event_key"] = json!(format!("{tag}-{i}"));
        s.push_str(&e.to_string());
        s.push('\n');
    }
    s
}

#[test]
fn cli_and_app_import_replay_and_export_at_once_without_lock_errors_or_lost_updates() {
    let (mut s, u) = base_seed();
    // 5 events for single CLI replays, 10 for the app's batch.
    for i in 0..15 {
        account(
            &mut s,
            &format!("CC-{i}"),
            &format!("Conc Co {i} (old)"),
            &u.rita,
            BEFORE,
            "Gold",
        );
    }
    let o = Org::start("conc", s);
    let refs: Vec<_> = (0..15)
        .map(|i| (Some(format!("CC-{i}")), json!({"Name": format!("Conc Co {i}")})))
        .collect();
    let refs: Vec<_> = refs.iter().map(|(e, p)| (e.as_deref(), p.clone())).collect();
    let all = o.events(&refs);
    let (events, batch_events) = all.split_at(5);
    let tokens: Vec<String> = events.iter().map(|id| o.token(*id)).collect();
    let ids_file = o.env.write(
        "batch.ids",
        batch_events.iter().map(|id| format!("{id}\n")).collect::<String>(),
    );
    let plan = o.env.json(&[
        "replay",
        "batch",
        "--lane",
        &o.lane,
        "--ids",
        &ids_file,
        "--operator",
        "Dana Ops",
    ]);
    let batch_token = plan["ack_token"].as_str().expect("the batch's token").to_string();
    let files: Vec<String> = (0..3)
        .map(|k| {
            o.env
                .write(&format!("cli-{k}.ndjson"), file(&o.lane, &format!("cli{k}")))
        })
        .collect();
    let app_files: Vec<String> = (0..2).map(|k| file(&o.lane, &format!("app{k}"))).collect();
    let before_audit = o.audit_actions().len();

    let (cli_imports, replays, exports, (app_imports, batch)) = std::thread::scope(|sc| {
        let imports = sc.spawn(|| {
            files
                .iter()
                .map(|f| o.env.run(&["events", "import", f]))
                .collect::<Vec<_>>()
        });
        let replays = sc.spawn(|| {
            events
                .iter()
                .zip(&tokens)
                .map(|(id, t)| o.replay(*id, t, &[]))
                .collect::<Vec<_>>()
        });
        let exports = sc.spawn(|| {
            (0..3)
                .map(|k| {
                    let out = o.env.dir.path().join(format!("audit-{k}.ndjson")).display().to_string();
                    let e = o.env.run(&["audit", "export", "--format", "ndjson", "--out", &out]);
                    let v = o.env.run(&["audit", "verify-export", &out]);
                    (e, v)
                })
                .collect::<Vec<_>>()
        });
        let app = sc.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let app = replay_console::App::open(&o.env.db)
                    .await
                    .expect("the app opens beside the CLI");
                let mut out = Vec::new();
                for (k, f) in app_files.iter().enumerate() {
                    let bytes = f.clone().into_bytes();
                    let len = bytes.len() as u64;
                    out.push(
                        import_reader(
                            &app,
                            std::io::Cursor::new(bytes),
                            len,
                            &format!("app-{k}"),
                            Format::Ndjson,
                            Arc::new(NoProgress),
                        )
                        .await
                        .map(|o| o.inserted)
                        .map_err(|e| e.to_string()),
                    );
                }
                // The window's batch replay, beside the CLI's single replays.
                let batch = replay_console::services::batch::execute(
                    &app,
                    replay_console::services::batch::ExecuteRequest {
                        ack_token: batch_token.clone(),
                        operator: "Dana Ops".into(),
                        reason: "INC-4711 from the window".into(),
                        concurrency: 4,
                        max_consecutive_failures: 10,
                        pause_above_percent: 90,
                        acknowledged: None,
                    },
                    Arc::new(NoProgress),
                )
                .await
                .map_err(|e| e.to_string());
                app.close().await;
                (out, batch)
            })
        });
        (
            imports.join().expect("imports"),
            replays.join().expect("replays"),
            exports.join().expect("exports"),
            app.join().expect("app"),
        )
    });

    let mut outputs: Vec<&Run> = cli_imports.iter().chain(&replays).collect();
    for (e, v) in &exports {
        outputs.push(e);
        outputs.push(v);
    }
    for r in &outputs {
        assert!(
            !r.stderr.contains("database is locked") && !r.stdout.contains("database is locked"),
            "a busy database waits, it never reaches the user: {}",
            r.stderr
        );
        assert_eq!(
            r.code, 0,
            "every command succeeds beside the others: {} {}",
            r.stdout, r.stderr
        );
    }
    for r in &app_imports {
        assert_eq!(
            r.as_ref().map_err(String::as_str),
            Ok(&(PER_FILE as u64)),
            "the app's imports succeed beside the CLI"
        );
    }
    let batch = batch.expect("the app's batch runs beside the CLI");
    assert_eq!(batch.status, "done", "{}", batch.message);
    assert_eq!(
        batch.updated.len(),
        10,
        "every batch event is written: {}",
        batch.message
    );
    assert_eq!(
        o.env.event_total(),
        (15 + 5 * PER_FILE) as i64,
        "every import's events are there: no lost update"
    );
    for id in &all {
        assert_eq!(o.status(*id), "replayed", "every replay's outcome is recorded");
    }
    assert_eq!(o.writes(), 15, "each event was written once");
    let actions = o.audit_actions();
    assert_eq!(
        actions.len() - before_audit,
        5 /* imports */ + 5 * 3 /* intent, outcome, post-verify per replay */ + 3 /* exports */
            + 2 + 10 * 3, /* batch started and finished, intent, outcome, post-verify per event */
        "every import and replay step has its audit entry: {actions:?}"
    );
    let verify = o.env.run(&["audit", "verify"]);
    assert_eq!(
        verify.code, 0,
        "the audit chain verifies after concurrent writers: {}",
        verify.stderr
    );
}
