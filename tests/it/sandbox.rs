//! The simulated org over real HTTP on loopback: every status path the console relies on,
//! both OAuth flows, faults, the write log. Plain `reqwest` drives it, not the client under
//! test, so these tests pin the sandbox's behaviour on their own.

use crate::sf_support::*;
use replay_console::sandbox::{Applies, Fault, FaultKind, Seed};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SF_DATETIME: &str = "%Y-%m-%dT%H:%M:%S%.3f%z";

#[tokio::test]
async fn versions_list_needs_no_auth_and_pins_v66() {
    let o = org().await;
    let r = send(raw().get(format!("{}/services/data/", o.sb.base_url()))).await;
    assert_eq!(r.status, 200, "the versions root needs no token");
    let list = r.json();
    let v66 = list
        .as_array()
        .and_then(|a| a.iter().find(|v| v["version"] == "66.0"))
        .cloned();
    assert_eq!(
        v66,
        Some(json!({"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"})),
        "v66.0 is Spring '26 and is served"
    );
    assert!(
        list.as_array()
            .is_some_and(|a| a.iter().any(|v| v["label"] == "Winter '15" && v["version"] == "32.0")),
        "labels follow Salesforce's release names"
    );
    assert!(
        r.header("sforce-limit-info").is_none(),
        "the versions root is the one resource without Sforce-Limit-Info"
    );
    let token = cc_token(o.sb.base_url()).await;
    let newer = send(
        raw()
            .get(format!("{}/services/data/v67.0/", o.sb.base_url()))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(newer.status, 404, "a version the org does not have is not found");
    let retired = send(
        raw()
            .get(format!("{}/services/data/v30.0/", o.sb.base_url()))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(retired.status, 410, "v30.0 and older are retired (410 Gone)");
}

#[tokio::test]
async fn client_credentials_token_has_salesforce_fields() {
    let o = org().await;
    let base = o.sb.base_url();
    let r = send(raw().post(format!("{base}/services/oauth2/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", CC_CLIENT),
        ("client_secret", CC_SECRET),
    ]))
    .await;
    assert_eq!(r.status, 200, "the right secret gets a token: {}", r.text);
    let j = r.json();
    for k in [
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
        "scope",
    ] {
        assert!(j[k].is_string(), "`{k}` is part of Salesforce's token answer: {j}");
    }
    assert_eq!(j["token_type"], "Bearer", "tokens are bearer tokens");
    assert_eq!(
        j["instance_url"], base,
        "data calls go to the instance_url, here the sandbox itself"
    );
    assert_eq!(
        j["issued_at"].as_str().map(str::len),
        Some(13),
        "issued_at is in milliseconds in real traffic"
    );
    assert_eq!(
        j["id"],
        format!("{base}/id/{}/{}", o.sb.org_id(), o.integration_user),
        "the id URL names the run-as user"
    );
    assert!(
        j.get("refresh_token").is_none() && j.get("expires_in").is_none(),
        "client credentials give no refresh token and no expires_in"
    );
    let basic = send(
        raw()
            .post(format!("{base}/services/oauth2/token"))
            .basic_auth(CC_CLIENT, Some(CC_SECRET))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(basic.status, 200, "HTTP Basic client authentication is accepted too");
}

#[tokio::test]
async fn client_credentials_failures_use_the_oauth_envelope() {
    let o = org_with(|s: &mut Seed| {
        s.clients.push(replay_console::sandbox::OAuthClient {
            client_id: "NO_RUN_AS".into(),
            client_secret: Some("x".into()),
            ..Default::default()
        });
    })
    .await;
    let base = o.sb.base_url();
    let cases = [
        (CC_CLIENT, "wrong", "invalid_client", "invalid client credentials"),
        ("UNKNOWN", CC_SECRET, "invalid_client_id", "client identifier invalid"),
        ("NO_RUN_AS", "x", "invalid_grant", "no client credentials user enabled"),
    ];
    for (id, secret, error, description) in cases {
        let r = send(raw().post(format!("{base}/services/oauth2/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ]))
        .await;
        assert_eq!(r.status, 400, "a refused token request is a 400");
        assert_eq!(
            r.json(),
            json!({"error": error, "error_description": description}),
            "OAuth errors are {{error, error_description}}"
        );
    }
    let r = send(raw().post(format!("{base}/services/oauth2/token")).form(&[
        ("grant_type", "password"),
        ("username", "u"),
        ("password", "p"),
    ]))
    .await;
    assert_eq!(
        r.json()["error"],
        "unsupported_grant_type",
        "username-password is not offered (blocked by default in new orgs)"
    );
}

#[tokio::test]
async fn jwt_bearer_checks_signature_audience_expiry_and_user() {
    let o = org().await;
    let base = o.sb.base_url();
    let ok = jwt_token_request(
        base,
        &assertion(KEY_PEM, JWT_CLIENT, USERNAME, "https://login.salesforce.com", 120),
    )
    .await;
    assert_eq!(ok.status, 200, "a correctly signed assertion gets a token: {}", ok.text);
    assert!(
        ok.json()["id"]
            .as_str()
            .is_some_and(|id| id.ends_with(&o.integration_user)),
        "the token acts as the `sub` user"
    );

    let cases = [
        (
            assertion(OTHER_KEY_PEM, JWT_CLIENT, USERNAME, "https://login.salesforce.com", 120),
            "invalid_grant",
            "invalid assertion",
            "signed with a key the app does not hold",
        ),
        (
            assertion(KEY_PEM, JWT_CLIENT, USERNAME, "https://evil.example", 120),
            "invalid_grant",
            "audience is invalid",
            "wrong aud",
        ),
        (
            assertion(KEY_PEM, JWT_CLIENT, USERNAME, "https://login.salesforce.com", -10),
            "invalid_grant",
            "expired authorization code",
            "exp in the past",
        ),
        (
            assertion(
                KEY_PEM,
                JWT_CLIENT,
                "nobody@acme.example",
                "https://login.salesforce.com",
                120,
            ),
            "invalid_grant",
            "user hasn't approved this consumer",
            "unknown sub",
        ),
        (
            assertion(
                KEY_PEM,
                JWT_CLIENT,
                "old.owner@acme.example",
                "https://login.salesforce.com",
                120,
            ),
            "invalid_grant",
            "inactive user",
            "inactive sub",
        ),
        (
            assertion(KEY_PEM, "UNKNOWN_APP", USERNAME, "https://login.salesforce.com", 120),
            "invalid_client_id",
            "client identifier invalid",
            "unknown iss",
        ),
        ("not.a.jwt".to_string(), "invalid_grant", "invalid assertion", "garbage"),
    ];
    for (a, error, description, why) in cases {
        let r = jwt_token_request(base, &a).await;
        assert_eq!(r.status, 400, "{why}: refused with 400");
        assert_eq!(
            r.json(),
            json!({"error": error, "error_description": description}),
            "{why}: Salesforce's OAuth error"
        );
    }
    // Tampering with the claims after signing breaks the signature.
    let good = assertion(KEY_PEM, JWT_CLIENT, USERNAME, "https://login.salesforce.com", 120);
    let parts: Vec<&str> = good.split('.').collect();
    let forged_claims = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, json!({"iss": JWT_CLIENT, "sub": "dana.owner@acme.example", "aud": "https://login.salesforce.com", "exp": chrono::Utc::now().timestamp() + 120}).to_string());
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert_eq!(
        jwt_token_request(base, &forged).await.json()["error_description"],
        "invalid assertion",
        "a signature covers the claims: a changed sub must be refused"
    );
}

#[tokio::test]
async fn identity_endpoints_name_the_user_and_reject_bad_tokens() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let r = send(
        raw()
            .get(format!("{base}/services/oauth2/userinfo"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(r.status, 200, "userinfo answers a live token");
    let j = r.json();
    assert_eq!(
        j["preferred_username"], USERNAME,
        "userinfo names the user the token acts as"
    );
    assert_eq!(j["user_id"], o.integration_user.as_str(), "and its Id");
    assert_eq!(j["organization_id"], o.sb.org_id(), "and the org");
    let id = send(
        raw()
            .get(format!("{base}/id/{}/{}", o.sb.org_id(), o.integration_user))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(id.json()["username"], USERNAME, "the id URL names the same user");
    let other = send(
        raw()
            .get(format!("{base}/id/{}/{}", o.sb.org_id(), o.other_user))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        (other.status, other.text.as_str()),
        (403, "Bad_Id"),
        "another user's id URL is refused"
    );
    let bad = send(
        raw()
            .get(format!("{base}/services/oauth2/userinfo"))
            .bearer_auth("00Dbogus!token"),
    )
    .await;
    assert_eq!(
        (bad.status, bad.text.as_str()),
        (403, "Bad_OAuth_Token"),
        "a dead token is refused"
    );
}

#[tokio::test]
async fn data_calls_need_a_live_session() {
    let o = org().await;
    let base = o.sb.base_url();
    let url = data(base, &format!("sobjects/Account/{}", o.acme));
    let none = send(raw().get(&url)).await;
    assert_eq!(none.status, 401, "no token, no data");
    assert_eq!(
        none.json(),
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
        "Salesforce's session error, as an array"
    );
    assert_eq!(
        none.header("www-authenticate").as_deref(),
        Some("Token"),
        "401s carry WWW-Authenticate: Token"
    );
    let token = cc_token(base).await;
    assert_eq!(
        send(raw().get(&url).bearer_auth(&token)).await.status,
        200,
        "a live token reads"
    );
    assert_eq!(
        send(raw().get(&url).header("authorization", format!("OAuth {token}")))
            .await
            .status,
        200,
        "the `OAuth` scheme is accepted as Salesforce accepts it"
    );
    o.sb.expire_tokens();
    let expired = send(raw().get(&url).bearer_auth(&token)).await;
    assert_eq!(
        (expired.status, expired.error_code().as_str()),
        (401, "INVALID_SESSION_ID"),
        "an expired session gets 401 INVALID_SESSION_ID"
    );
}

#[tokio::test]
async fn sessions_expire_after_the_configured_time() {
    let o = org_with(|s| s.org.session_seconds = 1).await;
    let token = cc_token(o.sb.base_url()).await;
    let url = data(o.sb.base_url(), &format!("sobjects/Account/{}", o.acme));
    assert_eq!(
        send(raw().get(&url).bearer_auth(&token)).await.status,
        200,
        "fresh token works"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        send(raw().get(&url).bearer_auth(&token)).await.status,
        401,
        "after session_seconds the token is dead"
    );
}

#[tokio::test]
async fn limit_info_on_every_data_response_and_the_limit_holds() {
    let o = org_with(|s| {
        s.org.api_limit = 5;
        s.org.api_usage = 2;
    })
    .await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let url = data(base, &format!("sobjects/Account/{}", o.acme));
    let r = send(raw().get(&url).bearer_auth(&token)).await;
    assert_eq!(
        r.header("sforce-limit-info").as_deref(),
        Some("api-usage=3/5"),
        "each call counts and the header says so"
    );
    let missing = send(
        raw()
            .get(data(base, "sobjects/Account/001Hn0000000zzzIAA"))
            .bearer_auth(&token),
    )
    .await;
    assert!(
        missing.header("sforce-limit-info").is_some(),
        "errors carry the header too"
    );
    send(raw().get(&url).bearer_auth(&token)).await;
    let over = send(raw().get(&url).bearer_auth(&token)).await;
    assert_eq!(over.status, 403, "past the daily allowance every call is refused");
    assert_eq!(
        over.json(),
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]),
        "Salesforce's limit error"
    );
    assert_eq!(o.sb.api_usage(), (5, 5), "refused calls are not counted");
}

#[tokio::test]
async fn get_by_id_and_by_external_id() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let r = send(
        raw()
            .get(data(base, &format!("sobjects/Account/{}", o.acme)))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(r.status, 200, "an existing record is read by Id");
    assert!(
        r.text
            .starts_with(r#"{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/"#),
        "attributes come first, as Salesforce writes them: {}",
        &r.text[..80.min(r.text.len())]
    );
    let j = r.json();
    assert_eq!(
        j["LastModifiedDate"], "2026-11-20T10:00:00.000+0000",
        "datetimes have milliseconds and an offset without colon"
    );
    assert!(
        chrono::DateTime::parse_from_str(j["CreatedDate"].as_str().unwrap_or_default(), SF_DATETIME).is_ok(),
        "every datetime parses with Salesforce's format"
    );
    assert!(
        j.as_object()
            .is_some_and(|m| m.contains_key("Phone") && m["Phone"].is_null()),
        "fields without a value come back as null"
    );
    let id15 = &o.acme[..15];
    assert_eq!(
        send(
            raw()
                .get(data(base, &format!("sobjects/Account/{id15}")))
                .bearer_auth(&token)
        )
        .await
        .json()["Id"],
        o.acme.as_str(),
        "a 15-character Id finds the record and the answer uses 18"
    );

    let some = send(
        raw()
            .get(data(base, &format!("sobjects/Account/{}?fields=Name,OwnerId", o.acme)))
            .bearer_auth(&token),
    )
    .await
    .json();
    let keys: Vec<&String> = some.as_object().map(|m| m.keys().collect()).unwrap_or_default();
    assert_eq!(
        keys.len(),
        4,
        "`fields` limits the answer to attributes, the chosen fields and the Id: {some}"
    );
    assert!(some.get("Id").is_some(), "the Id comes back even when not asked for");
    let bad_field = send(
        raw()
            .get(data(base, &format!("sobjects/Account/{}?fields=Nope__c", o.acme)))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        (bad_field.status, bad_field.error_code().as_str()),
        (400, "INVALID_FIELD"),
        "an unknown field in `fields` is a 400"
    );

    let missing = send(
        raw()
            .get(data(base, "sobjects/Account/001Hn0000000zzzIAA"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        (missing.status, missing.json()),
        (
            404,
            json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
        ),
        "a missing record is a 404 array error"
    );

    let by_ext = send(
        raw()
            .get(data(base, "sobjects/Account/billing_account_id__c/BA-1001"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        (by_ext.status, by_ext.json()["Id"].clone()),
        (200, json!(o.acme)),
        "one external-ID match reads the record"
    );
    let case = send(
        raw()
            .get(data(base, "sobjects/Account/billing_account_id__c/ba-1001"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        case.status, 200,
        "external-ID matching ignores case unless the field is case-sensitive"
    );
    let several = send(
        raw()
            .get(data(base, "sobjects/Account/billing_account_id__c/BA-DUP"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        several.status, 300,
        "records sharing a value answer 300 Multiple Choices"
    );
    let urls = several.json();
    assert_eq!(
        urls,
        json!([
            format!("/services/data/v66.0/sobjects/Account/{}", o.dup_a),
            format!("/services/data/v66.0/sobjects/Account/{}", o.dup_b)
        ]),
        "the 300 body is an array of record URLs"
    );
    let none = send(
        raw()
            .get(data(base, "sobjects/Account/billing_account_id__c/BA-0000"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        (none.status, none.error_code().as_str()),
        (404, "NOT_FOUND"),
        "no match is a 404"
    );
    let no_field = send(
        raw()
            .get(data(base, "sobjects/Account/Tier__c/Gold"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        no_field.json()[0]["message"],
        "Provided external ID field does not exist or is not accessible: Tier__c",
        "a field that is not an external ID is refused with its own 404 message"
    );
}

async fn patch(url: &str, token: &str, body: Value, headers: &[(&str, &str)]) -> Resp {
    let mut req = raw().patch(url).bearer_auth(token).json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req).await
}

#[tokio::test]
async fn patch_by_id_honours_if_unmodified_since() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let url = data(base, &format!("sobjects/Account/{}", o.acme));
    let same_second = patch(
        &url,
        &token,
        json!({"Tier__c": "Silver"}),
        &[
            ("If-Unmodified-Since", "Fri, 20 Nov 2026 10:00:00 GMT"),
            ("Sforce-Auto-Assign", "FALSE"),
        ],
    )
    .await;
    assert_eq!(
        (same_second.status, same_second.text.as_str()),
        (204, ""),
        "unchanged since that second: updated, 204 with no body"
    );
    let rec = o.sb.record("Account", &o.acme).expect("the record");
    assert_eq!(rec["Tier__c"], "Silver", "the update was applied");
    assert_eq!(
        rec["LastModifiedById"],
        o.integration_user.as_str(),
        "LastModifiedById is the writing user"
    );
    assert_eq!(
        rec["OwnerId"],
        o.other_user.as_str(),
        "Sforce-Auto-Assign: FALSE keeps the owner"
    );
    assert_ne!(
        rec["LastModifiedDate"], "2026-11-20T10:00:00.000+0000",
        "LastModifiedDate moves on a write"
    );
    assert_eq!(
        rec["SystemModstamp"], rec["LastModifiedDate"],
        "SystemModstamp moves with it"
    );

    let stale = patch(
        &url,
        &token,
        json!({"Tier__c": "Bronze"}),
        &[("If-Unmodified-Since", "Fri, 20 Nov 2026 10:00:00 GMT")],
    )
    .await;
    assert_eq!(stale.status, 412, "changed after that date: 412 and nothing written");
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("record")["Tier__c"],
        "Silver",
        "a 412 writes nothing"
    );
    let bad = patch(
        &url,
        &token,
        json!({"Tier__c": "Bronze"}),
        &[("If-Unmodified-Since", "yesterday")],
    )
    .await;
    assert_eq!(bad.status, 400, "an unreadable date is a 400");
    assert_eq!(o.sb.writes().len(), 1, "only the applied write is logged");
}

#[tokio::test]
async fn writes_are_checked_like_salesforce_checks_them() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let url = data(base, &format!("sobjects/Account/{}", o.acme));
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (json!({"Nope__c": 1}), 400, "INVALID_FIELD", "an unknown field"),
        (
            json!({"Name": null}),
            400,
            "REQUIRED_FIELD_MISSING",
            "clearing a required field",
        ),
        (
            json!({"LastModifiedDate": "2020-01-01T00:00:00.000+0000"}),
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "a system field",
        ),
        (
            json!({"OwnerId": "not-an-id"}),
            400,
            "MALFORMED_ID",
            "an owner that is no Id",
        ),
        (
            json!({"OwnerId": o.inactive_user}),
            400,
            "INACTIVE_OWNER_OR_USER",
            "an inactive owner",
        ),
        (
            json!({"OwnerId": "005Hn0000000zzzIAA"}),
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            "an owner that does not exist",
        ),
        (
            json!({"AnnualRevenue": "lots"}),
            400,
            "JSON_PARSER_ERROR",
            "text in a number field",
        ),
        (
            json!({"Name": "x".repeat(256)}),
            400,
            "STRING_TOO_LONG",
            "a name over 255 characters",
        ),
        (json!({"Id": o.acme}), 400, "INVALID_FIELD", "the Id in the body"),
    ];
    for (body, status, code, why) in cases {
        let r = patch(&url, &token, body, &[]).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{why} is refused as Salesforce refuses it: {}",
            r.text
        );
    }
    let required = patch(&url, &token, json!({"Name": ""}), &[]).await;
    assert_eq!(
        required.json(),
        json!([{"message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}]),
        "an empty text is null, and the error names the field"
    );
    for (raw_body, why) in [
        ("{not json", "malformed JSON"),
        ("[1,2]", "an array"),
        ("", "an empty body"),
    ] {
        let r = send(
            raw()
                .patch(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(raw_body),
        )
        .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "JSON_PARSER_ERROR"),
            "{why} is a JSON_PARSER_ERROR"
        );
    }
    let xml = send(
        raw()
            .patch(&url)
            .bearer_auth(&token)
            .header("content-type", "application/xml")
            .body("<a/>"),
    )
    .await;
    assert_eq!(xml.status, 415, "only JSON is spoken");
    let big = send(
        raw()
            .patch(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(vec![b' '; (1 << 20) + 1]),
    )
    .await;
    assert_eq!(big.status, 413, "bodies over the limit are refused before parsing");
    let del = send(raw().delete(&url).bearer_auth(&token)).await;
    assert_eq!(
        (del.status, del.error_code().as_str()),
        (405, "METHOD_NOT_ALLOWED"),
        "DELETE is not imitated and says so"
    );
    assert!(o.sb.writes().is_empty(), "no refused write is logged or applied");
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("record")["Name"],
        "Acme GmbH",
        "nothing changed"
    );
}

#[tokio::test]
async fn upsert_creates_updates_and_refuses_ambiguity() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let created = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-2001"),
        &token,
        json!({"Name": "Beta AG"}),
        &[("Sforce-Auto-Assign", "FALSE")],
    )
    .await;
    assert_eq!(created.status, 201, "no match: created");
    let id = created.json()["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        created.json(),
        json!({"id": id, "success": true, "errors": [], "created": true}),
        "v46+ create answer"
    );
    let rec = o.sb.record("Account", &id).expect("created record");
    assert_eq!(
        rec["billing_account_id__c"], "BA-2001",
        "the URL's value is stored in the external-ID field"
    );
    assert_eq!(
        rec["OwnerId"],
        o.integration_user.as_str(),
        "without assignment the creator owns the record"
    );
    assert_eq!(
        rec["CreatedById"],
        o.integration_user.as_str(),
        "CreatedById is the writing user"
    );

    let updated = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-2001"),
        &token,
        json!({"Tier__c": "Gold"}),
        &[],
    )
    .await;
    assert_eq!(
        (updated.status, updated.json()),
        (200, json!({"id": id, "success": true, "errors": [], "created": false})),
        "one match: updated, 200 with created:false"
    );

    let several = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-DUP"),
        &token,
        json!({"Tier__c": "Gold"}),
        &[],
    )
    .await;
    assert_eq!(several.status, 300, "several matches: 300");
    assert_eq!(several.json().as_array().map(Vec::len), Some(2), "listing both records");

    let only = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-9999?updateOnly=true"),
        &token,
        json!({"Name": "Ghost"}),
        &[],
    )
    .await;
    assert_eq!(
        (only.status, only.error_code().as_str()),
        (404, "NOT_FOUND"),
        "updateOnly with no match creates nothing (404, the sandbox's chosen reading)"
    );
    let key_in_body = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-3001"),
        &token,
        json!({"Name": "K", "billing_account_id__c": "BA-3001"}),
        &[],
    )
    .await;
    assert_eq!(
        (key_in_body.status, key_in_body.error_code().as_str()),
        (400, "INVALID_FIELD"),
        "the URL carries the key; the body must not (older docs' rule, kept as the safer reading)"
    );
    let missing_name = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-3002"),
        &token,
        json!({"Tier__c": "Gold"}),
        &[],
    )
    .await;
    assert_eq!(
        missing_name.json(),
        json!([{"message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Name"]}]),
        "a create without Name fails validation"
    );
    let slash = patch(
        &data(base, "sobjects/Account/billing_account_id__c/A%2FB"),
        &token,
        json!({"Name": "Slash"}),
        &[],
    )
    .await;
    assert_eq!(slash.status, 201, "an encoded slash is part of the value");
    assert_eq!(
        o.sb.records("Account")
            .iter()
            .filter(|r| r["billing_account_id__c"] == "A/B")
            .count(),
        1,
        "and is stored decoded"
    );

    let writes = o.sb.writes();
    let ops: Vec<&str> = writes.iter().map(|w| w.operation.as_str()).collect();
    assert_eq!(
        ops,
        vec!["upsert_create", "upsert_update", "upsert_create"],
        "the write log has exactly the applied writes, in order"
    );
    let v45 = patch(
        &format!("{base}/services/data/v45.0/sobjects/Account/billing_account_id__c/BA-2001"),
        &token,
        json!({"Tier__c": "Silver"}),
        &[],
    )
    .await;
    assert_eq!(
        (v45.status, v45.text.as_str()),
        (204, ""),
        "v45.0 and older answer an update with 204 and no body"
    );
}

#[tokio::test]
async fn assignment_rule_runs_unless_auto_assign_is_false() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let url = data(base, &format!("sobjects/Account/{}", o.acme));
    patch(
        &url,
        &token,
        json!({"Tier__c": "Silver"}),
        &[("Sforce-Auto-Assign", "FALSE")],
    )
    .await;
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("record")["OwnerId"],
        o.other_user.as_str(),
        "FALSE: the owner stays"
    );
    patch(&url, &token, json!({"Tier__c": "Bronze"}), &[]).await;
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("record")["OwnerId"],
        o.rule_owner.as_str(),
        "absent means TRUE: the rule reassigns the owner"
    );
    let c = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-4001"),
        &token,
        json!({"Name": "Gamma", "OwnerId": o.other_user}),
        &[("Sforce-Auto-Assign", "TRUE")],
    )
    .await;
    let id = c.json()["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        o.sb.record("Account", &id).expect("record")["OwnerId"],
        o.rule_owner.as_str(),
        "TRUE overrides an OwnerId in the body"
    );
    let w = o.sb.writes();
    assert_eq!(
        w[0].headers.get("sforce-auto-assign").map(String::as_str),
        Some("FALSE"),
        "the write log keeps the headers"
    );
    assert!(
        w.iter().all(|w| !w.headers.contains_key("authorization")),
        "the write log never keeps the token"
    );
}

#[tokio::test]
async fn duplicate_rule_answers_with_duplicate_resut() {
    let o = org_with(|s| {
        s.duplicate_rule("Account", "Standard_Account_Duplicate_Rule", &["Name"]);
    })
    .await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let r = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-5001"),
        &token,
        json!({"Name": "ACME GmbH"}),
        &[(
            "Sforce-Duplicate-Rule-Header",
            "allowSave=true; includeRecordDetails=true",
        )],
    )
    .await;
    assert_eq!(r.status, 400, "a blocking rule refuses even with allowSave=true");
    let e = &r.json()[0];
    assert_eq!(
        e["errorCode"], "DUPLICATES_DETECTED",
        "the error code clients branch on"
    );
    assert_eq!(e["message"], "Use one of these records?", "Salesforce's message");
    let d = &e["duplicateResut"];
    assert!(
        d.is_object(),
        "the key is spelled `duplicateResut`, as Salesforce spells it: {}",
        r.text
    );
    assert_eq!(d["duplicateRule"], "Standard_Account_Duplicate_Rule", "names the rule");
    assert_eq!(d["allowSave"], false, "a blocking rule");
    let m = &d["matchResults"][0];
    assert_eq!(m["matchEngine"], "ExactMatchEngine", "the matching engine");
    assert_eq!(
        m["matchRecords"][0]["record"]["Id"],
        o.acme.as_str(),
        "the existing record it would duplicate"
    );
    assert_eq!(m["matchRecords"][0]["matchConfidence"], 100.0, "exact match");
    assert_eq!(
        m["matchRecords"][0]["record"]["Name"], "Acme GmbH",
        "includeRecordDetails adds the matched fields"
    );
    let ok = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-5002"),
        &token,
        json!({"Name": "Unique Name"}),
        &[],
    )
    .await;
    assert_eq!(ok.status, 201, "no duplicate, no refusal");
    let upd = patch(
        &data(base, "sobjects/Account/billing_account_id__c/BA-1001"),
        &token,
        json!({"Name": "Acme GmbH"}),
        &[],
    )
    .await;
    assert_eq!(
        upd.status, 200,
        "the rule runs on create only by default; a record never duplicates itself"
    );
}

#[tokio::test]
async fn soql_subset_answers_owner_and_business_key_lookups_with_paging() {
    let o = org_with(|s| {
        s.org.query_batch_size = 2;
        s.record(
            "Account",
            json!({"Name": "O'Brien \\ Sons", "billing_account_id__c": "BA-OB"}),
        );
    })
    .await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let q = |soql: String| {
        let token = token.clone();
        let url = data(base, "query");
        async move { send(raw().get(url).query(&[("q", soql)]).bearer_auth(token)).await }
    };
    let users = q(format!(
        "SELECT Id, Name, IsActive FROM User WHERE Id IN ('{}', '{}')",
        o.integration_user,
        &o.inactive_user[..15]
    ))
    .await;
    assert_eq!(
        users.status, 200,
        "the owner look-up on User is supported: {}",
        users.text
    );
    let j = users.json();
    assert_eq!(
        (j["totalSize"].clone(), j["done"].clone()),
        (json!(2), json!(true)),
        "both users, one batch"
    );
    assert_eq!(
        j["records"][1],
        json!({"attributes": {"type": "User", "url": format!("/services/data/v66.0/sobjects/User/{}", o.inactive_user)}, "Id": o.inactive_user, "Name": "Old Owner", "IsActive": false}),
        "records carry attributes and the selected fields; a 15-character Id in the filter matches"
    );

    let queue = q(format!("SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND (Id IN ('{}') OR DeveloperName = 'nothing')", o.queue)).await.json();
    assert_eq!(
        queue["records"][0]["DeveloperName"], "revenue_ops_queue",
        "the queue look-up by Id"
    );
    let by_name = q("SELECT Id FROM Group WHERE Type = 'Queue' AND DeveloperName = 'revenue_ops_queue'".into())
        .await
        .json();
    assert_eq!(by_name["totalSize"], 1, "the queue look-up by DeveloperName");

    let hostile = q(r"SELECT Id, Name FROM Account WHERE Name = 'O\'Brien \\ Sons'".into())
        .await
        .json();
    assert_eq!(
        hostile["totalSize"], 1,
        "escaped quotes and backslashes match the literal value: {hostile}"
    );
    let injection = q(r"SELECT Id FROM Account WHERE Name = '\' OR Name != \''".into())
        .await
        .json();
    assert_eq!(
        injection["totalSize"], 0,
        "an escaped injection attempt is just a name nobody has"
    );
    let case = q("SELECT Id FROM Account WHERE Name = 'acme gmbh'".into()).await.json();
    assert_eq!(case["totalSize"], 1, "text comparison ignores case");

    let all = q("SELECT Id, Name FROM Account ORDER BY Name".into()).await;
    let first = all.json();
    assert_eq!(
        (
            first["totalSize"].clone(),
            first["done"].clone(),
            first["records"].as_array().map(Vec::len)
        ),
        (json!(4), json!(false), Some(2)),
        "batch size 2 pages four accounts"
    );
    let mut next = first["nextRecordsUrl"]
        .as_str()
        .expect("nextRecordsUrl while not done")
        .to_string();
    assert!(
        next.starts_with("/services/data/v66.0/query/01g"),
        "next URLs look like Salesforce's: {next}"
    );
    let mut seen = 2;
    loop {
        let page = send(raw().get(format!("{base}{next}")).bearer_auth(&token))
            .await
            .json();
        seen += page["records"].as_array().map(Vec::len).unwrap_or(0);
        if page["done"] == true {
            assert!(
                page.get("nextRecordsUrl").is_none(),
                "the last batch has no nextRecordsUrl"
            );
            break;
        }
        next = page["nextRecordsUrl"].as_str().unwrap_or_default().to_string();
    }
    assert_eq!(seen, 4, "paging returns every record exactly once");
    let bad_locator = send(raw().get(data(base, "query/01gXXXXXXXXXXXX-2")).bearer_auth(&token)).await;
    assert_eq!(
        bad_locator.error_code(),
        "INVALID_QUERY_LOCATOR",
        "an unknown cursor is refused"
    );

    let ext =
        q("SELECT Id, billing_account_id__c FROM Account WHERE billing_account_id__c IN ('BA-1001', 'BA-DUP')".into())
            .await
            .json();
    assert_eq!(
        ext["totalSize"], 3,
        "the batch preflight IN query matches every record of each value"
    );

    let refusals = [
        ("SELECT COUNT() FROM Account", "MALFORMED_QUERY"),
        ("SELECT Owner.Name FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name LIKE 'A%'", "MALFORMED_QUERY"),
        (
            "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
            "MALFORMED_QUERY",
        ),
        ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
        (r"SELECT Id FROM Account WHERE Name = 'a\_b'", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
        ("SELECT Id FROM User WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR"),
        (
            "SELECT Id FROM User WHERE IsActive = 'yes'",
            "INVALID_QUERY_FILTER_OPERATOR",
        ),
        ("DELETE Account", "MALFORMED_QUERY"),
    ];
    for (soql, code) in refusals {
        let r = q(soql.to_string()).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, code),
            "`{soql}` is refused, never answered wrongly: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn faults_answer_like_a_struggling_org() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let url = data(base, &format!("sobjects/Account/{}", o.acme));
    let cases = [
        (FaultKind::UnableToLockRow, 400, "UNABLE_TO_LOCK_ROW"),
        (FaultKind::ServerUnavailable, 503, "SERVER_UNAVAILABLE"),
        (FaultKind::RequestLimitExceeded, 403, "REQUEST_LIMIT_EXCEEDED"),
        (FaultKind::InvalidSession, 401, "INVALID_SESSION_ID"),
    ];
    for (kind, status, code) in cases {
        o.sb.inject(Fault::new(kind, 2));
        for n in 1..=2 {
            let r = send(raw().get(&url).bearer_auth(&token)).await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (status, code),
                "{kind:?}: request {n} of 2 gets the fault"
            );
            assert!(
                r.header("sforce-limit-info").is_some(),
                "faulted answers still carry Sforce-Limit-Info"
            );
        }
        assert_eq!(
            send(raw().get(&url).bearer_auth(&token)).await.status,
            200,
            "{kind:?}: after its count the org answers normally"
        );
    }
    let lock = {
        o.sb.inject(Fault::new(FaultKind::UnableToLockRow, 1));
        patch(&url, &token, json!({"Tier__c": "X"}), &[]).await
    };
    assert_eq!(
        lock.json()[0]["fields"],
        json!([]),
        "UNABLE_TO_LOCK_ROW has an empty fields list"
    );
    assert!(
        lock.json()[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("unable to obtain exclusive access to this record")),
        "Salesforce's lock message"
    );

    o.sb.inject(Fault::new(FaultKind::ServerUnavailable, 1).on(Applies::Writes));
    assert_eq!(
        send(raw().get(&url).bearer_auth(&token)).await.status,
        200,
        "a write-only fault leaves reads alone"
    );
    assert_eq!(
        patch(&url, &token, json!({"Tier__c": "Y"}), &[]).await.status,
        503,
        "and hits the next write"
    );

    o.sb.inject(Fault::latency(300, 1));
    let t = Instant::now();
    send(raw().get(&url).bearer_auth(&token)).await;
    assert!(t.elapsed() >= Duration::from_millis(300), "latency delays the answer");
    let t = Instant::now();
    send(raw().get(&url).bearer_auth(&token)).await;
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "latency with count 1 slows one request only"
    );

    o.sb.inject(Fault::new(FaultKind::ServerUnavailable, 1).on(Applies::Token));
    let r = send(raw().post(format!("{base}/services/oauth2/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", CC_CLIENT),
        ("client_secret", CC_SECRET),
    ]))
    .await;
    assert_eq!(r.status, 503, "token requests can be faulted too");
    assert!(o.sb.pending_faults().is_empty(), "every fault was consumed");
}

#[tokio::test]
async fn drop_after_write_applies_then_closes_without_an_answer() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let url = data(base, &format!("sobjects/Account/{}", o.acme));
    o.sb.inject(Fault::new(FaultKind::DropAfterWrite, 1));
    assert_eq!(
        send(raw().get(&url).bearer_auth(&token)).await.status,
        200,
        "a drop fault waits for a write"
    );
    let err = raw()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({"Tier__c": "Dropped"}))
        .send()
        .await
        .expect_err("the connection closes with no response at all");
    assert!(!err.is_connect(), "the request was sent: the connection was open");
    assert!(err.status().is_none(), "no status line came back: {err}");
    let rec = o.sb.record("Account", &o.acme).expect("record");
    assert_eq!(
        rec["Tier__c"], "Dropped",
        "the write was applied before the connection closed"
    );
    let w = o.sb.writes();
    assert_eq!(
        (w.len(), w[0].response_dropped),
        (1, true),
        "the write log shows the write and that its answer was withheld"
    );

    o.sb.inject(Fault::new(FaultKind::DropAfterWrite, 1));
    let refused = patch(&url, &token, json!({"Nope__c": 1}), &[]).await;
    assert_eq!(
        refused.status, 400,
        "a write Salesforce refuses is answered: nothing was applied to hide"
    );
    assert_eq!(
        o.sb.pending_faults().len(),
        1,
        "the drop still waits for a write that applies"
    );
    o.sb.clear_faults();

    o.sb.inject(Fault::new(FaultKind::DropBeforeWrite, 1));
    raw()
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({"Tier__c": "Never"}))
        .send()
        .await
        .expect_err("dropped without an answer");
    assert_eq!(
        o.sb.record("Account", &o.acme).expect("record")["Tier__c"],
        "Dropped",
        "drop_before_write applies nothing"
    );
    assert_eq!(o.sb.writes().len(), 1, "and logs nothing");
}

#[tokio::test]
async fn control_endpoint_takes_faults_and_shows_writes() {
    let o = org().await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    // Without this run's token, or addressed to another host name, the control API refuses.
    let no_token = send(
        raw()
            .post(format!("{base}/__sandbox/faults"))
            .json(&json!({"kind": "server_unavailable"})),
    )
    .await;
    assert_eq!(no_token.status, 403, "no token: refused");
    let wrong = send(
        raw()
            .get(format!("{base}/__sandbox/writes"))
            .header("x-sandbox-token", "0".repeat(32)),
    )
    .await;
    assert_eq!(wrong.status, 403, "a wrong token: refused");
    let rebound = send(
        raw()
            .get(format!("{base}/__sandbox/writes"))
            .header("x-sandbox-token", o.sb.control_token())
            .header("host", "attacker.example:80"),
    )
    .await;
    assert_eq!(
        rebound.status, 403,
        "a request addressed to another name (DNS rebinding): refused"
    );
    assert!(o.sb.pending_faults().is_empty(), "and nothing was queued");
    let health = send(raw().get(format!("{base}/__sandbox/health"))).await;
    assert_eq!(health.status, 200, "health needs no token");
    let r = send(
        raw()
            .post(format!("{base}/__sandbox/faults"))
            .header("x-sandbox-token", o.sb.control_token())
            .json(
                &json!([{"kind": "server_unavailable", "count": 1}, {"kind": "latency", "latency_ms": 10, "count": 1}]),
            ),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["queued"].clone()),
        (200, json!(2)),
        "faults are queued through the control API"
    );
    let bad = send(
        raw()
            .post(format!("{base}/__sandbox/faults"))
            .header("x-sandbox-token", o.sb.control_token())
            .json(&json!({"kind": "meteor"})),
    )
    .await;
    assert_eq!(bad.status, 400, "an unknown fault kind is refused");
    assert_eq!(
        send(
            raw()
                .get(data(base, &format!("sobjects/Account/{}", o.acme)))
                .bearer_auth(&token)
        )
        .await
        .status,
        503,
        "the queued fault applies"
    );
    patch(
        &data(base, &format!("sobjects/Account/{}", o.acme)),
        &token,
        json!({"Tier__c": "Z"}),
        &[("Sforce-Auto-Assign", "FALSE")],
    )
    .await;
    let writes = send(
        raw()
            .get(format!("{base}/__sandbox/writes"))
            .header("x-sandbox-token", o.sb.control_token()),
    )
    .await
    .json();
    assert_eq!(
        writes[0]["record_id"],
        o.acme.as_str(),
        "the write log names the record"
    );
    assert_eq!(writes[0]["body"], json!({"Tier__c": "Z"}), "and the body as sent");
    assert_eq!(writes[0]["headers"]["sforce-auto-assign"], "FALSE", "and the headers");
    assert!(
        writes[0]["headers"].get("authorization").is_none(),
        "but never the token"
    );
    let expired = send(
        raw()
            .post(format!("{base}/__sandbox/tokens/expire"))
            .header("x-sandbox-token", o.sb.control_token()),
    )
    .await;
    assert_eq!(expired.status, 200, "sessions can be ended on demand");
    assert_eq!(
        send(
            raw()
                .get(data(base, &format!("sobjects/Account/{}", o.acme)))
                .bearer_auth(&token)
        )
        .await
        .status,
        401,
        "after which old tokens fail"
    );
    let recs = send(
        raw()
            .get(format!("{base}/__sandbox/records/Account"))
            .header("x-sandbox-token", o.sb.control_token()),
    )
    .await
    .json();
    assert_eq!(recs.as_array().map(Vec::len), Some(3), "the control API lists records");
}

#[tokio::test]
async fn seed_file_drives_the_cli_sandbox_which_prints_its_url_first() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("temp dir");
    let pub_path = dir.path().join("app.pub.pem");
    std::fs::write(&pub_path, PUBLIC_PEM).expect("write key");
    let seed = json!({
        "org": {"query_batch_size": 50},
        "users": [{"username": USERNAME, "name": "Sync"}],
        "queues": [{"name": "Revenue Ops", "developer_name": "revenue_ops_queue"}],
        "clients": [{"client_id": CC_CLIENT, "client_secret": CC_SECRET, "run_as": USERNAME}, {"client_id": JWT_CLIENT, "public_key_file": "app.pub.pem"}],
        "records": {"Account": [{"Name": "Seeded", "billing_account_id__c": "BA-S1"}]}
    });
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).expect("write seed");
    let mut child = std::process::Command::new(crate::common::BIN)
        .args(["sandbox", "--port", "0", "--seed"])
        .arg(&seed_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).expect("a first line");
    let base = line.trim().to_string();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
        "the first line is the base URL with the chosen port: `{base}`"
    );
    let mut second = String::new();
    reader.read_line(&mut second).expect("a second line");
    let control = second
        .trim()
        .strip_prefix("control token: ")
        .expect("the second line is the control token")
        .to_string();
    assert_eq!(control.len(), 32, "128 random bits, in hex: {control}");
    let refused = send(raw().get(format!("{base}/__sandbox/writes"))).await;
    assert_eq!(refused.status, 403, "the started process's control API needs the token");
    let ok = send(
        raw()
            .get(format!("{base}/__sandbox/writes"))
            .header("x-sandbox-token", &control),
    )
    .await;
    assert_eq!(ok.status, 200, "with the printed token it answers");
    let token = cc_token(&base).await;
    let rec = send(
        raw()
            .get(data(&base, "sobjects/Account/billing_account_id__c/BA-S1"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(rec.json()["Name"], "Seeded", "the seed file's records are served");
    assert_eq!(
        jwt_token_request(
            &base,
            &assertion(KEY_PEM, JWT_CLIENT, USERNAME, "https://login.salesforce.com", 60)
        )
        .await
        .status,
        200,
        "a public key file relative to the seed works"
    );
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "SIGTERM stops the sandbox cleanly"
    );

    let bad_seed = dir.path().join("bad.json");
    std::fs::write(&bad_seed, r#"{"users": [{"username": "u", "nmae": "typo"}]}"#).expect("write");
    let out = std::process::Command::new(crate::common::BIN)
        .args(["sandbox", "--seed"])
        .arg(&bad_seed)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad seed is an error, not a half-seeded org"
    );
    assert!(
        stderr.contains("users[0]"),
        "the error names where in the seed: {stderr}"
    );
}

#[tokio::test]
async fn describe_marks_unique_external_ids_and_a_plain_create_refuses_a_duplicate_value() {
    // Account's external ID field made Unique (and no seeded duplicates of it).
    let o = org_with(|s| {
        if let Some(rows) = s.records.get_mut("Account") {
            rows.retain(|r| r["billing_account_id__c"] != "ba-dup");
        }
        let mut fields = std::collections::BTreeMap::new();
        fields.insert(
            "billing_account_id__c".to_string(),
            replay_console::sandbox::FieldType::Text,
        );
        fields.insert("Tier__c".to_string(), replay_console::sandbox::FieldType::Text);
        s.objects.insert(
            "Account".into(),
            replay_console::sandbox::ObjectSpec {
                key_prefix: Some("001".into()),
                fields,
                external_id_fields: vec!["billing_account_id__c".into()],
                unique_external_ids: true,
                case_sensitive_external_ids: false,
                required: vec!["Name".into()],
            },
        );
    })
    .await;
    let base = o.sb.base_url();
    let token = cc_token(base).await;
    let d = send(raw().get(data(base, "sobjects/Account/describe")).bearer_auth(&token)).await;
    assert_eq!(d.status, 200, "{}", d.text);
    let fields = d.json()["fields"].as_array().cloned().expect("fields");
    let ext = fields
        .iter()
        .find(|f| f["name"] == "billing_account_id__c")
        .expect("the external ID field is described");
    assert_eq!(ext["unique"], true, "Unique as seeded");
    assert_eq!(ext["externalId"], true);
    assert_eq!(ext["type"], "string");
    let id = fields.iter().find(|f| f["name"] == "Id").expect("Id");
    assert_eq!((id["type"].as_str(), id["unique"].as_bool()), (Some("id"), Some(true)));

    // `POST /sobjects/Account/` (trailing slash, as documented) with the external ID in the body.
    let created = send(
        raw()
            .post(data(base, "sobjects/Account/"))
            .bearer_auth(&token)
            .json(&json!({"Name": "Fresh Co", "billing_account_id__c": "BA-NEW"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created.json().get("created").is_none(),
        "a create's answer has no `created`"
    );
    let again = send(
        raw()
            .post(data(base, "sobjects/Account"))
            .bearer_auth(&token)
            .json(&json!({"Name": "Fresh Co again", "billing_account_id__c": "ba-new"})),
    )
    .await;
    assert_eq!(
        again.status, 400,
        "a Unique field refuses a second record: {}",
        again.text
    );
    assert_eq!(again.error_code(), "DUPLICATE_VALUE");
    let new_id = created.json()["id"].as_str().expect("id").to_string();
    assert!(
        again.json()[0]["message"].as_str().unwrap_or("").ends_with(&new_id),
        "the message names the record that has the value: {}",
        again.text
    );

    // The record_appears fault: someone else's record lands just before the next create.
    o.sb.inject(Fault::new(FaultKind::RecordAppears, 1));
    let raced = send(
        raw()
            .post(data(base, "sobjects/Account/"))
            .bearer_auth(&token)
            .json(&json!({"Name": "Raced Co", "billing_account_id__c": "BA-RACE"})),
    )
    .await;
    assert_eq!(raced.error_code(), "DUPLICATE_VALUE", "{}", raced.text);
    let writes = o.sb.writes();
    let theirs: Vec<_> = writes
        .iter()
        .filter(|w| w.operation == "made_by_someone_else")
        .collect();
    assert_eq!(theirs.len(), 1, "the other record is logged as someone else's");
    assert_eq!(theirs[0].body["billing_account_id__c"], "BA-RACE");
}
