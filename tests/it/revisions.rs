//! Edit before replay (issue 22) against the simulated org: the real CLI binary, a real SQLite
//! file (solo mode: declared editor and approver), the real keychain. An edited payload is
//! replayed only after a preflight taken on it and the approval of someone other than its
//! editor, and the org's write log then holds the edited values.

use crate::replay::{account, base_seed, detail, Org};
use serde_json::{json, Value};

const BEFORE: &str = "2026-11-19T08:00:00.000+0000";

#[test]
fn an_edit_is_replayed_only_after_its_own_preflight_and_another_persons_approval() {
    let (mut s, u) = base_seed();
    account(&mut s, "E1", "Edit Me (old)", &u.rita, BEFORE, "Gold");
    let o = Org::start_solo("edit", s, |c| c);
    let ids = o.events(&[(
        Some("E1"),
        json!({"Name": "Edit Me", "BillingCity": "Denver", "Phone": "+1 303 555 0101"}),
    )]);
    let id = ids[0].to_string();

    // A preflight of the imported payload, taken before the edit.
    let stale = o.token(ids[0]);

    // The edit: two fields set, one removed; the original is kept beside it.
    let made = o.env.json(&[
        "events",
        "edit",
        &id,
        "--set",
        "BillingCity=Boulder",
        "--set",
        "AnnualRevenue=2500000",
        "--unset",
        "Phone",
        "--editor",
        "Dana Ops",
        "--reason",
        "INC-7: billing sent the old city",
    ]);
    assert_eq!(made["revision"], 1, "{made}");
    assert_eq!(
        made["changes"],
        json!([
            {"field": "AnnualRevenue", "before": null, "after": 2500000},
            {"field": "BillingCity", "before": "Denver", "after": "Boulder"},
            {"field": "Phone", "before": "+1 303 555 0101", "after": null},
        ])
    );
    let shown = o.env.json(&["events", "show", &id]);
    assert_eq!(
        shown["payload"]["BillingCity"], "Denver",
        "the event's own payload is the original, unchanged"
    );

    // The preflight taken before the edit no longer replays: refused, nothing sent.
    let r = o.replay(ids[0], &stale, &[]);
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("revision_changed"), "{}", r.stderr);
    assert_eq!(o.writes(), 0);

    // A preflight on the revision shows the edited request, but the revision is not approved.
    let p = o.preflight(ids[0]);
    assert_eq!(p["preflight"]["event"]["revision"], 1, "{p}");
    let body = p["preflight"]["request"]["body"].to_string();
    assert!(
        body.contains("Boulder") && !body.contains("+1 303 555 0101"),
        "the request carries the edit: {body}"
    );
    let token = p["preflight"]["ack_token"].as_str().unwrap().to_string();
    let r = o.replay(ids[0], &token, &[]);
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("revision_not_approved"), "{}", r.stderr);
    assert_eq!(o.writes(), 0, "nothing is sent before the approval");

    // The editor cannot approve their own edit, whatever the case of the name.
    let err = o.env.fails(
        &[
            "events",
            "approve-edit",
            &id,
            "--revision",
            "1",
            "--approver",
            " dana OPS ",
            "--reason",
            "mine",
        ],
        3,
    );
    assert!(err.contains("approver_is_editor"), "{err}");
    let approved = o.env.json(&[
        "events",
        "approve-edit",
        &id,
        "--revision",
        "1",
        "--approver",
        "Lee Review",
        "--reason",
        "checked with billing",
    ]);
    assert_eq!(approved["approved_by"], "Lee Review");
    assert_eq!(
        approved["approver_authenticated"], false,
        "solo mode: a declared approver, marked as such"
    );

    // Approved, and the preflight was taken on this revision: the replay writes the edit.
    let r = o.replay(ids[0], &token, &[]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let writes = o.org.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].body["BillingCity"], "Boulder",
        "the org's write log holds the edited values"
    );
    assert_eq!(writes[0].body["AnnualRevenue"], 2500000);
    assert!(writes[0].body.get("Phone").is_none(), "the removed field is not sent");
    assert_eq!(o.status(ids[0]), "replayed");

    // The audit shows original, edit, editor and approver.
    let edited = o.audit_of("event_edited");
    assert_eq!(edited.len(), 1);
    assert_eq!(edited[0]["actor"], "Dana Ops");
    assert_eq!(detail(&edited[0])["changes"][1]["before"], "Denver");
    let ok = o.audit_of("event_edit_approved");
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0]["actor"], "Lee Review");
    assert_eq!(detail(&ok[0])["editor"], "Dana Ops");
    let intent = o.audit_of("replay_intent");
    let rev = &detail(intent.last().unwrap())["revision"];
    assert_eq!(
        (rev["editor"].as_str(), rev["approved_by"].as_str()),
        (Some("Dana Ops"), Some("Lee Review")),
        "{rev}"
    );

    // A replayed event is not edited any more.
    let err = o.env.fails(
        &[
            "events", "edit", &id, "--set", "Name=x", "--editor", "Dana Ops", "--reason", "late",
        ],
        3,
    );
    assert!(err.contains("not_editable"), "{err}");
    let history = o.env.json(&["events", "revisions", &id]);
    assert_eq!(history["original"]["Phone"], "+1 303 555 0101");
    assert_eq!(history["revisions"].as_array().unwrap().len(), 1);
}

#[test]
fn protected_fields_typos_and_empty_edits_are_refused_and_a_new_edit_needs_a_new_approval() {
    let (mut s, u) = base_seed();
    account(&mut s, "E2", "Guarded (old)", &u.rita, BEFORE, "Gold");
    let o = Org::start_solo("editp", s, |c| c);
    let ids = o.events(&[(Some("E2"), json!({"Name": "Guarded", "BillingCity": "Denver"}))]);
    let id = ids[0].to_string();
    let edit = |extra: &[&str]| {
        let mut a = vec![
            "events",
            "edit",
            id.as_str(),
            "--editor",
            "Dana Ops",
            "--reason",
            "INC-8",
        ];
        a.extend_from_slice(extra);
        o.env.run(&a)
    };
    // Tier__c is a protected field of the reference contract.
    let r = edit(&["--set", "Tier__c=Platinum"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("protected_field_edit") && r.stderr.contains("Tier__c"),
        "{}",
        r.stderr
    );
    let r = edit(&["--unset", "Phnoe"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no field Phnoe"), "{}", r.stderr);
    let r = edit(&["--set", "BillingCity=Denver"]);
    assert!(r.stderr.contains("changes nothing"), "{}", r.stderr);
    let r = edit(&[]);
    assert!(r.stderr.contains("say what to change"), "{}", r.stderr);
    let bad = o.env.write("bad.json", "{\"Name\": \n  [1,");
    let r = edit(&["--from-file", &bad]);
    assert!(
        r.stderr.contains("bad.json: line 2"),
        "the file, line and column: {}",
        r.stderr
    );
    assert!(
        o.audit_of("event_edited").is_empty(),
        "nothing refused was recorded as an edit"
    );

    // With the override's reason the protected edit is a revision, approved, then replaced by a
    // second edit: the second needs its own approval before anything is written.
    let r = edit(&[
        "--set",
        "Tier__c=Platinum",
        "--protected-override",
        "contract upgrade signed 2026-11-18",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    o.env.ok(&[
        "events",
        "approve-edit",
        &id,
        "--revision",
        "1",
        "--approver",
        "Lee Review",
        "--reason",
        "ok",
    ]);
    let r = edit(&[
        "--from-file",
        &o.env
            .write("whole.json", r#"{"Name": "Guarded Inc", "BillingCity": "Austin"}"#),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let history = o.env.json(&["events", "revisions", &id]);
    let second = &history["revisions"][1];
    assert_eq!(second["revision"], 2);
    assert_eq!(second["approved_by"], Value::Null);
    assert!(
        history["waiting_for"]
            .as_str()
            .unwrap()
            .contains("revision 2 awaits approval"),
        "{history}"
    );
    let token = o.token(ids[0]);
    let r = o.replay(ids[0], &token, &[]);
    assert!(r.stderr.contains("revision_not_approved"), "{}", r.stderr);
    assert_eq!(o.writes(), 0);
    // Approving the old revision is refused: what is approved is what would be written.
    let err = o.env.fails(
        &[
            "events",
            "approve-edit",
            &id,
            "--revision",
            "1",
            "--approver",
            "Lee Review",
            "--reason",
            "x",
        ],
        3,
    );
    assert!(err.contains("not event") && err.contains("current one"), "{err}");
}

#[test]
fn in_team_mode_the_editor_and_approver_are_logins_and_the_editor_cannot_approve() {
    if crate::common::test_server().is_none() {
        return; // runs in the team pass (scripts/test-team)
    }
    let (mut s, u) = base_seed();
    account(&mut s, "T1", "Team Edit (old)", &u.rita, BEFORE, "Gold");
    let o = Org::start("editteam", s);
    o.env.team_init();
    let editor = o.env.person(Some("operator"));
    let both = o.env.person(Some("operator"));
    o.env.ok(&["team", "grant", &both.login, "approver"]);
    let reader = o.env.person(Some("reader"));
    let ids = o.events(&[(Some("T1"), json!({"Name": "Team Edit", "BillingCity": "Denver"}))]);
    let id = ids[0].to_string();

    // A reader may not edit: the server refuses the insert.
    let r = o.env.run_as(
        &reader,
        &["events", "edit", &id, "--set", "BillingCity=Boulder", "--reason", "x"],
    );
    assert_ne!(r.code, 0, "{}", r.stdout);
    // The editor's typed name is not what is recorded: the login is.
    let r = o.env.run_as(
        &editor,
        &[
            "events",
            "edit",
            &id,
            "--set",
            "BillingCity=Boulder",
            "--editor",
            "Someone Else",
            "--reason",
            "INC-9",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let made: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(made["editor"], editor.login.as_str());
    assert_eq!(made["editor_authenticated"], true);
    // The editor has no approver role; an operator+approver who did not edit approves.
    let r = o.env.run_as(
        &editor,
        &["events", "approve-edit", &id, "--revision", "1", "--reason", "mine"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("not_an_approver"), "{}", r.stderr);
    let r = o.env.run_as(
        &both,
        &[
            "events",
            "approve-edit",
            &id,
            "--revision",
            "1",
            "--approver",
            "Typed Name",
            "--reason",
            "ok",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let approved: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        approved["approved_by"],
        both.login.as_str(),
        "the login, not the typed name"
    );
    assert_eq!(approved["approver_authenticated"], true);
    // The same login editing again cannot approve its own revision, even with the role.
    let r = o.env.run_as(
        &both,
        &[
            "events",
            "edit",
            &id,
            "--set",
            "Name=Team Edit Inc",
            "--reason",
            "INC-9b",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = o.env.run_as(
        &both,
        &["events", "approve-edit", &id, "--revision", "2", "--reason", "self"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("approver_is_editor"), "{}", r.stderr);
}
