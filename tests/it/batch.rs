//! Batch replay (issue 8) against the simulated org: the real CLI binary, real SQLite files, the
//! real keychain, over HTTP on loopback.

use crate::common::BIN;
use crate::replay::{account, base_seed, Org, KEY_PEM};
use replay_console::sandbox::{Applies, Fault, FaultKind};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "3MVG9EXAMPLECONSUMERKEY";
/// Before the events occurred: a record last modified then is not "modified after the event".
const BEFORE: &str = "2026-11-19T08:00:00.000+0000";

fn plan(o: &Org) -> Value {
    o.env
        .json(&["replay", "batch", "--lane", &o.lane, "--operator", "Dana Ops"])
}

fn execute(o: &Org, token: &str) -> crate::common::Run {
    execute_with(o, token, &[]).0
}

/// Every audit entry, paged.
fn audit_entries(o: &Org) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let mut args = vec!["audit".to_string(), "list".into(), "--limit".into(), "1000".into()];
        if let Some(a) = after {
            args.push("--after".into());
            args.push(a.to_string());
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let page = o.env.json(&a);
        let page = page.as_array().cloned().unwrap_or_default();
        if page.is_empty() {
            return out;
        }
        after = page.last().and_then(|e| e["seq"].as_i64());
        out.extend(page);
    }
}

/// Writes per record id in the org's write log, from index `from` on.
fn writes_per_record(o: &Org, from: usize) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for w in o.org.writes().into_iter().skip(from) {
        *m.entry(w.record_id).or_insert(0) += 1;
    }
    m
}

fn ids(v: &Value) -> BTreeSet<i64> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_i64().or_else(|| x["event_id"].as_i64()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn batch_of_500_skips_blocked_and_changed_retries_faults_and_writes_every_other_event_once() {
    let (mut s, u) = base_seed();
    let mut events: Vec<(Option<String>, Value)> = Vec::new();
    let mut record_of: Vec<Option<String>> = Vec::new();
    // 10 without an external id, 10 whose external id matches two records: 20 blocked.
    for i in 0..10 {
        events.push((None, json!({"Name": format!("NoExt {i}")})));
        record_of.push(None);
    }
    for i in 0..10 {
        let ext = format!("DUP{i}");
        account(&mut s, &ext, &format!("Dup {i} a"), &u.rita, BEFORE, "Gold");
        account(&mut s, &ext, &format!("Dup {i} b"), &u.rita, BEFORE, "Gold");
        events.push((Some(ext), json!({"Name": format!("Dup {i} new")})));
        record_of.push(None);
    }
    // 10 creates (no record yet), 470 updates.
    for i in 0..10 {
        events.push((Some(format!("NEW{i}")), json!({"Name": format!("Brand New {i}")})));
        record_of.push(None);
    }
    for i in 0..470 {
        let ext = format!("B{i}");
        let id = account(&mut s, &ext, &format!("Acct {i} (old)"), &u.rita, BEFORE, "Gold");
        events.push((Some(ext), json!({"Name": format!("Acct {i}"), "BillingCity": "Berlin"})));
        record_of.push(Some(id));
    }
    let o = Org::start("b500", s);
    let refs: Vec<(Option<&str>, Value)> = events.iter().map(|(e, p)| (e.as_deref(), p.clone())).collect();
    let event_ids = o.events(&refs);
    assert_eq!(event_ids.len(), 500, "all 500 events are imported");

    let t0 = Instant::now();
    let p = plan(&o);
    let agg = &p["aggregate"];
    assert_eq!(agg["total"], 500, "the batch covers the lane's failed events: {agg}");
    assert_eq!(agg["blocked"], 20, "no external id and duplicates are blocked: {agg}");
    assert_eq!(agg["blocked_by"]["external_id_missing"], 10, "{agg}");
    assert_eq!(agg["blocked_by"]["duplicate_conflict_detected"], 10, "{agg}");
    assert_eq!(agg["would_update"], 470, "found records are updated: {agg}");
    assert_eq!(agg["would_create"], 10, "not-found records are created: {agg}");
    let token = p["ack_token"]
        .as_str()
        .expect("the batch preflight prints its token")
        .to_string();
    let batch_id = p["batch_id"].as_i64().expect("batch id");
    assert!(
        p["api_calls"].as_u64().unwrap_or(u64::MAX) <= 20,
        "the batch preflight reads in IN-list batches, not per event: {}",
        p["api_calls"]
    );

    // 10 records change after the batch preflight, through the org's own API.
    let client = replay_console::salesforce::SalesforceClient::new(
        replay_console::salesforce::build_http_client(&Default::default()).expect("http"),
        replay_console::salesforce::ConnectionSettings {
            login_url: o.org.base_url().into(),
            api_version: "66.0".into(),
            client_id: CLIENT_ID.into(),
            username: "sf_account_sync_app@acme.example".into(),
            audience: "https://login.salesforce.com".into(),
            allowed_host: None,
        },
        replay_console::salesforce::Credential::JwtBearer {
            private_key_pem: replay_console::salesforce::SecretString::new(KEY_PEM),
        },
    )
    .expect("client");
    let changed: Vec<i64> = (30..40).map(|k| event_ids[k * 10]).collect();
    for k in 30..40 {
        let rec = record_of[k * 10].clone().expect("an update event");
        let fields = json!({"BillingCity": "Chicago"});
        o.rt.block_on(client.update_by_id("Account", &rec, fields.as_object().expect("obj"), &Default::default()))
            .expect("a concurrent edit");
    }
    let log_start = o.org.writes().len();
    let usage_before = o.org.api_usage().0;
    // 5 transient faults (row locks, the request limit) and one answer lost after the write.
    o.org
        .inject(Fault::new(FaultKind::UnableToLockRow, 3).on(Applies::Writes));
    o.org
        .inject(Fault::new(FaultKind::RequestLimitExceeded, 2).on(Applies::Writes));
    o.org.inject(Fault {
        kind: FaultKind::DropAfterWrite,
        count: 1,
        latency_ms: 0,
        applies_to: Some(Applies::Writes),
    });

    let r = execute(&o, &token);
    assert_eq!(r.code, 5, "one unknown outcome: exit 5: {} {}", r.stdout, r.stderr);
    let sum: Value = serde_json::from_str(&r.stdout).expect("one JSON summary");
    assert_eq!(sum["status"], "done", "{sum}");
    assert_eq!(
        ids(&sum["blocked"]).len(),
        20,
        "blocked events are skipped and listed: {sum}"
    );
    assert_eq!(
        ids(&sum["changed_since_preflight"]),
        changed.iter().copied().collect(),
        "records changed since the batch preflight are skipped (412) and listed"
    );
    let unknown = ids(&sum["unknown_outcome"]);
    assert_eq!(unknown.len(), 1, "the dropped answer is an unknown outcome: {sum}");
    assert_eq!(sum["retries"], 5, "each transient fault was retried once: {sum}");
    assert!(
        sum["rejected"].as_array().is_some_and(|a| a.is_empty()),
        "no fault exhausted its retries: {sum}"
    );
    let written: BTreeSet<i64> = ids(&sum["updated"]).union(&ids(&sum["created"])).copied().collect();
    assert_eq!(written.len(), 469, "480 writable - 10 changed - 1 unknown: {sum}");
    assert!(
        sum["post_verify_mismatches"].as_array().is_some_and(|a| a.is_empty()),
        "{sum}"
    );

    // The write log: every written or dropped event exactly once; blocked and changed never.
    let per_record = writes_per_record(&o, log_start);
    assert!(
        per_record.values().all(|n| *n == 1),
        "no record is written twice: {per_record:?}"
    );
    assert_eq!(per_record.len(), 470, "469 written + the dropped one, each once");
    for k in 30..40 {
        let rec = record_of[k * 10].as_deref().expect("record");
        assert!(
            !per_record.contains_key(rec),
            "a record changed since the preflight is not overwritten"
        );
    }
    let calls = o.org.api_usage().0 - usage_before;
    assert!(
        (calls as f64) / 470.0 <= 1.1,
        "API calls per replayed event stay at most 1.1 ({calls} calls for 470 writes)"
    );

    // Every event has its audit entry linked to the batch.
    let entries = audit_entries(&o);
    let linked: BTreeSet<i64> = entries
        .iter()
        .filter(|e| e["batch_id"].as_i64() == Some(batch_id))
        .filter_map(|e| e["event_id"].as_i64())
        .collect();
    assert_eq!(
        linked,
        event_ids.iter().copied().collect(),
        "every event of the batch has audit entries carrying the batch id"
    );
    for action in ["batch_planned", "batch_started", "batch_finished"] {
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == action && e["batch_id"].as_i64() == Some(batch_id)),
            "the batch's own {action} entry is in the log"
        );
    }
    let unknown_id = *unknown.iter().next().expect("one");
    assert_eq!(o.status(unknown_id), "unknown_outcome", "the dropped one awaits verify");

    // A group's entries are chained and MAC'd together: the log verifies whole, and each written
    // event's entries come in the protocol's order (intent, outcome, post-verify).
    let v = o.env.run(&["audit", "verify", "--json"]);
    assert_eq!(v.code, 0, "the batch's log verifies: {} {}", v.stdout, v.stderr);
    let report: Value = serde_json::from_str(&v.stdout).expect("one JSON report");
    assert_eq!(report["ok"], true, "{report}");
    let seqs: Vec<i64> = entries.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "entries are numbered without a gap"
    );
    for event_id in &written {
        let steps: Vec<&str> = entries
            .iter()
            .filter(|e| e["event_id"].as_i64() == Some(*event_id) && e["batch_id"].as_i64() == Some(batch_id))
            .filter_map(|e| e["action"].as_str())
            .filter(|a| *a != "preflight")
            .collect();
        assert_eq!(
            steps,
            ["replay_intent", "replay_outcome", "post_verify"],
            "event {event_id}: its entries in the protocol's order"
        );
    }

    // The same token again resumes: nothing is left, nothing is written twice.
    let before = o.org.writes().len();
    let again = execute(&o, &token);
    assert_eq!(
        again.code, 3,
        "a finished batch is refused: {} {}",
        again.stdout, again.stderr
    );
    assert_eq!(o.org.writes().len(), before, "a re-run writes nothing");
    let shown = o.env.json(&["replay", "batch", "show", &batch_id.to_string()]);
    assert_eq!(
        shown["events"].as_array().map(Vec::len),
        Some(500),
        "per-event detail is kept"
    );
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
}

/// Starts `replay batch --ack TOKEN --json` (concurrency 2) as its own process and returns once
/// the org has logged `writes` writes since `log_start` (or after 20 s): mid-batch.
fn spawn_batch_once_writing(o: &Org, token: &str, log_start: usize, writes: usize) -> std::process::Child {
    let child = Command::new(BIN)
        .args(["--db", &o.env.db.display().to_string(), "replay", "batch", "--json"])
        .args([
            "--operator",
            "Dana Ops",
            "--reason",
            "INC-4711",
            "--ack",
            token,
            "--concurrency",
            "2",
        ])
        .env_remove("REPLAY_CONSOLE_DB")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while o.org.writes().len() - log_start < writes && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn killed_mid_batch_resumes_without_a_second_write() {
    let (mut s, u) = base_seed();
    let mut events = Vec::new();
    // 200 events: 8 Composite calls of 25, two at a time, so the kill lands between calls.
    for i in 0..200 {
        let ext = format!("K{i}");
        account(&mut s, &ext, &format!("Kill {i} (old)"), &u.rita, BEFORE, "Gold");
        events.push((ext, json!({"Name": format!("Kill {i}")})));
    }
    let o = Org::start("bkill", s);
    let refs: Vec<(Option<&str>, Value)> = events.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    let event_ids = o.events(&refs);
    let p = plan(&o);
    let token = p["ack_token"].as_str().expect("token").to_string();
    let log_start = o.org.writes().len();
    // Slow enough to kill the process while writes are committed and in flight.
    o.org.set_latency(Duration::from_millis(150));
    let mut child = spawn_batch_once_writing(&o, &token, log_start, 8);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let at_kill = o.org.writes().len() - log_start;
    assert!((8..200).contains(&at_kill), "killed mid-batch ({at_kill} writes)");
    // Let the org finish any write the dead process had sent.
    std::thread::sleep(Duration::from_millis(400));
    o.org.set_latency(Duration::ZERO);
    // The next start finds the batch's process gone: the batch says so, and the log too.
    let batch_id = p["batch_id"].as_i64().expect("batch id");
    let shown = o.env.json(&["replay", "batch", "show", &batch_id.to_string()]);
    assert_eq!(
        shown["status"], "interrupted",
        "a killed batch is not left `running`: {shown}"
    );
    assert!(
        audit_entries(&o)
            .iter()
            .any(|e| e["action"] == "batch_interrupted" && e["batch_id"].as_i64() == Some(batch_id)),
        "the interruption is audited"
    );

    let r = execute(&o, &token);
    assert!(
        r.code == 0 || r.code == 5,
        "the resumed batch finishes: {} {}",
        r.stdout,
        r.stderr
    );
    let sum: Value = serde_json::from_str(&r.stdout).expect("summary");
    assert!(
        !ids(&sum["already_attempted"]).is_empty(),
        "events attempted before the kill are skipped on resume: {sum}"
    );
    let per_record = writes_per_record(&o, log_start);
    assert!(
        per_record.values().all(|n| *n == 1),
        "no record is written twice across the kill and the resume: {per_record:?}"
    );
    for id in &event_ids {
        let st = o.status(*id);
        assert!(
            st == "replayed" || st == "unknown_outcome",
            "every event is written or, if its intent died in flight, awaits verify (event {id}: {st})"
        );
    }
    let unverified = o.env.scalar(
        "SELECT count(*) FROM attempts WHERE batch_id IS NOT NULL AND outcome = 'applied' AND post_verify IS NULL",
    );
    assert_eq!(
        unverified, 0,
        "the resume reads back what the killed process wrote but never verified"
    );
    let replayed = event_ids.iter().filter(|i| o.status(**i) == "replayed").count();
    assert!(
        replayed >= 150,
        "at most the 2 in-flight calls' 50 writes are unknown ({replayed} replayed)"
    );

    // The window's history counts what every run did, the killed one included.
    let (page, detail) = o.rt.block_on(async {
        let app = replay_console::App::open(&o.env.db).await.expect("open");
        let page = replay_console::services::batch::list(&app, None, None)
            .await
            .expect("list");
        let id = page.batches.first().map(|b| b.batch_id).expect("the batch is listed");
        let detail = replay_console::services::batch::show(&app, id).await.expect("show");
        app.close().await;
        (page, detail)
    });
    assert_eq!(page.batches.len(), 1, "one batch, newest first");
    assert_eq!(page.next_before, None, "no older page");
    let b = &page.batches[0];
    assert_eq!(b.status, "done", "the resumed batch ended: {b:?}");
    assert_eq!(b.aggregate.total, 200, "the list carries the aggregate: {b:?}");
    assert_eq!(
        b.attempts.get("applied").copied().unwrap_or(0),
        replayed as u64,
        "applied attempts of both runs are counted, not only the last run's: {b:?}"
    );
    assert!(
        !detail.expires_at.is_empty() && detail.expires_at > detail.created_at,
        "the detail says until when the batch may run: {} .. {}",
        detail.created_at,
        detail.expires_at
    );
    assert!(
        detail
            .events
            .iter()
            .all(|e| e.side_effects.iter().any(|c| c == "update_fields")),
        "each event's side effects are in the detail, for the window's acknowledgment"
    );
}

/// `n` accounts B0.. with update events, and the org and its batch preflight's token.
fn updates(
    tag: &str,
    n: usize,
    payload: impl Fn(usize) -> Value,
    edit: impl FnOnce(&mut replay_console::sandbox::Seed),
) -> (Org, Vec<i64>, String, i64) {
    let (mut s, u) = base_seed();
    let mut events = Vec::new();
    for i in 0..n {
        let ext = format!("S{i}");
        account(&mut s, &ext, &format!("Streak {i} (old)"), &u.rita, BEFORE, "Gold");
        events.push((ext, payload(i)));
    }
    edit(&mut s);
    let o = Org::start(tag, s);
    let refs: Vec<(Option<&str>, Value)> = events.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    let event_ids = o.events(&refs);
    let p = plan(&o);
    let token = p["ack_token"].as_str().expect("token").to_string();
    let batch_id = p["batch_id"].as_i64().expect("batch id");
    (o, event_ids, token, batch_id)
}

fn execute_with(o: &Org, token: &str, extra: &[&str]) -> (crate::common::Run, Value) {
    let mut args = vec![
        "replay",
        "batch",
        "--operator",
        "Dana Ops",
        "--reason",
        "INC-4711 lock storm",
        "--ack",
        token,
        "--json",
    ];
    args.extend_from_slice(extra);
    let r = o.env.run(&args);
    let sum = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    (r, sum)
}

fn finished_entry(o: &Org, batch_id: i64) -> Value {
    audit_entries(o)
        .into_iter()
        .rev()
        .find(|e| e["action"] == "batch_finished" && e["batch_id"].as_i64() == Some(batch_id))
        .expect("the batch's batch_finished entry")
}

#[test]
fn consecutive_rejections_stop_the_batch_and_the_rest_is_not_started() {
    // Events 3.. set a value a validation rule rejects: a permanent failure, not retried.
    // Updates go 25 to a Composite call, so a stop takes effect between calls: the first call
    // carries events 0..25, the streak passes 5 in it, and the next call is not made.
    let (o, event_ids, token, batch_id) = updates(
        "bstreak",
        80,
        |i| json!({"Name": format!("Streak {i}"), "BillingCity": if i >= 3 { "Nowhere" } else { "Berlin" }}),
        |s| {
            s.validation_rules.push(replay_console::sandbox::ValidationRule {
                object: "Account".into(),
                field: "BillingCity".into(),
                reject_values: vec![json!("Nowhere")],
                message: "Nowhere is not a billing city".into(),
            })
        },
    );
    let log_start = o.org.writes().len();
    let (r, sum) = execute_with(&o, &token, &["--concurrency", "1", "--max-consecutive-failures", "5"]);
    assert_eq!(r.code, 4, "rejections exit 4: {} {}", r.stdout, r.stderr);
    assert_eq!(sum["status"], "stopped", "{sum}");
    assert!(
        sum["message"]
            .as_str()
            .is_some_and(|m| m.contains("5 consecutive failures") && m.contains("FIELD_CUSTOM_VALIDATION_EXCEPTION")),
        "the summary says why it stopped: {sum}"
    );
    assert_eq!(
        ids(&sum["updated"]).len(),
        3,
        "the three before the streak are written: {sum}"
    );
    assert_eq!(
        ids(&sum["rejected"]).len(),
        22,
        "the streak's call settles whole: its 22 rejections are listed: {sum}"
    );
    assert_eq!(sum["retries"], 0, "a validation rule is not retried: {sum}");
    let not_started = ids(&sum["not_started"]);
    assert_eq!(not_started.len(), 55, "the rest is not started: {sum}");
    assert_eq!(
        o.org.writes().len() - log_start,
        3,
        "only the accepted writes reach the log"
    );
    for id in &not_started {
        assert_eq!(o.status(*id), "failed", "a not-started event keeps its state");
    }
    let fin = finished_entry(&o, batch_id);
    assert_eq!(fin["outcome"], "stopped", "the audit log records the stop: {fin}");
    // Once the cause is fixed (here: the rule stays, so the rejections repeat), the same token
    // resumes with what was not started; the rejected 22 are not sent again.
    let before = o.org.writes().len();
    let (r2, sum2) = execute_with(&o, &token, &["--concurrency", "1", "--max-consecutive-failures", "0"]);
    assert_eq!(r2.code, 4, "{} {}", r2.stdout, r2.stderr);
    assert_eq!(
        sum2["status"], "done",
        "with no streak limit the batch runs to its end: {sum2}"
    );
    assert_eq!(
        ids(&sum2["already_attempted"]).len(),
        25,
        "3 written + 22 rejected are skipped on resume: {sum2}"
    );
    assert_eq!(ids(&sum2["rejected"]).len(), 55, "{sum2}");
    assert_eq!(o.org.writes().len(), before, "nothing the rule rejects is written");
    assert_eq!(event_ids.len(), 80);
}

#[test]
fn api_usage_above_the_threshold_pauses_and_the_same_token_resumes() {
    // 60 events: the first Composite call (25 writes) is the one whose answer shows the usage.
    let (o, event_ids, token, batch_id) = updates(
        "bpause",
        60,
        |i| json!({"Name": format!("Paused {i}")}),
        |s| {
            s.org.api_limit = 1000;
        },
    );
    // 95% of the daily allowance is used up: the batch must not spend the rest.
    o.org.set_api_usage(950);
    let log_start = o.org.writes().len();
    let (r, sum) = execute_with(&o, &token, &["--concurrency", "1", "--pause-above-percent", "90"]);
    assert_eq!(r.code, 3, "a paused batch exits 3: {} {}", r.stdout, r.stderr);
    assert_eq!(sum["status"], "paused", "{sum}");
    assert!(
        sum["message"]
            .as_str()
            .is_some_and(|m| m.contains("API usage") && m.contains("/1000")),
        "the summary names the usage: {sum}"
    );
    let written = o.org.writes().len() - log_start;
    assert!(
        written <= 25,
        "at most the call that showed the usage goes out ({written})"
    );
    assert!(
        ids(&sum["not_started"]).len() >= 35,
        "the rest waits for the allowance: {sum}"
    );
    assert_eq!(finished_entry(&o, batch_id)["outcome"], "paused");
    // The allowance frees up; the same command resumes and writes each event once.
    o.org.set_api_usage(10);
    let (r2, sum2) = execute_with(&o, &token, &["--concurrency", "2", "--pause-above-percent", "90"]);
    assert_eq!(r2.code, 0, "{} {}", r2.stdout, r2.stderr);
    assert_eq!(sum2["status"], "done", "{sum2}");
    let per_record = writes_per_record(&o, log_start);
    assert_eq!(per_record.len(), 60, "every event is written: {per_record:?}");
    assert!(per_record.values().all(|n| *n == 1), "and once: {per_record:?}");
    for id in &event_ids {
        assert_eq!(o.status(*id), "replayed");
    }
}

#[test]
fn ctrl_c_cancels_lets_in_flight_writes_settle_and_the_same_token_resumes() {
    // 200 events: 8 Composite calls of 25, two at a time, so the cancel lands between calls.
    let (o, event_ids, token, batch_id) = updates("bcancel", 200, |i| json!({"Name": format!("Cancel {i}")}), |_| {});
    let log_start = o.org.writes().len();
    o.org.set_latency(Duration::from_millis(150));
    let child = spawn_batch_once_writing(&o, &token, log_start, 6);
    // SIGINT, as Ctrl-C in a terminal sends it.
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill(1)");
    assert!(sent.success(), "SIGINT sent");
    let out = child.wait_with_output().expect("the CLI ends after a cancel");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a cancelled batch exits 3: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sum: Value = serde_json::from_str(&stdout).expect("the summary");
    assert_eq!(sum["status"], "cancelled", "{sum}");
    let written = ids(&sum["updated"]);
    assert!(
        sum["unknown_outcome"].as_array().is_some_and(Vec::is_empty),
        "in-flight writes settled with their answers, none is left unknown: {sum}"
    );
    assert_eq!(
        written.len(),
        o.org.writes().len() - log_start,
        "every write the org took is recorded as written"
    );
    assert!(
        !ids(&sum["not_started"]).is_empty(),
        "the cancel stopped new writes: {sum}"
    );
    o.org.set_latency(Duration::ZERO);
    let in_flight = o
        .env
        .scalar("SELECT count(*) FROM attempts WHERE outcome = 'in_flight'");
    assert_eq!(in_flight, 0, "nothing is left in flight after a cancel");
    assert_eq!(finished_entry(&o, batch_id)["outcome"], "cancelled");

    let (r2, sum2) = execute_with(&o, &token, &[]);
    assert_eq!(r2.code, 0, "{} {}", r2.stdout, r2.stderr);
    assert_eq!(
        ids(&sum2["already_attempted"]),
        written,
        "the resume skips what was written: {sum2}"
    );
    let per_record = writes_per_record(&o, log_start);
    assert_eq!(per_record.len(), 200);
    assert!(
        per_record.values().all(|n| *n == 1),
        "no record is written twice: {per_record:?}"
    );
    for id in &event_ids {
        assert_eq!(o.status(*id), "replayed");
    }
}

#[test]
fn a_selection_given_with_the_token_must_be_the_batchs_own() {
    let (o, event_ids, token, batch_id) = updates("bsel", 3, |i| json!({"Name": format!("Sel {i}")}), |_| {});
    let before = o.org.writes().len();
    // Another reason code than the batch preflight's: refused, audited, nothing sent.
    let (r, _) = execute_with(&o, &token, &["--lane", &o.lane, "--reason-code", "SERVER_UNAVAILABLE"]);
    assert_eq!(
        r.code, 3,
        "a token with another selection is refused: {} {}",
        r.stdout, r.stderr
    );
    assert!(
        r.stdout.contains("selection_mismatch") || r.stderr.contains("selection given differs"),
        "the refusal says why: {} {}",
        r.stdout,
        r.stderr
    );
    assert_eq!(o.org.writes().len(), before, "nothing was sent");
    assert!(
        audit_entries(&o)
            .iter()
            .any(|e| e["action"] == "batch_refused" && e["batch_id"].as_i64() == Some(batch_id)),
        "the refusal is audited against the batch"
    );
    // DESIGN's form, `replay batch [selection] ... --ack TOKEN`, with the batch's own selection.
    let (r, sum) = execute_with(&o, &token, &["--lane", &o.lane]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    assert_eq!(ids(&sum["updated"]).len(), event_ids.len(), "{sum}");
}

#[test]
fn the_batch_preflight_finds_what_single_preflights_find_in_far_fewer_calls() {
    let (mut s, u) = base_seed();
    account(&mut s, "CLEAN", "Clean Co (old)", &u.rita, BEFORE, "Gold");
    account(&mut s, "DUP", "Dup One", &u.rita, BEFORE, "Gold");
    account(&mut s, "DUP", "Dup Two", &u.rita, BEFORE, "Gold");
    account(&mut s, "TIER", "Tier Co", &u.rita, BEFORE, "Gold");
    account(
        &mut s,
        "INACTIVE",
        "Inactive Co (old)",
        &u.omar_inactive,
        BEFORE,
        "Gold",
    );
    account(
        &mut s,
        "FALLBACK",
        "Fallback Co (old)",
        &u.fallback_queue,
        BEFORE,
        "Gold",
    );
    account(
        &mut s,
        "NEWER",
        "Newer Co (old)",
        &u.rita,
        "2026-11-21T09:00:00.000+0000",
        "Gold",
    );
    // No external ID, but names creates would duplicate (one in another letter case).
    for name in ["Twin Co", "Other Twin", r"O'Brien \ Sons (Ltd) OR 1=1"] {
        s.record(
            "Account",
            json!({"Name": name, "OwnerId": u.rita, "LastModifiedDate": BEFORE}),
        );
    }
    let o = Org::start("bparity", s);
    let mut events: Vec<(Option<String>, Value)> = vec![
        (Some("CLEAN".into()), json!({"Name": "Clean Co"})),
        (Some("DUP".into()), json!({"Name": "Dup"})),
        (Some("TIER".into()), json!({"Name": "Tier Co", "Tier__c": "Silver"})),
        (Some("INACTIVE".into()), json!({"Name": "Inactive Co"})),
        (Some("FALLBACK".into()), json!({"Name": "Fallback Co"})),
        (Some("NEWER".into()), json!({"Name": "Newer Co"})),
        (Some("TWIN".into()), json!({"Name": "Twin Co"})),
        (Some("TWIN2".into()), json!({"Name": "OTHER TWIN"})),
        // Quotes, a backslash and SOQL words in a key value: escaped, not injected.
        (Some("TWIN3".into()), json!({"Name": r"O'Brien \ Sons (Ltd) OR 1=1"})),
        (None, json!({"Name": "No Key Co"})),
    ];
    // 30 creates with keys of their own: one OR-ed search for all, not 30.
    for i in 0..30 {
        events.push((Some(format!("ABSENT{i}")), json!({"Name": format!("Brand New Co {i}")})));
    }
    let refs: Vec<(Option<&str>, Value)> = events.iter().map(|(e, p)| (e.as_deref(), p.clone())).collect();
    let ids = o.events(&refs);
    let p = plan(&o);
    assert!(
        p["api_calls"].as_u64().is_some_and(|n| n <= 5),
        "records, owners and all business keys in a handful of queries: {}",
        p["api_calls"]
    );
    let codes = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let mut differ = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let batch_event = p["events"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["event_id"].as_i64() == Some(*id)))
            .expect("every event is in the plan");
        let in_batch: BTreeSet<String> = codes(&batch_event["blocking"])
            .union(&codes(&batch_event["warnings"]))
            .cloned()
            .collect();
        let single = o.preflight(*id);
        let alone: BTreeSet<String> = single["preflight"]["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["code"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let kind = single["preflight"]["request"]["kind"].clone();
        if in_batch != alone || batch_event["kind"] != kind {
            differ.push(format!(
                "event {k}: batch {in_batch:?} {}, single {alone:?} {kind}",
                batch_event["kind"]
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "the batch preflight must find what a single one finds:\n{}",
        differ.join("\n")
    );
    let twin = |k: usize| {
        p["events"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["event_id"].as_i64() == Some(ids[k])))
            .map(|e| codes(&e["blocking"]))
            .unwrap_or_default()
    };
    assert!(
        twin(6).contains("duplicate_conflict_detected"),
        "Twin Co would be duplicated"
    );
    assert!(
        twin(7).contains("duplicate_conflict_detected"),
        "OTHER TWIN matches Other Twin, as SOQL compares text"
    );
}

#[test]
fn a_selection_over_the_batch_limit_is_refused_before_any_call() {
    let (s, _) = base_seed();
    let o = Org::start("bcap", s);
    let n = replay_console::services::batch::MAX_BATCH_EVENTS + 1;
    let mut file = String::with_capacity(n * 300);
    for i in 0..n {
        let e = json!({"lane_id": o.lane, "event_key": format!("cap-{i}"), "source_system": "billing",
            "object": "Account", "external_id": format!("CAP-{i}"), "operation": "upsert",
            "payload": {"Name": format!("Cap {i}")}, "status": "failed",
            "failure": {"code": "UNABLE_TO_LOCK_ROW", "message": "lock", "http_status": 400},
            "occurred_at": "2026-11-20T10:00:00Z"});
        file.push_str(&e.to_string());
        file.push('\n');
    }
    let path = o.env.write("cap.ndjson", file);
    assert_eq!(o.env.run(&["events", "import", &path]).code, 0, "the events import");
    let usage = o.org.api_usage().0;
    let r = o
        .env
        .run(&["replay", "batch", "--lane", &o.lane, "--operator", "Dana Ops", "--json"]);
    assert_eq!(r.code, 1, "refused as invalid input: {} {}", r.stdout, r.stderr);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains(&format!("holds {n} events")) && said.contains("--reason-code"),
        "the refusal says how big the selection is and how to narrow it: {said}"
    );
    assert_eq!(o.org.api_usage().0, usage, "no call was made");
    let listed = o.env.json(&["audit", "list", "--action", "batch_planned"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "no batch was recorded");
}

#[test]
fn the_window_must_tick_every_kind_of_side_effect_the_batch_lists() {
    use replay_console::services::batch::{self as b, BatchRunRequest};
    use replay_console::services::NoProgress;
    let (o, event_ids, token, batch_id) = updates("backs", 4, |i| json!({"Name": format!("Ack {i}")}), |_| {});
    let p = plan(&o);
    let kinds: BTreeSet<String> = p["events"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["side_effects"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    assert!(kinds.len() >= 2, "updates list several kinds: {kinds:?}");
    // `plan` ran a second batch preflight; run the first batch, whose token the test holds.
    let request = |acknowledged: Vec<String>| BatchRunRequest {
        ack_token: token.clone(),
        operator: "Dana Ops".into(),
        reason: "INC-4711 from the window".into(),
        concurrency: None,
        max_consecutive_failures: None,
        pause_above_percent: None,
        acknowledged: Some(acknowledged),
    };
    let before = o.org.writes().len();
    let missing_one: Vec<String> = kinds.iter().skip(1).cloned().collect();
    let (refused, done) = o.rt.block_on(async {
        let app = replay_console::App::open(&o.env.db).await.expect("open");
        let refused = b::execute(
            &app,
            request(missing_one).into_request().expect("valid"),
            std::sync::Arc::new(NoProgress),
        )
        .await;
        let done = b::execute(
            &app,
            request(kinds.iter().cloned().collect()).into_request().expect("valid"),
            std::sync::Arc::new(NoProgress),
        )
        .await;
        app.close().await;
        (refused, done)
    });
    let e = refused.expect_err("a kind left out is refused");
    let first = kinds.iter().next().expect("a kind");
    assert!(
        e.to_string().contains("side_effects_unacknowledged") && e.to_string().contains(first.as_str()),
        "the refusal names the kind left out: {e}"
    );
    let entries = audit_entries(&o);
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "batch_refused" && e["batch_id"].as_i64() == Some(batch_id)),
        "the refusal is audited"
    );
    let summary = done.expect("every kind ticked: the batch runs");
    assert_eq!(summary.updated.len(), event_ids.len(), "{}", summary.message);
    assert_eq!(
        o.org.writes().len() - before,
        event_ids.len(),
        "written once each, after the refusal wrote nothing"
    );
    let started = entries_after(&o, "batch_started", batch_id);
    assert_eq!(
        started["detail"]["side_effects_acknowledged"],
        json!(kinds.iter().collect::<Vec<_>>()),
        "the audit log keeps what was ticked"
    );
}

fn entries_after(o: &Org, action: &str, batch_id: i64) -> Value {
    let e = audit_entries(o)
        .into_iter()
        .rev()
        .find(|e| e["action"] == action && e["batch_id"].as_i64() == Some(batch_id))
        .expect("the entry");
    o.env.json(&["audit", "show", &e["seq"].to_string()])
}

/// Updates go 25 to a Composite call: one record changed since the batch preflight is a 412
/// inside the call, listed, and the other 24 of the same call are written. A thousand-event
/// batch spends a call per 25 writes.
#[test]
fn one_412_among_25_in_one_call_leaves_the_other_24_written_and_it_listed() {
    let (o, event_ids, token, _) = updates("b412", 25, |i| json!({"Name": format!("Group {i}")}), |_| {});
    // Someone edits event 7's record after the batch preflight.
    let accounts = o.org.records("Account");
    let rec = accounts
        .iter()
        .find(|a| a["external_id__c"] == "S7" || a["billing_account_id__c"] == "S7")
        .and_then(|a| a["Id"].as_str())
        .expect("S7's record")
        .to_string();
    let client = replay_console::salesforce::SalesforceClient::new(
        reqwest::Client::new(),
        replay_console::salesforce::ConnectionSettings {
            login_url: o.org.base_url().to_string(),
            api_version: "66.0".into(),
            client_id: CLIENT_ID.into(),
            username: "sf_account_sync_app@acme.example".into(),
            audience: "https://login.salesforce.com".into(),
            allowed_host: None,
        },
        replay_console::salesforce::Credential::JwtBearer {
            private_key_pem: replay_console::salesforce::SecretString::new(KEY_PEM),
        },
    )
    .expect("client");
    let fields = json!({"BillingCity": "Chicago"});
    o.rt.block_on(client.update_by_id("Account", &rec, fields.as_object().expect("obj"), &Default::default()))
        .expect("a concurrent edit");
    let usage_before = o.org.api_usage().0;
    let log_start = o.org.writes().len();
    let (r, sum) = execute_with(&o, &token, &["--concurrency", "4"]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    assert_eq!(
        ids(&sum["changed_since_preflight"]),
        BTreeSet::from([event_ids[7]]),
        "{sum}"
    );
    assert_eq!(ids(&sum["updated"]).len(), 24, "{sum}");
    let per_record = writes_per_record(&o, log_start);
    assert_eq!(per_record.len(), 24, "the 24 others are written, once each");
    assert!(!per_record.contains_key(&rec), "the changed record is not overwritten");
    assert_eq!(
        o.status(event_ids[7]),
        "failed",
        "its event keeps its state, for a fresh preflight"
    );
    // One call for the 25 writes, one for the post-verify read.
    let calls = o.org.api_usage().0 - usage_before;
    assert!(calls <= 2, "{calls} calls for 25 writes and their read-back");
    let entries = audit_entries(&o);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "replay_outcome" && e["event_id"].as_i64() == Some(event_ids[7]))
            .map(|e| e["outcome"].clone())
            .collect::<Vec<_>>(),
        vec![json!("precondition_failed")],
        "the 412 settles its own event, audited as a single replay's would be"
    );
}

/// A Composite call whose answer is lost after its 25 writes applied: all 25 are unknown
/// outcomes, none is sent again, and the batched verify settles each as applied.
#[test]
fn a_dropped_answer_after_25_writes_leaves_25_unknown_settled_as_applied_by_verify() {
    let (o, event_ids, token, batch_id) = updates("bdrop", 25, |i| json!({"Name": format!("Dropped {i}")}), |_| {});
    let log_start = o.org.writes().len();
    o.org
        .inject(Fault::new(FaultKind::DropAfterWrite, 1).on(Applies::Composite));
    let (r, sum) = execute_with(&o, &token, &["--concurrency", "1"]);
    assert_eq!(r.code, 5, "unknown outcomes exit 5: {} {}", r.stdout, r.stderr);
    assert_eq!(
        ids(&sum["unknown_outcome"]),
        event_ids.iter().copied().collect(),
        "every event of the call is unknown: {sum}"
    );
    assert_eq!(sum["retries"], 0, "a call without an answer is never sent again: {sum}");
    let per_record = writes_per_record(&o, log_start);
    assert_eq!(per_record.len(), 25);
    assert!(per_record.values().all(|n| *n == 1));
    // The batched verify reads the 25 records in one query and settles each.
    let usage_before = o.org.api_usage().0;
    let v = o.env.json(&["verify", "--batch", &batch_id.to_string()]);
    let settled = v.as_array().cloned().unwrap_or_default();
    assert_eq!(settled.len(), 25, "{v}");
    assert!(settled.iter().all(|s| s["settlement"] == "applied"), "{v}");
    assert_eq!(o.org.api_usage().0 - usage_before, 1, "one query read the 25 records");
    for id in &event_ids {
        assert_eq!(o.status(*id), "replayed", "verify settled event {id} as applied");
    }
    let again = o.env.run(&["verify", "--batch", &batch_id.to_string()]);
    assert!(again.stdout.contains("no unknown outcome"), "{}", again.stdout);
    assert_eq!(writes_per_record(&o, log_start).len(), 25, "verify writes nothing");
    assert!(
        writes_per_record(&o, log_start).values().all(|n| *n == 1),
        "none written twice"
    );
}
