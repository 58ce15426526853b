//! End to end, the incident workflow in the real window (issue 22): the failure groups of the
//! demo data, a group opened as a batch preflight in one action.

use crate::desktop::{demo_org, Desktop};

#[test]
fn an_operator_batches_a_failure_group_from_the_groups_view() {
    let d = demo_org();
    let app = Desktop::launch(&d.env.db);
    app.wait_text("400 events in 2 lanes");
    app.click_text("nav[aria-label='Main'] button", "Groups");
    app.wait_text("400 events in 16 groups");
    // The lock failures of the demo differ by record; they are one cause.
    app.wait("[aria-label='Group c8bf569c551a']");
    let row = app.text("[aria-label='Group c8bf569c551a']");
    assert!(
        row.contains("UNABLE_TO_LOCK_ROW") && row.contains("<n> records: <id>") && row.contains("121"),
        "the lock group with its signature and count: {row}"
    );
    app.click("[aria-label='Group c8bf569c551a'] .group-toggle");
    app.wait_text("unable to obtain exclusive access to this record or 1 records: 001Hs00003XkQ2AIAV");
    app.screenshot("groups");

    // One action: the EMEA lane's SERVER_UNAVAILABLE group (6 events) as a batch preflight.
    app.js("document.querySelector(\"[aria-label='Group da6db57bddd5']\").scrollIntoView({block: 'center'})");
    app.click_text("[aria-label='Group da6db57bddd5'] button", "Batch preflight");
    let start = app.text("[aria-label='Batch preflight']");
    assert!(
        start.contains("contact_enrichment_emea")
            && start.contains("SERVER_UNAVAILABLE")
            && start.contains("da6db57bddd5"),
        "the batch takes the group's lane, code and key: {start}"
    );
    app.click_text("button", "Run batch preflight");
    app.wait_long("[aria-label='What the batch would do']", 60);
    let rows = app.js("return document.querySelectorAll(\"table[aria-label='Batch events'] tbody tr\").length");
    let events = app.text("table[aria-label='Batch events']");
    assert_eq!(rows, serde_json::json!(6), "the group's six events, no other: {events}");
    app.screenshot("groups-batch-preflight");
    assert_eq!(d.org.writes().len(), 0, "a preflight writes nothing");
}
