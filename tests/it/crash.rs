//! Crash test: the CLI is killed with SIGKILL at random points during event imports, single
//! replays and batch replays against the simulated org, and started again each time. After every kill the database
//! is intact, every acknowledged import and outcome is there, the audit chain verifies, no record
//! was written twice and no interrupted send is left `in_flight`.
//!
//! Bounded for CI (30 kills); `CRASH_KILLS=300` runs the full figure of docs/RELIABILITY.md, and
//! `CRASH_SEED=N` replays another sequence of kill delays.

use crate::common::*;
use crate::replay::{account, base_seed, Org};
use rand::{rngs::StdRng, Rng, SeedableRng};
use replay_console::sandbox::{Applies, Fault, FaultKind};
use serde_json::json;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BEFORE: &str = "2026-11-19T08:00:00.000+0000";
/// Every write waits this long in the org, so that kills land while a send is under way.
const WRITE_LATENCY_MS: u64 = 120;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn spawn(o: &Org, args: &[&str]) -> Child {
    Command::new(BIN)
        .arg("--db")
        .arg(&o.env.db)
        .args(args)
        .env_remove("REPLAY_CONSOLE_DB")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the CLI binary starts")
}

/// Waits `delay`, then SIGKILLs the child unless it is done. Returns `(killed, exit code)`.
fn kill_after(mut child: Child, delay: Duration) -> (bool, Option<i32>) {
    std::thread::sleep(delay);
    if let Ok(Some(status)) = child.try_wait() {
        return (false, status.code());
    }
    let _ = child.kill();
    let status = child.wait().expect("reap the child");
    // It may have ended on its own between the check and the signal.
    (status.code().is_none(), status.code())
}

/// Status of every event of the replay pool, by external ID.
fn statuses(o: &Org) -> HashMap<String, (i64, String)> {
    o.env
        .rows("SELECT external_id, id, status FROM events WHERE external_id LIKE 'CR-%'")
        .into_iter()
        .map(|r| {
            let text = |i: usize| r[i].clone().expect("not NULL");
            (text(0), (text(1).parse().expect("an id"), text(2)))
        })
        .collect()
}

#[derive(Default, Debug)]
struct Figures {
    kills: u64,
    import_kills: u64,
    replay_kills: u64,
    batch_kills: u64,
    batches_acknowledged: u64,
    batches_resumed: u64,
    imports_acknowledged: u64,
    imports_rolled_back: u64,
    replays_acknowledged: u64,
    unknown_outcomes: u64,
    settled_applied: u64,
    settled_not_applied: u64,
}

#[test]
fn sigkill_during_imports_replays_and_batches_loses_nothing_and_writes_nothing_twice() {
    let target = env_num("CRASH_KILLS", 30);
    let seed = env_num("CRASH_SEED", 0x5eed_c0de);
    let mut rng = StdRng::seed_from_u64(seed);
    let pool = target as usize + 10;

    let (mut s, u) = base_seed();
    let mut record_of: HashMap<String, String> = HashMap::new();
    for i in 0..pool {
        let ext = format!("CR-{i:04}");
        let id = account(&mut s, &ext, &format!("Crash Co {i} (old)"), &u.rita, BEFORE, "Gold");
        record_of.insert(ext, id);
    }
    let o = Org::start("crash", s);
    let events: Vec<_> = (0..pool)
        .map(|i| (format!("CR-{i:04}"), json!({"Name": format!("Crash Co {i}")})))
        .collect();
    let refs: Vec<_> = events.iter().map(|(e, p)| (Some(e.as_str()), p.clone())).collect();
    o.events(&refs);
    o.org.inject(Fault {
        kind: FaultKind::Latency,
        count: u32::MAX,
        latency_ms: WRITE_LATENCY_MS,
        applies_to: Some(Applies::Writes),
    });

    let mut f = Figures::default();
    let mut acknowledged_imports: Vec<(String, i64)> = Vec::new();
    let mut acknowledged_replays: Vec<String> = Vec::new();
    let started = Instant::now();
    let mut round = 0u64;
    let mut interrupted_batch: Option<String> = None;
    while f.kills < target {
        round += 1;
        assert!(
            round < target * 5,
            "the loop must reach its kills: {f:?} (are kill delays too long for the commands?)"
        );
        let delay = Duration::from_millis(rng.gen_range(0..=300));
        let mut failed: Vec<(String, i64)> = statuses(&o)
            .into_iter()
            .filter(|(_, (_, s))| s == "failed")
            .map(|(ext, (id, _))| (ext, id))
            .collect();
        failed.sort();
        let candidate = failed.first().cloned();
        let dice = rng.gen_range(0..100u32);
        let import_now = dice < 35;
        if !import_now && dice >= 65 && (!failed.is_empty() || interrupted_batch.is_some()) {
            // A batch replay: resume the one a kill interrupted, or plan a new one over up to 8
            // failed events.
            let token = match interrupted_batch.take() {
                Some(t) => {
                    f.batches_resumed += 1;
                    t
                }
                None => {
                    let ids: String = failed.iter().take(8).map(|(_, id)| format!("{id}\n")).collect();
                    let file = o.env.write(&format!("batch-{round}.ids"), ids);
                    let plan = o.env.json(&[
                        "replay",
                        "batch",
                        "--lane",
                        &o.lane,
                        "--ids",
                        &file,
                        "--operator",
                        "Dana Ops",
                    ]);
                    plan["ack_token"]
                        .as_str()
                        .expect("the batch preflight's token")
                        .to_string()
                }
            };
            let (killed, code) = kill_after(
                spawn(
                    &o,
                    &[
                        "replay",
                        "batch",
                        "--operator",
                        "Dana Ops",
                        "--reason",
                        "INC-4711 crash drill",
                        "--ack",
                        &token,
                        "--concurrency",
                        "2",
                    ],
                ),
                delay,
            );
            if killed {
                f.kills += 1;
                f.batch_kills += 1;
                interrupted_batch = Some(token);
            } else {
                // 0: all written; 3: refused or unfinished (a resumed batch whose preflight saw
                // events a verify has since settled); 5: an unknown outcome after a resume.
                assert!(
                    matches!(code, Some(0 | 3 | 5)),
                    "a batch that ran to its end finishes or says why not: {code:?}"
                );
                f.batches_acknowledged += 1;
            }
            std::thread::sleep(Duration::from_millis(WRITE_LATENCY_MS + 60));
        } else if let (false, Some((ext, id))) = (import_now, candidate) {
            let token = o.token(id);
            let (killed, code) = kill_after(
                spawn(
                    &o,
                    &[
                        "replay",
                        &id.to_string(),
                        "--operator",
                        "Dana Ops",
                        "--reason",
                        "INC-4711 crash drill",
                        "--ack",
                        &token,
                    ],
                ),
                delay,
            );
            if killed {
                f.kills += 1;
                f.replay_kills += 1;
            } else {
                assert_eq!(code, Some(0), "a replay of a clean update that ran to its end succeeds");
                acknowledged_replays.push(ext.clone());
                f.replays_acknowledged += 1;
            }
            // A write the org was still delaying lands now, before anything is judged.
            std::thread::sleep(Duration::from_millis(WRITE_LATENCY_MS + 60));
        } else {
            // An import of a few hundred events: one transaction, all or nothing.
            let n = rng.gen_range(50..400);
            let prefix = format!("ck-{round}-");
            let mut file = String::new();
            for j in 0..n {
                let e = json!({"lane_id": o.lane, "event_key": format!("{prefix}{j}"), "source_system": "billing",
                    "object": "Account", "external_id": format!("IM-{round}-{j}"), "operation": "upsert",
                    "payload": {"Name": format!("Imported {round}/{j}")}, "status": "failed",
                    "failure": {"code": "UNABLE_TO_LOCK_ROW", "message": "lock", "http_status": 400},
                    "occurred_at": "2026-11-20T10:00:00Z"});
                file.push_str(&e.to_string());
                file.push('\n');
            }
            let path = o.env.write(&format!("import-{round}.ndjson"), file);
            let (killed, code) = kill_after(spawn(&o, &["events", "import", &path]), delay);
            if killed {
                f.kills += 1;
                f.import_kills += 1;
            } else {
                assert_eq!(code, Some(0), "an import of valid events that ran to its end succeeds");
                acknowledged_imports.push((prefix.clone(), n));
                f.imports_acknowledged += 1;
            }
            let stored = o
                .env
                .scalar(&format!("SELECT count(*) FROM events WHERE event_key LIKE '{prefix}%'"));
            assert!(
                stored == 0 || stored == n,
                "an import is one transaction: all {n} events or none, found {stored}"
            );
            if stored == 0 {
                f.imports_rolled_back += 1;
            }
        }

        // Restart: the next process finds what the killed one left. `audit verify` opens the app,
        // so recovery runs first.
        let verify = o.env.run(&["audit", "verify", "--json"]);
        assert_eq!(
            verify.code, 0,
            "round {round}: the audit chain verifies after a kill: {} {}",
            verify.stdout, verify.stderr
        );
        if !o.env.on_server() {
            let integrity = o.env.rows("PRAGMA integrity_check");
            assert_eq!(
                integrity[0][0].as_deref(),
                Some("ok"),
                "round {round}: SQLite survives SIGKILL intact"
            );
        }
        let c = &o.env;
        assert_eq!(
            c.scalar("SELECT count(*) FROM attempts WHERE outcome = 'in_flight'"),
            0,
            "round {round}: no interrupted send stays in flight after a restart"
        );
        assert_eq!(
            c.scalar("SELECT count(*) FROM batches WHERE status = 'running'"),
            0,
            "round {round}: a killed batch is `interrupted` after a restart, not `running`"
        );
        for (prefix, n) in &acknowledged_imports {
            assert_eq!(
                c.scalar(&format!("SELECT count(*) FROM events WHERE event_key LIKE '{prefix}%'")),
                *n,
                "round {round}: an acknowledged import ({prefix}) is all there"
            );
        }

        let writes = o.org.writes();
        let mut per_record: HashMap<&str, usize> = HashMap::new();
        for w in &writes {
            *per_record.entry(w.record_id.as_str()).or_default() += 1;
        }
        assert!(
            per_record.values().all(|n| *n <= 1),
            "round {round}: no record is written twice without --again: {per_record:?}"
        );
        let now = statuses(&o);
        for ext in &acknowledged_replays {
            assert_eq!(
                now[ext].1, "replayed",
                "round {round}: an acknowledged replay ({ext}) keeps its outcome"
            );
        }
        for (ext, (id, status)) in &now {
            let written = per_record.contains_key(record_of[ext].as_str());
            match status.as_str() {
                "replayed" => assert!(written, "round {round}: {ext} is replayed, so the org has its write"),
                "unknown_outcome" => {
                    f.unknown_outcomes += 1;
                    // Settle it now, as an operator would, so the event can be judged and reused.
                    let v = o.env.json(&["verify", &id.to_string()]);
                    let settled = v["settlement"].as_str().unwrap_or("");
                    assert_eq!(
                        settled == "applied",
                        written,
                        "round {round}: verify of {ext} says applied exactly when the org has the write: {v}"
                    );
                    if written {
                        f.settled_applied += 1;
                    } else {
                        f.settled_not_applied += 1;
                    }
                }
                other => assert!(
                    !written,
                    "round {round}: {ext} is {other} although the org has its write: an outcome was lost"
                ),
            }
        }
    }
    eprintln!(
        "crash test: seed {seed:#x}, {round} rounds in {:.1}s: {f:?}",
        started.elapsed().as_secs_f64()
    );
}
