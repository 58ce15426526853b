//! Team mode (issue 17) through the CLI against the real PostgreSQL server of the team pass
//! (scripts/test-team): roles enforced by the server, the audit's actor as the authenticated
//! login, real second approval. In the SQLite pass the same commands are shown to be team-only.

use crate::common::{reference_contract, test_server, Env, Person, Run};
use crate::replay::{account, base_seed, has, Org};
use serde_json::{json, Value};

fn refused(r: &Run, what: &str) {
    assert_eq!(
        r.code, 3,
        "{what}: refused (exit 3); stdout {} stderr {}",
        r.stdout, r.stderr
    );
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("one JSON document ({e}): {} {}", r.stdout, r.stderr))
}

#[test]
fn solo_mode_has_no_logins_and_says_so() {
    if test_server().is_some() {
        return; // the team pass: the tests below run instead
    }
    let env = Env::new();
    let me = env.json(&["team", "whoami"]);
    assert_eq!(me["authenticated"], false, "a file's person is not authenticated: {me}");
    assert_eq!(me["server"], Value::Null);
    let r = env.run(&["approvals", "list"]);
    assert_eq!(r.code, 1, "approvals are team mode: {}", r.stderr);
    assert!(
        r.stderr.contains("team mode") && r.stderr.contains("postgres://"),
        "{}",
        r.stderr
    );
    let r = env.run(&["team", "init"]);
    assert!(r.stderr.contains("team mode"), "{}", r.stderr);
}

#[test]
fn each_role_runs_what_it_may_and_the_server_refuses_the_rest() {
    if test_server().is_none() {
        return; // runs in the team pass (scripts/test-team)
    }
    let env = Env::new();
    env.team_init();
    env.import_reference_lane();
    let reader = env.person(Some("reader"));
    let operator = env.person(Some("operator"));
    let approver = env.person(Some("approver"));
    let admin = env.person(Some("admin"));
    let nobody = env.person(None);

    // Who each one is, as the server says.
    for (p, roles) in [
        (&reader, vec!["reader"]),
        (&operator, vec!["reader", "operator"]),
        (&approver, vec!["reader", "approver"]),
        (&admin, vec!["reader", "operator", "approver", "admin"]),
    ] {
        let me = json_of(&env.run_as(p, &["team", "whoami", "--json"]));
        assert_eq!(me["login"], p.login.as_str());
        assert_eq!(me["authenticated"], true);
        assert_eq!(me["roles"], json!(roles), "{}: {me}", p.login);
    }

    let events = env.write("events.ndjson", crate::common::ndjson(0..20));
    let lane = env.write(
        "lane2.yaml",
        reference_contract().replace("lane_id: account_sync_north_america", "lane_id: team_lane_two"),
    );
    let out = env.dir.path().join("audit.ndjson");
    let out = out.to_string_lossy().into_owned();

    // A login with no role cannot even open the console.
    let r = env.run_as(&nobody, &["events", "list"]);
    refused(&r, "no role");
    assert!(
        r.stderr.contains("not_permitted") && r.stderr.contains("team grant"),
        "{}",
        r.stderr
    );

    // Readers: lists, the audit, its export; no import, no lanes, no roles.
    refused(&env.run_as(&reader, &["events", "import", &events]), "a reader imports");
    refused(
        &env.run_as(&reader, &["lanes", "import", &lane]),
        "a reader imports a lane",
    );
    refused(
        &env.run_as(&reader, &["team", "grant", &nobody.login, "reader"]),
        "a reader grants",
    );
    // Operators import; they do not change lanes or grant roles.
    assert_eq!(env.run_as(&operator, &["events", "import", &events]).code, 0);
    refused(
        &env.run_as(&operator, &["lanes", "import", &lane]),
        "an operator imports a lane",
    );
    refused(
        &env.run_as(&operator, &["team", "grant", &nobody.login, "admin"]),
        "an operator grants",
    );
    let r = env.run_as(
        &operator,
        &[
            "events",
            "discard",
            "1",
            "--operator",
            "Otto",
            "--reason",
            "duplicate of 2",
        ],
    );
    assert_eq!(r.code, 0, "an operator discards: {} {}", r.stdout, r.stderr);
    // Approvers decide requests; they do not import.
    refused(
        &env.run_as(&approver, &["events", "import", &events]),
        "an approver imports",
    );
    // Admins change lanes.
    assert_eq!(env.run_as(&admin, &["lanes", "import", &lane]).code, 0);

    let listed = json_of(&env.run_as(&reader, &["events", "list", "--limit", "100", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(20), "a reader lists: {listed}");
    let verified = env.run_as(&reader, &["audit", "verify"]);
    assert_eq!(
        verified.code, 0,
        "a reader verifies: {} {}",
        verified.stdout, verified.stderr
    );
    let exported = env.run_as(&reader, &["audit", "export", "--format", "ndjson", "--out", &out]);
    assert_eq!(
        exported.code, 0,
        "a reader exports: {} {}",
        exported.stdout, exported.stderr
    );

    // The audit names the authenticated login; a typed name is a display name beside it.
    let log = env.json(&["audit", "list", "--limit", "1000"]);
    let entries = log.as_array().expect("entries");
    let import = entries
        .iter()
        .find(|e| e["action"] == "events_imported")
        .expect("the import is audited");
    assert_eq!(import["actor"], operator.login.as_str(), "{import}");
    let discard = entries
        .iter()
        .find(|e| e["action"] == "discard")
        .expect("the discard is audited");
    assert_eq!(discard["actor"], operator.login.as_str(), "{discard}");
    assert!(
        discard["detail"].to_string().contains("Otto"),
        "the typed name is kept beside: {discard}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "role_granted" && e["actor"] == "postgres"),
        "granting a role is audited under the administrator's login"
    );
}

#[test]
fn an_override_runs_only_after_another_login_approves_that_preflight() {
    if test_server().is_none() {
        return; // runs in the team pass (scripts/test-team)
    }
    let (mut s, u) = base_seed();
    account(&mut s, "A1", "A1 (old)", &u.rita, crate::replay::BEFORE, "Gold");
    account(&mut s, "A2", "A2 (old)", &u.rita, crate::replay::BEFORE, "Gold");
    let o = Org::start("approve", s);
    o.env.team_init();
    let operator = o.env.person(Some("operator"));
    let approver = o.env.person(Some("approver"));
    let both = o.env.person(Some("operator"));
    o.env.ok(&["team", "grant", &both.login, "approver"]);
    let ids = o.events(&[
        (Some("A1"), json!({"Name": "A1 new", "Tier__c": "Silver"})),
        (Some("A2"), json!({"Name": "A2 new", "Tier__c": "Silver"})),
    ]);
    let (ev, ev2) = (ids[0], ids[1]);
    let reason = "tier fixed by finance";

    let preflight = |who: &Person, id: i64| -> String {
        let p = json_of(&o.env.run_as(
            who,
            &["preflight", &id.to_string(), "--reassignment-reason", reason, "--json"],
        ));
        assert!(
            has(&p, "protected_field_conflict", "warning"),
            "the override is pending approval: {p}"
        );
        p["preflight"]["ack_token"].as_str().expect("a token").to_string()
    };
    let replay = |who: &Person, id: i64, token: &str, typed_approver: Option<&str>| -> Run {
        let id = id.to_string();
        let mut args = vec![
            "replay",
            &id,
            "--operator",
            "Dana Ops",
            "--reason",
            "INC-4711",
            "--ack",
            token,
            "--reassignment-reason",
            reason,
        ];
        if let Some(a) = typed_approver {
            args.extend(["--approved-by", a]);
        }
        o.env.run_as(who, &args)
    };
    let approvals = |who: &Person| -> Vec<Value> {
        json_of(&o.env.run_as(who, &["approvals", "list", "--json"]))
            .as_array()
            .cloned()
            .unwrap_or_default()
    };

    // The first replay opens a request; a typed approver counts for nothing.
    let token = preflight(&operator, ev);
    let r = replay(&operator, ev, &token, Some("Vera VP RevOps"));
    refused(&r, "an override without an approval");
    assert!(r.stderr.contains("approval_pending"), "{}", r.stderr);
    assert_eq!(o.writes(), 0, "nothing is written before the approval");
    let list = approvals(&approver);
    assert_eq!(list.len(), 1, "{list:?}");
    let id = list[0]["id"].as_i64().expect("an id").to_string();
    assert_eq!(list[0]["status"], "pending");
    assert_eq!(list[0]["requested_by"], operator.login.as_str());
    assert_eq!(list[0]["display_name"], "Dana Ops");

    // The operator cannot approve (no approver role); nor can the requester, even as an approver.
    refused(
        &o.env
            .run_as(&operator, &["approvals", "approve", &id, "--reason", "mine"]),
        "the operator approves",
    );
    let token_b = preflight(&both, ev2);
    refused(
        &replay(&both, ev2, &token_b, None),
        "the request of a login that is also an approver",
    );
    let own = approvals(&both)
        .into_iter()
        .find(|a| a["requested_by"] == both.login.as_str())
        .expect("its own request");
    let own_id = own["id"].as_i64().expect("an id").to_string();
    let r = o
        .env
        .run_as(&both, &["approvals", "approve", &own_id, "--reason", "looks fine"]);
    refused(&r, "self-approval");
    assert!(r.stderr.contains("cannot decide it"), "{}", r.stderr);

    // Another approver approves; the same preflight's replay then runs, and the audit names both.
    let decided = json_of(&o.env.run_as(
        &approver,
        &["approvals", "approve", &id, "--reason", "finance confirmed", "--json"],
    ));
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"], approver.login.as_str());
    let again = o
        .env
        .run_as(&approver, &["approvals", "reject", &id, "--reason", "changed my mind"]);
    refused(&again, "a second decision");
    let r = replay(&operator, ev, &token, None);
    assert_eq!(r.code, 0, "approved: {} {}", r.stdout, r.stderr);
    assert_eq!(o.writes(), 1);
    let log = o.env.json(&["audit", "list", "--limit", "1000"]);
    let entries = log.as_array().expect("entries");
    let intent = entries
        .iter()
        .find(|e| e["action"] == "replay_intent" && e["event_id"] == ev)
        .expect("the intent is audited");
    assert_eq!(intent["actor"], operator.login.as_str());
    let detail: Value = serde_json::from_str(intent["detail"].as_str().unwrap_or("null")).expect("detail is JSON");
    assert_eq!(detail["override"]["approved_by"], approver.login.as_str(), "{detail}");
    assert_eq!(detail["override"]["approver_authenticated"], true, "{detail}");
    assert!(entries
        .iter()
        .any(|e| e["action"] == "approval_decided" && e["actor"] == approver.login.as_str()));
    assert!(entries
        .iter()
        .any(|e| e["action"] == "approval_requested" && e["actor"] == operator.login.as_str()));

    // An approval opens its own preflight only: approve ev2's request, take a new preflight, and
    // that one needs a request of its own.
    let _ = json_of(&o.env.run_as(
        &approver,
        &["approvals", "approve", &own_id, "--reason", "ok", "--json"],
    ));
    let fresh = preflight(&both, ev2);
    let r = replay(&both, ev2, &fresh, None);
    refused(&r, "a new preflight after an approval of the old one");
    assert!(r.stderr.contains("approval_pending"), "{}", r.stderr);
    assert_eq!(o.writes(), 1, "nothing more was written");
}

/// Issue 17: "A console killed with SIGKILL mid-replay: another console sees the intent, waits
/// out the lease, marks it `unknown_outcome`, and `verify` settles it." The killed console is
/// made to stand on another machine (its recorded host), where no pid can say it is gone: only
/// its lease can.
#[test]
fn a_console_killed_mid_replay_on_another_machine_is_waited_out_then_settled() {
    use replay_console::sandbox::{Applies, Fault, FaultKind};
    use std::time::{Duration, Instant};
    if test_server().is_none() {
        return; // runs in the team pass (scripts/test-team)
    }
    let (mut s, u) = base_seed();
    account(&mut s, "A1", "A1 (old)", &u.rita, crate::replay::BEFORE, "Gold");
    let o = Org::start("lease", s);
    let ev = o.events(&[(Some("A1"), json!({"Name": "A1 new"}))])[0];
    let token = o.token(ev);
    o.org.inject(Fault {
        kind: FaultKind::Latency,
        count: 1,
        latency_ms: 20_000,
        applies_to: Some(Applies::Writes),
    });
    // Console A, with a 4-second lease it renews every second while it waits for the answer.
    let mut a = std::process::Command::new(crate::common::BIN)
        .args(["--db", &o.env.db.display().to_string(), "replay", &ev.to_string()])
        .args(["--operator", "Dana Ops", "--reason", "INC-4711", "--ack", &token])
        .env("REPLAY_CONSOLE_LEASE_SECS", "4")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn console A");
    let deadline = Instant::now() + Duration::from_secs(20);
    while o.status(ev) != "in_flight" {
        assert!(Instant::now() < deadline, "the intent is committed before the send");
        std::thread::sleep(Duration::from_millis(50));
    }
    o.env.execute(
        "",
        &format!("UPDATE attempts SET holder_host = 'ops-laptop-2' WHERE event_id = {ev} AND outcome = 'in_flight'"),
    );
    // While A lives, B (this machine) leaves its intent alone, whatever it runs.
    std::thread::sleep(Duration::from_millis(5_000));
    assert_eq!(o.status(ev), "in_flight", "a renewed lease is never taken over");
    a.kill().expect("SIGKILL console A");
    let _ = a.wait();
    let killed = Instant::now();

    // B sees the intent and is told to wait for the lease.
    assert_eq!(o.status(ev), "in_flight", "B sees A's intent");
    let r = o.env.run(&["verify", &ev.to_string()]);
    refused(&r, "verify while the lease runs");
    assert!(
        r.stderr.contains("in flight on ops-laptop-2") && r.stderr.contains("lease runs out in"),
        "{}",
        r.stderr
    );
    // Once the lease ran out (4 s by the server's clock), B takes it as an unknown outcome and
    // settles it by reading the record.
    std::thread::sleep(Duration::from_millis(4_500).saturating_sub(killed.elapsed()));
    let r = o.env.run(&["verify", &ev.to_string(), "--json"]);
    assert_eq!(r.code, 0, "verify settles after the lease: {} {}", r.stdout, r.stderr);
    let v = json_of(&r);
    assert!(
        v["settlement"] == "applied" || v["settlement"] == "not_applied",
        "settled one way or the other: {v}"
    );
    let actions = o.audit_actions();
    assert!(actions.iter().any(|a| a == "unknown_outcome"), "{actions:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(o.writes() <= 1, "never sent twice");
    assert_eq!(o.env.run(&["audit", "verify"]).code, 0);
}

/// Issue 17: "two console processes on one PostgreSQL replaying the same events and
/// overlapping batches: every event written at most once (the simulated org's write log), the
/// audit verifies, no deadlock or 'could not serialize' escapes to a user." Two operators, each
/// with their own login and console process, plan a batch over overlapping selections and run
/// them at the same moment, while a third process replays single events of the overlap.
#[test]
fn two_consoles_running_overlapping_batches_write_each_event_once() {
    use std::collections::BTreeMap;
    if test_server().is_none() {
        return; // runs in the team pass (scripts/test-team)
    }
    let (mut s, u) = base_seed();
    for i in 0..30 {
        account(
            &mut s,
            &format!("OV{i}"),
            &format!("Ov {i} (old)"),
            &u.rita,
            crate::replay::BEFORE,
            "Gold",
        );
    }
    let o = Org::start("overlap", s);
    o.env.team_init();
    let ana = o.env.person(Some("operator"));
    let otto = o.env.person(Some("operator"));
    let refs: Vec<(String, Value)> = (0..30)
        .map(|i| (format!("OV{i}"), json!({"Name": format!("Ov {i} new")})))
        .collect();
    let refs: Vec<(Option<&str>, Value)> = refs.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    let ids = o.events(&refs);
    // ana: events 0..20; otto: events 10..30; the overlap 10..20.
    let plan = |who: &Person, sel: &[i64], name: &str| -> String {
        let file = o
            .env
            .write(name, sel.iter().map(|id| format!("{id}\n")).collect::<String>());
        let p = json_of(&o.env.run_as(
            who,
            &[
                "replay",
                "batch",
                "--lane",
                &o.lane,
                "--ids",
                &file,
                "--operator",
                "Dana Ops",
                "--json",
            ],
        ));
        format!("{file}\n{}", p["ack_token"].as_str().expect("a batch token"))
    };
    let a = plan(&ana, &ids[0..20], "ana.ids");
    let b = plan(&otto, &ids[10..30], "otto.ids");
    let singles: Vec<(i64, String)> = ids[12..15].iter().map(|id| (*id, o.token(*id))).collect();
    let run_batch = |who: &Person, planned: &str| -> Run {
        let (file, token) = planned.split_once('\n').expect("file and token");
        o.env.run_as(
            who,
            &[
                "replay",
                "batch",
                "--lane",
                &o.lane,
                "--ids",
                file,
                "--operator",
                "Dana Ops",
                "--reason",
                "INC-4711",
                "--ack",
                token,
                "--concurrency",
                "4",
                "--json",
            ],
        )
    };
    let (ra, rb, rs) = std::thread::scope(|sc| {
        let ta = sc.spawn(|| run_batch(&ana, &a));
        let tb = sc.spawn(|| run_batch(&otto, &b));
        let ts = sc.spawn(|| singles.iter().map(|(id, t)| o.replay(*id, t, &[])).collect::<Vec<_>>());
        (
            ta.join().expect("ana's batch"),
            tb.join().expect("otto's batch"),
            ts.join().expect("the single replays"),
        )
    });
    for (who, r) in [("ana", &ra), ("otto", &rb)] {
        assert!(
            r.code == 0 || r.code == 4,
            "{who}'s batch ran: {} {}",
            r.stdout,
            r.stderr
        );
        let all = format!("{}{}", r.stdout, r.stderr).to_lowercase();
        assert!(
            !all.contains("could not serialize") && !all.contains("deadlock") && !all.contains("database error"),
            "no database error reaches {who}: {all}"
        );
    }
    for r in &rs {
        assert!(
            [0, 3].contains(&r.code),
            "a single replay is done or refused as busy/changed: {} {}",
            r.stdout,
            r.stderr
        );
        assert!(!r.stderr.to_lowercase().contains("database error"), "{}", r.stderr);
    }
    let mut per_record: BTreeMap<String, usize> = BTreeMap::new();
    for w in o.org.writes() {
        *per_record.entry(w.record_id.clone()).or_default() += 1;
    }
    assert!(
        per_record.values().all(|n| *n == 1),
        "every record written at most once: {per_record:?}"
    );
    assert_eq!(
        per_record.len(),
        30,
        "and every event written by someone: {per_record:?}"
    );
    for id in &ids {
        assert_eq!(o.status(*id), "replayed", "event {id}");
    }
    let v = o.env.run(&["audit", "verify"]);
    assert_eq!(v.code, 0, "the audit verifies: {} {}", v.stdout, v.stderr);
}
