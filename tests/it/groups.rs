//! Failure groups (issue 22): `events groups` over the demo data and over messages that differ
//! only by record Ids and numbers, and a group opened as a batch preflight (`replay batch
//! --group KEY`) against the simulated org: the real CLI binary, real SQLite files (or the team
//! pass's PostgreSQL), the real keychain.

use crate::common::Env;
use crate::replay::{account, base_seed, Org};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const BEFORE: &str = "2026-11-19T08:00:00.000+0000";

pub fn demo_env() -> Env {
    let env = Env::new();
    // The reference contract as the repository keeps it (tests/data: a clean clone has no
    // ../shared), the demo's second lane and its 400 events: what the window's tests open too.
    crate::desktop::demo_db(&env);
    env
}

#[test]
fn the_demo_data_makes_one_group_per_lane_and_failure_with_its_counts_and_times() {
    let env = demo_env();
    // What the file holds, counted here independently: per lane and code, the events and the
    // earliest and latest occurred_at (second precision: the store adds milliseconds).
    let text = std::fs::read_to_string(format!("{}/examples/demo_events.ndjson", env!("CARGO_MANIFEST_DIR")))
        .expect("demo events");
    let mut want: BTreeMap<(String, String), (i64, String, String)> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let e: Value = serde_json::from_str(line).expect("demo line");
        let key = (
            e["lane_id"].as_str().unwrap().to_string(),
            e["failure"]["code"].as_str().unwrap().to_string(),
        );
        let at = e["occurred_at"].as_str().unwrap().trim_end_matches('Z').to_string();
        let w = want.entry(key).or_insert((0, at.clone(), at.clone()));
        w.0 += 1;
        if at < w.1 {
            w.1 = at.clone();
        }
        if at > w.2 {
            w.2 = at;
        }
    }
    let v = env.json(&["events", "groups"]);
    assert_eq!(v["events"], 400, "{v}");
    let groups = v["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), want.len(), "one group per lane and failure code: {v}");
    let mut open_before = i64::MAX;
    for g in groups {
        let key = (
            g["lane_id"].as_str().unwrap().to_string(),
            g["failure_code"].as_str().unwrap().to_string(),
        );
        let (count, first, last) = want.get(&key).unwrap_or_else(|| panic!("unexpected group {g}"));
        assert_eq!(g["count"].as_i64(), Some(*count), "{g}");
        assert_eq!(g["open"].as_i64(), Some(*count), "nothing replayed yet: {g}");
        assert!(
            g["first_seen"].as_str().unwrap().starts_with(first.as_str()),
            "{g} {first}"
        );
        assert!(
            g["last_seen"].as_str().unwrap().starts_with(last.as_str()),
            "{g} {last}"
        );
        assert_eq!(g["key"].as_str().unwrap().len(), 12);
        let open = g["open"].as_i64().unwrap();
        assert!(open <= open_before, "most open events first");
        open_before = open;
    }
    let lock = groups
        .iter()
        .find(|g| g["lane_id"] == "account_sync_north_america" && g["failure_code"] == "UNABLE_TO_LOCK_ROW")
        .expect("the lock group");
    assert_eq!(
        lock["signature"], "unable to obtain exclusive access to this record or <n> records: <id>",
        "the record Id and the count are stripped"
    );
    assert_eq!(lock["statuses"], json!([{"status": "failed", "count": 121}]));

    // One lane's groups; an unknown lane is named.
    let one = env.json(&["events", "groups", "--lane", "contact_enrichment_emea"]);
    assert_eq!(one["groups"].as_array().unwrap().len(), 8, "{one}");
    assert_eq!(one["events"], 60);
    let err = env.fails(&["events", "groups", "--lane", "no_such_lane"], 1);
    assert!(err.contains("no lane `no_such_lane`"), "{err}");
    // The text form: a line per group, the signatures beneath, and how to batch one.
    let text = env.ok(&["events", "groups", "--lane", "contact_enrichment_emea"]);
    assert!(
        text.contains("GROUP") && text.contains("replay batch --group"),
        "{text}"
    );
    assert!(text.contains("<n> records: <id>"), "{text}");
}

/// An event of the org's lane with this failure.
fn event(lane: &str, i: usize, ext: &str, code: &str, message: &str) -> String {
    json!({"lane_id": lane, "event_key": format!("g-{i}"), "source_system": "billing",
        "object": "Account", "external_id": ext, "operation": "upsert",
        "payload": {"Name": format!("Grouped {i}")}, "status": "failed",
        "failure": {"code": code, "message": message, "http_status": 400},
        "occurred_at": format!("2026-11-20T10:{i:02}:00Z")})
    .to_string()
}

#[test]
fn a_group_opens_as_a_batch_preflight_of_its_open_events_and_only_those_are_written() {
    let (mut s, u) = base_seed();
    for i in 0..7 {
        account(
            &mut s,
            &format!("G{i}"),
            &format!("Grouped {i} (old)"),
            &u.rita,
            BEFORE,
            "Gold",
        );
    }
    let o = Org::start("grp", s);
    let lane = o.lane.clone();
    let lock = "UNABLE_TO_LOCK_ROW";
    let lines = [
        // Three lock failures on different records and counts: one group.
        event(
            &lane,
            0,
            "G0",
            lock,
            "unable to obtain exclusive access to this record or 1 records: 001Hs00003XkQ2AIAV",
        ),
        event(
            &lane,
            1,
            "G1",
            lock,
            "unable to obtain exclusive access to this record or 2 records: 001Hs00003XkQ2AIAW",
        ),
        event(
            &lane,
            2,
            "G2",
            lock,
            "unable to obtain exclusive access to this record or 1 records: 001Hs00003XkQ2B",
        ),
        // The same code, another cause: its own group.
        event(&lane, 3, "G3", lock, "record locked by a running 'Nightly Merge' job"),
        // Another code with the same words: its own group.
        event(
            &lane,
            4,
            "G4",
            "SERVER_UNAVAILABLE",
            "unable to obtain exclusive access to this record or 1 records: 001Hs00003XkQ2AIAV",
        ),
        event(
            &lane,
            5,
            "G5",
            lock,
            "unable to obtain exclusive access to this record or 4 records: 001Hs00003XkQ2AIAX",
        ),
        event(&lane, 6, "G6", lock, "record locked by a running 'Weekly Merge' job"),
    ];
    o.env
        .ok(&["events", "import", &o.env.write("grouped.ndjson", lines.join("\n"))]);
    let listed = o.env.json(&["events", "list", "--lane", &lane, "--limit", "100"]);
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 7);

    let v = o.env.json(&["events", "groups", "--lane", &lane]);
    let groups = v["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 3, "{v}");
    let big = &groups[0];
    assert_eq!(big["count"], 4, "{v}");
    assert_eq!(big["messages"], 4, "four distinct messages, one signature: {big}");
    let merge = groups.iter().find(|g| g["count"] == 2).expect("the merge-job group");
    assert_eq!(merge["signature"], "record locked by a running <value> job");

    // One of the group's events is discarded first: the group still counts it, as discarded,
    // and the batch leaves it out.
    let discarded = ids[5];
    o.env.ok(&[
        "events",
        "discard",
        &discarded.to_string(),
        "--operator",
        "Dana Ops",
        "--reason",
        "sent by hand",
    ]);
    let v = o.env.json(&["events", "groups", "--lane", &lane]);
    let big = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == groups[0]["key"])
        .unwrap()
        .clone();
    assert_eq!(
        (big["count"].as_i64(), big["open"].as_i64()),
        (Some(4), Some(3)),
        "{big}"
    );
    assert!(
        big["statuses"]
            .as_array()
            .unwrap()
            .contains(&json!({"status": "discarded", "count": 1})),
        "{big}"
    );

    let key = big["key"].as_str().unwrap().to_string();
    // One action: the group's key is the whole selection (its lane and code come with it).
    let plan = o
        .env
        .json(&["replay", "batch", "--group", &key, "--operator", "Dana Ops"]);
    let planned: BTreeSet<i64> = plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_i64().unwrap())
        .collect();
    assert_eq!(planned, BTreeSet::from([ids[0], ids[1], ids[2]]), "{plan}");
    let shown = o.env.json(&["replay", "batch", "show", &plan["batch_id"].to_string()]);
    assert_eq!(
        shown["selection"]["group"],
        key.as_str(),
        "the batch records its group: {shown}"
    );
    assert_eq!(shown["selection"]["reason_code"], lock);

    let token = plan["ack_token"].as_str().unwrap().to_string();
    let before = o.org.writes().len();
    // The token with another group: refused, nothing sent.
    let other = merge["key"].as_str().unwrap();
    let r = o.env.run(&[
        "replay",
        "batch",
        "--group",
        other,
        "--operator",
        "Dana Ops",
        "--reason",
        "INC-1",
        "--ack",
        &token,
    ]);
    assert_ne!(r.code, 0, "{} {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("selection given differs"), "{}", r.stderr);
    assert_eq!(o.org.writes().len(), before, "nothing was sent");
    // With its own group: the three are written, once each, and nothing else.
    let r = o.env.run(&[
        "replay",
        "batch",
        "--group",
        &key,
        "--operator",
        "Dana Ops",
        "--reason",
        "INC-1 lock storm",
        "--ack",
        &token,
        "--json",
    ]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let sum: Value = serde_json::from_str(&r.stdout).expect("summary");
    let updated: BTreeSet<i64> = sum["updated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect();
    assert_eq!(updated, planned, "{sum}");
    assert_eq!(o.org.writes().len() - before, 3, "one write per event of the group");
    for (i, id) in ids.iter().enumerate() {
        let want = match i {
            0..=2 => "replayed",
            5 => "discarded",
            _ => "failed",
        };
        assert_eq!(o.status(*id), want, "event {i}");
    }
    // The group is now all replayed or discarded: nothing left to batch, said so.
    let err = o
        .env
        .fails(&["replay", "batch", "--group", &key, "--operator", "Dana Ops"], 1);
    assert!(
        err.contains(&format!("failure group {key} has no failed or blocked events left")),
        "{err}"
    );
    let err = o.env.fails(
        &["replay", "batch", "--group", "0123456789ab", "--operator", "Dana Ops"],
        1,
    );
    assert!(err.contains("no failure group `0123456789ab`"), "{err}");
}
