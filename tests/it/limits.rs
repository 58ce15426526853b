//! Sizes from outside are bounded, each refused with an error that names its limit: a contract
//! file, a JSON-array import, an export's manifest, a batch's ids file, an HTTP answer, and the
//! pages one query follows. Files past a limit are sparse (no disk used), and nothing is read far
//! past the limit, so memory stays bounded.

use crate::common::*;
use crate::sf_support::{cc_client, CC_SECRET};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

/// A file of `len` zero bytes that takes no disk (a hole).
fn sparse(path: &Path, len: u64) -> String {
    std::fs::File::create(path)
        .and_then(|f| f.set_len(len))
        .expect("a sparse file");
    path.display().to_string()
}

#[test]
fn a_contract_larger_than_1_mb_is_refused_unread() {
    let env = Env::new();
    let big = sparse(&env.dir.path().join("huge.yaml"), 200 * 1024 * 1024);
    let stderr = env.fails(&["lanes", "import", &big], 1);
    assert!(stderr.contains("larger than 1 MB, the most this reads"), "{stderr}");
}

#[test]
fn a_json_array_file_larger_than_256_mb_is_refused_and_ndjson_is_named_instead() {
    let env = Env::new();
    env.import_reference_lane();
    let big = sparse(&env.dir.path().join("huge.json"), 300 * 1024 * 1024);
    let stderr = env.fails(&["events", "import", &big, "--format", "json"], 1);
    assert!(
        stderr.contains("a JSON-array file is read whole, up to 256 MB") && stderr.contains("NDJSON"),
        "{stderr}"
    );
    assert_eq!(env.event_total(), 0);
}

#[test]
fn a_manifest_larger_than_1_mb_and_an_ids_file_larger_than_32_mb_are_refused() {
    let env = Env::new();
    env.import_reference_lane();
    let export = env.write("audit.csv", "seq\n");
    sparse(&env.dir.path().join("audit.csv.manifest.json"), 5 * 1024 * 1024);
    let stderr = env.fails(&["audit", "verify-export", &export], 1);
    assert!(
        stderr.contains("manifest") && stderr.contains("larger than 1 MB"),
        "{stderr}"
    );

    let ids = sparse(&env.dir.path().join("ids.txt"), 100 * 1024 * 1024);
    let stderr = env.fails(
        &["replay", "batch", "--lane", "account_sync_north_america", "--ids", &ids],
        1,
    );
    assert!(stderr.contains("larger than 32 MB"), "{stderr}");
}

/// A stand-in Salesforce on loopback: the token endpoint answers, and every other request gets
/// what `answer` writes after the request head. One connection per request.
pub fn fake_org(answer: fn(&mut std::net::TcpStream, &str)) -> String {
    fake_org_at(answer, None)
}

/// As [`fake_org`], its token answer naming `instance` (default: itself) as the instance.
pub fn fake_org_at(answer: fn(&mut std::net::TcpStream, &str), instance: Option<&str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let me = instance.map_or_else(|| base.clone(), str::to_string);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
            if path == "/services/oauth2/token" {
                let body = serde_json::json!({"access_token": "test-token", "instance_url": me,
                    "id": format!("{me}/id/00D000000000001AAA/005000000000001AAA"), "token_type": "Bearer",
                    "issued_at": "1700000000000"})
                .to_string();
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            } else {
                answer(&mut conn, &path);
            }
        }
    });
    base
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn an_answer_larger_than_64_mb_is_not_read_on_declared_or_streamed() {
    // Declared: the Content-Length alone refuses it.
    let declared = fake_org(|conn, _| {
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\n"
        );
    });
    let e = rt()
        .block_on(cc_client(&declared, CC_SECRET).query("SELECT Id FROM Account"))
        .expect_err("refused");
    assert!(e.to_string().contains("larger than 64 MB"), "{e}");

    // Streamed without a length: reading stops once past the limit (the server would go on).
    let streamed = fake_org(|conn, _| {
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..200 {
            if write!(conn, "{:x}\r\n", chunk.len()).is_err()
                || conn.write_all(&chunk).is_err()
                || conn.write_all(b"\r\n").is_err()
            {
                return;
            }
        }
        let _ = conn.write_all(b"0\r\n\r\n");
    });
    let e = rt()
        .block_on(cc_client(&streamed, CC_SECRET).query("SELECT Id FROM Account"))
        .expect_err("refused");
    assert!(e.to_string().contains("larger than 64 MB"), "{e}");
}

#[test]
fn a_query_that_is_never_done_is_followed_300_pages_and_no_more() {
    let base = fake_org(|conn, _| {
        let body =
            r#"{"totalSize":1,"done":false,"nextRecordsUrl":"/services/data/v66.0/query/01gXX-200","records":[]}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let e = rt()
        .block_on(cc_client(&base, CC_SECRET).query("SELECT Id FROM Account"))
        .expect_err("stopped");
    assert!(e.to_string().contains("still not done after 300 pages"), "{e}");
}

#[test]
fn a_token_answer_naming_an_instance_outside_salesforce_is_not_used() {
    let base = fake_org_at(
        |conn, path| panic!("no data call may follow such a token answer: {conn:?} {path}"),
        Some("https://evil.example"),
    );
    let e = rt()
        .block_on(cc_client(&base, CC_SECRET).query("SELECT Id FROM Account"))
        .expect_err("refused");
    assert!(
        e.to_string().contains("names `https://evil.example` as the instance, which is not a Salesforce host or loopback; the token is not used"),
        "{e}"
    );
}
