//! Preflight and guarded replay against the simulated org over real HTTP on loopback, with real
//! SQLite files, the real keychain and the real CLI binary.

use crate::common::*;
use replay_console::sandbox::{self, Applies, Fault, FaultKind, SandboxConfig, SandboxHandle, Seed};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

pub const KEY_PEM: &str = include_str!("../data/test_only_rsa_key.pem");
const CLIENT_ID: &str = "3MVG9EXAMPLECONSUMERKEY";
pub const BEFORE: &str = "2026-11-19T08:00:00.000+0000";

/// A simulated org (kept alive on its own runtime while the CLI runs against it), a database
/// with a lane of its own pointed at the org, and that lane's secret in the keychain.
pub struct Org {
    pub env: Env,
    pub lane: String,
    pub org: SandboxHandle,
    pub rt: tokio::runtime::Runtime,
}

pub struct Users {
    pub rita: String,
    pub omar_inactive: String,
    pub fallback_queue: String,
}

/// `KEY_PEM`'s public half (`openssl pkey -pubout`).
pub fn public_key() -> String {
    include_str!("../data/sf_test_only_rsa_key.pub.pem").to_string()
}

/// The base seed: users, the fallback queue, the JWT client, Account with the lane's fields.
pub fn base_seed() -> (Seed, Users) {
    let mut s = Seed::new();
    s.user("sf_account_sync_app@acme.example", "Account Sync Integration", true);
    let rita = s.user("rita@acme.example", "Rita Alvarez", true);
    let omar = s.user("omar@acme.example", "Omar Haddad", false);
    let fallback = s.queue("RevOps Queue", "revenue_ops_queue");
    s.jwt_client(CLIENT_ID, &public_key());
    let mut fields = std::collections::BTreeMap::new();
    for f in ["billing_account_id__c", "Tier__c", "Lifecycle_Stage__c", "BillingCity"] {
        fields.insert(f.to_string(), sandbox::FieldType::Text);
    }
    s.objects.insert(
        "Account".into(),
        sandbox::ObjectSpec {
            key_prefix: Some("001".into()),
            fields,
            external_id_fields: vec!["billing_account_id__c".into()],
            unique_external_ids: false,
            case_sensitive_external_ids: false,
            required: vec!["Name".into()],
        },
    );
    s.assignment_rule("Account", &fallback);
    (
        s,
        Users {
            rita,
            omar_inactive: omar,
            fallback_queue: fallback,
        },
    )
}

pub fn account(seed: &mut Seed, ext: &str, name: &str, owner: &str, modified: &str, tier: &str) -> String {
    seed.record(
        "Account",
        json!({"Name": name, "billing_account_id__c": ext, "OwnerId": owner, "LastModifiedDate": modified, "Tier__c": tier}),
    )
}

impl Org {
    pub fn start(tag: &str, seed: Seed) -> Org {
        Org::start_with(tag, seed, |c| c)
    }

    pub fn start_with(tag: &str, seed: Seed, contract: impl Fn(String) -> String) -> Org {
        Org::start_on(Env::new(), tag, seed, contract)
    }

    /// On a SQLite file whatever the pass: for what only solo mode does (a typed approver;
    /// team mode's approvals are tests/it/team.rs).
    pub fn start_solo(tag: &str, seed: Seed, contract: impl Fn(String) -> String) -> Org {
        Org::start_on(Env::file(), tag, seed, contract)
    }

    fn start_on(env: Env, tag: &str, seed: Seed, contract: impl Fn(String) -> String) -> Org {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let org = rt
            .block_on(sandbox::start(SandboxConfig { port: 0, seed }))
            .expect("the simulated org starts");
        let lane = format!("rp_{tag}_{}", std::process::id());
        let yaml = reference_contract()
            .replace("lane_id: account_sync_north_america", &format!("lane_id: {lane}"))
            .replace(
                "instance_url: https://acme.my.salesforce.com",
                &format!("instance_url: {}", org.base_url()),
            );
        let yaml = contract(yaml);
        env.ok(&["lanes", "import", &env.write("lane.yaml", &yaml)]);
        // A client-credentials lane gets its secret from the test itself.
        if yaml.contains("auth: jwt_bearer") {
            let key = env.write("key.pem", KEY_PEM);
            let set = env.run(&["credentials", "set", &lane, "--from-file", &key]);
            assert_eq!(
                set.code, 0,
                "the lane's secret goes to the keychain (run under scripts/with-keyring): {}",
                set.stderr
            );
        }
        Org { env, lane, org, rt }
    }

    /// Imports events (payload, external id) for this lane; returns their ids in order.
    pub fn events(&self, events: &[(Option<&str>, Value)]) -> Vec<i64> {
        let mut s = String::new();
        for (i, (ext, payload)) in events.iter().enumerate() {
            let mut e = json!({"lane_id": self.lane, "event_key": format!("evt-{i}"), "source_system": "billing",
                "object": "Account", "operation": "upsert", "payload": payload, "status": "failed",
                "failure": {"code": "UNABLE_TO_LOCK_ROW", "message": "lock", "http_status": 400},
                "occurred_at": "2026-11-20T10:00:00Z"});
            if let Some(x) = ext {
                e["external_id"] = json!(x);
            }
            s.push_str(&e.to_string());
            s.push('\n');
        }
        self.env.ok(&["events", "import", &self.env.write("events.ndjson", s)]);
        let listed = self
            .env
            .json(&["events", "list", "--lane", &self.lane, "--limit", "1000"]);
        listed
            .as_array()
            .expect("array")
            .iter()
            .map(|e| e["id"].as_i64().expect("id"))
            .collect()
    }

    pub fn preflight(&self, id: i64) -> Value {
        self.env.json(&["preflight", &id.to_string()])
    }

    pub fn token(&self, id: i64) -> String {
        self.preflight(id)["preflight"]["ack_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    pub fn replay(&self, id: i64, token: &str, extra: &[&str]) -> Run {
        let id = id.to_string();
        let mut args = vec![
            "replay",
            &id,
            "--operator",
            "Dana Ops",
            "--reason",
            "INC-4711 lock storm",
            "--ack",
            token,
        ];
        args.extend_from_slice(extra);
        self.env.run(&args)
    }

    pub fn writes(&self) -> usize {
        self.org.writes().len()
    }

    pub fn status(&self, id: i64) -> String {
        self.env.json(&["events", "show", &id.to_string()])["status"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The audit entries of one action, oldest first.
    pub fn audit_of(&self, action: &str) -> Vec<Value> {
        self.env
            .json(&["audit", "list", "--limit", "1000", "--action", action])
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn audit_actions(&self) -> Vec<String> {
        let list = self.env.json(&["audit", "list", "--limit", "1000"]);
        list.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["action"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// An audit entry's detail (stored, and listed, as JSON text).
pub fn detail(e: &Value) -> Value {
    serde_json::from_str(e["detail"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// A preflight's findings as (code, severity).
pub fn codes(preflight: &Value) -> Vec<(String, String)> {
    preflight["preflight"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").into(),
                f["severity"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

pub fn has(preflight: &Value, code: &str, severity: &str) -> bool {
    codes(preflight).iter().any(|(c, s)| c == code && s == severity)
}

#[test]
fn each_finding_arises_from_a_seeded_situation() {
    let (mut s, u) = base_seed();
    let (rita, omar, queue) = (u.rita.clone(), u.omar_inactive.clone(), u.fallback_queue.clone());
    account(&mut s, "CLEAN", "Clean Co (old)", &rita, BEFORE, "Gold");
    account(&mut s, "DUP", "Dup One", &rita, BEFORE, "Gold");
    account(&mut s, "DUP", "Dup Two", &rita, BEFORE, "Gold");
    account(&mut s, "TIER", "Tier Co", &rita, BEFORE, "Gold");
    account(&mut s, "INACTIVE", "Inactive Co (old)", &omar, BEFORE, "Gold");
    account(&mut s, "FALLBACK", "Fallback Co (old)", &queue, BEFORE, "Gold");
    account(
        &mut s,
        "NEWER",
        "Newer Co (old)",
        &rita,
        "2026-11-21T09:00:00.000+0000",
        "Gold",
    );
    // No external ID, but the name a create would duplicate.
    s.record(
        "Account",
        json!({"Name": "Twin Co", "OwnerId": rita, "LastModifiedDate": BEFORE}),
    );
    let o = Org::start("findings", s);
    let ids = o.events(&[
        (Some("CLEAN"), json!({"Name": "Clean Co"})),
        (Some("DUP"), json!({"Name": "Dup"})),
        (Some("TIER"), json!({"Name": "Tier Co", "Tier__c": "Silver"})),
        (Some("INACTIVE"), json!({"Name": "Inactive Co"})),
        (Some("FALLBACK"), json!({"Name": "Fallback Co"})),
        (Some("NEWER"), json!({"Name": "Newer Co"})),
        (Some("ABSENT"), json!({"Name": "Brand New Co"})),
        (Some("TWIN"), json!({"Name": "Twin Co"})),
        (None, json!({"Name": "No Key Co"})),
    ]);
    let p: Vec<Value> = ids.iter().map(|id| o.preflight(*id)).collect();
    assert!(
        codes(&p[0]).is_empty(),
        "a clean update has no findings: {:?}",
        codes(&p[0])
    );
    assert_eq!(p[0]["preflight"]["request"]["kind"], "update");
    assert!(
        has(&p[1], "duplicate_conflict_detected", "blocking"),
        "two records share the external ID (300)"
    );
    assert!(
        has(&p[2], "protected_field_conflict", "blocking"),
        "Tier__c is protected by the contract"
    );
    assert!(
        has(&p[3], "owner_inactive", "warning"),
        "the contract does not block on an inactive owner"
    );
    assert!(
        has(&p[4], "fallback_owner", "warning"),
        "owned by the lane's fallback queue"
    );
    assert_eq!(p[4]["preflight"]["owner_is_fallback"], true);
    assert!(
        has(&p[5], "record_modified_after_event", "warning"),
        "changed after the event"
    );
    assert_eq!(
        codes(&p[6]),
        vec![("external_id_not_unique_in_org".to_string(), "warning".to_string())],
        "nothing matches: a create, whose only finding is that this org's external-ID field is not Unique \
         although the contract says it must be"
    );
    assert_eq!(p[6]["preflight"]["request"]["kind"], "create");
    assert!(
        has(&p[7], "duplicate_conflict_detected", "blocking"),
        "a create would duplicate Twin Co (business key)"
    );
    assert!(has(&p[8], "external_id_missing", "blocking"), "no external ID");
    assert_eq!(o.writes(), 0, "a preflight never writes");
    let actions = o.audit_actions();
    assert_eq!(
        actions.iter().filter(|a| *a == "preflight").count(),
        9,
        "every preflight is audited"
    );
}

#[test]
fn refusals_write_nothing_and_are_audited() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    account(&mut s, "A2", "A2 (old)", &rita, BEFORE, "Gold");
    account(&mut s, "DUP", "D1", &rita, BEFORE, "Gold");
    account(&mut s, "DUP", "D2", &rita, BEFORE, "Gold");
    let o = Org::start("refusals", s);
    let ids = o.events(&[
        (Some("A1"), json!({"Name": "A1"})),
        (Some("A2"), json!({"Name": "A2"})),
        (Some("DUP"), json!({"Name": "D"})),
    ]);
    let (a1, a2, dup) = (ids[0], ids[1], ids[2]);

    let r = o.replay(a1, "000000000000", &[]);
    assert_eq!(r.code, 3, "no preflight: refused by the gate: {}", r.stderr);
    assert!(r.stderr.contains("no_preflight"), "{}", r.stderr);

    let token = o.token(a1);
    let a1s = a1.to_string();
    for (args, code) in [
        (
            ["replay", &a1s, "--operator", "", "--reason", "r", "--ack", &token],
            "operator_missing",
        ),
        (
            ["replay", &a1s, "--operator", "Dana", "--reason", " ", "--ack", &token],
            "reason_missing",
        ),
        (
            [
                "replay",
                &a1s,
                "--operator",
                "Dana",
                "--reason",
                "r",
                "--ack",
                "ffffffffffff",
            ],
            "ack_mismatch",
        ),
    ] {
        let r = o.env.run(&args);
        assert_eq!(r.code, 3, "{code}: refused with exit 3: {}", r.stderr);
        assert!(r.stderr.contains(code), "{code}: {}", r.stderr);
    }

    // A preflight older than the lane's maximum age.
    let t2 = o.token(a2);
    o.env.execute(
        &format!("UPDATE preflights SET body = json_set(body, '$.taken_at', '2026-01-01T00:00:00.000Z') WHERE event_id = {a2}"),
        &format!("UPDATE preflights SET body = jsonb_set(body::jsonb, '{{taken_at}}', '\"2026-01-01T00:00:00.000Z\"')::text WHERE event_id = {a2}"),
    );
    let r = o.replay(a2, &t2, &[]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("preflight_stale"),
        "a stale preflight is refused: {}",
        r.stderr
    );

    let td = o.token(dup);
    let r = o.replay(dup, &td, &[]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("duplicate_conflict_detected"),
        "a blocking finding refuses: {}",
        r.stderr
    );

    // Replayed once; a second replay is refused unless asked for again, with a reason.
    let t1 = o.token(a1);
    assert_eq!(o.replay(a1, &t1, &[]).code, 0, "the first replay goes through");
    assert_eq!(o.writes(), 1);
    let t1b = o.token(a1);
    let again = o.replay(a1, &t1b, &[]);
    assert_eq!(again.code, 3, "already replayed: {}", again.stderr);
    assert!(
        again.stderr.contains("already replayed by Dana Ops"),
        "says who replayed it: {}",
        again.stderr
    );
    assert_eq!(o.writes(), 1, "no refusal wrote anything to Salesforce");
    let forced = o.replay(a1, &t1b, &["--again", "customer asked to re-send after fixing billing"]);
    assert_eq!(
        forced.code, 0,
        "an explicit --again with a reason replays: {}",
        forced.stderr
    );
    assert_eq!(o.writes(), 2);

    let refused = o.audit_actions().iter().filter(|a| *a == "replay_refused").count();
    assert_eq!(refused, 7, "every refusal is audited");
}

#[test]
fn record_changed_since_preflight_gives_412_and_writes_nothing() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    let id = account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    let o = Org::start("p412", s);
    let ev = o.events(&[(Some("A1"), json!({"Name": "A1"}))])[0];
    let token = o.token(ev);
    // Someone edits the record after the preflight, through the org's own API.
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
    let fields = json!({"BillingCity": "Chicago"});
    o.rt.block_on(client.update_by_id("Account", &id, fields.as_object().expect("obj"), &Default::default()))
        .expect("a concurrent edit");
    let before = o.writes();
    let r = o.replay(ev, &token, &[]);
    assert_eq!(r.code, 4, "Salesforce refused with 412: {} {}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("precondition_failed") && r.stdout.contains("Run the preflight again"),
        "{}",
        r.stdout
    );
    assert_eq!(o.writes(), before, "nothing was written");
    assert_eq!(o.status(ev), "failed", "the event stays replayable");
}

#[test]
fn dropped_answer_is_unknown_outcome_until_verified_and_written_once() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    let o = Org::start("drop", s);
    let ev = o.events(&[(Some("A1"), json!({"Name": "A1 new"}))])[0];
    let token = o.token(ev);
    o.org.inject(Fault {
        kind: FaultKind::DropAfterWrite,
        count: 1,
        latency_ms: 0,
        applies_to: Some(Applies::Writes),
    });
    let r = o.replay(ev, &token, &[]);
    assert_eq!(r.code, 5, "sent, no answer: exit 5: {} {}", r.stdout, r.stderr);
    assert_eq!(o.status(ev), "unknown_outcome");
    let p = o.preflight(ev);
    assert!(
        has(&p, "unknown_outcome_pending", "blocking"),
        "the preflight says verify first"
    );
    let again = o.replay(ev, p["preflight"]["ack_token"].as_str().unwrap_or(""), &[]);
    assert_eq!(
        again.code, 3,
        "a second replay is refused until verify: {}",
        again.stderr
    );
    let v = o.env.json(&["verify", &ev.to_string()]);
    assert_eq!(v["settlement"], "applied", "the record holds the replay's values");
    assert_eq!(o.status(ev), "replayed");
    assert_eq!(o.writes(), 1, "exactly one write reached the org");
}

#[test]
fn killed_after_the_intent_is_unknown_outcome_at_the_next_start_and_not_retried() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    let o = Org::start("kill", s);
    let ev = o.events(&[(Some("A1"), json!({"Name": "A1 new"}))])[0];
    let token = o.token(ev);
    // The write hangs long enough for the process to be killed while it waits for the answer.
    o.org.inject(Fault {
        kind: FaultKind::Latency,
        count: 1,
        latency_ms: 20_000,
        applies_to: Some(Applies::Writes),
    });
    let mut child = Command::new(BIN)
        .args(["--db", &o.env.db.display().to_string(), "replay", &ev.to_string()])
        .args(["--operator", "Dana Ops", "--reason", "INC-4711", "--ack", &token])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while o.status(ev) != "in_flight" {
        assert!(Instant::now() < deadline, "the intent is committed before the send");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(
        o.status(ev),
        "unknown_outcome",
        "the next start finds the intent of a dead process"
    );
    let actions = o.audit_actions();
    assert!(
        actions.iter().any(|a| a == "unknown_outcome"),
        "recovery is audited: {actions:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(o.writes() <= 1, "never retried by itself");
}

#[test]
fn two_processes_replaying_one_event_write_once() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    let o = Org::start("race", s);
    let ev = o.events(&[(Some("A1"), json!({"Name": "A1 new"}))])[0];
    let token = o.token(ev);
    let spawn = || {
        Command::new(BIN)
            .args(["--db", &o.env.db.display().to_string(), "replay", &ev.to_string()])
            .args(["--operator", "Dana Ops", "--reason", "INC-4711", "--ack", &token])
            .output()
    };
    let (a, b) = std::thread::scope(|sc| {
        let a = sc.spawn(spawn);
        let b = sc.spawn(spawn);
        (
            a.join().expect("a").expect("run a"),
            b.join().expect("b").expect("run b"),
        )
    });
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(3)], "one replays, the other is refused");
    assert_eq!(o.writes(), 1, "exactly one write");
}

#[test]
fn a_token_acting_as_another_user_is_refused_before_any_write() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    s.user("someone_else@acme.example", "Someone Else", true);
    s.client_credentials("3MVG9OTHERAPP", "other-secret", "someone_else@acme.example");
    let o = Org::start_with("mismatch", s, |c| {
        c.replace("auth: jwt_bearer", "auth: client_credentials")
            .replace("3MVG9EXAMPLECONSUMERKEY", "3MVG9OTHERAPP")
    });
    let secret = o.env.write("secret.txt", "other-secret");
    o.env.ok(&["credentials", "set", &o.lane, "--from-file", &secret]);
    let check = o.env.run(&["credentials", "check", &o.lane]);
    assert_eq!(check.code, 3, "a mismatch is an error: {}", check.stderr);
    assert!(check.stderr.contains("integration_user_mismatch"), "{}", check.stderr);
    let ev = o.events(&[(Some("A1"), json!({"Name": "A1 new"}))])[0];
    let p = o.preflight(ev);
    assert!(
        has(&p, "integration_user_mismatch", "blocking"),
        "the preflight names it"
    );
    let r = o.replay(ev, p["preflight"]["ack_token"].as_str().unwrap_or(""), &[]);
    assert_eq!(r.code, 3);
    assert_eq!(o.writes(), 0, "refused before any write");
}

#[test]
fn updates_suppress_assignment_and_protected_fields_need_an_approved_override() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    let o = Org::start_solo("protect", s, |c| c);
    let ev = o.events(&[(
        Some("A1"),
        json!({"Name": "A1 new", "Tier__c": "Silver", "BillingCity": "Austin"}),
    )])[0];
    let p = o.preflight(ev);
    assert!(has(&p, "protected_field_conflict", "blocking"));
    let r = o.replay(ev, p["preflight"]["ack_token"].as_str().unwrap_or(""), &[]);
    assert_eq!(r.code, 3, "blocked without the override");
    assert_eq!(o.writes(), 0);

    let self_approved = o.env.run(&[
        "preflight",
        &ev.to_string(),
        "--reassignment-reason",
        "tier fixed by finance",
        "--approved-by",
        "Dana Ops",
        "--json",
    ]);
    let token = serde_json::from_str::<Value>(&self_approved.stdout).expect("json")["preflight"]["ack_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let r = o.replay(
        ev,
        &token,
        &[
            "--reassignment-reason",
            "tier fixed by finance",
            "--approved-by",
            "Dana Ops",
        ],
    );
    assert_eq!(r.code, 3, "the approver must be someone else: {}", r.stderr);
    assert!(r.stderr.contains("override_self_approved"), "{}", r.stderr);

    let p = o.env.json(&[
        "preflight",
        &ev.to_string(),
        "--reassignment-reason",
        "tier fixed by finance",
        "--approved-by",
        "Vera VP RevOps",
    ]);
    assert!(
        has(&p, "protected_field_conflict", "warning"),
        "an approved override turns it into a warning"
    );
    let token = p["preflight"]["ack_token"].as_str().unwrap_or("").to_string();
    let r = o.replay(
        ev,
        &token,
        &[
            "--reassignment-reason",
            "tier fixed by finance",
            "--approved-by",
            "Vera VP RevOps",
        ],
    );
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let writes = o.org.writes();
    assert_eq!(writes.len(), 1);
    let w = &writes[0];
    assert_eq!(
        w.headers.get("sforce-auto-assign").map(String::as_str),
        Some("FALSE"),
        "updates suppress assignment rules"
    );
    assert_eq!(
        w.headers.get("sforce-call-options").map(String::as_str),
        Some("client=replay-console")
    );
    assert!(
        w.headers.contains_key("if-unmodified-since"),
        "the update is conditional"
    );
    assert_eq!(
        w.body["Tier__c"], "Silver",
        "with the override the protected field is written"
    );
    let audit = o
        .env
        .json(&["audit", "list", "--action", "replay_intent", "--limit", "10"]);
    let detail = audit[0]["detail"].to_string();
    assert!(
        detail.contains("Vera VP RevOps"),
        "the audit entry names the approver: {detail}"
    );
}

#[test]
fn a_protected_field_is_stripped_when_its_value_is_unchanged() {
    let (mut s, u) = base_seed();
    let rita = u.rita.clone();
    account(&mut s, "A1", "A1 (old)", &rita, BEFORE, "Gold");
    let o = Org::start("strip", s);
    let ev = o.events(&[(Some("A1"), json!({"Name": "A1 new", "Tier__c": "Gold"}))])[0];
    let token = o.token(ev);
    let r = o.replay(ev, &token, &[]);
    assert_eq!(
        r.code, 0,
        "no conflict when the protected value is the same: {}",
        r.stderr
    );
    let writes = o.org.writes();
    assert!(
        writes[0].body.get("Tier__c").is_none(),
        "protected fields are never sent without an override"
    );
    assert_eq!(writes[0].body["Name"], "A1 new");
    assert!(
        r.stdout.contains("post-verify: the record holds every value sent"),
        "{}",
        r.stdout
    );
}

#[test]
fn credentials_check_passes_for_the_right_user_and_shows_the_oauth_error_for_a_wrong_key() {
    let (s, _) = base_seed();
    let o = Org::start("check", s);
    let ok = o.env.json(&["credentials", "check", &o.lane]);
    assert_eq!(ok["ok"], true, "the registered key acts as the lane's user");
    assert_eq!(ok["acts_as"], "sf_account_sync_app@acme.example");
    let other = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sf_test_only_other_rsa_key.pem"),
    )
    .expect("the second test key");
    o.env.ok(&[
        "credentials",
        "set",
        &o.lane,
        "--from-file",
        &o.env.write("other.pem", other),
    ]);
    let bad = o.env.run(&["credentials", "check", &o.lane]);
    assert_eq!(bad.code, 1, "a key the org does not know fails: {}", bad.stderr);
    assert!(
        bad.stderr.contains("invalid_grant"),
        "the OAuth error is shown as Salesforce gave it: {}",
        bad.stderr
    );
    let status = o.env.json(&["credentials", "status", &o.lane]);
    assert_eq!(
        status["last_check"]["ok"], false,
        "the failed check is recorded for lanes list"
    );
}
