//! Triage (issue 22): assignee, investigating mark, tags and notes on one or many events,
//! audited, and the queue filtered by them. On a SQLite file, and on PostgreSQL in the team pass.

use crate::groups::demo_env;
use serde_json::Value;

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn several_people_triage_events_and_the_queue_filters_by_it() {
    let env = demo_env();
    let on_server = env.on_server();
    let by: &[&str] = if on_server { &[] } else { &["--by", "Dana Ops"] };
    let run = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(by);
        env.json(&a)
    };
    // Three events at once, and a fourth from an ids file.
    let file = env.write("ids.txt", "# the lock storm\n4\n");
    let r = run(&[
        "events",
        "triage",
        "1",
        "2",
        "3",
        "--ids",
        &file,
        "--assign",
        "Ana Lead",
        "--tag",
        "INC-7",
        "--investigating",
    ]);
    assert_eq!(r["changed"], serde_json::json!([1, 2, 3, 4]), "{r}");
    let listed = env.json(&["events", "list", "--assignee", "Ana Lead"]);
    assert_eq!(ids(&listed), vec![1, 2, 3, 4]);
    assert_eq!(
        ids(&env.json(&["events", "list", "--tag", "inc-7"])),
        vec![1, 2, 3, 4],
        "tags are lower case"
    );
    assert_eq!(
        ids(&env.json(&["events", "list", "--investigating", "--status", "failed"])).len(),
        4
    );

    // One of them is done: the mark and the tag go, a note stays.
    let r = run(&[
        "events",
        "triage",
        "2",
        "--done",
        "--untag",
        "inc-7",
        "--note",
        "lock cleared by the ERP team",
    ]);
    assert_eq!(r["changed"], serde_json::json!([2]));
    assert_eq!(ids(&env.json(&["events", "list", "--investigating"])), vec![1, 3, 4]);
    assert_eq!(
        ids(&env.json(&["events", "list", "--tag", "inc-7", "--assignee", "Ana Lead"])),
        vec![1, 3, 4]
    );
    let shown = env.json(&["events", "show", "2"]);
    let t = &shown["triage"];
    assert_eq!(t["assignee"], "Ana Lead");
    assert_eq!(t["investigating"], false);
    assert_eq!(t["tags"], serde_json::json!([]));
    assert_eq!(t["notes"][0]["text"], "lock cleared by the ERP team");
    let text = env.ok(&["events", "show", "2"]);
    assert!(
        text.contains("assigned to Ana Lead") && text.contains("lock cleared by the ERP team"),
        "{text}"
    );

    // Asking for what already is changes nothing and says so; bad input is refused whole.
    let r = run(&["events", "triage", "1", "3", "--assign", "Ana Lead"]);
    assert_eq!(r["unchanged"], serde_json::json!([1, 3]));
    let mut bad = vec!["events", "triage", "1", "--tag", "two words"];
    bad.extend_from_slice(by);
    assert!(env.fails(&bad, 1).contains("tag `two words`"));
    let mut missing = vec!["events", "triage", "1", "999999", "--assign", "Bo"];
    missing.extend_from_slice(by);
    assert!(env.fails(&missing, 1).contains("no event with id 999999"));
    assert_eq!(
        ids(&env.json(&["events", "list", "--assignee", "Bo"])),
        Vec::<i64>::new(),
        "nothing of a refused change stays"
    );

    // Each event's change is an audit entry, with what changed.
    let entries = env.json(&["audit", "list", "--action", "event_triaged", "--limit", "100"]);
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 5, "four, then one");
    let detail: Value = serde_json::from_str(entries[4]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["note"], "lock cleared by the ERP team");
    assert_eq!(detail["investigating"], false);
    assert_eq!(detail["tags_removed"], serde_json::json!(["inc-7"]));
}
