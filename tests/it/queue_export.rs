//! The queue exported for Salesforce Data Loader (issue 22): the remaining failures of a filter
//! as a CSV, one column per field, the external ID first; protected fields and events without an
//! external ID left out; nothing written under the name unless complete; audited.

use crate::groups::demo_env;
use serde_json::{json, Value};
use std::collections::HashMap;

fn read_csv(path: &str) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut r = csv::Reader::from_path(path).expect("the export is a CSV");
    let header: Vec<String> = r.headers().expect("a header").iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.expect("a row");
            header.iter().cloned().zip(rec.iter().map(String::from)).collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn a_lanes_remaining_failures_export_as_a_data_loader_csv() {
    let env = demo_env();
    // One more failure with a null, text that needs quoting, and one without an external ID.
    let extra = [
        json!({"lane_id": "account_sync_north_america", "event_key": "dl-1", "source_system": "erp", "object": "Account",
            "external_id": "BA-99001", "operation": "upsert",
            "payload": {"Name": "Quote, \"Comma\" Inc", "Phone": null, "NumberOfEmployees": 12,
                        "Website": "=HYPERLINK(\"http://evil.example\",\"x\")"},
            "status": "failed", "failure": {"code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "x"},
            "occurred_at": "2026-11-20T12:00:00Z"}),
        json!({"lane_id": "account_sync_north_america", "event_key": "dl-2", "source_system": "erp", "object": "Account",
            "operation": "upsert", "payload": {"Name": "No Key"},
            "status": "failed", "failure": {"code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "x"},
            "occurred_at": "2026-11-20T12:01:00Z"}),
    ];
    let file = env.write(
        "extra.ndjson",
        extra.iter().map(Value::to_string).collect::<Vec<_>>().join("\n"),
    );
    env.ok(&["events", "import", &file]);

    let out = env.write("placeholder", "").replace("placeholder", "loader.csv");
    let r = env.json(&[
        "events",
        "export-csv",
        "--lane",
        "account_sync_north_america",
        "--reason-code",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "--out",
        &out,
        "--operator",
        "Ines Lead",
    ]);
    assert_eq!(r["rows"], 24, "23 demo failures and the new one with a key: {r}");
    assert_eq!(r["without_external_id"], 1, "{r}");
    assert_eq!(r["protected_left_out"], json!(["Lifecycle_Stage__c", "Tier__c"]), "{r}");
    let (header, rows) = read_csv(&out);
    assert_eq!(
        header[0], "billing_account_id__c",
        "the external-ID field first: Data Loader upserts by it"
    );
    assert!(
        !header.iter().any(|h| h == "Tier__c" || h == "Lifecycle_Stage__c"),
        "{header:?}"
    );
    assert_eq!(
        header,
        r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect::<Vec<_>>()
    );
    assert_eq!(rows.len(), 24);
    let quoted = rows
        .iter()
        .find(|r| r["billing_account_id__c"] == "BA-99001")
        .expect("the new row");
    assert_eq!(quoted["Name"], "Quote, \"Comma\" Inc", "quoted as CSV quotes");
    assert_eq!(quoted["Phone"], "#N/A", "a null is Data Loader's #N/A");
    assert_eq!(quoted["NumberOfEmployees"], "12");
    assert_eq!(
        quoted["Website"], "=HYPERLINK(\"http://evil.example\",\"x\")",
        "written as it is: Data Loader loads text as text, and a changed value would change the record"
    );
    assert_eq!(r["formula_like_cells"], 1, "but counted, and said: {r}");
    assert_eq!(
        quoted["BillingCity"], "",
        "a field this event lacks is left empty (not written)"
    );
    // A demo row as the file held it.
    let demo: Value = std::fs::read_to_string(format!("{}/examples/demo_events.ndjson", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| {
            e["failure"]["code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION" && e["lane_id"] == "account_sync_north_america"
        })
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r["billing_account_id__c"] == demo["external_id"].as_str().unwrap())
        .unwrap();
    assert_eq!(row["Name"], demo["payload"]["Name"].as_str().unwrap());
    assert_eq!(row["AnnualRevenue"], demo["payload"]["AnnualRevenue"].to_string());

    // Never over an existing file without --force; with it, replaced.
    let err = env.fails(
        &[
            "events",
            "export-csv",
            "--lane",
            "contact_enrichment_emea",
            "--out",
            &out,
        ],
        1,
    );
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(read_csv(&out).1.len(), 24, "the first export is untouched");
    let r = env.json(&[
        "events",
        "export-csv",
        "--lane",
        "contact_enrichment_emea",
        "--out",
        &out,
        "--force",
    ]);
    assert_eq!(
        r["rows"].as_u64().unwrap() + r["without_external_id"].as_u64().unwrap(),
        60,
        "{r}"
    );
    // What is not a remaining failure, or spans lanes, is refused.
    let err = env.fails(
        &[
            "events",
            "export-csv",
            "--lane",
            "contact_enrichment_emea",
            "--status",
            "replayed",
            "--out",
            &out,
        ],
        1,
    );
    assert!(err.contains("failed or blocked"), "{err}");
    let err = env.fails(&["events", "export-csv", "--out", &out], 1);
    assert!(err.contains("one lane"), "{err}");

    // Audited, with the filter, the file and the counts.
    let list = env.json(&["audit", "list", "--action", "queue_exported"]);
    let entries = list.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    if !env.on_server() {
        // Solo: the declared name. On a team server the actor is the database login (a trigger
        // refuses any other), whatever --operator says.
        assert_eq!(entries[0]["actor"], "Ines Lead");
    }
    let detail: Value = serde_json::from_str(entries[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(detail["rows"], 24);
    assert!(detail["path"].as_str().unwrap().ends_with("loader.csv"));
}

#[test]
fn a_failure_group_exports_alone() {
    let env = demo_env();
    let out = env.write("placeholder", "").replace("placeholder", "group.csv");
    // The North America lane's lock failures (see groups.rs).
    let r = env.json(&["events", "export-csv", "--group", "c8bf569c551a", "--out", &out]);
    let (_, rows) = read_csv(&out);
    assert_eq!(rows.len() as u64, r["rows"].as_u64().unwrap());
    assert_eq!(
        r["rows"].as_u64().unwrap() + r["without_external_id"].as_u64().unwrap(),
        121,
        "{r}"
    );
}
