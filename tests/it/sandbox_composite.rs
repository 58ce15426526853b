//! The simulated org's `POST /composite` over real HTTP, driven by plain `reqwest` (not the
//! client under test): per-subrequest answers, references, dependent subrequests not run, the
//! 25 limit, one API call per composite, and faults per subrequest and per call.

use crate::sf_support::*;
use replay_console::sandbox::{Applies, Fault, FaultKind};
use serde_json::{json, Value};

async fn composite(base: &str, token: &str, body: Value) -> Resp {
    send(raw().post(data(base, "composite")).bearer_auth(token).json(&body)).await
}

fn usage(r: &Resp) -> u64 {
    r.header("sforce-limit-info")
        .and_then(|h| h.strip_prefix("api-usage=")?.split('/').next()?.parse().ok())
        .unwrap_or(u64::MAX)
}

fn sub(r: &Value, i: usize) -> (u64, Value) {
    let s = &r["compositeResponse"][i];
    (s["httpStatusCode"].as_u64().unwrap_or(0), s["body"].clone())
}

/// The preflight's shape: the record by external ID, then its owner and last modifier by
/// reference, then a query; one call, one step of the API allowance.
#[tokio::test]
async fn a_preflight_in_one_call_reads_record_owner_and_query_by_reference() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let before = send(raw().get(data(base, "")).bearer_auth(&token)).await;
    let v = "/services/data/v66.0";
    let r = composite(
        base,
        &token,
        json!({"allOrNone": false, "compositeRequest": [
            {"method": "GET", "url": format!("{v}/sobjects/Account/billing_account_id__c/BA-1001"), "referenceId": "rec"},
            {"method": "GET", "url": format!("{v}/query?q=SELECT+Id,Name,IsActive+FROM+User+WHERE+Id+=+'@{{rec.OwnerId}}'"), "referenceId": "owner"},
            {"method": "GET", "url": format!("{v}/sobjects/User/@{{rec.LastModifiedById}}"), "referenceId": "modifier"},
            {"method": "GET", "url": format!("{v}/query?q=SELECT+Id+FROM+Account+WHERE+Name+=+'Acme+GmbH'"), "referenceId": "key"}
        ]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(usage(&r), usage(&before) + 1, "the whole call counts once");
    let j = r.json();
    let (s, rec) = sub(&j, 0);
    assert_eq!((s, rec["Id"].as_str()), (200, Some(o.acme.as_str())), "{j}");
    assert!(
        r.text
            .starts_with(r#"{"compositeResponse":[{"body":{"attributes":{"type":"Account""#),
        "a subrequest's body keeps Salesforce's key order"
    );
    assert!(
        j["compositeResponse"][0]["httpHeaders"].is_object(),
        "each subrequest has its own headers"
    );
    let (s, owner) = sub(&j, 1);
    assert_eq!(s, 200, "{j}");
    assert_eq!(
        owner["records"][0]["Id"],
        json!(o.other_user),
        "the owner by @{{rec.OwnerId}}"
    );
    let (s, modifier) = sub(&j, 2);
    assert_eq!((s, modifier["Id"].as_str()), (200, Some(o.other_user.as_str())));
    let (s, key) = sub(&j, 3);
    assert_eq!((s, key["totalSize"].as_u64()), (200, Some(1)));
    assert_eq!(j["compositeResponse"][3]["referenceId"], "key");
}

/// No record: the read is a 404 inside a top-level 200, and the subrequests that need it are
/// not run but answered with `PROCESSING_HALTED`; the independent one runs.
#[tokio::test]
async fn a_missing_record_halts_only_the_subrequests_that_refer_to_it() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let v = "/services/data/v66.0";
    let r = composite(
        base,
        &token,
        json!({"allOrNone": false, "compositeRequest": [
            {"method": "GET", "url": format!("{v}/sobjects/Account/billing_account_id__c/BA-NONE"), "referenceId": "rec"},
            {"method": "GET", "url": format!("{v}/sobjects/User/@{{rec.OwnerId}}"), "referenceId": "owner"},
            {"method": "GET", "url": format!("{v}/sobjects/Account/{}", o.acme), "referenceId": "other"}
        ]}),
    )
    .await;
    assert_eq!(r.status, 200, "the top level is 200 whatever the subrequests did");
    let j = r.json();
    let (s, body) = sub(&j, 0);
    assert_eq!((s, body[0]["errorCode"].as_str()), (404, Some("NOT_FOUND")), "{j}");
    let (s, body) = sub(&j, 1);
    assert_eq!(
        (s, body[0]["errorCode"].as_str()),
        (400, Some("PROCESSING_HALTED")),
        "{j}"
    );
    assert!(
        body[0]["message"].as_str().is_some_and(|m| m.contains("rec.OwnerId")),
        "{j}"
    );
    assert_eq!(sub(&j, 2).0, 200, "a subrequest that refers to nothing still runs");
}

/// Twenty-five conditional updates in one call: the one whose record changed after its date
/// is a 412 and writes nothing; the other 24 are applied.
#[tokio::test]
async fn one_412_among_25_conditional_writes_leaves_the_other_24_applied() {
    let o = org_with(|seed| {
        for i in 0..24 {
            seed.record(
                "Account",
                json!({"Name": format!("Bulk {i}"), "billing_account_id__c": format!("BA-B{i:02}"),
                       "LastModifiedDate": "2026-11-20T10:00:00.000+0000"}),
            );
        }
    })
    .await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let ids: Vec<String> =
        o.sb.records("Account")
            .iter()
            .filter(|r| r["Name"].as_str().is_some_and(|n| n.starts_with("Bulk ")))
            .filter_map(|r| r["Id"].as_str().map(str::to_string))
            .collect();
    assert_eq!(ids.len(), 24);
    // Acme was modified after this date by a write now: its subrequest must fail.
    let touched = send(
        raw()
            .patch(data(base, &format!("sobjects/Account/{}", o.acme)))
            .bearer_auth(&token)
            .json(&json!({"Tier__c": "Silver"})),
    )
    .await;
    assert_eq!(touched.status, 204);
    let writes_before = o.sb.writes().len();
    let mut subs = Vec::new();
    for (i, id) in ids.iter().chain(std::iter::once(&o.acme)).enumerate() {
        subs.push(json!({
            "method": "PATCH",
            "url": format!("/services/data/v66.0/sobjects/Account/{id}"),
            "referenceId": format!("w{i}"),
            "body": {"Tier__c": "Bronze"},
            "httpHeaders": {"If-Unmodified-Since": "Fri, 20 Nov 2026 10:00:00 GMT", "Sforce-Auto-Assign": "FALSE"}
        }));
    }
    let r = composite(base, &token, json!({"allOrNone": false, "compositeRequest": subs})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = r.json();
    for i in 0..24 {
        assert_eq!(sub(&j, i).0, 204, "write {i} applied: {j}");
    }
    assert_eq!(sub(&j, 24).0, 412, "the changed record: {j}");
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("acme")["Tier__c"],
        "Silver",
        "a 412 writes nothing"
    );
    let writes = o.sb.writes();
    assert_eq!(writes.len() - writes_before, 24, "24 applied writes are logged");
    assert!(
        writes[writes_before..]
            .iter()
            .all(
                |w| w.headers.get("if-unmodified-since").map(String::as_str) == Some("Fri, 20 Nov 2026 10:00:00 GMT")
                    && w.headers.get("sforce-auto-assign").map(String::as_str) == Some("FALSE")
            ),
        "each write carried its subrequest's own headers"
    );
}

#[tokio::test]
async fn the_call_is_refused_whole_for_26_subrequests_or_an_inherited_header() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let one = |i: usize| json!({"method": "GET", "url": format!("/services/data/v66.0/sobjects/Account/{}", o.acme), "referenceId": format!("r{i}")});
    let r = composite(
        base,
        &token,
        json!({"compositeRequest": (0..26).map(one).collect::<Vec<_>>()}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "INVALID_API_INPUT"),
        "{}",
        r.text
    );
    assert!(r.text.contains("25"), "{}", r.text);
    let ok = composite(
        base,
        &token,
        json!({"compositeRequest": (0..25).map(one).collect::<Vec<_>>()}),
    )
    .await;
    assert_eq!(ok.status, 200, "25 is the limit, inclusive");
    let mut with_header = one(0);
    with_header["httpHeaders"] = json!({"Content-Type": "text/plain"});
    let r = composite(base, &token, json!({"compositeRequest": [with_header]})).await;
    assert_eq!(r.status, 400, "Content-Type is inherited from the call: {}", r.text);
    let dup = composite(base, &token, json!({"compositeRequest": [one(0), one(0)]})).await;
    assert_eq!(dup.status, 400, "a referenceId is used once");
    assert_eq!(o.sb.writes().len(), 0);
}

/// A call whose answer is dropped after its subrequests applied: the writes are there, logged
/// as unanswered, and the client saw no status at all.
#[tokio::test]
async fn a_dropped_composite_answer_still_applied_its_writes() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    o.sb.inject(Fault::new(FaultKind::DropAfterWrite, 1).on(Applies::Composite));
    let body = json!({"allOrNone": false, "compositeRequest": [
        {"method": "PATCH", "url": format!("/services/data/v66.0/sobjects/Account/{}", o.acme), "referenceId": "w", "body": {"Tier__c": "Dropped"}},
        {"method": "GET", "url": format!("/services/data/v66.0/sobjects/Account/{}", o.acme), "referenceId": "back"}
    ]});
    let err = raw()
        .post(data(base, "composite"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect_err("no answer at all");
    assert!(err.status().is_none() && !err.is_connect(), "{err}");
    assert_eq!(o.sb.record("Account", &o.acme).expect("acme")["Tier__c"], "Dropped");
    let w = o.sb.writes();
    assert_eq!((w.len(), w[0].response_dropped), (1, true));

    // A lock error on one write subrequest is that subrequest's answer; the read still runs.
    o.sb.inject(Fault::new(FaultKind::UnableToLockRow, 1).on(Applies::Writes));
    let r = composite(base, &token, body.clone()).await;
    let j = r.json();
    assert_eq!((r.status, sub(&j, 0).0, sub(&j, 1).0), (200, 400, 200), "{j}");
    assert_eq!(sub(&j, 0).1[0]["errorCode"], "UNABLE_TO_LOCK_ROW");

    // An expired session fails the whole call before anything runs.
    o.sb.inject(Fault::new(FaultKind::InvalidSession, 1).on(Applies::Reads));
    let r = composite(base, &token, body).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "INVALID_SESSION_ID"));
    assert_eq!(o.sb.writes().len(), 1, "nothing ran");
}

/// `allOrNone: true`: one failure rolls back what ran before it, and says so in every answer.
#[tokio::test]
async fn all_or_none_rolls_back_every_subrequest_when_one_fails() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let r = composite(
        base,
        &token,
        json!({"allOrNone": true, "compositeRequest": [
            {"method": "PATCH", "url": format!("/services/data/v66.0/sobjects/Account/{}", o.acme), "referenceId": "ok", "body": {"Tier__c": "Rolled"}},
            {"method": "PATCH", "url": format!("/services/data/v66.0/sobjects/Account/{}", o.acme), "referenceId": "bad", "body": {"Nope__c": 1}},
            {"method": "GET", "url": format!("/services/data/v66.0/sobjects/Account/{}", o.acme), "referenceId": "after"}
        ]}),
    )
    .await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(sub(&j, 0).1[0]["errorCode"], "PROCESSING_HALTED", "{j}");
    assert_eq!(sub(&j, 1).1[0]["errorCode"], "INVALID_FIELD", "{j}");
    assert_eq!(sub(&j, 2).1[0]["errorCode"], "PROCESSING_HALTED", "{j}");
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("acme")["Tier__c"],
        "Gold",
        "rolled back"
    );
    assert_eq!(o.sb.writes().len(), 0);
}
