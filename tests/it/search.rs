//! Find anything (issue 22): the queue's full-text search over payload values, failure messages,
//! external IDs and event keys, combined with the queue's filters and paged; the index catching
//! up after imports (resumable, and honest about what it does not reach yet) and following
//! edited payloads. The real CLI on a real SQLite file, or PostgreSQL in the team pass; the
//! expected matches are worked out here from the events themselves, with a tokenizer of this
//! file's own.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The words of a text by this test's own reading of the rule: runs of letters and digits,
/// lower case.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every searchable word of an event record (its values, not its field names).
fn event_words(e: &Value) -> BTreeSet<String> {
    fn values(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::String(s) => out.extend(words(s)),
            Value::Number(n) => out.extend(words(&n.to_string())),
            Value::Array(a) => a.iter().for_each(|x| values(x, out)),
            Value::Object(m) => m.values().for_each(|x| values(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for f in ["external_id", "event_key"] {
        out.extend(words(e[f].as_str().unwrap_or("")));
    }
    out.extend(words(e["failure"]["code"].as_str().unwrap_or("")));
    out.extend(words(e["failure"]["message"].as_str().unwrap_or("")));
    values(&e["payload"], &mut out);
    out
}

/// The ids (1-based, in import order) of the events every term matches: `w` a whole word,
/// `w*` a prefix.
fn expected(events: &[Value], terms: &[&str], keep: impl Fn(&Value) -> bool) -> Vec<i64> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            let ws = event_words(e);
            keep(e)
                && terms.iter().all(|t| match t.strip_suffix('*') {
                    Some(p) => ws.iter().any(|w| w.starts_with(p)),
                    None => ws.contains(*t),
                })
        })
        .map(|(i, _)| i as i64 + 1)
        .collect()
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("a listing: {v}"))
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

/// Every match of a search, page after page of `limit`, each from the last one's cursor.
fn every_page(env: &Env, text: &str, limit: &str) -> Vec<i64> {
    let mut got = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut a = vec!["events", "list", "--limit", limit, "--text", text];
        if let Some(c) = &after {
            a.extend_from_slice(&["--after", c]);
        }
        let page = ids(&env.json(&a));
        if page.is_empty() {
            return got;
        }
        after = page.last().map(|i| i.to_string());
        got.extend(page);
    }
}

/// The test's events: the shared generator's 300, and a few with e-mail addresses, nested
/// values and other messages.
fn events() -> Vec<Value> {
    let mut all: Vec<Value> = (0..300).map(event_json).collect();
    let extra = [
        (
            "jane.doe@acme.example",
            "Acme Holdings",
            "DUPLICATE_VALUE",
            "duplicate value found: Email__c duplicates value on record with id: 0015e00000AbCdEf",
        ),
        (
            "john.smith@acme.example",
            "Acme Retail",
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "Billing country must be set for Zürich customers",
        ),
        (
            "jane.roe@globex.example",
            "Globex",
            "UNABLE_TO_LOCK_ROW",
            "unable to obtain exclusive access to this record",
        ),
    ];
    for (i, (email, name, code, message)) in extra.iter().enumerate() {
        let mut e = event_json(1000 + i);
        e["payload"] =
            json!({"Name": name, "Email__c": email, "Tags__c": ["vip", {"Region": "EMEA"}], "Active__c": true});
        e["failure"] = json!({"code": code, "message": message, "http_status": 400});
        all.push(e);
    }
    all
}

fn import(env: &Env, events: &[Value]) {
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    env.ok(&["events", "import", &env.write("events.ndjson", text)]);
}

#[test]
fn a_search_finds_events_by_their_words_with_the_queue_filters_and_pages() {
    let env = Env::new();
    env.import_reference_lane();
    let all = events();
    import(&env, &all);
    let search = |text: &str, extra: &[&str]| {
        let mut a = vec!["events", "list", "--limit", "1000", "--text", text];
        a.extend_from_slice(extra);
        ids(&env.json(&a))
    };
    let any = |_: &Value| true;

    // A payload value: "Customer 17" is two words, both needed; 170-179 hold "170".."179".
    assert_eq!(search("Customer 17", &[]), expected(&all, &["customer", "17"], any));
    assert_eq!(search("Customer 17", &[]), vec![18]);
    // An e-mail address is its words; a record Id inside a failure message; a code.
    assert_eq!(search("jane.doe@acme.example", &[]), vec![301]);
    assert_eq!(search("0015e00000AbCdEf", &[]), vec![301]);
    assert_eq!(search("duplicate_value", &[]), vec![301]);
    // Case and accents as written; nested values; field names are not words of an event.
    assert_eq!(search("ZÜRICH", &[]), vec![302]);
    assert_eq!(search("emea vip", &[]), vec![301, 302, 303]);
    assert!(
        search("Email__c", &[]) == vec![301],
        "the message names the field; the payload key does not count"
    );
    assert_eq!(search("Tags__c", &[]), Vec::<i64>::new());
    // Prefixes, alone and with whole words.
    assert_eq!(search("acm*", &[]), expected(&all, &["acm*"], any));
    assert_eq!(search("acm*", &[]), vec![301, 302]);
    assert_eq!(search("cust* 12*", &[]), expected(&all, &["cust*", "12*"], any));
    assert!(search("cust* 12*", &[]).len() > 10);
    // With the queue's filters: a status, a lane, a reason code.
    let blocked = |e: &Value| e["status"] == "blocked";
    assert_eq!(
        search("gold", &["--status", "blocked"]),
        expected(&all, &["gold"], blocked)
    );
    assert!(!search("gold", &["--status", "blocked"]).is_empty());
    assert_eq!(search("gold", &["--lane", "another_lane"]), Vec::<i64>::new());
    assert_eq!(search("exclusive", &["--reason-code", "UNABLE_TO_LOCK_ROW"]).len(), 301);
    assert_eq!(search("nothing-like-this", &[]), Vec::<i64>::new());

    // Paged: small pages, cursor to cursor, give exactly the matches, in id order, once each.
    let want = expected(&all, &["silver"], any);
    let got = every_page(&env, "SILVER", "7");
    assert_eq!(got, want);
    assert_eq!(want.len(), 200);

    // Bad searches say what is wrong (invalid input).
    let e = env.fails(&["events", "list", "--text", " -- @ "], 1);
    assert!(e.contains("no word to search for"), "{e}");
    let e = env.fails(&["events", "list", "--text", "a*"], 1);
    assert!(e.contains("too short a prefix"), "{e}");
}

#[test]
fn the_index_follows_imports_resumably_and_says_what_it_does_not_reach_yet() {
    let env = Env::new();
    env.import_reference_lane();
    let all = events();
    import(&env, &all[..100]);
    // The CLI search catches the index up first.
    assert_eq!(ids(&env.json(&["events", "list", "--text", "customer 42"])), vec![43]);
    let state = env.json(&["events", "index"]);
    assert_eq!(state["indexed_through"], 100, "{state}");
    assert_eq!(state["unindexed"], 0, "{state}");

    // Events imported since: the window's search (which does not wait for the index) says how
    // many it cannot see, and finds them once the index caught up.
    env.ok(&[
        "events",
        "import",
        &env.write(
            "more.ndjson",
            all[100..].iter().map(|e| format!("{e}\n")).collect::<String>(),
        ),
    ]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = replay_console::App::open(&env.db).await.expect("open");
        let q = replay_console::services::events::EventQuery {
            text: Some("customer 242".into()),
            ..Default::default()
        };
        let page = replay_console::services::events::list(&app, &q).await.expect("list");
        assert!(page.events.is_empty());
        assert_eq!(page.search_unindexed, Some(203));
        // One step of the catch-up, as an interrupted one leaves it, then the rest.
        let mut tx = replay_console::store::write_tx(&app.pool).await.expect("tx");
        let n = replay_console::store::search::index_next(&mut tx, 50)
            .await
            .expect("step");
        tx.commit().await.expect("commit");
        assert_eq!(n, 50);
        assert_eq!(
            replay_console::services::search::state(&app)
                .await
                .expect("state")
                .unindexed,
            153
        );
        let rest = replay_console::services::search::catch_up(&app, |_, _| {})
            .await
            .expect("catch up");
        assert_eq!(rest, 153);
        let page = replay_console::services::events::list(&app, &q).await.expect("list");
        assert_eq!(page.events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![243]);
        assert_eq!(page.search_unindexed, Some(0));
        // Caught up: nothing to do, and each event is in the index once.
        assert_eq!(
            replay_console::services::search::catch_up(&app, |_, _| {})
                .await
                .expect("again"),
            0
        );
        let q = replay_console::services::events::EventQuery {
            text: Some("exclusive".into()),
            limit: Some(1000),
            ..Default::default()
        };
        let page = replay_console::services::events::list(&app, &q).await.expect("list");
        assert_eq!(page.events.len(), 301);
        app.close().await;
    });
}

#[test]
fn an_edited_payload_is_found_by_its_new_values_and_its_old_ones() {
    let env = Env::new();
    env.import_reference_lane();
    import(&env, &events()[..20]);
    assert_eq!(ids(&env.json(&["events", "list", "--text", "customer 7"])), vec![8]);
    let who: &[&str] = &["--editor", "Dana Ops"];
    let mut a = vec![
        "events",
        "edit",
        "8",
        "--set",
        "Name=Zanzibar Trading",
        "--reason",
        "the ERP sent the old name",
    ];
    a.extend_from_slice(who);
    env.ok(&a);
    assert_eq!(
        ids(&env.json(&["events", "list", "--text", "zanzibar trading"])),
        vec![8]
    );
    assert_eq!(
        ids(&env.json(&["events", "list", "--text", "customer 7"])),
        vec![8],
        "the original stays searchable"
    );
    // A second edit: the event is found by each revision's values and the original's.
    let mut a = vec![
        "events",
        "edit",
        "8",
        "--set",
        "Name=Kilimanjaro Ltd",
        "--reason",
        "typo",
    ];
    a.extend_from_slice(who);
    env.ok(&a);
    assert_eq!(ids(&env.json(&["events", "list", "--text", "kilimanjaro"])), vec![8]);
    assert_eq!(
        ids(&env.json(&["events", "list", "--text", "zanzibar"])),
        vec![8],
        "each revision stays findable"
    );
    assert_eq!(ids(&env.json(&["events", "list", "--text", "customer 7"])), vec![8]);
    // Other events untouched.
    assert_eq!(ids(&env.json(&["events", "list", "--text", "customer 9"])), vec![10]);
}

#[test]
fn a_word_in_thousands_of_events_pages_as_completely_as_a_rare_one() {
    // More matches than a server takes as rare (2,000): both of its ways to answer are used.
    let env = Env::new();
    env.import_reference_lane();
    env.ok(&["events", "import", &env.write("many.ndjson", ndjson(0..2100))]);
    let got = every_page(&env, "exclusive access", "1000");
    assert_eq!(got, (1..=2100).collect::<Vec<i64>>(), "every event, once, in id order");
    // Past most of them the rest are few: the same answer either way.
    assert_eq!(
        ids(&env.json(&["events", "list", "--text", "exclusive", "--after", "2095"])),
        vec![2096, 2097, 2098, 2099, 2100]
    );
    assert_eq!(
        ids(&env.json(&["events", "list", "--text", "customer 2042"])),
        vec![2043]
    );
    assert_eq!(
        ids(&env.json(&["events", "list", "--text", "gold", "--status", "blocked", "--limit", "1000"])).len(),
        (0..2100).filter(|i| i % 3 == 0 && i % 5 == 0).count()
    );
}
