//! Batch replay against the simulated org with added latency per request (issue 8's benchmark;
//! results in docs/BENCHMARKS.md).
//!
//!   CARGO_TARGET_DIR=/work/target-release cargo build --release --no-default-features --example batch_bench
//!   scripts/with-keyring /work/target-release/release/examples/batch_bench [N] [LATENCY_MS] [CONCURRENCY]
//!
//! N clean update events (records that exist, unchanged since the event) in the demo's account
//! lane; one batch preflight, then one execution. Counts Salesforce API calls with the org's own
//! counter (the `Sforce-Limit-Info` usage; token requests are not API calls) and compares the
//! wall time with the floor: ceil(N / 25) Composite calls of 25 writes, `concurrency` at a time,
//! plus the reads that cannot be overlapped (batch preflight: ceil(N/200) record queries and one owner round trip; post-verify:
//! ceil(N/200) queries), each one round trip.

use replay_console::sandbox::{self, SandboxConfig};
use replay_console::services::{self, batch, NoProgress};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BEFORE: &str = "2026-11-19T08:00:00.000+0000";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let latency_ms: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    let concurrency: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(4);

    let mut seed = services::demo::seed()?;
    let owner = seed
        .users
        .iter()
        .find(|u| u.username.starts_with("rita"))
        .and_then(|u| u.id.clone())
        .ok_or("the demo seed has Rita")?;
    let mut events = String::new();
    for i in 0..n {
        seed.record(
            "Account",
            json!({"Name": format!("Bench {i} (old)"), "billing_account_id__c": format!("BENCH-{i:05}"),
                   "OwnerId": owner, "LastModifiedDate": BEFORE, "Tier__c": "Gold"}),
        );
        let e = json!({"lane_id": services::demo::ACCOUNT_LANE, "event_key": format!("bench-{i:05}"),
            "source_system": "billing", "object": "Account", "external_id": format!("BENCH-{i:05}"),
            "operation": "upsert", "payload": {"Name": format!("Bench {i}"), "BillingCity": "Berlin"},
            "status": "failed", "failure": {"code": "BENCH_LOCK", "message": "lock", "http_status": 400},
            "occurred_at": "2026-11-20T10:00:00Z"});
        events.push_str(&e.to_string());
        events.push('\n');
    }
    let org = sandbox::start(SandboxConfig { port: 0, seed }).await?;
    let dir = tempfile::tempdir()?;
    let mut app = replay_console::App::open(&dir.path().join("bench.db")).await?;
    app.mark_demo().await?;
    services::demo::prepare(&app, org.base_url()).await?;
    services::import::import_reader(
        &app,
        std::io::Cursor::new(events.clone().into_bytes()),
        events.len() as u64,
        "bench events",
        services::import::Format::Ndjson,
        Arc::new(NoProgress),
    )
    .await?;
    let sel = batch::Selection {
        lane_id: services::demo::ACCOUNT_LANE.into(),
        reason_code: Some("BENCH_LOCK".into()),
        ..Default::default()
    };
    // Warm up: token, identity and connections, as in a process that already preflighted.
    let (_, contract) = services::lanes::contract(&app, services::demo::ACCOUNT_LANE).await?;
    app.session(&contract).await?;

    // One round trip without added latency (the versions list), measured in this run.
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
    bare.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let bare_ms = bare[bare.len() / 2];
    org.set_latency(Duration::from_millis(latency_ms));
    let rtt = latency_ms as f64 + bare_ms;

    let u0 = org.api_usage().0;
    let t = Instant::now();
    let plan = batch::preflight(&app, &sel, Some("bench")).await?;
    let preflight_ms = t.elapsed().as_secs_f64() * 1000.0;
    let u1 = org.api_usage().0;
    let writes0 = org.writes().len();
    let t = Instant::now();
    let s = batch::execute(
        &app,
        batch::ExecuteRequest {
            ack_token: plan.ack_token.clone(),
            operator: "bench".into(),
            reason: "batch benchmark".into(),
            concurrency,
            max_consecutive_failures: 10,
            pause_above_percent: 100,
            acknowledged: None,
        },
        Arc::new(NoProgress),
    )
    .await?;
    let execute_ms = t.elapsed().as_secs_f64() * 1000.0;
    let u2 = org.api_usage().0;
    let replayed = s.updated.len() + s.created.len();
    if replayed != n {
        return Err(format!("{replayed} of {n} replayed: {}", s.message).into());
    }
    let chunks = n.div_ceil(batch::IN_LIST_MAX) as f64;
    let calls = (n as f64 / 25.0).ceil();
    let write_floor = (calls / concurrency as f64).ceil() * rtt;
    let preflight_floor = (chunks + 1.0) * rtt;
    let verify_floor = chunks * rtt;
    let floor = write_floor + preflight_floor + verify_floor;
    let total_ms = preflight_ms + execute_ms;
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "events": n,
            "concurrency": concurrency,
            "added_latency_ms": latency_ms,
            "bare_round_trip_ms": r2(bare_ms),
            "round_trip_ms": r2(rtt),
            "api_calls": {"batch_preflight": u1 - u0, "execution": u2 - u1, "total": u2 - u0,
                          "per_replayed_event": r2((u2 - u0) as f64 / replayed as f64)},
            "writes_logged": org.writes().len() - writes0,
            "wall_ms": {"batch_preflight": preflight_ms.round(), "execution": execute_ms.round(), "total": total_ms.round()},
            "floor_ms": {"writes": write_floor.round(), "preflight_reads": preflight_floor.round(),
                         "post_verify_reads": verify_floor.round(), "total": floor.round()},
            "wall_over_floor": r2(total_ms / floor),
        }))?
    );
    app.close().await;
    org.shutdown().await;
    Ok(())
}
