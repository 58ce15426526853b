//! Property tests of every parser of outside input: event import (NDJSON, JSON, CSV), the lane
//! contract, the sandbox's HTTP request parsing, and `audit verify-export` on corrupted files.
//! No panic, no partial import, an error that says where.
//!
//! The runs are deterministic (a fixed proptest RNG) so CI is never flaky; `FUZZ_CASES=N` runs
//! N cases per parser instead of the CI default.

use crate::common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use replay_console::services::import::{import_reader, Format};
use replay_console::services::NoProgress;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn runner(default_cases: u32) -> TestRunner {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

/// Replace, insert or delete bytes of a valid input at random places.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
    ]
}

fn mutate(mut bytes: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        let n = bytes.len().max(1);
        match *m {
            Mutation::Replace(i, b) if !bytes.is_empty() => bytes[i % n] = b,
            Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
            Mutation::Delete(i) if !bytes.is_empty() => {
                bytes.remove(i % n);
            }
            _ => {}
        }
    }
    bytes
}

/// A valid file of three events in the given format, with keys no other case uses.
fn valid_file(format: Format, tag: usize) -> Vec<u8> {
    let events: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            let mut e = event_json(tag * 10 + i);
            e["event_key"] = serde_json::json!(format!("fz-{tag}-{i}"));
            e
        })
        .collect();
    match format {
        Format::Ndjson => events.iter().map(|e| format!("{e}\n")).collect::<String>().into_bytes(),
        Format::Json => serde_json::to_vec_pretty(&events).expect("json"),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let cols = [
                "lane_id",
                "event_key",
                "source_system",
                "object",
                "external_id",
                "operation",
                "payload",
                "status",
                "failure",
                "occurred_at",
            ];
            w.write_record(cols).expect("header");
            for e in &events {
                let row: Vec<String> = cols
                    .iter()
                    .map(|c| match &e[*c] {
                        serde_json::Value::String(s) => s.clone(),
                        v => v.to_string(),
                    })
                    .collect();
                w.write_record(&row).expect("row");
            }
            w.into_inner().expect("csv")
        }
    }
}

#[test]
fn event_import_of_mutated_or_random_input_is_all_or_nothing_with_located_errors() {
    let env = Env::new();
    env.import_reference_lane();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = rt
        .block_on(replay_console::App::open(&env.db))
        .expect("open the fuzz database");
    let tag = AtomicUsize::new(0);
    let (imported, rejected) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let input = (
        prop_oneof![Just(Format::Ndjson), Just(Format::Json), Just(Format::Csv)],
        prop_oneof![
            3 => proptest::collection::vec(mutation(), 0..4).prop_map(Some),
            1 => Just(None),
        ],
        proptest::collection::vec(any::<u8>(), 0..300),
    );
    let result = runner(150).run(&input, |(format, mutations, random)| {
        let bytes = match mutations {
            Some(ms) => mutate(valid_file(format, tag.fetch_add(1, Ordering::Relaxed)), &ms),
            None => random,
        };
        let count = || -> i64 {
            rt.block_on(
                sqlx::query_scalar("SELECT count(*) FROM events")
                    .fetch_one(app.pool.as_sqlite().expect("a SQLite file")),
            )
            .expect("count")
        };
        let before = count();
        let len = bytes.len() as u64;
        let r = rt.block_on(import_reader(
            &app,
            std::io::Cursor::new(bytes),
            len,
            "fuzz",
            format,
            Arc::new(NoProgress),
        ));
        let after = count();
        match r {
            Ok(out) => {
                imported.fetch_add(1, Ordering::Relaxed);
                prop_assert_eq!(
                    after - before,
                    out.inserted as i64,
                    "an accepted file adds exactly the records it reports"
                );
                prop_assert_eq!(
                    out.inserted + out.unchanged,
                    out.records,
                    "every record is counted once"
                );
            }
            Err(replay_console::Error::ImportRejected(rej)) => {
                rejected.fetch_add(1, Ordering::Relaxed);
                prop_assert_eq!(after, before, "a refused file imports nothing: {}", rej);
                prop_assert!(!rej.issues.is_empty(), "a refusal names at least one problem");
                for i in &rej.issues {
                    prop_assert!(i.line >= 1, "every problem names its line: {}", i);
                    prop_assert!(!i.message.is_empty(), "every problem says what is wrong");
                }
            }
            Err(other) => {
                rejected.fetch_add(1, Ordering::Relaxed);
                prop_assert_eq!(after, before, "a failed import imports nothing: {}", other);
                prop_assert!(!other.to_string().is_empty(), "the error says something");
            }
        }
        Ok(())
    });
    rt.block_on(app.close());
    if let Err(e) = result {
        panic!("event import must be all or nothing, with located errors: {e}");
    }
    eprintln!(
        "fuzz import: {} accepted, {} refused",
        imported.load(Ordering::Relaxed),
        rejected.load(Ordering::Relaxed)
    );
}

#[test]
fn the_lane_contract_parser_never_panics_and_locates_yaml_syntax_errors() {
    use replay_console::domain::contract::LaneContract;
    let text = reference_contract();
    let input = proptest::collection::vec(mutation(), 1..6);
    let result = runner(400).run(&input, |ms| {
        let bytes = mutate(text.clone().into_bytes(), &ms);
        let Ok(yaml) = String::from_utf8(bytes) else {
            return Ok(()); // the CLI reads the file as UTF-8 first; not this parser's input
        };
        let parsed = std::panic::catch_unwind(|| LaneContract::from_yaml(&yaml));
        let Ok(parsed) = parsed else {
            return Err(TestCaseError::fail("LaneContract::from_yaml panicked"));
        };
        if let Err(e) = parsed {
            prop_assert!(!e.message.is_empty(), "a refusal says what is wrong");
            let syntax_ok = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&yaml).is_ok();
            if !syntax_ok {
                prop_assert!(
                    e.line.is_some() && e.column.is_some(),
                    "a YAML syntax error names its line and column: {}",
                    e
                );
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("the contract parser must never panic and must locate syntax errors: {e}");
    }
}

/// One raw HTTP/1.1 exchange; returns the status line, or what went wrong.
fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> Result<String, String> {
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    s.write_all(request).map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    match text.lines().next() {
        Some(l) if l.starts_with("HTTP/1.1 ") => Ok(l.to_string()),
        _ => Err(format!("no HTTP answer: {text:?}")),
    }
}

#[test]
fn the_sandbox_answers_every_request_with_http_and_never_panics() {
    use replay_console::sandbox::{self, SandboxConfig, Seed};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut seed = Seed::new();
    seed.user("fuzz@acme.example", "Fuzz User", true);
    seed.client_credentials("3MVG9FUZZ", "fuzz-secret", "fuzz@acme.example");
    seed.record("Account", serde_json::json!({"Name": "Fuzz Co"}));
    let org = rt
        .block_on(sandbox::start(SandboxConfig { port: 0, seed }))
        .expect("the simulated org starts");
    let addr = org.addr();
    let form = "grant_type=client_credentials&client_id=3MVG9FUZZ&client_secret=fuzz-secret";
    let token_req = format!(
        "POST /services/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(token_req.as_bytes()).expect("write");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let token = answer
        .split("\"access_token\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("the fuzz client gets a token: {answer}"))
        .to_string();

    let prefixes = [
        "/services/data/v66.0/sobjects/Account/",
        "/services/data/v66.0/sobjects/Account/billing_account_id__c/",
        "/services/data/v66.0/query?q=",
        "/services/data/v66.0/query/",
        "/services/data/v66.0/composite/",
        "/services/data/v66.0/",
        "/services/data/",
        "/services/oauth2/token",
        "/services/oauth2/userinfo",
        "/id/",
        "/__sandbox/",
        "/",
    ];
    let input = (
        prop_oneof![
            Just("GET"),
            Just("POST"),
            Just("PATCH"),
            Just("DELETE"),
            Just("PUT"),
            Just("HEAD")
        ],
        0..prefixes.len(),
        // Path characters: printable ASCII without space, and percent escapes of any byte.
        proptest::collection::vec(
            prop_oneof![
                (0x21u8..0x7f).prop_map(|b| (b as char).to_string()),
                any::<u8>().prop_map(|b| format!("%{b:02X}")),
            ],
            0..40,
        ),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            "[ -~]{0,200}".prop_map(String::into_bytes),
            Just(b"{\"Name\": \"x\", \"OwnerId\": null}".to_vec()),
            Just(b"[{\"kind\": \"latency\"}]".to_vec()),
        ],
        any::<bool>(),
    );
    let answered = AtomicUsize::new(0);
    let result = runner(300).run(&input, |(method, prefix, tail, body, auth)| {
        // The control API's writes change the org for later cases (faults, latency): fuzz reads
        // of it only.
        if prefixes[prefix] == "/__sandbox/" && method != "GET" {
            return Ok(());
        }
        let path = format!("{}{}", prefixes[prefix], tail.concat());
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        if auth {
            req.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ));
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(&body);
        match exchange(addr, &bytes) {
            Ok(_) => {
                answered.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(format!("{method} {path}: {e}"))),
        }
    });
    if let Err(e) = result {
        panic!("the sandbox must answer every request with HTTP: {e}");
    }
    let health = exchange(
        addr,
        b"GET /__sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        health.as_deref(),
        Ok("HTTP/1.1 200 OK"),
        "the sandbox still serves after the fuzzing"
    );
    eprintln!("fuzz sandbox: {} requests answered", answered.load(Ordering::Relaxed));
    drop(org);
}

#[test]
fn verify_export_never_accepts_a_changed_byte() {
    let env = Env::new();
    env.import_reference_lane();
    env.ok(&["events", "import", &env.write("e.ndjson", ndjson(0..5))]);
    env.ok(&[
        "events",
        "discard",
        "1",
        "--operator",
        "Dana Ops",
        "--reason",
        "a \"quoted\", reason",
    ]);
    let flips = AtomicUsize::new(0);
    for format in ["csv", "ndjson"] {
        let out = env.dir.path().join(format!("log.{format}"));
        let out_s = out.display().to_string();
        env.ok(&["audit", "export", "--format", format, "--out", &out_s]);
        env.ok(&["audit", "verify-export", &out_s]);
        let original = std::fs::read(&out).expect("the export");
        let input = (any::<usize>(), 1u8..=255);
        let result = runner(40).run(&input, |(at, xor)| {
            let mut bytes = original.clone();
            let i = at % bytes.len();
            bytes[i] ^= xor;
            std::fs::write(&out, &bytes).expect("write the corrupted export");
            let r = env.run(&["audit", "verify-export", &out_s]);
            flips.fetch_add(1, Ordering::Relaxed);
            // The manifest carries the file's SHA-256: whitespace included, every byte counts.
            prop_assert_ne!(
                r.code,
                0,
                "byte {} changed ({:#04x} -> {:#04x}) yet the export verified",
                i,
                original[i],
                bytes[i]
            );
            prop_assert!(!r.stderr.is_empty() || !r.stdout.is_empty(), "the refusal says why");
            Ok(())
        });
        std::fs::write(&out, &original).expect("restore");
        if let Err(e) = result {
            panic!("verify-export must refuse any changed byte of a {format} export: {e}");
        }
        env.ok(&["audit", "verify-export", &out_s]);
    }
    eprintln!(
        "fuzz verify-export: {} corrupted exports refused",
        flips.load(Ordering::Relaxed)
    );
}

/// What a corpus file must come to.
enum Expect {
    /// Imported whole: this many new events.
    Imported(u64),
    /// Refused whole: the first problem is on this line and says this.
    Refused(u64, &'static str),
    /// Refused with an error that says this (no per-line problem list).
    Error(&'static str),
}

/// The kept corpus (tests/corpus/): hostile or awkward files that real tools produce, each with
/// what it must come to through the real CLI. A new finding of the property tests above goes here
/// as a file, so it is checked on every run.
#[test]
fn the_kept_corpus_of_hostile_files_is_imported_whole_or_refused_with_where_and_what() {
    use Expect::*;
    let events: &[(&str, Expect)] = &[
        ("blank-lines.ndjson", Imported(1)),
        ("bom.ndjson", Imported(2)),
        ("crlf.ndjson", Imported(2)),
        ("excel-bom-crlf.csv", Imported(2)),
        ("formula-cells.csv", Imported(2)),
        ("deep-nesting.ndjson", Refused(2, "recursion limit exceeded")),
        ("duplicate-keys.ndjson", Refused(3, "the key `lane_id` appears twice")),
        ("huge-number.ndjson", Refused(1, "number out of range")),
        ("lone-surrogate.ndjson", Refused(2, "malformed JSON")),
        ("nul-byte.ndjson", Refused(2, "malformed JSON")),
        ("trailing-garbage.json", Refused(21, "trailing characters")),
        ("truncated.json", Refused(36, "EOF while parsing")),
        ("unterminated-quote.csv", Refused(3, "cells, the header has 12")),
        ("utf16le.ndjson", Refused(1, "UTF-16")),
        ("empty.ndjson", Error("holds no events")),
    ];
    let contracts: &[(&str, Option<&str>)] = &[
        ("bom.yaml", None),
        ("alias-bomb.yaml", Some("unknown field `a`")),
        ("deep-nesting.yaml", Some("line 1, column 1")),
        ("duplicate-keys.yaml", Some("duplicate field `salesforce_lane`")),
        ("not-utf8.yaml", Some("not UTF-8 text (invalid byte at offset 200)")),
        ("tab-indent.yaml", Some("line 4, column 1")),
    ];
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let listed: std::collections::BTreeSet<String> = std::fs::read_dir(corpus.join("events"))
        .expect("tests/corpus/events")
        .chain(std::fs::read_dir(corpus.join("contracts")).expect("tests/corpus/contracts"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let expected: std::collections::BTreeSet<String> = events
        .iter()
        .map(|(f, _)| f.to_string())
        .chain(contracts.iter().map(|(f, _)| f.to_string()))
        .collect();
    assert_eq!(listed, expected, "every corpus file has its expectation here");

    let env = Env::new();
    env.import_reference_lane();
    let count = |env: &Env| -> i64 {
        let c = rusqlite::Connection::open(&env.db).expect("db");
        c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .expect("count")
    };
    let mut failures = Vec::new();
    for (file, expect) in events {
        let path = corpus.join("events").join(file);
        let before = count(&env);
        let r = env.run(&["events", "import", &path.display().to_string(), "--json"]);
        let added = count(&env) - before;
        let said = format!("{}{}", r.stdout, r.stderr);
        let ok = match expect {
            Imported(n) => r.code == 0 && added == *n as i64,
            Refused(line, what) => {
                let e: serde_json::Value = serde_json::from_str(&r.stdout)
                    .or_else(|_| serde_json::from_str(&r.stderr))
                    .unwrap_or_default();
                let first = &e["issues"][0];
                r.code == 1
                    && added == 0
                    && first["line"].as_u64() == Some(*line)
                    && first["message"].as_str().is_some_and(|m| m.contains(what))
            }
            Error(what) => r.code == 1 && added == 0 && said.contains(what),
        };
        if !ok {
            failures.push(format!("events/{file}: exit {}, {added} added: {said}", r.code));
        }
    }
    for (file, refusal) in contracts {
        let path = corpus.join("contracts").join(file);
        let started = std::time::Instant::now();
        let r = env.run(&["lanes", "import", &path.display().to_string()]);
        let said = format!("{}{}", r.stdout, r.stderr);
        let ok = match refusal {
            None => r.code == 0,
            Some(what) => r.code == 1 && said.contains(what) && said.contains(file),
        };
        if !ok || started.elapsed() > Duration::from_secs(10) {
            failures.push(format!(
                "contracts/{file}: exit {} in {:?}: {said}",
                r.code,
                started.elapsed()
            ));
        }
    }
    assert!(failures.is_empty(), "corpus files:\n{}", failures.join("\n"));
}
