//! TLS trust: the operating system's certificate store (with the bundled roots) and a lane's
//! own CA file. A loopback HTTPS server stands in for an org behind a TLS-inspecting proxy: its
//! certificate is issued by a test-only CA (tests/data/tls/, the CA's key destroyed) that is in
//! neither the bundled roots nor this machine's store.

use crate::common::*;
use crate::sf_support::{http_settings, settings, CC_CLIENT, CC_SECRET};
use base64::Engine;
use replay_console::salesforce::{self, Credential, SalesforceClient, SecretString};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn tls_file(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls")
        .join(name)
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).expect("PEM")
}

/// An HTTPS org on loopback. It records the path of every request that got through the
/// handshake; the token endpoint answers with a token, anything else with a 404.
fn tls_org() -> (String, Arc<Mutex<Vec<String>>>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = CertificateDer::from(pem_der(&std::fs::read_to_string(tls_file("server.pem")).expect("cert")));
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pem_der(
        &std::fs::read_to_string(tls_file("server.key")).expect("key"),
    )));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server certificate");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("https://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (me, log) = (base.clone(), seen.clone());
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            // A failed handshake ends here: the read errors before any request byte.
            while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let Some(path) = head.split_whitespace().nth(1).map(str::to_string) else {
                continue;
            };
            log.lock().expect("log").push(path.clone());
            let (status, body) = if path == "/services/oauth2/token" {
                let body = serde_json::json!({"access_token": "test-token", "instance_url": me,
                    "id": format!("{me}/id/00D000000000001AAA/005000000000001AAA"), "token_type": "Bearer",
                    "issued_at": "1700000000000"});
                ("200 OK", body.to_string())
            } else {
                (
                    "404 Not Found",
                    r#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#.to_string(),
                )
            };
            let _ = write!(
                tls,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (base, seen)
}

fn client(http: reqwest::Client, base: &str) -> SalesforceClient {
    SalesforceClient::new(
        http,
        settings(base, CC_CLIENT),
        Credential::ClientCredentials {
            client_secret: SecretString::new(CC_SECRET),
        },
    )
    .expect("valid settings")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_certificate_from_an_unknown_root_is_refused_and_a_lane_ca_file_makes_it_trusted() {
    let (base, seen) = tls_org();
    let plain = salesforce::build_http_client(&http_settings()).expect("client");
    let e = rt()
        .block_on(client(plain, &base).query("SELECT Id FROM Account"))
        .expect_err("an unknown root is not trusted");
    let text = format!("{e:#}");
    assert!(
        text.to_lowercase().contains("certificate"),
        "the error says why: {text}"
    );
    assert!(!text.contains(CC_SECRET), "and never carries the secret: {text}");
    assert!(
        seen.lock().expect("log").is_empty(),
        "no request got through the refused handshake"
    );

    let ca = std::fs::read(tls_file("ca.pem")).expect("ca.pem");
    let trusting = salesforce::build_http_client_trusting(&http_settings(), &ca).expect("client");
    let e = rt()
        .block_on(client(trusting, &base).query("SELECT Id FROM Account"))
        .expect_err("the stand-in answers 404 to the query");
    assert!(
        seen.lock().expect("log").iter().any(|p| p == "/services/oauth2/token"),
        "with the CA trusted, the token request went through TLS: {e}"
    );

    let not_pem = salesforce::build_http_client_trusting(&http_settings(), b"hello").expect_err("not PEM");
    assert!(
        not_pem
            .to_string()
            .contains("holds no `-----BEGIN CERTIFICATE-----` block"),
        "{not_pem}"
    );
}

/// A lane pointed at the HTTPS stand-in, its secret in the real keychain.
fn https_lane(tag: &str, base: &str, extra: &str) -> (Env, String) {
    let env = Env::new();
    let lane = format!("tls_{tag}_{}", std::process::id());
    let yaml = reference_contract()
        .replace("lane_id: account_sync_north_america", &format!("lane_id: {lane}"))
        .replace(
            "instance_url: https://acme.my.salesforce.com",
            &format!("instance_url: {base}{extra}"),
        );
    assert!(
        yaml.contains(base),
        "the reference contract's instance_url was replaced"
    );
    env.ok(&["lanes", "import", &env.write("lane.yaml", yaml)]);
    let key = env.write("key.pem", crate::credentials::test_key_pem());
    env.ok(&["credentials", "set", &lane, "--from-file", &key]);
    let event = event_json(1);
    let event = serde_json::to_string(&serde_json::json!(event))
        .expect("json")
        .replace(LANE, &lane);
    env.ok(&["events", "import", &env.write("e.ndjson", event + "\n")]);
    (env, lane)
}

fn preflight_with(env: &Env, vars: &[(&str, &str)]) -> Run {
    let mut cmd = std::process::Command::new(BIN);
    cmd.arg("--db").arg(&env.db).args(["preflight", "1"]);
    cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the CLI runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_operating_systems_certificate_store_is_trusted() {
    let (base, seen) = tls_org();
    let (env, lane) = https_lane("os", &base, "");
    let refused = preflight_with(&env, &[]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("invalid peer certificate: UnknownIssuer")
            && refused
                .stderr
                .contains("name it in the lane's connection.extra_ca_file"),
        "the refusal says why and what to do: {}",
        refused.stderr
    );
    assert!(seen.lock().expect("log").is_empty(), "nothing got through");

    // On Linux the OS store is where OpenSSL looks; SSL_CERT_FILE names it for this process, as
    // an administrator's installed company root would be found in /etc/ssl/certs.
    let ca = tls_file("ca.pem");
    let _ = preflight_with(&env, &[("SSL_CERT_FILE", ca.to_str().expect("path"))]);
    assert!(
        seen.lock().expect("log").iter().any(|p| p == "/services/oauth2/token"),
        "with the root in the OS store, the token request went through TLS"
    );
    env.ok(&["credentials", "delete", &lane]);
}

#[test]
fn a_lane_names_an_extra_ca_file_and_a_bad_one_is_refused_by_name() {
    let (base, seen) = tls_org();
    let ca = tls_file("ca.pem");
    let extra = format!("\n  extra_ca_file: {}", ca.display());
    let (env, lane) = https_lane("lane", &base, &extra);
    let _ = preflight_with(&env, &[]);
    assert!(
        seen.lock().expect("log").iter().any(|p| p == "/services/oauth2/token"),
        "the lane's CA file is trusted for its connections"
    );
    let shown = env.json(&["lanes", "show", &lane]);
    assert_eq!(
        shown["contract"]["connection"]["extra_ca_file"],
        ca.display().to_string()
    );

    // The file named is not a certificate: the error names the key, the file and what is wrong.
    let bogus = env.write("bogus.pem", "not a certificate");
    let mut contract = shown["contract"].clone();
    contract["connection"]["extra_ca_file"] = serde_json::json!(bogus);
    env.ok(&["lanes", "import", &env.write("bogus.yaml", contract.to_string())]);
    // A CA trusted for the lane could impersonate its org: a changed file is a changed binding.
    let r = preflight_with(&env, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("extra CA file `{}` is now `{bogus}`", ca.display())),
        "{}",
        r.stderr
    );
    let key = env.write("key2.pem", crate::credentials::test_key_pem());
    env.ok(&["credentials", "set", &lane, "--from-file", &key]);
    let r = preflight_with(&env, &[]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains(&format!("connection.extra_ca_file `{bogus}`"))
            && r.stderr.contains("holds no `-----BEGIN CERTIFICATE-----` block"),
        "{}",
        r.stderr
    );

    // A relative path is refused at import, with its line.
    let yaml = reference_contract().replace(
        "instance_url: https://acme.my.salesforce.com",
        "instance_url: https://acme.my.salesforce.com\n  extra_ca_file: certs/proxy.pem",
    );
    let err = env.fails(&["lanes", "import", &env.write("relative.yaml", yaml)], 1);
    assert!(
        err.contains("`certs/proxy.pem` must be an absolute path") && err.contains("line"),
        "{err}"
    );
    env.ok(&["credentials", "delete", &lane]);
}
