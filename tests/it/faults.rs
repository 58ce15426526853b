//! Fault matrix: every fault the simulated org can inject, at the replay step and at the
//! preflight, through the real CLI. For each: the event's state afterwards, what the operator
//! reads, the exit code, the audit entry, and how many writes reached the org.

use crate::replay::{account, base_seed, Org, KEY_PEM};
use replay_console::sandbox::{Applies, Fault, FaultKind};
use serde_json::{json, Value};
use std::time::Duration;

const BEFORE: &str = "2026-11-19T08:00:00.000+0000";
const CLIENT_ID: &str = "3MVG9EXAMPLECONSUMERKEY";

fn fault(kind: FaultKind, count: u32, applies_to: Applies) -> Fault {
    Fault {
        kind,
        count,
        latency_ms: 0,
        applies_to: Some(applies_to),
    }
}

/// Someone else edits the record between preflight and replay, through the org's own API.
fn edit_behind_our_back(o: &Org, record_id: &str) {
    use replay_console::salesforce as sf;
    let client = sf::SalesforceClient::new(
        sf::build_http_client(&Default::default()).expect("http"),
        sf::ConnectionSettings {
            login_url: o.org.base_url().into(),
            api_version: "66.0".into(),
            client_id: CLIENT_ID.into(),
            username: "sf_account_sync_app@acme.example".into(),
            audience: "https://login.salesforce.com".into(),
            allowed_host: None,
        },
        sf::Credential::JwtBearer {
            private_key_pem: sf::SecretString::new(KEY_PEM),
        },
    )
    .expect("client");
    let fields = json!({"BillingCity": "Chicago"});
    o.rt.block_on(client.update_by_id(
        "Account",
        record_id,
        fields.as_object().expect("obj"),
        &Default::default(),
    ))
    .expect("a concurrent edit");
}

enum Setup {
    Inject(Vec<Fault>),
    Edit,
}

struct ReplayCase {
    name: &'static str,
    setup: Setup,
    exit: i32,
    status: &'static str,
    /// What the operator reads (stdout or stderr).
    says: &'static str,
    /// The last audit entry of the event.
    audit: &'static str,
    writes: usize,
}

fn last_audit(o: &Org, event: i64) -> Value {
    let list = o.env.json(&["audit", "list", "--limit", "1000"]);
    list.as_array()
        .expect("an audit listing is an array")
        .iter()
        .filter(|e| e["event_id"].as_i64() == Some(event))
        .max_by_key(|e| e["seq"].as_i64())
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn every_fault_at_the_replay_step_leaves_a_known_state_a_message_and_an_audit_entry() {
    use FaultKind::*;
    let cases = vec![
        ReplayCase {
            name: "401 session expired once: refreshed once, then written",
            setup: Setup::Inject(vec![fault(InvalidSession, 1, Applies::Writes)]),
            exit: 0,
            status: "replayed",
            says: "post-verify",
            audit: "post_verify",
            writes: 1,
        },
        ReplayCase {
            name: "401 twice: one refresh only, then rejected, nothing written",
            setup: Setup::Inject(vec![fault(InvalidSession, 2, Applies::Writes)]),
            exit: 4,
            status: "failed",
            says: "INVALID_SESSION_ID",
            audit: "replay_outcome",
            writes: 0,
        },
        ReplayCase {
            name: "503 server unavailable",
            setup: Setup::Inject(vec![fault(ServerUnavailable, 1, Applies::Writes)]),
            exit: 4,
            status: "failed",
            says: "SERVER_UNAVAILABLE",
            audit: "replay_outcome",
            writes: 0,
        },
        ReplayCase {
            name: "403 request limit exceeded",
            setup: Setup::Inject(vec![fault(RequestLimitExceeded, 1, Applies::Writes)]),
            exit: 4,
            status: "failed",
            says: "REQUEST_LIMIT_EXCEEDED",
            audit: "replay_outcome",
            writes: 0,
        },
        ReplayCase {
            name: "400 unable to lock row",
            setup: Setup::Inject(vec![fault(UnableToLockRow, 1, Applies::Writes)]),
            exit: 4,
            status: "failed",
            says: "UNABLE_TO_LOCK_ROW",
            audit: "replay_outcome",
            writes: 0,
        },
        ReplayCase {
            name: "412 record changed since preflight",
            setup: Setup::Edit,
            exit: 4,
            status: "failed",
            says: "Run the preflight again",
            audit: "replay_outcome",
            writes: 0,
        },
        ReplayCase {
            name: "connection dropped before the write",
            setup: Setup::Inject(vec![fault(DropBeforeWrite, 1, Applies::Writes)]),
            exit: 5,
            status: "unknown_outcome",
            says: "verify",
            audit: "replay_outcome",
            writes: 0,
        },
        ReplayCase {
            name: "connection dropped after the write",
            setup: Setup::Inject(vec![fault(DropAfterWrite, 1, Applies::Writes)]),
            exit: 5,
            status: "unknown_outcome",
            says: "verify",
            audit: "replay_outcome",
            writes: 1,
        },
        ReplayCase {
            name: "token endpoint unavailable: refused before the intent",
            setup: Setup::Inject(vec![fault(ServerUnavailable, 1, Applies::Token)]),
            exit: 1,
            status: "failed",
            says: "SERVER_UNAVAILABLE",
            audit: "preflight",
            writes: 0,
        },
    ];

    let (mut s, u) = base_seed();
    let mut ids = Vec::new();
    for i in 0..cases.len() {
        ids.push(account(
            &mut s,
            &format!("F-{i}"),
            &format!("Fault Co {i} (old)"),
            &u.rita,
            BEFORE,
            "Gold",
        ));
    }
    let o = Org::start("faults", s);
    let payloads: Vec<_> = (0..cases.len())
        .map(|i| (format!("F-{i}"), json!({"Name": format!("Fault Co {i}")})))
        .collect();
    let refs: Vec<_> = payloads.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    let events = o.events(&refs);

    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let ev = events[i];
        let token = o.token(ev);
        match &c.setup {
            Setup::Inject(faults) => faults.iter().cloned().for_each(|f| o.org.inject(f)),
            Setup::Edit => edit_behind_our_back(&o, &ids[i]),
        }
        // Counted after the set-up: the concurrent edit is a write of someone else's.
        let before = o.writes();
        let r = o.replay(ev, &token, &[]);
        o.org.clear_faults();
        let status = o.status(ev);
        let audit = last_audit(&o, ev);
        let writes = o.writes() - before;
        let said = format!("{}{}", r.stdout, r.stderr);
        let got = (
            r.code,
            status.as_str(),
            said.contains(c.says),
            audit["action"].as_str().unwrap_or(""),
            writes,
        );
        let want = (c.exit, c.status, true, c.audit, c.writes);
        if got != want {
            failures.push(format!(
                "{}: got (exit, status, says `{}`, audit, writes) = {got:?}, want {want:?}\n  output: {said}",
                c.name, c.says
            ));
        }
        if status == "unknown_outcome" {
            // The operator's next step: verify settles it, by what the org holds.
            let v = o.env.json(&["verify", &ev.to_string()]);
            let applied = v["settlement"] == "applied";
            if applied != (writes == 1) {
                failures.push(format!(
                    "{}: verify says {v} but the org holds {writes} write(s)",
                    c.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "each fault must end in its documented state, message, exit code and audit entry:\n{}",
        failures.join("\n")
    );
    let verify = o.env.run(&["audit", "verify"]);
    assert_eq!(
        verify.code, 0,
        "the audit chain verifies after every fault: {}",
        verify.stderr
    );
}

#[test]
fn a_duplicate_rule_on_create_is_a_rejection_that_names_the_rule() {
    let (mut s, u) = base_seed();
    s.record(
        "Account",
        json!({"Name": "Existing Springfield Co", "BillingCity": "Springfield", "OwnerId": u.rita, "LastModifiedDate": BEFORE}),
    );
    s.duplicate_rule("Account", "Same city rule", &["BillingCity"]);
    let o = Org::start("duprule", s);
    let ev = o.events(&[(
        Some("NEW-1"),
        json!({"Name": "Brand New Co", "BillingCity": "Springfield"}),
    )])[0];
    let p = o.preflight(ev);
    assert_eq!(
        p["preflight"]["request"]["kind"], "create",
        "nothing matches NEW-1: a create"
    );
    let token = p["preflight"]["ack_token"].as_str().unwrap_or("").to_string();
    let r = o.replay(ev, &token, &[]);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 4, "the org refused the create: {said}");
    assert!(
        said.contains("DUPLICATES_DETECTED"),
        "the operator sees Salesforce's code: {said}"
    );
    assert_eq!(o.status(ev), "failed", "a rejected create stays replayable");
    assert_eq!(o.writes(), 0, "the duplicate rule blocked the write");
    assert_eq!(
        last_audit(&o, ev)["action"],
        "replay_outcome",
        "the rejection is audited"
    );
}

#[test]
fn faults_at_the_preflight_are_reported_and_leave_nothing_to_replay_with() {
    use FaultKind::*;
    let cases: Vec<(&str, Fault, i32, &str)> = vec![
        (
            "401 once on a read: refreshed",
            fault(InvalidSession, 1, Applies::Reads),
            0,
            "",
        ),
        (
            "503 on a read",
            fault(ServerUnavailable, 1, Applies::Reads),
            1,
            "SERVER_UNAVAILABLE",
        ),
        (
            "403 limit on a read",
            fault(RequestLimitExceeded, 1, Applies::Reads),
            1,
            "request limit exceeded",
        ),
        ("dropped read", fault(DropBeforeWrite, 1, Applies::Reads), 1, ""),
        (
            "token endpoint 503",
            fault(ServerUnavailable, 1, Applies::Token),
            1,
            "SERVER_UNAVAILABLE",
        ),
    ];
    let (mut s, u) = base_seed();
    for i in 0..cases.len() {
        account(
            &mut s,
            &format!("P-{i}"),
            &format!("Pre Co {i}"),
            &u.rita,
            BEFORE,
            "Gold",
        );
    }
    let o = Org::start("prefaults", s);
    let payloads: Vec<_> = (0..cases.len())
        .map(|i| (format!("P-{i}"), json!({"Name": format!("Pre Co {i} new")})))
        .collect();
    let refs: Vec<_> = payloads.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    let events = o.events(&refs);
    let mut failures = Vec::new();
    for (i, (name, f, exit, says)) in cases.iter().enumerate() {
        o.org.inject(f.clone());
        let r = o.env.run(&["preflight", &events[i].to_string(), "--json"]);
        o.org.clear_faults();
        let said = format!("{}{}", r.stdout, r.stderr);
        if r.code != *exit || !said.contains(says) {
            failures.push(format!(
                "{name}: exit {} (want {exit}), output lacks `{says}`?: {said}",
                r.code
            ));
        }
        if *exit != 0 {
            let token = "000000000000";
            let replay = o.replay(events[i], token, &[]);
            if replay.code != 3 {
                failures.push(format!(
                    "{name}: a replay without a preflight must be refused: {}",
                    replay.stderr
                ));
            }
        }
        if o.status(events[i]) != "failed" {
            failures.push(format!("{name}: the event stays failed"));
        }
    }
    assert!(
        failures.is_empty(),
        "each preflight fault is reported:\n{}",
        failures.join("\n")
    );
    assert_eq!(o.writes(), 0, "a preflight never writes, faults or not");
}

#[test]
fn latency_beyond_the_clients_timeout_is_unknown_outcome_then_settled_by_verify() {
    use replay_console::domain::preflight::ReplayRequest;
    use replay_console::services;
    let (mut s, u) = base_seed();
    account(&mut s, "SLOW", "Slow Co (old)", &u.rita, BEFORE, "Gold");
    let o = Org::start("timeout", s);
    let ev = o.events(&[(Some("SLOW"), json!({"Name": "Slow Co"}))])[0];
    let result = o.rt.block_on(async {
        let mut app = replay_console::App::open(&o.env.db).await.expect("open");
        // The same client as the app's, with a timeout short enough for a test.
        app.http = replay_console::salesforce::build_http_client(&replay_console::salesforce::HttpSettings {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_millis(700),
        })
        .expect("http");
        let p = services::preflight::run(&app, ev, None).await.expect("preflight");
        o.org.inject(Fault {
            kind: FaultKind::Latency,
            count: 1,
            latency_ms: 1500,
            applies_to: Some(Applies::Writes),
        });
        let r = services::replay::replay(
            &app,
            ev,
            ReplayRequest {
                operator: "Dana Ops".into(),
                reason: "INC-4711 slow org".into(),
                ack_token: p.preflight.ack_token.clone(),
                ..Default::default()
            },
        )
        .await;
        app.close().await;
        r
    });
    let r = result.expect("a timeout is an outcome, not an error");
    assert_eq!(
        r.outcome.as_str(),
        "unknown_outcome",
        "a write whose answer did not come in time may have been applied: {}",
        r.message
    );
    assert_eq!(o.status(ev), "unknown_outcome");
    // The org finishes the delayed write after the client gave up.
    std::thread::sleep(Duration::from_millis(1200));
    let writes = o.writes();
    let v = o.env.json(&["verify", &ev.to_string()]);
    assert_eq!(
        v["settlement"] == "applied",
        writes == 1,
        "verify decides by what the org holds ({writes} write(s)): {v}"
    );
    assert!(writes <= 1, "never retried by itself");
}

/// Creates an Account straight through the org's REST API (as another integration would), with
/// a client-credentials token the test gets itself.
fn create_elsewhere(o: &Org, fields: Value) -> String {
    o.rt.block_on(async {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!("{}/services/oauth2/token", o.org.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "OTHER_INTEGRATION"),
                ("client_secret", "other-secret"),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token JSON");
        let access = token["access_token"].as_str().expect("an access token").to_string();
        let created: Value = http
            .post(format!("{}/services/data/v66.0/sobjects/Account", o.org.base_url()))
            .bearer_auth(access)
            .json(&fields)
            .send()
            .await
            .expect("create request")
            .json()
            .await
            .expect("create JSON");
        created["id"].as_str().expect("the new record's id").to_string()
    })
}

#[test]
fn a_300_at_the_re_read_before_a_create_writes_nothing_and_names_the_records() {
    let (mut s, _) = base_seed();
    s.client_credentials("OTHER_INTEGRATION", "other-secret", "sf_account_sync_app@acme.example");
    let o = Org::start("multi300", s);
    let ev = o.events(&[(Some("TWIN-1"), json!({"Name": "Twin Co"}))])[0];
    let p = o.preflight(ev);
    assert_eq!(
        p["preflight"]["request"]["kind"], "create",
        "nothing has TWIN-1 yet: {p}"
    );
    let token = p["preflight"]["ack_token"].as_str().unwrap_or("").to_string();
    // After the preflight, two other writers each create a record with that external ID.
    let a = create_elsewhere(&o, json!({"Name": "Twin A", "billing_account_id__c": "TWIN-1"}));
    let b = create_elsewhere(&o, json!({"Name": "Twin B", "billing_account_id__c": "TWIN-1"}));
    let before = o.writes();
    let r = o.replay(ev, &token, &[]);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.code, 3,
        "the re-read before the create finds both (300): refused, exit 3: {said}"
    );
    assert_eq!(o.writes(), before, "a 300 writes nothing");
    assert!(
        said.contains(&a[..15]) && said.contains(&b[..15]),
        "the operator sees which records share the external ID ({a}, {b}): {said}"
    );
    assert_eq!(
        o.status(ev),
        "failed",
        "the event stays replayable after a new preflight"
    );
    assert_eq!(
        last_audit(&o, ev)["outcome"],
        "record_appeared",
        "the 300 is audited as records that appeared since the preflight"
    );
    // The next preflight sees the duplicates and blocks.
    let again = o.preflight(ev);
    let codes: Vec<&str> = again["preflight"]["findings"]
        .as_array()
        .map(|f| f.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"duplicate_conflict_detected"), "{again}");
}

#[test]
fn faults_at_verify_and_at_the_post_verify_read_leave_the_outcome_and_say_why() {
    use FaultKind::*;
    let (mut s, u) = base_seed();
    for i in 0..5 {
        account(
            &mut s,
            &format!("V-{i}"),
            &format!("Verify Co {i} (old)"),
            &u.rita,
            BEFORE,
            "Gold",
        );
    }
    let o = Org::start("vfaults", s);
    let payloads: Vec<_> = (0..5)
        .map(|i| (format!("V-{i}"), json!({"Name": format!("Verify Co {i}")})))
        .collect();
    let refs: Vec<_> = payloads.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    let events = o.events(&refs);

    // Post-verify: the write is answered, the read-back fails. The outcome stands (applied);
    // the post-verify says it could not read.
    let token = o.token(events[0]);
    // The write itself (a PATCH) is not a read; the first read after it is the post-verify.
    o.org.inject(fault(ServerUnavailable, 1, Applies::Reads));
    let r = o.replay(events[0], &token, &["--json"]);
    o.org.clear_faults();
    let said = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(
        o.status(events[0]),
        "replayed",
        "a failed read-back does not undo a write: {said}"
    );
    assert_eq!(o.writes(), 1);
    let pv = last_audit(&o, events[0]);
    assert_eq!(pv["action"], "post_verify", "{pv}");
    assert_eq!(
        pv["outcome"], "mismatch",
        "an unread record is not called verified: {pv}"
    );
    assert!(
        said.contains("SERVER_UNAVAILABLE") || said.contains("could not read"),
        "the operator reads why the post-verify failed: {said}"
    );

    // Verify of an unknown outcome under faults: each fault leaves it unknown and says why;
    // a 401 once is refreshed and settles it.
    let cases: Vec<(&str, Fault, &str, &str)> = vec![
        (
            "503 on the verify read",
            fault(ServerUnavailable, 1, Applies::Reads),
            "unknown_outcome",
            "SERVER_UNAVAILABLE",
        ),
        (
            "dropped verify read",
            fault(DropBeforeWrite, 1, Applies::Reads),
            "unknown_outcome",
            "",
        ),
        (
            "403 limit on the verify read",
            fault(RequestLimitExceeded, 1, Applies::Reads),
            "unknown_outcome",
            "request limit exceeded",
        ),
        (
            "401 once: refreshed",
            fault(InvalidSession, 1, Applies::Reads),
            "replayed",
            "",
        ),
    ];
    let mut failures = Vec::new();
    for (i, (name, f, status, says)) in cases.iter().enumerate() {
        let ev = events[i + 1];
        let token = o.token(ev);
        o.org.inject(fault(DropAfterWrite, 1, Applies::Writes));
        let r = o.replay(ev, &token, &[]);
        assert_eq!(
            r.code, 5,
            "{name}: the dropped answer is an unknown outcome: {}",
            r.stderr
        );
        let writes = o.writes();
        o.org.inject(f.clone());
        let v = o.env.run(&["verify", &ev.to_string()]);
        o.org.clear_faults();
        let said = format!("{}{}", v.stdout, v.stderr);
        let got = o.status(ev);
        if got != *status || !said.contains(says) {
            failures.push(format!(
                "{name}: status {got} (want {status}), output lacks `{says}`?: {said}"
            ));
        }
        if got == "unknown_outcome" {
            // Without the fault, verify settles it: applied, as the org holds the write.
            let v = o.env.json(&["verify", &ev.to_string()]);
            if v["settlement"] != "applied" {
                failures.push(format!("{name}: a second verify settles it as applied: {v}"));
            }
        }
        if o.writes() != writes {
            failures.push(format!("{name}: verify never writes"));
        }
    }
    assert!(failures.is_empty(), "verify under faults:\n{}", failures.join("\n"));
    assert_eq!(o.env.run(&["audit", "verify"]).code, 0, "the chain verifies");
}

#[test]
fn faults_inside_a_batch_are_retried_settled_or_listed_each_with_its_audit_entry() {
    use FaultKind::*;
    let (mut s, u) = base_seed();
    for i in 0..12 {
        account(
            &mut s,
            &format!("BF-{i}"),
            &format!("Batch Fault {i} (old)"),
            &u.rita,
            BEFORE,
            "Gold",
        );
    }
    // A duplicate rule on the city: the create below is refused with DUPLICATES_DETECTED.
    s.record(
        "Account",
        json!({"Name": "Springfield Existing", "BillingCity": "Springfield", "OwnerId": u.rita, "LastModifiedDate": BEFORE}),
    );
    s.duplicate_rule("Account", "Same city rule", &["BillingCity"]);
    let o = Org::start("bfaults", s);
    let mut payloads: Vec<_> = (0..12)
        .map(|i| (format!("BF-{i}"), json!({"Name": format!("Batch Fault {i}")})))
        .collect();
    payloads.push((
        "BF-NEW".into(),
        json!({"Name": "Brand New Springfield", "BillingCity": "Springfield"}),
    ));
    let refs: Vec<_> = payloads.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    let events = o.events(&refs);
    // A 503 on a read fails the batch preflight as a whole: nothing is stored to execute.
    o.org.inject(fault(ServerUnavailable, 1, Applies::Reads));
    let r = o
        .env
        .run(&["replay", "batch", "--lane", &o.lane, "--operator", "Dana Ops", "--json"]);
    o.org.clear_faults();
    assert_eq!(
        r.code, 1,
        "a failed batch preflight is an error: {} {}",
        r.stdout, r.stderr
    );
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("SERVER_UNAVAILABLE"),
        "{}",
        r.stderr
    );

    let plan = o
        .env
        .json(&["replay", "batch", "--lane", &o.lane, "--operator", "Dana Ops"]);
    let token = plan["ack_token"].as_str().expect("token").to_string();
    let before = o.writes();
    // The 12 updates go in one Composite call (concurrency 1): the call gets a 401 once (the
    // token is refreshed and the call sent again); in the call sent again, two writes get a 503
    // and one a row lock, each retried in a second call of its own three. A dropped answer
    // makes every write of its call unknown: batch::a_dropped_answer_after_25_writes_* covers it.
    for f in [
        fault(InvalidSession, 1, Applies::Composite),
        fault(ServerUnavailable, 2, Applies::Writes),
        fault(UnableToLockRow, 1, Applies::Writes),
    ] {
        o.org.inject(f);
    }
    let r = o.env.run(&[
        "replay",
        "batch",
        "--operator",
        "Dana Ops",
        "--reason",
        "INC-4711 faults",
        "--ack",
        &token,
        "--concurrency",
        "1",
        "--json",
    ]);
    o.org.clear_faults();
    let sum: Value = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
    assert_eq!(r.code, 4, "the refused create exits 4: {} {}", r.stdout, r.stderr);
    assert_eq!(sum["status"], "done", "{sum}");
    assert_eq!(sum["retries"], 3, "the two 503s and the lock were retried: {sum}");
    assert_eq!(
        sum["unknown_outcome"].as_array().map(Vec::len),
        Some(0),
        "every write was answered: {sum}"
    );
    let rejected = sum["rejected"].as_array().cloned().unwrap_or_default();
    assert_eq!(rejected.len(), 1, "the duplicate rule refuses the create: {sum}");
    assert_eq!(rejected[0]["code"], "DUPLICATES_DETECTED", "{sum}");
    assert_eq!(sum["updated"].as_array().map(Vec::len), Some(12), "{sum}");
    assert_eq!(o.writes() - before, 12, "each written record once");
    for id in sum["unknown_outcome"].as_array().cloned().unwrap_or_default() {
        let id = id.as_i64().expect("id");
        assert_eq!(o.status(id), "unknown_outcome");
        assert_eq!(last_audit(&o, id)["outcome"], "unknown_outcome", "audited as unknown");
        let v = o.env.json(&["verify", &id.to_string()]);
        assert!(v["settlement"] == "applied" || v["settlement"] == "not_applied", "{v}");
    }
    let dup = rejected[0]["event_id"].as_i64().expect("id");
    assert_eq!(dup, *events.last().expect("the create"));
    assert_eq!(last_audit(&o, dup)["outcome"], "rejected");
    assert_eq!(o.env.run(&["audit", "verify"]).code, 0, "the chain verifies");
}
