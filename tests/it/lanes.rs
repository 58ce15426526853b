//! Lane contracts through the CLI: import, show, versions, and located errors.

use crate::common::*;
use serde_json::Value;

/// Every leaf of `yaml` must appear, with the same value, at the same path of `json`.
fn assert_every_field_present(yaml: &Value, json: &Value, path: &str) {
    match yaml {
        Value::Object(m) => {
            for (k, v) in m {
                let sub = json.get(k).unwrap_or_else(|| {
                    panic!("`{path}.{k}` from the contract file is missing from `lanes show --json`")
                });
                assert_every_field_present(v, sub, &format!("{path}.{k}"));
            }
        }
        Value::Number(n) => assert_eq!(json.as_f64(), n.as_f64(), "`{path}` must keep its value"),
        other => assert_eq!(json, other, "`{path}` must keep its value"),
    }
}

#[test]
fn reference_contract_round_trips_with_every_field() {
    let env = Env::new();
    let imported = env.json(&["lanes", "import", &env.write("lane.yaml", reference_contract())]);
    assert_eq!(imported["change"], "created", "a first import creates the lane");
    assert_eq!(imported["version"], 1);

    let shown = env.json(&["lanes", "show", LANE]);
    let yaml: Value = serde_yaml_ng::from_str(&reference_contract()).expect("the fixture is YAML");
    assert_every_field_present(&yaml, &shown["contract"], "");
    assert_eq!(
        shown["contract"]["replay_console"]["business_key_fields"],
        serde_json::json!(["Name"]),
        "our own block is shown with its defaults"
    );

    let listed = env.json(&["lanes", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "one lane listed");
    assert_eq!(listed[0]["integration_user"], "sf_account_sync_app");
    assert_eq!(listed[0]["username"], "sf_account_sync_app@acme.example");
    let text = env.ok(&["lanes", "show", LANE]);
    for needle in [
        "revenue_ops_queue",
        "protected_field_overwrite_attempt",
        "billing_account_id__c",
        "Lifecycle_Stage__c",
    ] {
        assert!(
            text.contains(needle),
            "the text view shows every field, including {needle}:\n{text}"
        );
    }
}

#[test]
fn the_test_copy_of_the_fixture_is_the_shared_one_unchanged() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/lane_account_sync.yaml");
    match std::fs::read_to_string(&shared) {
        Ok(s) => assert_eq!(
            s,
            reference_contract(),
            "tests/data must hold the reference contract byte for byte"
        ),
        // A clone without ../shared beside it (a newcomer's machine) has only the copy.
        Err(_) => eprintln!(
            "note: {} not present; the copy is checked where it is",
            shared.display()
        ),
    }
}

/// (description, text to replace, replacement, line, column, field path)
const BAD_CONTRACTS: &[(&str, &str, &str, usize, usize, &str)] = &[
    (
        "unknown key",
        "  search_before_write: true\n",
        "  search_before_write: true\n  search_befor_write: false\n",
        14,
        3,
        "identity_policy.search_befor_write",
    ),
    (
        "wrong type",
        "search_before_write: true",
        "search_before_write: sometimes",
        13,
        24,
        "identity_policy.search_before_write",
    ),
    (
        "missing required field",
        "  integration_user: sf_account_sync_app\n",
        "",
        4,
        3,
        "salesforce_lane.integration_user",
    ),
    (
        "unknown block_write_if value",
        "    - protected_field_conflict\n",
        "    - protected_field_conflict\n    - owner_looks_odd\n",
        39,
        7,
        "write_policy.block_write_if[3]",
    ),
    (
        "unknown critical_alerts value",
        "    - replay_blocked\n",
        "    - replay_blockd\n",
        61,
        7,
        "observability.critical_alerts[2]",
    ),
    (
        "percent above 100",
        "used_above_percent: 5",
        "used_above_percent: 101",
        26,
        47,
        "ownership_policy.alert_if_fallback_owner_used_above_percent",
    ),
    (
        "negative percent",
        "used_above_percent: 5",
        "used_above_percent: -3",
        26,
        47,
        "ownership_policy.alert_if_fallback_owner_used_above_percent",
    ),
    (
        "plain http to a remote host",
        "instance_url: https://acme.my.salesforce.com",
        "instance_url: http://acme.my.salesforce.com",
        65,
        17,
        "connection.instance_url",
    ),
];

#[test]
fn each_contract_error_names_line_column_and_field() {
    let env = Env::new();
    let good = reference_contract();
    for (what, from, to, line, column, field) in BAD_CONTRACTS {
        assert!(good.contains(from), "test set-up: the fixture contains `{from}`");
        let bad = good.replacen(from, to, 1);
        let path = env.write("bad.yaml", bad);
        let stderr = env.fails(&["lanes", "import", &path], 1);
        let want = format!("line {line}, column {column}: field `{field}`");
        assert!(
            stderr.contains(&want),
            "{what}: the error must say `{want}`, got: {stderr}"
        );
        assert!(
            stderr.contains("bad.yaml"),
            "{what}: the error names the file: {stderr}"
        );
    }
    let listed = env.json(&["lanes", "list"]);
    assert_eq!(listed, serde_json::json!([]), "no bad contract was stored");
}

#[test]
fn changed_contract_is_a_new_version_and_events_keep_theirs() {
    let env = Env::new();
    env.import_reference_lane();
    env.ok(&["events", "import", &env.write("a.ndjson", ndjson(0..3))]);

    let same = env.json(&[
        "lanes",
        "import",
        &env.write("same.yaml", format!("# reformatted\n{}", reference_contract())),
    ]);
    assert_eq!(same["change"], "unchanged", "a comment is not a change of policy");

    let changed = reference_contract().replace("used_above_percent: 5", "used_above_percent: 7");
    let v2 = env.json(&["lanes", "import", &env.write("v2.yaml", changed)]);
    assert_eq!(v2["change"], "new_version");
    assert_eq!(v2["version"], 2);
    env.ok(&["events", "import", &env.write("b.ndjson", ndjson(3..5))]);

    let shown = env.json(&["lanes", "show", LANE]);
    assert_eq!(shown["version"], 2);
    assert_eq!(
        shown["versions"].as_array().map(Vec::len),
        Some(2),
        "the previous version is kept"
    );
    assert_eq!(
        shown["contract"]["ownership_policy"]["alert_if_fallback_owner_used_above_percent"],
        7.0
    );

    let events = env.json(&["events", "list"]);
    let first = env.json(&["events", "show", &events[0]["id"].to_string()]);
    let last = env.json(&["events", "show", &events[4]["id"].to_string()]);
    assert_eq!(
        first["lane_version"], 1,
        "an event remembers the contract version it was imported under"
    );
    assert_eq!(last["lane_version"], 2);
}

#[test]
fn unknown_lane_is_a_clear_not_found() {
    let env = Env::new();
    let stderr = env.fails(&["lanes", "show", "nope"], 1);
    assert!(stderr.contains("no lane `nope`"), "{stderr}");
}

#[test]
fn a_url_that_is_not_a_usable_server_is_refused_and_creates_nothing() {
    let work = tempfile::tempdir().expect("a temp dir");
    for (url, why) in [
        // A password in the URL would be shown back, logged and kept in shell history.
        (
            "postgres://alice:s3cret-pw@db.example:5432/replay",
            "carries a password",
        ),
        ("postgresql://db.example/replay", "names no login"),
        (
            "mysql://alice:s3cret-pw@db.example/replay",
            "is not a database this console can use",
        ),
    ] {
        let out = std::process::Command::new(BIN)
            .current_dir(work.path())
            .args(["--db", url, "lanes", "list"])
            .env_remove("REPLAY_CONSOLE_DB")
            .output()
            .expect("the CLI binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "refused: {stderr}");
        assert!(stderr.contains(why), "says why ({why}): {stderr}");
        assert!(
            !stderr.contains("s3cret-pw") && !stderr.contains("alice"),
            "never echoes the URL's credentials: {stderr}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(work.path()).expect("read the dir").collect();
    assert!(
        left.is_empty(),
        "no folder named `postgres:` and no database file: {left:?}"
    );
}
