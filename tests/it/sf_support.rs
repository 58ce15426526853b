//! Shared set-up for the sandbox and Salesforce-client tests: a seeded simulated org on a free
//! loopback port, test-only keys, and plain HTTP helpers that do not use the client under test.

#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use replay_console::salesforce::{self, ConnectionSettings, Credential, HttpSettings, SalesforceClient, SecretString};
use replay_console::sandbox::{self, SandboxConfig, SandboxHandle, Seed};
use serde_json::{json, Value};

/// Test-only keys (tests/data): they protect nothing and must never be used for a real org.
pub const KEY_PEM: &str = include_str!("../data/test_only_rsa_key.pem");
pub const PUBLIC_PEM: &str = include_str!("../data/sf_test_only_rsa_key.pub.pem");
pub const OTHER_KEY_PEM: &str = include_str!("../data/sf_test_only_other_rsa_key.pem");

pub const JWT_CLIENT: &str = "3MVG9TESTJWTCONSUMERKEY";
pub const CC_CLIENT: &str = "3MVG9TESTCLIENTCREDENTIALS";
pub const CC_SECRET: &str = "test-only-consumer-secret";
pub const USERNAME: &str = "sf_account_sync_app@acme.example";
pub const API: &str = "66.0";

/// A running org and the Ids of what it was seeded with.
pub struct Org {
    pub sb: SandboxHandle,
    pub integration_user: String,
    pub other_user: String,
    pub inactive_user: String,
    pub queue: String,
    pub rule_owner: String,
    /// Account `BA-1001` "Acme GmbH", owned by `other_user`, last modified 2026-11-20T10:00:00Z.
    pub acme: String,
    /// Two accounts sharing `BA-DUP`.
    pub dup_a: String,
    pub dup_b: String,
}

/// The standard seed, then `customize`, then a started sandbox.
pub async fn org_with(customize: impl FnOnce(&mut Seed)) -> Org {
    let mut seed = Seed::new();
    let integration_user = seed.user(USERNAME, "Account Sync Integration", true);
    let other_user = seed.user("dana.owner@acme.example", "Dana Owner", true);
    let inactive_user = seed.user("old.owner@acme.example", "Old Owner", false);
    let rule_owner = seed.user("router@acme.example", "Assignment Router", true);
    let queue = seed.queue("Revenue Ops", "revenue_ops_queue");
    seed.jwt_client(JWT_CLIENT, PUBLIC_PEM);
    seed.client_credentials(CC_CLIENT, CC_SECRET, USERNAME);
    let acme = seed.record(
        "Account",
        json!({"Name": "Acme GmbH", "billing_account_id__c": "BA-1001", "Tier__c": "Gold", "OwnerId": other_user,
               "LastModifiedDate": "2026-11-20T10:00:00.000+0000", "LastModifiedById": other_user}),
    );
    let dup_a = seed.record("Account", json!({"Name": "Dup One", "billing_account_id__c": "BA-DUP"}));
    let dup_b = seed.record("Account", json!({"Name": "Dup Two", "billing_account_id__c": "ba-dup"}));
    seed.assignment_rule("Account", &rule_owner);
    customize(&mut seed);
    let sb = sandbox::start(SandboxConfig { port: 0, seed })
        .await
        .expect("the sandbox starts on a free loopback port");
    Org {
        sb,
        integration_user,
        other_user,
        inactive_user,
        queue,
        rule_owner,
        acme,
        dup_a,
        dup_b,
    }
}

pub async fn org() -> Org {
    org_with(|_| {}).await
}

pub fn http_settings() -> HttpSettings {
    HttpSettings {
        connect_timeout: std::time::Duration::from_secs(2),
        request_timeout: std::time::Duration::from_secs(5),
    }
}

pub fn settings(base: &str, client_id: &str) -> ConnectionSettings {
    ConnectionSettings {
        login_url: base.to_string(),
        api_version: API.into(),
        client_id: client_id.into(),
        username: USERNAME.into(),
        audience: "https://login.salesforce.com".into(),
        allowed_host: None,
    }
}

/// The client under test, JWT bearer with the given private key.
pub fn jwt_client(base: &str, key_pem: &str) -> SalesforceClient {
    let http = salesforce::build_http_client(&http_settings()).expect("an HTTP client");
    SalesforceClient::new(
        http,
        settings(base, JWT_CLIENT),
        Credential::JwtBearer {
            private_key_pem: SecretString::new(key_pem),
        },
    )
    .expect("valid settings")
}

pub fn cc_client(base: &str, secret: &str) -> SalesforceClient {
    let http = salesforce::build_http_client(&http_settings()).expect("an HTTP client");
    SalesforceClient::new(
        http,
        settings(base, CC_CLIENT),
        Credential::ClientCredentials {
            client_secret: SecretString::new(secret),
        },
    )
    .expect("valid settings")
}

// ---- plain HTTP, independent of the client under test ----

pub fn raw() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("a plain HTTP client")
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("the body must be JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
    /// The first errorCode of a top-level error array.
    pub fn error_code(&self) -> String {
        self.json()[0]["errorCode"].as_str().unwrap_or_default().to_string()
    }
}

pub async fn send(req: reqwest::RequestBuilder) -> Resp {
    let r = req.send().await.expect("the sandbox answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("a complete body");
    Resp { status, headers, text }
}

/// A token by client credentials, fetched with a plain form POST.
pub async fn cc_token(base: &str) -> String {
    let r = send(raw().post(format!("{base}/services/oauth2/token")).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", CC_CLIENT),
        ("client_secret", CC_SECRET),
    ]))
    .await;
    assert_eq!(
        r.status, 200,
        "client credentials with the right secret get a token: {}",
        r.text
    );
    r.json()["access_token"].as_str().expect("access_token").to_string()
}

/// A JWT bearer assertion signed here (not by the client under test).
pub fn assertion(key_pem: &str, iss: &str, sub: &str, aud: &str, exp_offset_secs: i64) -> String {
    let body: String = key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM base64");
    let key = ring::signature::RsaKeyPair::from_pkcs8(&der).expect("a test key in PKCS#8");
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let c = URL_SAFE_NO_PAD.encode(
        json!({"iss": iss, "sub": sub, "aud": aud, "exp": chrono::Utc::now().timestamp() + exp_offset_secs})
            .to_string(),
    );
    let input = format!("{h}.{c}");
    let mut sig = vec![0u8; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("signed");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig))
}

pub async fn jwt_token_request(base: &str, assertion: &str) -> Resp {
    send(raw().post(format!("{base}/services/oauth2/token")).form(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", assertion),
    ]))
    .await
}

pub fn data(base: &str, rest: &str) -> String {
    format!("{base}/services/data/v{API}/{rest}")
}
