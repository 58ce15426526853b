//! The console's Salesforce client against the simulated org over real HTTP on loopback:
//! both auth flows, refresh, every status path, faults, and hostile values. Property tests pin
//! the URL and SOQL encoders.

use crate::sf_support::*;
use proptest::prelude::*;
use replay_console::salesforce::{
    self, encode, AutoAssign, ConnectionSettings, Credential, Delivery, ExternalIdLookup, HttpSettings, Owner,
    SalesforceClient, SalesforceError, SecretString, UpdateOptions, UpsertOptions,
};
use replay_console::sandbox::{Fault, FaultKind};
use serde_json::{json, Map, Value};
use std::time::Duration;

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[tokio::test]
async fn jwt_bearer_gets_a_token_and_acts_as_the_lane_user() {
    let o = org().await;
    let c = jwt_client(o.sb.base_url(), KEY_PEM);
    let id = c
        .verify_identity()
        .await
        .expect("a correctly signed assertion for a pre-authorized user works");
    assert_eq!(id.username, USERNAME, "the identity check names the integration user");
    assert_eq!(id.user_id, o.integration_user, "and its Id");
    let info = c.token_info().await.expect("token info");
    assert_eq!(
        info.instance_url,
        o.sb.base_url(),
        "data calls go to the instance_url of the token answer"
    );
    assert_eq!(info.org_id, o.sb.org_id(), "the id URL names the org");
    assert!(
        format!("{c:?}").contains("SalesforceClient") && !format!("{c:?}").contains("BEGIN"),
        "Debug never shows the key"
    );
}

#[tokio::test]
async fn client_credentials_get_a_token_and_act_as_the_run_as_user() {
    let o = org().await;
    let c = cc_client(o.sb.base_url(), CC_SECRET);
    assert_eq!(
        c.verify_identity().await.expect("identity").username,
        USERNAME,
        "client credentials act as the app's run-as user"
    );
    let wrong = cc_client(o.sb.base_url(), "wrong")
        .identity()
        .await
        .expect_err("a wrong secret gets no token");
    match wrong {
        SalesforceError::OAuth {
            status,
            ref error,
            ref description,
        } => {
            assert_eq!(
                (status, error.as_str(), description.as_str()),
                (400, "invalid_client", "invalid client credentials"),
                "the OAuth envelope is typed"
            );
        }
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_key_and_wrong_user_are_typed_errors() {
    let o = org().await;
    let e = jwt_client(o.sb.base_url(), OTHER_KEY_PEM)
        .identity()
        .await
        .expect_err("a key the app does not hold is refused");
    assert!(
        matches!(&e, SalesforceError::OAuth { error, description, .. } if error == "invalid_grant" && description == "invalid assertion"),
        "wrong signature: {e:?}"
    );
    assert_eq!(e.kind(), "auth", "a stable kind for the UI");
    assert_eq!(
        e.delivery(),
        Delivery::Answered,
        "Salesforce answered: nothing half-done"
    );

    let http = salesforce::build_http_client(&http_settings()).expect("client");
    let mut s = settings(o.sb.base_url(), CC_CLIENT);
    s.username = "dana.owner@acme.example".into();
    let c = SalesforceClient::new(
        http,
        s,
        Credential::ClientCredentials {
            client_secret: SecretString::new(CC_SECRET),
        },
    )
    .expect("settings");
    let e = c
        .verify_identity()
        .await
        .expect_err("the token acts as the run-as user, not the configured one");
    assert!(
        matches!(&e, SalesforceError::IdentityMismatch { expected, actual } if expected == "dana.owner@acme.example" && actual == USERNAME),
        "identity mismatch is typed: {e:?}"
    );
}

#[tokio::test]
async fn settings_and_secrets_are_checked_before_any_request() {
    let http = salesforce::build_http_client(&HttpSettings::default()).expect("client");
    let cases = [
        ("http://acme.my.salesforce.com", "66.0", "plain http off loopback"),
        (
            "https://acme.my.salesforce.com",
            "45.0",
            "an API version without `created`",
        ),
        ("not a url", "66.0", "no URL"),
    ];
    for (url, v, why) in cases {
        let mut s = settings(url, JWT_CLIENT);
        s.api_version = v.into();
        let r = SalesforceClient::new(
            http.clone(),
            s,
            Credential::JwtBearer {
                private_key_pem: SecretString::new(KEY_PEM),
            },
        );
        assert!(
            matches!(r, Err(SalesforceError::Config(_))),
            "{why} is refused up front"
        );
    }
    let bad_key = SalesforceClient::new(
        http,
        settings("https://acme.my.salesforce.com", JWT_CLIENT),
        Credential::JwtBearer {
            private_key_pem: SecretString::new("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"),
        },
    );
    let msg = bad_key.expect_err("garbage is no key").to_string();
    assert!(
        !msg.contains("c2VjcmV0"),
        "the key's content never appears in an error: {msg}"
    );
}

#[tokio::test]
async fn expired_token_is_refreshed_once_and_only_once() {
    let o = org().await;
    let c = jwt_client(o.sb.base_url(), KEY_PEM);
    c.token_info().await.expect("a first token");
    o.sb.expire_tokens();
    let r = c
        .get_by_id("Account", &o.acme, &["Name"])
        .await
        .expect("an expired session is renewed transparently");
    assert_eq!(
        r.and_then(|r| r.get("Name").cloned()),
        Some(json!("Acme GmbH")),
        "and the call goes through"
    );
    assert_eq!(
        o.sb.api_usage().0,
        1,
        "the refused call is not counted by Salesforce; the retry is"
    );

    // Three 401s queued: a client that retried more than once would eat two of them.
    o.sb.inject(Fault::new(FaultKind::InvalidSession, 3));
    let e = c
        .get_by_id("Account", &o.acme, &[])
        .await
        .expect_err("a second 401 after a refresh is an error, not a loop");
    assert_eq!(
        e.error_code(),
        Some("INVALID_SESSION_ID"),
        "the session error is reported: {e:?}"
    );
    assert_eq!(
        o.sb.pending_faults().first().map(|f| f.count),
        Some(1),
        "exactly two requests: the call and one retry"
    );
}

#[tokio::test]
async fn reads_by_external_id_and_by_id() {
    let o = org().await;
    let c = cc_client(o.sb.base_url(), CC_SECRET);
    match c
        .get_by_external_id("Account", "billing_account_id__c", "BA-1001")
        .await
        .expect("read")
    {
        ExternalIdLookup::Found { record } => {
            assert_eq!(record.id, o.acme, "one match: the record");
            assert_eq!(record.owner_id(), Some(o.other_user.as_str()), "with its owner");
            assert_eq!(
                record.last_modified_date().map(|t| t.to_rfc3339()),
                Some("2026-11-20T10:00:00+00:00".into()),
                "LastModifiedDate parses from Salesforce's colon-less offset"
            );
            assert_eq!(
                record.last_modified_by_id(),
                Some(o.other_user.as_str()),
                "and who modified it"
            );
        }
        other => panic!("expected Found, got {other:?}"),
    }
    assert_eq!(
        c.get_by_external_id("Account", "billing_account_id__c", "BA-0000")
            .await
            .expect("read"),
        ExternalIdLookup::NotFound,
        "no match: a replay would create"
    );
    match c
        .get_by_external_id("Account", "billing_account_id__c", "BA-DUP")
        .await
        .expect("read")
    {
        ExternalIdLookup::Multiple { ids } => {
            assert_eq!(ids, vec![o.dup_a.clone(), o.dup_b.clone()], "300: every matching Id")
        }
        other => panic!("expected Multiple, got {other:?}"),
    }
    let e = c
        .get_by_external_id("Account", "Tier__c", "Gold")
        .await
        .expect_err("a field that is no external ID is an error, not `not found`");
    assert!(
        matches!(e, SalesforceError::Api { status: 404, .. }),
        "so a preflight does not conclude that a replay would create: {e:?}"
    );

    let r = c
        .get_by_id("Account", &o.acme[..15], &["Name", "OwnerId"])
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        r.fields.len(),
        3,
        "only the chosen fields, and the Id Salesforce always adds: {:?}",
        r.fields
    );
    assert!(
        c.get_by_id("Account", "001Hn0000000zzzIAA", &[])
            .await
            .expect("read")
            .is_none(),
        "a missing record is None"
    );
    let e = c.get_by_id("Account", "../../x", &[]).await.expect_err("not an Id");
    assert!(
        matches!(e, SalesforceError::InvalidInput(_)),
        "path characters in an Id are refused before sending"
    );
    assert!(
        c.api_usage().is_some_and(|u| u.used == o.sb.api_usage().0),
        "Sforce-Limit-Info is surfaced: {:?}",
        c.api_usage()
    );
}

#[tokio::test]
async fn conditional_update_by_id() {
    let o = org().await;
    let c = jwt_client(o.sb.base_url(), KEY_PEM);
    let rec = c
        .get_by_id("Account", &o.acme, &[])
        .await
        .expect("read")
        .expect("found");
    let lmd = rec.last_modified_date().expect("LastModifiedDate");
    let opts = UpdateOptions {
        if_unmodified_since: Some(lmd),
        ..Default::default()
    };
    c.update_by_id("Account", &o.acme, &fields(json!({"Tier__c": "Silver"})), &opts)
        .await
        .expect("unchanged since the read: updated");
    let w = o.sb.writes();
    assert_eq!(
        w[0].headers.get("if-unmodified-since").map(String::as_str),
        Some("Fri, 20 Nov 2026 10:00:00 GMT"),
        "the date goes out in HTTP-date form, GMT"
    );
    assert_eq!(
        w[0].headers.get("sforce-auto-assign").map(String::as_str),
        Some("FALSE"),
        "the console never lets assignment rules move the owner by default"
    );
    assert_eq!(
        w[0].headers.get("sforce-call-options").map(String::as_str),
        Some("client=replay-console"),
        "calls are tagged for Salesforce's logs"
    );
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("record")["OwnerId"],
        o.other_user.as_str(),
        "so the owner stayed"
    );

    let e = c
        .update_by_id("Account", &o.acme, &fields(json!({"Tier__c": "Bronze"})), &opts)
        .await
        .expect_err("the record changed after the preflight's date");
    assert!(matches!(e, SalesforceError::PreconditionFailed), "412 is typed: {e:?}");
    assert_eq!(e.delivery(), Delivery::Answered, "a 412 means nothing was written");
    assert_eq!(o.sb.writes().len(), 1, "and the org confirms it");

    let e = c
        .update_by_id(
            "Account",
            &o.acme,
            &fields(json!({"Id": o.acme})),
            &UpdateOptions::default(),
        )
        .await
        .expect_err("the Id belongs in the URL");
    assert!(
        matches!(e, SalesforceError::InvalidInput(_)),
        "refused before sending: {e:?}"
    );
    let e = c
        .update_by_id(
            "Account",
            "001Hn0000000zzzIAA",
            &fields(json!({"Tier__c": "X"})),
            &UpdateOptions::default(),
        )
        .await
        .expect_err("no such record");
    assert!(matches!(e, SalesforceError::NotFound { .. }), "404 is typed: {e:?}");
    c.update_by_id(
        "Account",
        &o.acme,
        &fields(json!({"Tier__c": "Rule"})),
        &UpdateOptions {
            auto_assign: AutoAssign::True,
            ..Default::default()
        },
    )
    .await
    .expect("update");
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("record")["OwnerId"],
        o.rule_owner.as_str(),
        "AutoAssign::True lets the rule run when a caller asks for it"
    );
}

#[tokio::test]
async fn upsert_by_external_id_paths() {
    let o = org_with(|s| {
        s.duplicate_rule("Account", "Standard_Account_Duplicate_Rule", &["Name"]);
    })
    .await;
    let c = jwt_client(o.sb.base_url(), KEY_PEM);
    let opts = UpsertOptions::default();
    let created = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            "BA-7001",
            &fields(json!({"Name": "Delta"})),
            &opts,
        )
        .await
        .expect("create");
    assert!(
        created.created && created.id.is_some(),
        "201: created, with the new Id: {created:?}"
    );
    let updated = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            "BA-7001",
            &fields(json!({"Tier__c": "Gold"})),
            &opts,
        )
        .await
        .expect("update");
    assert_eq!(
        (updated.created, updated.id.clone()),
        (false, created.id.clone()),
        "200 created:false on the same record"
    );

    let e = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            "BA-DUP",
            &fields(json!({"Tier__c": "Gold"})),
            &opts,
        )
        .await
        .expect_err("ambiguous");
    assert!(
        matches!(&e, SalesforceError::MultipleMatches { ids, .. } if ids.len() == 2),
        "300 is typed with the Ids: {e:?}"
    );
    let e = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            "BA-7999",
            &fields(json!({"Name": "Ghost"})),
            &UpsertOptions {
                update_only: true,
                ..Default::default()
            },
        )
        .await
        .expect_err("updateOnly never creates");
    assert!(
        matches!(e, SalesforceError::NotFound { .. }),
        "no match with updateOnly: not found: {e:?}"
    );
    let e = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            "BA-7002",
            &fields(json!({"Tier__c": "Gold"})),
            &opts,
        )
        .await
        .expect_err("Name is required");
    match &e {
        SalesforceError::Api {
            status: 400, errors, ..
        } => assert_eq!(
            (errors[0].error_code.as_str(), errors[0].fields.clone()),
            ("REQUIRED_FIELD_MISSING", vec!["Name".to_string()]),
            "the error names the field"
        ),
        other => panic!("expected a 400 Api error, got {other:?}"),
    }
    assert!(!e.is_transient(), "a validation error will not go away by retrying");
    let e = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            "BA-7003",
            &fields(json!({"Name": "acme gmbh"})),
            &opts,
        )
        .await
        .expect_err("duplicate rule");
    match &e {
        SalesforceError::Api { errors, .. } => {
            let d = errors[0].duplicate.as_ref().expect("duplicateResut is read");
            assert_eq!(
                (d.rule.as_deref(), d.matched_ids.clone()),
                (Some("Standard_Account_Duplicate_Rule"), vec![o.acme.clone()]),
                "the rule and the record it would duplicate"
            );
        }
        other => panic!("expected DUPLICATES_DETECTED, got {other:?}"),
    }
    let e = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            "BA-7004",
            &fields(json!({"Name": "K", "billing_account_id__c": "BA-7004"})),
            &opts,
        )
        .await
        .expect_err("the key is in the URL");
    assert!(
        matches!(e, SalesforceError::InvalidInput(_)),
        "refused before sending: {e:?}"
    );
}

#[tokio::test]
async fn query_pages_and_owner_lookups() {
    let o = org_with(|s| {
        s.org.query_batch_size = 2;
        for i in 0..5 {
            s.record(
                "Account",
                json!({"Name": format!("Paged {i}"), "billing_account_id__c": format!("BA-P{i}")}),
            );
        }
    })
    .await;
    let c = cc_client(o.sb.base_url(), CC_SECRET);
    let r = c.query("SELECT Id, Name FROM Account").await.expect("query");
    assert_eq!(
        (r.total_size, r.records.len()),
        (8, 8),
        "every batch is fetched through nextRecordsUrl"
    );
    assert!(
        r.records.iter().all(|m| !m.contains_key("attributes")),
        "attributes are stripped"
    );

    let owners = c
        .owners(&[
            &o.integration_user,
            &o.inactive_user[..15],
            &o.queue,
            "00GHn0000000zzzMAA",
            &o.acme,
        ])
        .await
        .expect("owners");
    assert!(
        matches!(&owners[0], Owner::User { name, active: true, .. } if name == "Account Sync Integration"),
        "005: a user: {:?}",
        owners[0]
    );
    assert!(
        matches!(&owners[1], Owner::User { id, active: false, .. } if *id == o.inactive_user),
        "a 15-character Id resolves to the 18-character user, inactive: {:?}",
        owners[1]
    );
    assert!(
        matches!(&owners[2], Owner::Queue { developer_name, .. } if developer_name == "revenue_ops_queue"),
        "00G: a queue: {:?}",
        owners[2]
    );
    assert!(
        matches!(&owners[3], Owner::Missing { .. }),
        "an unknown queue Id: {:?}",
        owners[3]
    );
    assert!(
        matches!(&owners[4], Owner::Other { .. }),
        "neither user nor group: {:?}",
        owners[4]
    );
    let q = c.queue_by_developer_name("revenue_ops_queue").await.expect("lookup");
    assert!(
        matches!(q, Some(Owner::Queue { ref id, .. }) if *id == o.queue),
        "the fallback queue by DeveloperName"
    );
    assert_eq!(
        c.queue_by_developer_name("x' OR DeveloperName != '")
            .await
            .expect("lookup"),
        None,
        "an injection attempt finds nothing"
    );

    let found = c
        .find_by_fields("Account", &["Name", "OwnerId"], &[("Name", "Paged 3")])
        .await
        .expect("search");
    assert_eq!(found.len(), 1, "the business-key search finds the one record");
    let ext = c
        .find_by_external_ids(
            "Account",
            "billing_account_id__c",
            &["BA-P0", "BA-P4", "BA-DUP", "BA-none"],
            &["Name"],
        )
        .await
        .expect("batch");
    assert_eq!(ext.len(), 4, "two singles and both duplicates");
    let e = c.query("SELECT COUNT() FROM Account").await.expect_err("unsupported");
    assert_eq!(
        e.error_code(),
        Some("MALFORMED_QUERY"),
        "a refused query is typed with its code"
    );
}

#[tokio::test]
async fn faults_are_typed_transient_limit_and_unknown_outcome() {
    let o = org().await;
    let c = jwt_client(o.sb.base_url(), KEY_PEM);
    let body = fields(json!({"Tier__c": "F"}));
    let opts = UpdateOptions::default();

    o.sb.inject(Fault::new(FaultKind::UnableToLockRow, 1));
    let e = c
        .update_by_id("Account", &o.acme, &body, &opts)
        .await
        .expect_err("lock");
    assert!(
        e.is_transient() && e.delivery() == Delivery::Answered,
        "a row lock is transient and nothing was written: {e:?}"
    );
    o.sb.inject(Fault::new(FaultKind::ServerUnavailable, 1));
    let e = c.update_by_id("Account", &o.acme, &body, &opts).await.expect_err("503");
    assert!(e.is_transient(), "maintenance is transient: {e:?}");
    o.sb.inject(Fault::new(FaultKind::RequestLimitExceeded, 1));
    let e = c
        .update_by_id("Account", &o.acme, &body, &opts)
        .await
        .expect_err("limit");
    assert!(
        matches!(e, SalesforceError::LimitExceeded { api_usage: Some(_), .. }) && !e.is_transient(),
        "the daily limit is its own kind, with the usage: {e:?}"
    );
    assert!(o.sb.writes().is_empty(), "none of these wrote anything");

    o.sb.inject(Fault::new(FaultKind::DropAfterWrite, 1));
    let e = c
        .update_by_id("Account", &o.acme, &body, &opts)
        .await
        .expect_err("no answer");
    assert_eq!(
        (e.kind(), e.delivery()),
        ("no_answer", Delivery::NoAnswer),
        "sent, no answer: the outcome is unknown: {e:?}"
    );
    assert_eq!(o.sb.writes().len(), 1, "and indeed the write was applied");
    o.sb.inject(Fault::new(FaultKind::DropBeforeWrite, 1));
    let e = c
        .update_by_id("Account", &o.acme, &body, &opts)
        .await
        .expect_err("no answer");
    assert_eq!(
        e.delivery(),
        Delivery::NoAnswer,
        "the client cannot know nothing was applied: still unknown"
    );
    assert_eq!(o.sb.writes().len(), 1, "(here nothing was)");

    let http = salesforce::build_http_client(&HttpSettings {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(300),
    })
    .expect("client");
    let slow = SalesforceClient::new(
        http,
        settings(o.sb.base_url(), JWT_CLIENT),
        Credential::JwtBearer {
            private_key_pem: SecretString::new(KEY_PEM),
        },
    )
    .expect("settings");
    slow.token_info().await.expect("token first");
    o.sb.inject(Fault::latency(1500, 1));
    let e = slow
        .update_by_id("Account", &o.acme, &body, &opts)
        .await
        .expect_err("timeout");
    assert_eq!(
        e.delivery(),
        Delivery::NoAnswer,
        "a timeout after sending is an unknown outcome, never `not sent`: {e:?}"
    );

    // A port nobody listens on: the connection is refused, so nothing was sent.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        format!("http://127.0.0.1:{port}")
    };
    let e = jwt_client(&closed, KEY_PEM)
        .update_by_id("Account", &o.acme, &body, &opts)
        .await
        .expect_err("refused");
    assert_eq!(
        (e.kind(), e.delivery()),
        ("not_sent", Delivery::NotSent),
        "no connection: never sent: {e:?}"
    );
    assert!(e.is_transient(), "and worth trying again");
}

/// The hostile values: each must address exactly its own record, or be refused before
/// any URL is built.
#[tokio::test]
async fn hostile_external_ids_and_names_stay_values() {
    let hostile: Vec<String> = vec![
        "O'Brien".into(),
        "a/b".into(),
        "%2e%2e".into(),
        "?x=1".into(),
        "#".into(),
        "\\".into(),
        "line\nbreak".into(),
        "' OR Name != '".into(),
        "Müller-東京".into(),
        "...".into(),
        " padded ".into(),
        "a%2Fb".into(),
        "\"quoted\"".into(),
        "tab\there".into(),
    ];
    let o = org().await;
    let c = jwt_client(o.sb.base_url(), KEY_PEM);
    for v in &hostile {
        let r = c
            .upsert_by_external_id(
                "Account",
                "billing_account_id__c",
                v,
                &fields(json!({"Name": format!("N {v}")})),
                &UpsertOptions::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("`{v}` upserts: {e:?}"));
        assert!(r.created, "`{v}` creates its own record");
        let stored =
            o.sb.record("Account", r.id.as_deref().unwrap_or_default())
                .expect("record");
        assert_eq!(stored["billing_account_id__c"], v.as_str(), "`{v}` arrives unchanged");
        match c
            .get_by_external_id("Account", "billing_account_id__c", v)
            .await
            .expect("read")
        {
            ExternalIdLookup::Found { record } => assert_eq!(
                Some(record.id.as_str()),
                r.id.as_deref(),
                "`{v}` reads back its own record"
            ),
            other => panic!("`{v}`: expected Found, got {other:?}"),
        }
        let by_name = c
            .find_by_fields("Account", &["Name"], &[("Name", &format!("N {v}"))])
            .await
            .unwrap_or_else(|e| panic!("`{v}` searches: {e:?}"));
        assert_eq!(by_name.len(), 1, "`{v}` in a SOQL literal matches exactly its record");
    }
    let long = "x".repeat(4096);
    assert_eq!(
        c.get_by_external_id("Account", "billing_account_id__c", &long)
            .await
            .expect("a 4 KiB value is a valid lookup"),
        ExternalIdLookup::NotFound,
        "4 KiB: looked up, not found"
    );
    let e = c
        .upsert_by_external_id(
            "Account",
            "billing_account_id__c",
            &long,
            &fields(json!({"Name": "Long"})),
            &UpsertOptions::default(),
        )
        .await
        .expect_err("too long to store");
    assert_eq!(
        e.error_code(),
        Some("STRING_TOO_LONG"),
        "Salesforce's own refusal comes back typed"
    );
    let before = (o.sb.api_usage(), o.sb.writes().len());
    for v in ["", ".", ".."] {
        let e = c
            .upsert_by_external_id(
                "Account",
                "billing_account_id__c",
                v,
                &fields(json!({"Name": "X"})),
                &UpsertOptions::default(),
            )
            .await
            .expect_err("refused");
        assert!(
            matches!(e, SalesforceError::InvalidInput(_)),
            "`{v}` is refused before a URL is built: {e:?}"
        );
        assert!(
            matches!(
                c.get_by_external_id("Account", "billing_account_id__c", v).await,
                Err(SalesforceError::InvalidInput(_))
            ),
            "`{v}` is refused for reads too"
        );
    }
    assert_eq!(
        (o.sb.api_usage(), o.sb.writes().len()),
        before,
        "nothing reached the org"
    );
}

/// Unescapes a SOQL literal body the way the SOQL docs describe (independent of both the
/// client's escaper and the sandbox's parser).
fn soql_unescape(lit: &str) -> Option<String> {
    let inner = lit.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return None,
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                '\\' => out.push('\\'),
                'u' => {
                    let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn external_id_is_exactly_one_path_segment(value in "\\PC{0,40}|[./%?#\\\\ ]{0,6}") {
        match encode::external_id_segment(&value) {
            Err(_) => prop_assert!(value.is_empty() || value == "." || value == "..", "only empty, . and .. are refused; `{}` was too", value),
            Ok(seg) => {
                let url = reqwest::Url::parse(&format!("https://acme.my.salesforce.com/services/data/v66.0/sobjects/Account/ext__c/{seg}")).expect("a valid URL");
                prop_assert!(url.query().is_none() && url.fragment().is_none(), "`{}` must not start a query or fragment", value);
                let segs: Vec<&str> = url.path_segments().expect("segments").collect();
                prop_assert_eq!(segs.len(), 7, "`{}` must stay one segment: {:?}", value, segs);
                let decoded = percent_encoding::percent_decode_str(segs[6]).decode_utf8().expect("UTF-8");
                prop_assert_eq!(decoded.as_ref(), value.as_str(), "the segment decodes to the value exactly");
            }
        }
    }

    #[test]
    fn soql_literal_round_trips_and_cannot_be_escaped(value in "\\PC{0,40}|['\\\\\"\n\r\t%_ ]{0,8}|[\\x00-\\x1f]{0,4}") {
        let lit = encode::soql_literal(&value);
        prop_assert_eq!(soql_unescape(&lit), Some(value.clone()), "the literal `{}` must read back as the value", lit);
    }
}

#[test]
fn settings_type_is_plain_data() {
    // ConnectionSettings holds no secret, so it may be cloned and printed freely.
    let s = ConnectionSettings {
        login_url: "https://x".into(),
        api_version: "66.0".into(),
        client_id: "c".into(),
        username: "u".into(),
        audience: "a".into(),
        allowed_host: None,
    };
    assert!(format!("{s:?}").contains("66.0"), "settings print for diagnostics");
}
