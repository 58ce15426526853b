//! Preflight and replay latency against the simulated org with added latency per request
//! (issue 5's benchmark; results in docs/BENCHMARKS.md).
//!
//!   scripts/with-keyring cargo run --release --no-default-features --example replay_bench -- [N] [LATENCY_MS]
//!
//! One process, so the lane's token is cached after the first call, as in the desktop app. For
//! each of N events: a preflight (one Composite call: the record by external ID, its owner and
//! last modifier by reference), then a replay (one Composite call: the conditional PATCH by Id
//! and the read-back). Prints the median and p95 of each as a multiple of the round trip: the
//! latency the org adds plus a bare loopback request measured in the run. The org's latency is
//! exact to a fraction of a millisecond (docs/SANDBOX.md).
//!
//! The database is a fresh SQLite file (solo), or, with `REPLAY_BENCH_DB=postgres://…` naming
//! an empty database on a server, that database (team mode; bench/team.sh compares the two).

use replay_console::domain::preflight::ReplayRequest;
use replay_console::sandbox::{self, SandboxConfig};
use replay_console::services;
use serde_json::json;
use std::time::{Duration, Instant};

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let latency_ms: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);

    // The demo org and its data: event i of the demo file is a clean update when i % 12 < 5.
    let seed = services::demo::seed()?;
    let org = sandbox::start(SandboxConfig { port: 0, seed }).await?;
    let dir = tempfile::tempdir()?;
    let db = match std::env::var("REPLAY_BENCH_DB").ok().filter(|s| !s.is_empty()) {
        Some(url) => std::path::PathBuf::from(url),
        None => dir.path().join("bench.db"),
    };
    let mut app = replay_console::App::open(&db).await?;
    app.mark_demo().await?;
    services::demo::prepare(&app, org.base_url()).await?;

    // The candidates: account events whose record exists unchanged (clean updates).
    let page = services::events::list(
        &app,
        &services::events::EventQuery {
            lane_id: Some(services::demo::ACCOUNT_LANE.into()),
            limit: Some(1000),
            ..Default::default()
        },
    )
    .await?;
    let mut clean = Vec::new();
    let mut k = 0usize;
    for e in &page.events {
        if e.external_id.is_none() {
            continue;
        }
        if services::demo::situation(k) == services::demo::Situation::Clean && e.status.as_str() == "failed" {
            clean.push(e.id);
        }
        k += 1;
    }
    // Warm up (token, identity, connections) and keep only updates whose preflight is clean (some
    // demo events would change a protected field and are blocked; a few would create).
    let mut ready = Vec::new();
    for id in clean {
        let v = services::preflight::run(&app, id, None).await?;
        // Updates only, as the header says: a create is three calls by design (the re-read by
        // external ID, the POST, the read-back) and would be a different figure.
        let update = v.preflight.request.kind == replay_console::domain::preflight::WriteKind::Update;
        if update && v.preflight.blocking().next().is_none() {
            ready.push(id);
        }
    }
    ready.truncate(n);
    let clean = ready;

    // The floor: one bare round trip to the org without added latency (the versions list).
    let http = reqwest::Client::new();
    let mut bare = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        http.get(format!("{}/services/data/", org.base_url()))
            .send()
            .await?
            .bytes()
            .await?;
        bare.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let bare_ms = percentile(&mut bare, 0.5);
    org.set_latency(Duration::from_millis(latency_ms));
    let rtt = latency_ms as f64 + bare_ms;

    let mut pre = Vec::new();
    let mut rep = Vec::new();
    for id in &clean {
        let t = Instant::now();
        let v = services::preflight::run(&app, *id, None).await?;
        pre.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let r = services::replay::replay(
            &app,
            *id,
            ReplayRequest {
                operator: "bench".into(),
                reason: "latency benchmark".into(),
                ack_token: v.preflight.ack_token.clone(),
                ..Default::default()
            },
        )
        .await?;
        rep.push(t.elapsed().as_secs_f64() * 1000.0);
        if r.outcome != replay_console::domain::replay::ReplayOutcome::Applied {
            return Err(format!("event {id}: {}", r.message).into());
        }
    }
    let (p50, p95) = (percentile(&mut pre, 0.5), percentile(&mut pre, 0.95));
    let (r50, r95) = (percentile(&mut rep, 0.5), percentile(&mut rep, 0.95));
    println!(
        "{}",
        json!({
            "database": if app.pool.is_server() { "server" } else { "file" },
            "events": clean.len(),
            "added_latency_ms": latency_ms,
            "bare_round_trip_ms": (bare_ms * 100.0).round() / 100.0,
            "round_trip_ms": (rtt * 100.0).round() / 100.0,
            "preflight_ms": {"p50": p50.round(), "p95": p95.round()},
            "preflight_round_trips": {"p50": (p50 / rtt * 100.0).round() / 100.0, "p95": (p95 / rtt * 100.0).round() / 100.0},
            "replay_ms": {"p50": r50.round(), "p95": r95.round()},
            "replay_round_trips": {"p50": (r50 / rtt * 100.0).round() / 100.0, "p95": (r95 / rtt * 100.0).round() / 100.0},
            "writes": org.writes().len(),
        })
    );
    app.close().await;
    org.shutdown().await;
    Ok(())
}
