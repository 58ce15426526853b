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
