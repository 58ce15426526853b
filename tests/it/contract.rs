//! The lane contract governs every write (issue 14): for each key, two contracts that differ only
//! in that key, the same events, the real CLI against the simulated org, and the org's write log
//! to show what was and was not written. Plus the two scenarios that started it: an `update`
//! lane that created a record, and a planned create that overwrote a record which appeared after
//! the preflight.

use crate::replay::{account, base_seed, codes as findings, has, Org, Users};
use replay_console::sandbox::{Applies, Fault, FaultKind, Seed, WriteRecord};
use serde_json::{json, Value};

const BEFORE: &str = "2026-11-19T08:00:00.000+0000";

/// The console's own writes (the org also logs records made by "someone else").
fn console_writes(o: &Org) -> Vec<WriteRecord> {
    o.org
        .writes()
        .into_iter()
        .filter(|w| w.operation != "made_by_someone_else")
        .collect()
}

fn side_effects(p: &Value) -> Vec<String> {
    p["preflight"]["side_effects"]
        .as_array()
        .expect("side effects")
        .iter()
        .map(|s| s["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Events with an explicit operation for this lane; returns their ids in order.
fn events_with_op(o: &Org, events: &[(&str, &str, Value)]) -> Vec<i64> {
    let mut s = String::new();
    for (i, (ext, op, payload)) in events.iter().enumerate() {
        let e = json!({"lane_id": o.lane, "event_key": format!("op-{i}"), "source_system": "billing",
            "object": "Account", "external_id": ext, "operation": op, "payload": payload, "status": "failed",
            "failure": {"code": "UNABLE_TO_LOCK_ROW", "message": "lock", "http_status": 400},
            "occurred_at": "2026-11-20T10:00:00Z"});
        s.push_str(&e.to_string());
        s.push('\n');
    }
    o.env.ok(&["events", "import", &o.env.write("ops.ndjson", s)]);
    let listed = o.env.json(&["events", "list", "--lane", &o.lane, "--limit", "1000"]);
    listed
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

/// The base seed with Account `ACME` (owned by Rita, last modified before the events).
fn seed_with_acme() -> (Seed, Users, String) {
    let (mut s, u) = base_seed();
    let acme = account(&mut s, "ACME", "Acme (old)", &u.rita, BEFORE, "Gold");
    (s, u, acme)
}

fn audit(o: &Org) -> Vec<Value> {
    o.env
        .json(&["audit", "list", "--limit", "1000"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

// ---- the two scenarios at the top of the issue ----

#[test]
fn an_update_lane_never_creates_and_refuses_events_that_would() {
    let update = |c: String| c.replace("  operation: upsert\n", "  operation: update\n");
    // write_policy.operation: update. An `upsert` event is refused at import with its line.
    let (s, _, _) = seed_with_acme();
    let o = Org::start_with("op_update", s, update);
    let file = o.env.write(
        "upsert.ndjson",
        format!(
            "{}\n",
            json!({"lane_id": o.lane, "event_key": "u-1", "source_system": "billing", "object": "Account",
                   "external_id": "NEW-1", "operation": "upsert", "payload": {"Name": "New Co"}, "status": "failed",
                   "occurred_at": "2026-11-20T10:00:00Z"})
        ),
    );
    let err = o.env.fails(&["events", "import", &file], 1);
    assert!(
        err.contains("line 1") && err.contains("operation") && err.contains("allows only update"),
        "an event whose operation the lane does not allow is refused with its line: {err}"
    );
    // An `update` event whose record does not exist: create_not_allowed, exit 3, nothing written.
    let ids = events_with_op(&o, &[("NEW-1", "update", json!({"Name": "New Co"}))]);
    let p = o.preflight(ids[0]);
    assert!(has(&p, "create_not_allowed", "blocking"), "{:?}", findings(&p));
    assert_eq!(p["preflight"]["request"]["kind"], "none", "nothing to send");
    let r = o.replay(ids[0], p["preflight"]["ack_token"].as_str().unwrap_or(""), &[]);
    assert_eq!(r.code, 3, "refused: {}", r.stderr);
    assert!(
        r.stderr.contains("create_not_allowed") || r.stderr.contains("never creates"),
        "{}",
        r.stderr
    );
    assert!(console_writes(&o).is_empty(), "an update lane never creates");
    assert_eq!(o.status(ids[0]), "failed", "the event stays replayable");

    // The same event on an upsert lane is a create (a plain POST).
    let (s, _, _) = seed_with_acme();
    let o2 = Org::start("op_upsert", s);
    let ids = events_with_op(&o2, &[("NEW-1", "upsert", json!({"Name": "New Co"}))]);
    let t = o2.token(ids[0]);
    let r = o2.replay(ids[0], &t, &[]);
    assert_eq!(r.code, 0, "an upsert lane creates: {}", r.stderr);
    let w = console_writes(&o2);
    assert_eq!(w.len(), 1, "one write");
    assert_eq!(w[0].method, "POST", "a create is a plain POST, never an upsert");
    assert!(w[0].path.ends_with("/sobjects/Account/"), "{}", w[0].path);
    assert_eq!(
        w[0].body["billing_account_id__c"], "NEW-1",
        "the external ID is in the body"
    );
}

#[test]
fn an_events_own_operation_decides_update_only_and_insert_only() {
    let (s, _, acme) = seed_with_acme();
    let o = Org::start("op_event", s);
    let ids = events_with_op(
        &o,
        &[
            ("ABSENT-U", "update", json!({"Name": "Would Be Created"})),
            ("ACME", "insert", json!({"Name": "Would Overwrite Acme"})),
            ("ABSENT-I", "insert", json!({"Name": "Inserted Co"})),
        ],
    );
    let p_update = o.preflight(ids[0]);
    assert!(
        has(&p_update, "create_not_allowed", "blocking"),
        "an update event never creates: {:?}",
        findings(&p_update)
    );
    let p_insert = o.preflight(ids[1]);
    assert!(
        has(&p_insert, "update_not_allowed", "blocking"),
        "an insert event never updates an existing record: {:?}",
        findings(&p_insert)
    );
    for id in &ids[..2] {
        let t = o.token(*id);
        assert_eq!(o.replay(*id, &t, &[]).code, 3, "both are refused");
    }
    assert!(console_writes(&o).is_empty(), "nothing was written for either");
    let acme_now = o.org.record("Account", &acme).expect("acme");
    assert_eq!(acme_now["Name"], "Acme (old)", "the existing record is untouched");
    // An insert whose record does not exist is a create.
    let t = o.token(ids[2]);
    assert_eq!(o.replay(ids[2], &t, &[]).code, 0);
    assert_eq!(console_writes(&o).len(), 1);
}

#[test]
fn a_record_that_appears_after_the_preflight_is_never_overwritten() {
    let (s, _, _) = seed_with_acme();
    let o = Org::start("appeared", s);
    let ids = o.events(&[(Some("LATE-1"), json!({"Name": "Late Co", "BillingCity": "Berlin"}))]);
    let p = o.preflight(ids[0]);
    assert_eq!(p["preflight"]["request"]["kind"], "create");
    assert_eq!(p["preflight"]["request"]["method"], "POST");
    let token = p["preflight"]["ack_token"].as_str().expect("token").to_string();
    // Someone else creates the record between preflight and replay.
    let mut fields = serde_json::Map::new();
    fields.insert("Name".into(), json!("Made by someone else"));
    fields.insert("billing_account_id__c".into(), json!("LATE-1"));
    fields.insert("BillingCity".into(), json!("Munich"));
    let theirs = o
        .org
        .insert_by_someone_else("Account", fields)
        .expect("the org takes the other record");
    let r = o.replay(ids[0], &token, &[]);
    assert_eq!(r.code, 3, "refused, exit 3: {} {}", r.stdout, r.stderr);
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains(&theirs),
        "the refusal names the record that appeared: {} {}",
        r.stdout,
        r.stderr
    );
    assert!(console_writes(&o).is_empty(), "nothing was written");
    let now = o.org.record("Account", &theirs).expect("theirs");
    assert_eq!(now["BillingCity"], "Munich", "their record is untouched");
    assert_eq!(o.status(ids[0]), "failed", "the event stays replayable");
    let entries = audit(&o);
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "replay_outcome" && e["outcome"] == "record_appeared"),
        "the refusal is audited"
    );
    let next = o.preflight(ids[0]);
    assert_eq!(
        next["preflight"]["target"]["state"], "found",
        "the next preflight shows it as found"
    );
    assert_eq!(next["preflight"]["target"]["record"]["id"], theirs.as_str());
    assert_eq!(
        next["preflight"]["request"]["kind"], "update",
        "and plans a reviewed, conditional update"
    );
}

#[test]
fn duplicate_value_on_a_unique_external_id_is_the_same_refusal() {
    let (mut s, _, _) = seed_with_acme();
    if let Some(spec) = s.objects.get_mut("Account") {
        spec.unique_external_ids = true;
    }
    let o = Org::start("dupvalue", s);
    let ids = o.events(&[(Some("RACE-1"), json!({"Name": "Race Co"}))]);
    let p = o.preflight(ids[0]);
    assert!(
        !has(&p, "external_id_not_unique_in_org", "warning"),
        "the org's describe agrees the field is unique: {:?}",
        findings(&p)
    );
    let token = p["preflight"]["ack_token"].as_str().expect("token").to_string();
    // The record appears after the re-read, just before the create: Salesforce refuses it.
    o.org
        .inject(Fault::new(FaultKind::RecordAppears, 1).on(Applies::Writes));
    let r = o.replay(ids[0], &token, &[]);
    assert_eq!(
        r.code, 3,
        "DUPLICATE_VALUE is the same refusal: {} {}",
        r.stdout, r.stderr
    );
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("DUPLICATE_VALUE"),
        "{} {}",
        r.stdout,
        r.stderr
    );
    assert!(console_writes(&o).is_empty(), "nothing was written by the console");
    let rows: Vec<Value> = o
        .org
        .records("Account")
        .into_iter()
        .filter(|r| r["billing_account_id__c"] == "RACE-1")
        .collect();
    assert_eq!(rows.len(), 1, "only the other record exists");
    assert_eq!(rows[0]["Name"], "Made by someone else");
}

// ---- one key at a time ----

#[test]
fn create_new_record_only_when_external_id_match_decides_the_re_read() {
    let without = |c: String| c.replace("    - no_existing_external_id_match\n", "");
    for (tag, contract, rechecked) in [
        ("cnr_ext_on", None, true),
        ("cnr_ext_off", Some(without as fn(String) -> String), false),
    ] {
        let (s, _, _) = seed_with_acme();
        let o = match contract {
            Some(f) => Org::start_with(tag, s, f),
            None => Org::start(tag, s),
        };
        let ids = o.events(&[(Some("DUO-1"), json!({"Name": "Duo Co"}))]);
        let p = o.preflight(ids[0]);
        assert_eq!(
            has(&p, "external_id_not_rechecked", "warning"),
            !rechecked,
            "{tag}: left out, the condition is a warning to acknowledge: {:?}",
            findings(&p)
        );
        let token = p["preflight"]["ack_token"].as_str().expect("token").to_string();
        let mut fields = serde_json::Map::new();
        fields.insert("Name".into(), json!("Made by someone else"));
        fields.insert("billing_account_id__c".into(), json!("DUO-1"));
        o.org.insert_by_someone_else("Account", fields).expect("inserted");
        let r = o.replay(ids[0], &token, &[]);
        if rechecked {
            assert_eq!(r.code, 3, "{tag}: the re-read refuses: {}", r.stderr);
            assert!(console_writes(&o).is_empty(), "{tag}: nothing written");
        } else {
            // Not unique in this org, and the contract did not ask for the re-read: the lane owner
            // accepted a second record; it is a plain create, never an update of theirs.
            assert_eq!(r.code, 0, "{tag}: {}", r.stderr);
            let w = console_writes(&o);
            assert_eq!(w.len(), 1);
            assert_eq!(w[0].method, "POST", "{tag}: still never an update");
        }
    }
}

#[test]
fn create_new_record_only_when_business_key_match_blocks_or_warns() {
    // block_write_if without duplicate_conflict_detected, so only the create condition decides.
    fn base(c: String) -> String {
        c.replace("    - duplicate_conflict_detected\n", "")
    }
    let without = |c: String| base(c).replace("    - no_existing_approved_business_key_match\n", "");
    for (tag, f, blocks) in [
        ("cnr_bk_on", base as fn(String) -> String, true),
        ("cnr_bk_off", without as fn(String) -> String, false),
    ] {
        let (mut s, u, _) = seed_with_acme();
        s.record(
            "Account",
            json!({"Name": "Twin Co", "OwnerId": u.rita, "LastModifiedDate": BEFORE}),
        );
        let o = Org::start_with(tag, s, f);
        let ids = o.events(&[
            (Some("TWIN-1"), json!({"Name": "Twin Co"})),
            (Some("NONAME-1"), json!({"BillingCity": "Oslo"})),
        ]);
        let p = o.preflight(ids[0]);
        let sev = if blocks { "blocking" } else { "warning" };
        assert!(
            has(&p, "duplicate_conflict_detected", sev),
            "{tag}: a business-key match is {sev}: {:?}",
            findings(&p)
        );
        let incomplete = o.preflight(ids[1]);
        assert!(
            has(&incomplete, "business_key_incomplete", sev),
            "{tag}: an incomplete business key is a finding, never a skipped search: {:?}",
            findings(&incomplete)
        );
        let t = p["preflight"]["ack_token"].as_str().expect("token").to_string();
        let r = o.replay(ids[0], &t, &[]);
        if blocks {
            assert_eq!(r.code, 3, "{tag}: {}", r.stderr);
            assert!(console_writes(&o).is_empty());
        } else {
            assert!(
                side_effects(&p).contains(&"warning_duplicate_conflict_detected".to_string()),
                "{tag}: the warning is acknowledged as a side effect: {:?}",
                side_effects(&p)
            );
            assert_eq!(r.code, 0, "{tag}: {}", r.stderr);
            assert_eq!(console_writes(&o).len(), 1);
        }
    }
}

#[test]
fn block_write_if_decides_which_findings_block_and_floors_stay() {
    let without = |c: String| c.replace("    - protected_field_conflict\n", "");
    let with_inactive = |c: String| {
        c.replace(
            "    - protected_field_conflict\n",
            "    - protected_field_conflict\n    - owner_inactive\n",
        )
    };
    for (tag, f, protected_blocks, inactive_blocks) in [
        ("bwi_ref", (|c| c) as fn(String) -> String, true, false),
        ("bwi_noprot", without as fn(String) -> String, false, false),
        ("bwi_inact", with_inactive as fn(String) -> String, true, true),
    ] {
        let (mut s, u, _) = seed_with_acme();
        account(&mut s, "TIER", "Tier Co", &u.rita, BEFORE, "Gold");
        account(&mut s, "OMAR", "Omar Co", &u.omar_inactive, BEFORE, "Gold");
        let o = Org::start_with(tag, s, f);
        let ids = o.events(&[
            (Some("TIER"), json!({"Name": "Tier Co 2", "Tier__c": "Silver"})),
            (Some("OMAR"), json!({"Name": "Omar Co 2"})),
            (None, json!({"Name": "No Key Co"})),
        ]);
        let tier = o.preflight(ids[0]);
        let sev = |b: bool| if b { "blocking" } else { "warning" };
        assert!(
            has(&tier, "protected_field_conflict", sev(protected_blocks)),
            "{tag}: {:?}",
            findings(&tier)
        );
        let omar = o.preflight(ids[1]);
        assert!(
            has(&omar, "owner_inactive", sev(inactive_blocks)),
            "{tag}: {:?}",
            findings(&omar)
        );
        let nokey = o.preflight(ids[2]);
        assert!(
            has(&nokey, "external_id_missing", "blocking"),
            "{tag}: no target key is a floor whatever block_write_if says"
        );
        let t = tier["preflight"]["ack_token"].as_str().expect("token").to_string();
        let r = o.replay(ids[0], &t, &[]);
        if protected_blocks {
            assert_eq!(r.code, 3, "{tag}");
            assert!(console_writes(&o).is_empty(), "{tag}: blocked, nothing written");
        } else {
            assert_eq!(r.code, 0, "{tag}: a warning does not stop the write: {}", r.stderr);
            let w = console_writes(&o);
            assert_eq!(w.len(), 1);
            assert!(
                w[0].body.get("Tier__c").is_none(),
                "{tag}: the protected field is still stripped: {}",
                w[0].body
            );
            assert_eq!(w[0].body["Name"], "Tier Co 2");
        }
    }
    // Without the contract listing it, external_id_missing still blocks (floor).
    let (s, _, _) = seed_with_acme();
    let o = Org::start_with("bwi_floor", s, |c| c.replace("    - external_id_missing\n", ""));
    let ids = o.events(&[(None, json!({"Name": "No Key Co"}))]);
    let p = o.preflight(ids[0]);
    assert!(
        has(&p, "external_id_missing", "blocking"),
        "a floor: {:?}",
        findings(&p)
    );
}

#[test]
fn owner_override_allowed_only_when_lists_exactly_what_an_override_needs() {
    let reason_only = |c: String| c.replace("    - downstream_owner_change_is_approved\n", "");
    for (tag, f, needs_approval) in [
        ("ovr_both", (|c| c) as fn(String) -> String, true),
        ("ovr_reason", reason_only as fn(String) -> String, false),
    ] {
        let (mut s, u, _) = seed_with_acme();
        account(&mut s, "TIER", "Tier Co", &u.rita, BEFORE, "Gold");
        let o = Org::start_solo(tag, s, f);
        let ids = o.events(&[(Some("TIER"), json!({"Name": "Tier Co", "Tier__c": "Silver"}))]);
        let id = ids[0].to_string();
        let p = o
            .env
            .json(&["preflight", &id, "--reassignment-reason", "finance corrected the tier"]);
        let t = p["preflight"]["ack_token"].as_str().expect("token").to_string();
        let r = o.replay(ids[0], &t, &["--reassignment-reason", "finance corrected the tier"]);
        if needs_approval {
            assert_eq!(r.code, 3, "{tag}: an approver is required: {}", r.stderr);
            assert!(r.stderr.contains("approved"), "{tag}: {}", r.stderr);
            assert!(console_writes(&o).is_empty());
            // With an approver who is the operator: still refused.
            let p = o.env.json(&[
                "preflight",
                &id,
                "--reassignment-reason",
                "finance corrected the tier",
                "--approved-by",
                "Dana Ops",
            ]);
            let t = p["preflight"]["ack_token"].as_str().expect("token").to_string();
            let r = o.replay(
                ids[0],
                &t,
                &[
                    "--reassignment-reason",
                    "finance corrected the tier",
                    "--approved-by",
                    "Dana Ops",
                ],
            );
            assert_eq!(r.code, 3, "{tag}: self-approval refused");
            assert!(r.stderr.contains("someone other"), "{}", r.stderr);
            assert!(console_writes(&o).is_empty());
        } else {
            assert_eq!(
                r.code, 0,
                "{tag}: the reason alone is what this contract asks: {}",
                r.stderr
            );
            let w = console_writes(&o);
            assert_eq!(w.len(), 1);
            assert_eq!(
                w[0].body["Tier__c"], "Silver",
                "the override writes the protected field"
            );
        }
    }
}

#[test]
fn verify_before_replay_makes_a_failed_check_block_or_warn() {
    // Two contracts that differ only in owner_state (last_write_result, which the same failing
    // query would also leave open, is left out of both).
    let with_owner = |c: String| {
        c.replace(
            "    - last_write_result
",
            "",
        )
    };
    let without_owner = |c: String| {
        c.replace(
            "    - last_write_result
",
            "",
        )
        .replace(
            "    - owner_state
",
            "",
        )
    };
    for (tag, f, blocks) in [
        ("vbr_owner", with_owner as fn(String) -> String, true),
        ("vbr_noowner", without_owner as fn(String) -> String, false),
    ] {
        let (s, _, _) = seed_with_acme();
        let o = Org::start_with(tag, s, f);
        let ids = o.events(&[(Some("ACME"), json!({"Name": "Acme GmbH"}))]);
        // The owner lookup (a SOQL query) fails; the record read does not.
        o.org
            .inject(Fault::new(FaultKind::ServerUnavailable, 1).on(Applies::Queries));
        let p = o.preflight(ids[0]);
        let owner_finding = p["preflight"]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| {
                f["code"] == "verification_incomplete" && f["message"].as_str().unwrap_or("").starts_with("owner_state")
            })
            .cloned()
            .unwrap_or_else(|| panic!("{tag}: the finding says which check failed: {:?}", findings(&p)));
        assert_eq!(
            owner_finding["severity"],
            if blocks { "blocking" } else { "warning" },
            "{tag}: {owner_finding}"
        );
        assert!(
            !has(&p, "verification_incomplete", "blocking") || blocks,
            "{tag}: a check the contract does not list never blocks: {:?}",
            findings(&p)
        );
        let t = p["preflight"]["ack_token"].as_str().expect("token").to_string();
        let r = o.replay(ids[0], &t, &[]);
        if blocks {
            assert_eq!(r.code, 3, "{tag}: not replayable: {}", r.stderr);
            assert!(
                r.stderr.contains("owner_state"),
                "{tag}: says which check: {}",
                r.stderr
            );
            assert!(console_writes(&o).is_empty());
        } else {
            assert_eq!(r.code, 0, "{tag}: acknowledged as a warning, written: {}", r.stderr);
            assert_eq!(console_writes(&o).len(), 1);
        }
    }
}

#[test]
fn manual_replay_requires_is_what_the_gate_requires() {
    let review_only = |c: String| {
        c.replace("    - operator_name\n", "")
            .replace("    - replay_reason\n", "")
    };
    let nothing = |c: String| {
        c.replace("    - operator_name\n", "")
            .replace("    - replay_reason\n", "")
            .replace("    - expected_side_effect_review\n", "    []\n")
            .replace("  manual_replay_requires:\n    []\n", "  manual_replay_requires: []\n")
    };
    // All three (the reference): no operator, no reason -> refused.
    let (s, _, _) = seed_with_acme();
    let o = Org::start("mrr_all", s);
    let ids = o.events(&[(Some("ACME"), json!({"Name": "Acme GmbH"}))]);
    let t = o.token(ids[0]);
    let id = ids[0].to_string();
    let r = o.env.run(&["replay", &id, "--ack", &t]);
    assert_eq!(r.code, 3, "the operator's name is required: {}", r.stderr);
    assert!(r.stderr.contains("operator"), "{}", r.stderr);
    assert!(console_writes(&o).is_empty());

    // Only the side-effect review: the token suffices; the OS user is the audit's actor.
    let (s, _, _) = seed_with_acme();
    let o = Org::start_with("mrr_review", s, review_only);
    let ids = o.events(&[(Some("ACME"), json!({"Name": "Acme GmbH"}))]);
    let t = o.token(ids[0]);
    let id = ids[0].to_string();
    let r = o.env.run(&["replay", &id]);
    assert_eq!(r.code, 3, "the token is still required: {}", r.stderr);
    assert!(r.stderr.contains("--ack"), "{}", r.stderr);
    let r = o.env.run(&["replay", &id, "--ack", &t]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(console_writes(&o).len(), 1);
    let intent = audit(&o)
        .into_iter()
        .find(|e| e["action"] == "replay_intent")
        .expect("an intent entry");
    assert!(
        !intent["actor"].as_str().unwrap_or("").is_empty(),
        "someone is named: the OS user"
    );

    // Nothing listed: no token needed either (a token given must still match).
    let (s, _, _) = seed_with_acme();
    let o = Org::start_with("mrr_none", s, nothing);
    let ids = o.events(&[(Some("ACME"), json!({"Name": "Acme GmbH"}))]);
    o.preflight(ids[0]);
    let id = ids[0].to_string();
    let r = o.env.run(&["replay", &id, "--ack", "000000000000"]);
    assert_eq!(r.code, 3, "a wrong token is refused: {}", r.stderr);
    let r = o.env.run(&["replay", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(console_writes(&o).len(), 1);
}

#[test]
fn an_unknown_requirement_or_dimension_is_refused_at_import_with_line_and_column() {
    let env = crate::common::Env::new();
    for (from, to, field) in [
        (
            "    - operator_name\n",
            "    - operator_name\n    - a_signed_form\n",
            "replay_policy.manual_replay_requires",
        ),
        (
            "    - record_type\n",
            "    - record_type\n    - favourite_colour\n",
            "observability.log_dimensions",
        ),
        (
            "  event_key: source_event_id_or_composite_business_key\n",
            "  event_key: whatever_the_source_says\n",
            "replay_policy.event_key",
        ),
    ] {
        let yaml = crate::common::reference_contract().replace(from, to);
        let err = env.fails(&["lanes", "import", &env.write("bad.yaml", yaml)], 1);
        assert!(err.contains("line ") && err.contains("column "), "located: {err}");
        assert!(err.contains(field), "names the field: {err}");
    }
}

#[test]
fn replay_policy_event_key_derives_a_key_from_the_composite_business_key() {
    let strict = |c: String| {
        c.replace(
            "  event_key: source_event_id_or_composite_business_key\n",
            "  event_key: source_event_id\n",
        )
    };
    let keyless = |lane: &str| {
        format!(
            "{}\n",
            json!({"lane_id": lane, "source_system": "billing", "object": "Account", "external_id": "KL-1",
                   "operation": "upsert", "payload": {"Name": "Keyless Co"}, "status": "failed",
                   "occurred_at": "2026-11-20T10:00:00Z"})
        )
    };
    let (s, _, _) = seed_with_acme();
    let o = Org::start("ek_derive", s);
    let f = o.env.write("keyless.ndjson", keyless(&o.lane));
    o.env.ok(&["events", "import", &f]);
    let second = o.env.json(&["events", "import", &f]);
    assert_eq!(second["inserted"], 0, "a re-import deduplicates: {second}");
    let listed = o.env.json(&["events", "list", "--lane", &o.lane]);
    let key = listed[0]["event_key"].as_str().expect("a key").to_string();
    assert!(key.starts_with("bk-") && key.len() == 35, "derived: {key}");

    let (s, _, _) = seed_with_acme();
    let o = Org::start_with("ek_strict", s, strict);
    let f = o.env.write("keyless.ndjson", keyless(&o.lane));
    let err = o.env.fails(&["events", "import", &f], 1);
    assert!(err.contains("line 1") && err.contains("event_key"), "{err}");
}

#[test]
fn log_dimensions_decide_the_audit_columns() {
    let without_ext = |c: String| c.replace("    - external_id\n", "");
    for (tag, f, logged) in [
        ("ld_all", (|c| c) as fn(String) -> String, true),
        ("ld_noext", without_ext as fn(String) -> String, false),
    ] {
        let (s, _, _) = seed_with_acme();
        let o = Org::start_with(tag, s, f);
        let ids = o.events(&[(Some("ACME"), json!({"Name": "Acme GmbH"}))]);
        let t = o.token(ids[0]);
        assert_eq!(o.replay(ids[0], &t, &[]).code, 0);
        let entries = audit(&o);
        let replay_entries: Vec<&Value> = entries
            .iter()
            .filter(|e| {
                ["preflight", "replay_intent", "replay_outcome", "post_verify"]
                    .contains(&e["action"].as_str().unwrap_or(""))
            })
            .collect();
        assert_eq!(
            replay_entries.len(),
            4,
            "{tag}: preflight, intent, outcome, post-verify"
        );
        for e in replay_entries {
            assert_eq!(
                e["external_id"].is_string(),
                logged,
                "{tag}: external_id is logged exactly when listed: {e}"
            );
            assert_eq!(e["record_type"], "Account", "{tag}: the other dimensions stay");
        }
    }
}

#[test]
fn unreviewed_duplicate_and_matching_rules_are_warnings_on_every_create() {
    for (tag, f, warns) in [
        ("rr_yes", (|c| c) as fn(String) -> String, false),
        (
            "rr_no",
            (|c: String| {
                c.replace(
                    "  duplicate_rule_reviewed: true\n",
                    "  duplicate_rule_reviewed: false\n",
                )
                .replace("  matching_rule_reviewed: true\n", "  matching_rule_reviewed: false\n")
            }) as fn(String) -> String,
            true,
        ),
    ] {
        let (s, _, _) = seed_with_acme();
        let o = Org::start_with(tag, s, f);
        let ids = o.events(&[
            (Some("NEW-9"), json!({"Name": "New Nine"})),
            (Some("ACME"), json!({"Name": "Acme GmbH"})),
        ]);
        let create = o.preflight(ids[0]);
        let update = o.preflight(ids[1]);
        for code in ["duplicate_rules_not_reviewed", "matching_rules_not_reviewed"] {
            assert_eq!(has(&create, code, "warning"), warns, "{tag}: {code} on a create");
            assert_eq!(
                side_effects(&create).contains(&format!("warning_{code}")),
                warns,
                "{tag}: acknowledged as a side effect"
            );
            assert!(!has(&update, code, "warning"), "{tag}: not on an update");
        }
    }
}

#[test]
fn external_id_must_be_unique_checks_the_orgs_describe() {
    for (tag, f, declared) in [
        ("uniq_yes", (|c| c) as fn(String) -> String, true),
        (
            "uniq_no",
            (|c: String| {
                c.replace(
                    "  external_id_must_be_unique: true\n",
                    "  external_id_must_be_unique: false\n",
                )
            }) as fn(String) -> String,
            false,
        ),
    ] {
        // This org's external-ID field is not Unique.
        let (s, _, _) = seed_with_acme();
        let o = Org::start_with(tag, s, f);
        let ids = o.events(&[(Some("NEW-7"), json!({"Name": "New Seven"}))]);
        let p = o.preflight(ids[0]);
        assert_eq!(
            has(&p, "external_id_not_unique_in_org", "warning"),
            declared,
            "{tag}: the contract says unique and the org disagrees: {:?}",
            findings(&p)
        );
        assert_eq!(
            has(&p, "external_id_not_declared_unique", "warning"),
            !declared,
            "{tag}: {:?}",
            findings(&p)
        );
        // The lane's own check says it too, once per lane, before any create.
        let check = o.env.json(&["credentials", "check", &o.lane]);
        let warnings = check["lane_warnings"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            warnings
                .iter()
                .any(|w| w.as_str().unwrap_or("").contains("must be unique")),
            declared,
            "{tag}: a lane warning where the org disagrees: {check}"
        );
    }
}

#[test]
fn the_contracts_owners_appear_in_the_preflight_and_the_audit() {
    let (s, _, _) = seed_with_acme();
    let o = Org::start("owners", s);
    let ids = o.events(&[(Some("ACME"), json!({"Name": "Acme GmbH"}))]);
    let p = o.preflight(ids[0]);
    let lp = &p["preflight"]["lane_policy"];
    assert_eq!(lp["business_owner"], "revops_manager");
    assert_eq!(lp["technical_owner"], "integration_operator");
    assert_eq!(lp["alert_owner"], "revops_incidents");
    assert_eq!(lp["system_of_record"], "salesforce");
    let text = o.env.ok(&["preflight", &ids[0].to_string()]);
    assert!(
        text.contains("revops_manager") && text.contains("revops_incidents"),
        "{text}"
    );
    let t = o.token(ids[0]);
    assert_eq!(o.replay(ids[0], &t, &[]).code, 0);
    let intent = audit(&o)
        .into_iter()
        .find(|e| e["action"] == "replay_intent")
        .expect("intent");
    let detail = intent["detail"].to_string();
    assert!(
        detail.contains("revops_manager") && detail.contains("revops_incidents"),
        "{detail}"
    );
}

#[test]
fn a_batch_follows_the_same_rules() {
    let (mut s, u, _) = seed_with_acme();
    account(&mut s, "TIER", "Tier Co", &u.rita, BEFORE, "Gold");
    let o = Org::start_solo("batch_rules", s, |c| c);
    let ids = o.events(&[
        (Some("LATE-B"), json!({"Name": "Late Batch Co"})),
        (Some("ACME"), json!({"Name": "Acme Batch"})),
        (Some("TIER"), json!({"Name": "Tier Co", "Tier__c": "Silver"})),
    ]);
    let plan = o.env.json(&[
        "replay",
        "batch",
        "--lane",
        &o.lane,
        "--reassignment-reason",
        "finance corrected tiers",
        "--approved-by",
        "VP RevOps",
    ]);
    let token = plan["ack_token"].as_str().expect("batch token").to_string();
    assert_eq!(plan["aggregate"]["would_create"], 1);
    assert_eq!(
        plan["aggregate"]["blocked"], 0,
        "the override applies to the protected conflict: {plan}"
    );
    let mut fields = serde_json::Map::new();
    fields.insert("Name".into(), json!("Made by someone else"));
    fields.insert("billing_account_id__c".into(), json!("LATE-B"));
    o.org.insert_by_someone_else("Account", fields).expect("inserted");
    let summary = o.env.json(&[
        "replay",
        "batch",
        "--ack",
        &token,
        "--operator",
        "Dana Ops",
        "--reason",
        "INC-4711",
    ]);
    let skipped = summary["skipped"].as_array().expect("skipped");
    assert!(
        skipped
            .iter()
            .any(|s| s["event_id"] == ids[0] && s["code"] == "record_appeared_since_preflight"),
        "the create whose record appeared is refused: {summary}"
    );
    let w = console_writes(&o);
    assert_eq!(w.len(), 2, "the two updates only");
    assert!(w.iter().all(|w| w.method == "PATCH"), "no create, no upsert");
    let tier = w
        .iter()
        .find(|w| w.body.get("Tier__c").is_some())
        .expect("the overridden write");
    assert_eq!(
        tier.body["Tier__c"], "Silver",
        "the batch's override, recorded per event"
    );
    let intents: Vec<Value> = audit(&o)
        .into_iter()
        .filter(|e| e["action"] == "replay_intent" && e["event_id"] == ids[2])
        .collect();
    assert_eq!(intents.len(), 1);
    let detail: Value = serde_json::from_str(intents[0]["detail"].as_str().unwrap_or("null")).expect("detail is JSON");
    assert_eq!(
        detail["override"]["approved_by"], "VP RevOps",
        "the override is recorded on the event's intent: {detail}"
    );
    assert_eq!(
        detail["override"]["approver_authenticated"], false,
        "solo mode: the approver is declared, not authenticated: {detail}"
    );
}
