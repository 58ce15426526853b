//! Event import and the queue listing through the CLI, on real SQLite files.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn env_with_lane() -> Env {
    let env = Env::new();
    env.import_reference_lane();
    env
}

#[test]
fn ten_thousand_events_import_and_reimport_adds_nothing() {
    let env = env_with_lane();
    let file = env.write("big.ndjson", ndjson(0..10_000));
    let r = env.json(&["events", "import", &file]);
    assert_eq!(r["inserted"], 10_000, "every valid event is stored");
    assert_eq!(r["records"], 10_000);
    assert_eq!(env.event_total(), 10_000);
    // The import's write-ahead log is moved into the database and emptied when the CLI closes:
    // no log of the import's size is left beside the file until the next start.
    let wal = std::fs::metadata(format!("{}-wal", env.db.display())).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "no write-ahead log is left after the command ends");

    let again = env.run(&["events", "import", &file]);
    assert_eq!(again.code, 0, "re-importing is not an error: {}", again.stderr);
    assert!(
        again
            .stdout
            .contains("nothing new; all 10000 records are already present"),
        "a re-import says it added nothing: {}",
        again.stdout
    );
    assert_eq!(env.event_total(), 10_000, "re-import adds 0 events");
    let j = env.json(&["events", "import", &file]);
    assert_eq!(
        (j["inserted"].as_u64(), j["unchanged"].as_u64()),
        (Some(0), Some(10_000))
    );
    assert!(j["import_id"].is_null(), "a no-op import leaves no import record");
}

#[test]
fn malformed_json_on_line_37_imports_nothing_and_names_the_line() {
    let env = env_with_lane();
    let mut lines: Vec<String> = ndjson(0..60).lines().map(String::from).collect();
    lines[36] = r#"{"lane_id": "account_sync_north_america", "event_key": "evt-x",,}"#.into();
    let file = env.write("bad.ndjson", lines.join("\n"));
    let stderr = env.fails(&["events", "import", &file], 1);
    assert!(
        stderr.contains("bad.ndjson:line 37, column 64: malformed JSON"),
        "the error names line 37 and the column: {stderr}"
    );
    assert!(stderr.contains("nothing imported; 1 problem"), "{stderr}");
    assert_eq!(env.event_total(), 0, "one bad line rejects the whole file");
}

#[test]
fn every_problem_is_listed_up_to_100_then_counted() {
    let env = env_with_lane();
    let mut s = String::new();
    for i in 0..150 {
        let mut e = event_json(i);
        e["status"] = json!("pending");
        s.push_str(&e.to_string());
        s.push('\n');
    }
    let file = env.write("many.ndjson", s);
    let r = env.run(&["events", "import", &file, "--json"]);
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).expect("errors as JSON with --json");
    assert_eq!(v["kind"], "invalid_input", "scripts branch on kind");
    assert_eq!(v["total"], 150, "every problem is counted");
    assert_eq!(
        v["issues"].as_array().map(Vec::len),
        Some(100),
        "the first 100 are listed"
    );
    assert_eq!(v["issues"][0]["line"], 1);
    assert_eq!(v["issues"][0]["field"], "status");
    assert!(
        v["message"].as_str().unwrap_or("").contains("... and 50 more"),
        "the text says how many more"
    );
}

#[test]
fn each_bad_record_gets_a_clear_error() {
    let env = env_with_lane();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown lane",
            json!({"lane_id": "no_such_lane"}),
            "field `lane_id`: no lane `no_such_lane`",
        ),
        (
            "bad status",
            json!({"status": "replayed"}),
            "field `status`: `replayed` is not failed or blocked",
        ),
        (
            "payload not an object",
            json!({"payload": "Name=Acme"}),
            "field `payload`: must be a JSON object, not text",
        ),
        (
            "wrong object",
            json!({"object": "Contact"}),
            "field `object`: `Contact`, but lane `account_sync_north_america` writes Account",
        ),
        (
            "bad time",
            json!({"occurred_at": "yesterday"}),
            "field `occurred_at`: `yesterday` is not an RFC 3339 time",
        ),
        (
            "bad http status",
            json!({"failure": {"code": "X", "http_status": 1000}}),
            "field `failure.http_status`: 1000 is not an HTTP status",
        ),
        (
            "unknown field",
            json!({"colour": "red"}),
            "field `colour`: unknown field",
        ),
    ];
    for (what, patch, want) in cases {
        let mut e = event_json(1);
        for (k, v) in patch.as_object().expect("patch object") {
            e[k] = v.clone();
        }
        let file = env.write("one.ndjson", format!("{}\n{}\n", event_json(0), e));
        let stderr = env.fails(&["events", "import", &file], 1);
        assert!(
            stderr.contains(&format!("line 2, {want}")),
            "{what}: expected `line 2, {want}` in: {stderr}"
        );
    }
    assert_eq!(env.event_total(), 0, "nothing from any rejected file is stored");
}

#[test]
fn non_utf8_and_overlong_lines_are_refused() {
    let env = env_with_lane();
    let mut bytes = ndjson(0..2).into_bytes();
    bytes.extend_from_slice(b"{\"lane_id\": \"\xff\xfe\"}\n");
    let stderr = env.fails(&["events", "import", &env.write("latin1.ndjson", bytes)], 1);
    assert!(stderr.contains("line 3, column 14: not valid UTF-8 text"), "{stderr}");

    let mut long = ndjson(0..1);
    let mut e = event_json(1);
    e["payload"]["Description"] = json!("x".repeat(1024 * 1024 + 10));
    long.push_str(&e.to_string());
    long.push('\n');
    long.push_str(&ndjson(2..3));
    let stderr = env.fails(&["events", "import", &env.write("long.ndjson", long)], 1);
    assert!(stderr.contains("line 2: line is longer than 1048576 bytes"), "{stderr}");
    assert!(
        !stderr.contains("line 3"),
        "the line after an overlong one is read normally: {stderr}"
    );
    assert_eq!(env.event_total(), 0);
}

#[test]
fn conflicting_payload_is_reported_never_overwritten() {
    let env = env_with_lane();
    env.ok(&["events", "import", &env.write("a.ndjson", ndjson(0..10))]);
    let mut changed = event_json(4);
    changed["payload"]["Tier__c"] = json!("Platinum");
    let file = env.write("b.ndjson", format!("{}\n{}\n", event_json(10), changed));
    let stderr = env.fails(&["events", "import", &file], 1);
    assert!(
        stderr.contains("line 2, field `event_key`: conflict: event `evt-000004` in lane `account_sync_north_america` is already stored"),
        "the conflict names the event: {stderr}"
    );
    assert_eq!(env.event_total(), 10, "evt-10 was not imported either: all or nothing");
    let listed = env.json(&["events", "list", "--limit", "10"]);
    let id = listed[4]["id"].to_string();
    let shown = env.json(&["events", "show", &id]);
    assert_eq!(shown["payload"]["Tier__c"], "Silver", "the stored payload is untouched");

    // The same key twice in one file with different content is a conflict too.
    let mut twin = event_json(20);
    twin["payload"]["Name"] = json!("Other");
    let stderr = env.fails(
        &[
            "events",
            "import",
            &env.write("c.ndjson", format!("{}\n{}\n", event_json(20), twin)),
        ],
        1,
    );
    assert!(
        stderr.contains(
            "line 2, field `event_key`: `evt-000020` in lane `account_sync_north_america` appears earlier in this file"
        ),
        "{stderr}"
    );
}

/// The reading thread finds bad records, the inserts find conflicts, several hand-overs apart:
/// both kinds are listed together in file order, and nothing is imported.
#[test]
fn problems_found_reading_and_inserting_are_listed_in_file_order() {
    let env = env_with_lane();
    let mut lines: Vec<String> = ndjson(0..9_000).lines().map(String::from).collect();
    let mut bad = event_json(5_999);
    bad["status"] = json!("pending");
    lines[5_999] = bad.to_string();
    let mut twin = event_json(2);
    twin["payload"]["Name"] = json!("Other");
    lines[8_499] = twin.to_string();
    let mut bad = event_json(8_799);
    bad["operation"] = json!("merge");
    lines[8_799] = bad.to_string();
    let file = env.write("late.ndjson", lines.join("\n"));
    let r = env.run(&["events", "import", &file, "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("errors as JSON");
    assert_eq!(v["total"], 3, "{v}");
    let found: Vec<(u64, &str)> = v["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| (i["line"].as_u64().unwrap_or(0), i["field"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        found,
        vec![(6_000, "status"), (8_500, "event_key"), (8_800, "operation")],
        "{v}"
    );
    assert!(
        v["issues"][1]["message"].as_str().is_some_and(
            |m| m.contains("`evt-000002` in lane `account_sync_north_america` appears earlier in this file")
        ),
        "{v}"
    );
    assert_eq!(env.event_total(), 0, "all or nothing");
}

fn csv_row(cells: &[&str]) -> String {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(cells).expect("csv");
    String::from_utf8(w.into_inner().expect("csv")).expect("utf8")
}

const CSV_HEADER: &[&str] = &[
    "lane_id",
    "event_key",
    "source_system",
    "object",
    "external_id",
    "operation",
    "payload",
    "status",
    "failure_code",
    "failure_message",
    "failure_http_status",
    "occurred_at",
];

fn csv_event(i: usize, payload: &str) -> String {
    csv_row(&[
        LANE,
        &format!("csv-{i}"),
        "erp",
        "Account",
        &format!("BA-C{i}"),
        "upsert",
        payload,
        "failed",
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name]",
        "400",
        "2026-11-21T08:30:00Z",
    ])
}

#[test]
fn csv_imports_and_a_bad_cell_names_row_and_column() {
    let env = env_with_lane();
    let mut good = csv_row(CSV_HEADER);
    for i in 0..5 {
        // A comma and a newline inside the quoted cell (JSON whitespace), an escaped one inside the value.
        good.push_str(&csv_event(i, "{\"Name\":\"Acme, Inc.\",\n\"Note\":\"multi\\nline\"}"));
    }
    let r = env.json(&["events", "import", &env.write("ok.csv", &good)]);
    assert_eq!(r["inserted"], 5, "CSV rows with quoted commas and newlines import");
    let shown = env.json(&["events", "show", &env.json(&["events", "list"])[0]["id"].to_string()]);
    assert_eq!(
        shown["failure_http_status"], 400,
        "flat failure columns become the failure"
    );
    assert_eq!(shown["payload"]["Note"], "multi\nline");

    let mut bad = csv_row(CSV_HEADER);
    bad.push_str(&csv_event(10, r#"{"Name":"ok"}"#));
    bad.push_str(&csv_event(11, r#"{"Name":"ok"}"#));
    bad.push_str(&csv_event(12, r#"{"Name": broken}"#));
    let stderr = env.fails(&["events", "import", &env.write("bad.csv", bad)], 1);
    assert!(
        stderr.contains("bad.csv:line 4, column 7, field `payload`: malformed JSON: expected value in the cell"),
        "row and column named: {stderr}"
    );

    let mut hdr = csv_row(&["lane_id", "event_key", "colour"]);
    hdr.push_str(&csv_row(&["a", "b", "c"]));
    let stderr = env.fails(&["events", "import", &env.write("hdr.csv", hdr)], 1);
    assert!(
        stderr.contains("line 1, column 3, field `colour`: unknown column"),
        "{stderr}"
    );
    assert_eq!(env.event_total(), 5);
}

#[test]
fn json_array_format_names_element_lines() {
    let env = env_with_lane();
    let mut bad = event_json(2);
    bad["payload"] = json!(42);
    let text = serde_json::to_string_pretty(&json!([event_json(1), bad])).expect("json");
    // Each element of a pretty-printed array opens on a line of its own: `  {`.
    let starts: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "  {")
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(starts.len(), 2, "test set-up: two elements");
    let stderr = env.fails(&["events", "import", &env.write("arr.json", &text)], 1);
    let want = format!(
        "line {}, field `payload`: must be a JSON object, not a number",
        starts[1]
    );
    assert!(
        stderr.contains(&want),
        "the error names the element's first line: want `{want}` in {stderr}"
    );
    let good = serde_json::to_string(&json!([event_json(1), event_json(2)])).expect("json");
    assert_eq!(
        env.json(&["events", "import", &env.write("ok.json", good)])["inserted"],
        2
    );
}

#[test]
fn repeated_keys_and_special_characters_across_batches_keep_their_result() {
    // More events than one batch on either store (64 rows in SQLite, 4,096 through COPY on a
    // server), keys repeated with the same content in the same batch and in a later one, and
    // text with the bytes COPY's text format escapes: every value comes back as it went in.
    let env = env_with_lane();
    let mut text = ndjson(0..4_200);
    for i in [3, 4_150, 10] {
        text.push_str(&event_json(i).to_string());
        text.push('\n');
    }
    let mut odd = event_json(9_000);
    let tricky = "tab\there, new\nline, cr\r, back\\slash \\N \\x00 \"quoted\" 'single' é 日本 \u{1F600}";
    odd["payload"]["Name"] = json!(tricky);
    odd["payload"]["Description"] = json!("\\.\n\\.");
    // A backslash in a key (a tab would be refused: keys are printable text).
    odd["external_id"] = json!("BA\\9000 X");
    odd["failure"]["message"] = json!("line one\nline two\\");
    text.push_str(&format!("{odd}\n"));
    let r = env.json(&["events", "import", &env.write("rep.ndjson", text)]);
    assert_eq!(
        (r["records"].as_u64(), r["inserted"].as_u64(), r["unchanged"].as_u64()),
        (Some(4_204), Some(4_201), Some(3)),
        "{r}"
    );
    assert_eq!(env.event_total(), 4_201);
    let found = env.json(&["events", "list", "--search", "evt-009000"]);
    let id = found[0]["id"].to_string();
    let shown = env.json(&["events", "show", &id]);
    assert_eq!(shown["payload"]["Name"], tricky);
    assert_eq!(shown["payload"]["Description"], "\\.\n\\.");
    assert_eq!(shown["external_id"], "BA\\9000 X");
    assert_eq!(shown["failure_message"], "line one\nline two\\", "{shown}");
    // Re-importing the same file adds nothing and finds every event unchanged.
    let again = env.json(&[
        "events",
        "import",
        &env.write("rep2.ndjson", {
            let mut t = ndjson(0..4_200);
            t.push_str(&format!("{odd}\n"));
            t
        }),
    ]);
    assert_eq!(
        (again["inserted"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(4_201))
    );
}

#[test]
fn missing_external_id_is_stored_and_flagged() {
    let env = env_with_lane();
    let mut e = event_json(1);
    e.as_object_mut().expect("object").remove("external_id");
    let r = env.json(&["events", "import", &env.write("x.ndjson", format!("{e}\n"))]);
    assert_eq!(r["missing_external_id"], 1, "the import reports the flag");
    let listed = env.json(&["events", "list"]);
    assert_eq!(listed[0]["external_id_missing"], true, "the queue flags it");
    assert!(listed[0]["external_id"].is_null());
}

#[test]
fn keyset_pages_cover_10000_events_without_repeats_or_gaps() {
    let env = env_with_lane();
    env.ok(&["events", "import", &env.write("big.ndjson", ndjson(0..10_000))]);
    for (filter, expected) in [
        (vec![], 10_000usize),
        (vec!["--status", "blocked"], 2_000),
        (vec!["--lane", LANE, "--status", "failed"], 8_000),
    ] {
        let mut seen = BTreeSet::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut args = vec!["events", "list", "--limit", "700"];
            args.extend(filter.iter().copied());
            let a;
            if let Some(c) = &after {
                a = c.clone();
                args.push("--after");
                args.push(&a);
            }
            let page = env.json(&args);
            let rows = page.as_array().expect("a listing is an array");
            if rows.is_empty() {
                break;
            }
            pages += 1;
            let mut last = 0;
            for r in rows {
                let id = r["id"].as_i64().expect("id");
                assert!(id > last, "ids ascend within a page");
                last = id;
                assert!(seen.insert(id), "event {id} appears on two pages");
                if let Some(s) = filter.iter().position(|f| *f == "--status") {
                    assert_eq!(r["status"], filter[s + 1], "the filter holds on every row");
                }
            }
            after = Some(last.to_string());
        }
        assert_eq!(
            seen.len(),
            expected,
            "every matching event is on some page ({filter:?})"
        );
        assert_eq!(pages, expected.div_ceil(700), "pages of 700");
        if filter.is_empty() {
            let (min, max) = (*seen.first().expect("min"), *seen.last().expect("max"));
            assert_eq!(
                (max - min + 1) as usize,
                seen.len(),
                "no gaps in the unfiltered id range"
            );
        }
    }
    let stderr = env.fails(&["events", "list", "--after", "abc"], 1);
    assert!(stderr.contains("`abc` is not a cursor"), "{stderr}");
}

#[test]
fn the_demo_files_import_cleanly() {
    let env = env_with_lane();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lane = root.join("examples/lane_contact_enrichment.yaml");
    env.ok(&["lanes", "import", &lane.display().to_string()]);
    let events = root.join("examples/demo_events.ndjson");
    let r = env.json(&["events", "import", &events.display().to_string()]);
    assert_eq!(r["inserted"], 400, "the README's demo data must import as it is");
    assert!(
        r["missing_external_id"].as_u64().unwrap_or(0) > 0,
        "the demo shows the external_id_missing flag"
    );
}

#[test]
fn a_limit_above_the_page_maximum_is_a_usage_error_that_says_the_maximum() {
    // A script reading `--json` cannot tell a page cut to 1,000 from a queue of 1,000: asking
    // for more is refused up front (exit 2, nothing printed on standard output).
    let env = env_with_lane();
    for args in [
        ["events", "list", "--limit", "5000"],
        ["audit", "list", "--limit", "1001"],
        ["approvals", "list", "--limit", "1001"],
        ["events", "list", "--limit", "0"],
    ] {
        let r = env.run(&args);
        assert_eq!(
            r.code,
            2,
            "`{}` is a usage error: {} {}",
            args.join(" "),
            r.stdout,
            r.stderr
        );
        assert!(r.stdout.is_empty(), "nothing on standard output: {}", r.stdout);
        assert!(
            r.stderr.contains("--limit") && r.stderr.contains("1..=1000"),
            "the error names the option and its range: {}",
            r.stderr
        );
    }
    let page = env.json(&["events", "list", "--limit", "1000"]);
    assert!(page.is_array(), "the maximum itself is allowed: {page}");
}

#[test]
fn escapes_in_imported_text_reach_the_terminal_escaped_and_keys_with_them_are_refused() {
    let env = env_with_lane();
    // A failure message that would clear the screen and write a fake line when printed raw.
    let mut hostile = event_json(1);
    hostile["failure"]["message"] = json!("lock\u{1b}[2J\u{1b}[H\nPREFLIGHT OK: no findings\u{7}");
    let file = env.write("hostile.ndjson", format!("{hostile}\n"));
    env.ok(&["events", "import", &file]);
    for args in [vec!["events", "list"], vec!["events", "show", "1"]] {
        let out = env.ok(&args);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "`{}` prints no raw escape: {out:?}",
            args.join(" ")
        );
        if args[1] == "show" {
            assert!(out.contains("\\x1b[2J"), "the escape is shown escaped: {out}");
        }
        assert!(
            !out.lines().any(|l| l.starts_with("PREFLIGHT OK")),
            "the message's line break forges no line of its own: {out}"
        );
    }
    let json = env.json(&["events", "show", "1"]);
    assert_eq!(
        json["failure_message"].as_str(),
        Some("lock\u{1b}[2J\u{1b}[H\nPREFLIGHT OK: no findings\u{7}"),
        "--json keeps the text exactly (JSON escapes it)"
    );

    // Keys with control characters never get in: the whole file is refused, naming line and field.
    let mut bad_key = event_json(2);
    bad_key["event_key"] = json!("evt-\u{1b}[2K\u{1b}[1A");
    let mut bad_id = event_json(3);
    bad_id["external_id"] = json!("BA-3\u{202e}");
    let file = env.write("bad-keys.ndjson", format!("{}\n{bad_key}\n{bad_id}\n", event_json(4)));
    let stderr = env.fails(&["events", "import", &file], 1);
    assert!(
        stderr.contains("line 2, field `event_key`: contains the control character U+001B at character 5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 3, field `external_id`: contains the control character U+202E at character 5"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "the refusal itself prints no raw escape: {stderr:?}"
    );
    assert_eq!(env.event_total(), 1, "nothing of the refused file was imported");
}

/// An import holds the write lock for its whole file; reading the queue meanwhile must not wait
/// for it (a command that only reads also must not wait at its exit: it once sat until the
/// import ended, in the checkpoint it ran on closing).
#[test]
fn the_queue_pages_while_a_large_import_runs() {
    let env = env_with_lane();
    env.ok(&["events", "import", &env.write("first.ndjson", ndjson(0..100))]);
    let file = env.write("big.ndjson", ndjson(100..150_100));
    let wal = std::path::PathBuf::from(format!("{}-wal", env.db.display()));
    let before = std::fs::metadata(&wal).map_or(0, |m| m.len());
    let mut import = std::process::Command::new(BIN)
        .arg("--db")
        .arg(&env.db)
        .args(["events", "import", &file])
        .env("REPLAY_CONSOLE_LOG_DIR", log_dir_for(&env.db))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the import runs");
    // The import is inside its write transaction once its rows reach the write-ahead log.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    if !env.on_server() {
        while std::fs::metadata(&wal).map_or(0, |m| m.len()) < before + 4 * 1024 * 1024 {
            assert!(
                std::time::Instant::now() < deadline,
                "the import wrote nothing within a minute"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    // Meanwhile the queue pages, showing what was committed before the import began.
    let first = env.json(&["events", "list", "--limit", "50"]);
    let rows = first.as_array().expect("a page");
    assert_eq!(rows.len(), 50);
    let last = rows[49]["id"].as_i64().expect("id").to_string();
    let second = env.json(&["events", "list", "--limit", "50", "--after", &last]);
    assert_eq!(
        second.as_array().map(Vec::len),
        Some(50),
        "the second page holds the rest of the first import"
    );
    let third = env.json(&[
        "events",
        "list",
        "--limit",
        "50",
        "--after",
        &second[49]["id"].to_string(),
    ]);
    assert!(
        import.try_wait().expect("wait").is_none(),
        "the pages came while the import was still running, not after it"
    );
    assert_eq!(
        third.as_array().map(Vec::len),
        Some(0),
        "nothing of the running import is seen before it commits"
    );
    let out = import.wait_with_output().expect("the import ends");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env.event_total(), 150_100);
}
