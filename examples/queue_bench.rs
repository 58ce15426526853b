//! The queue's queries on a large database (issue 9; driven by bench/scale.sh and, on a
//! server, bench/team.sh; results in docs/BENCHMARKS.md).
//!
//!   queue_bench DB N SQL_OUT
//!
//! DB is a SQLite file or a server's URL (`postgres://…`, team mode). Runs N filtered pages of
//! 50 through the service the window and the CLI use (lane + status, starting at random deep
//! cursors), then the counts by lane and status, and prints their timings as JSON. Writes the
//! same page queries, as plain SQL, to SQL_OUT so the sqlite3 CLI (or psql) can run them as
//! the floor.

use rand::{Rng, SeedableRng};
use replay_console::domain::event::EventStatus;
use replay_console::services::events::{counts, list, EventQuery};
use replay_console::store::Pool;
use std::io::Write;
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[(((v.len() as f64) - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err("usage: queue_bench DB N SQL_OUT".into());
    }
    let n: usize = args[2].parse()?;
    let app = replay_console::App::open(std::path::Path::new(&args[1])).await?;
    let server = app.pool.is_server();
    let lanes: Vec<String> = match &app.pool {
        Pool::Sqlite(p) => sqlx::query_scalar("SELECT lane_id FROM lanes").fetch_all(p).await?,
        Pool::Pg(p) => sqlx::query_scalar("SELECT lane_id FROM lanes").fetch_all(p).await?,
    };
    let max_id: i64 = match &app.pool {
        Pool::Sqlite(p) => sqlx::query_scalar("SELECT max(id) FROM events").fetch_one(p).await?,
        Pool::Pg(p) => sqlx::query_scalar("SELECT max(id) FROM events").fetch_one(p).await?,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut sql = std::fs::File::create(&args[3])?;
    if server {
        // psql: no per-query timing; the caller times the whole file.
        writeln!(sql, "\\timing off")?;
        writeln!(sql, "\\o /dev/null")?;
    } else {
        writeln!(sql, ".timer on")?;
        writeln!(sql, ".output /dev/null")?;
    }
    let mut times = Vec::new();
    for i in 0..n + 10 {
        let lane = &lanes[rng.gen_range(0..lanes.len())];
        let status = if rng.gen_bool(0.75) {
            EventStatus::Failed
        } else {
            EventStatus::Blocked
        };
        let after = rng.gen_range(0..max_id.max(1));
        let q = EventQuery {
            lane_id: Some(lane.clone()),
            status: Some(status),
            after: Some(after.to_string()),
            limit: Some(50),
            ..Default::default()
        };
        let t = Instant::now();
        let page = list(&app, &q).await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if i >= 10 {
            // The first few warm the cache, for both sides.
            times.push(ms);
        }
        std::hint::black_box(page);
        writeln!(
            sql,
            "SELECT id, lane_id, lane_version, event_key, source_system, object, external_id, operation, status, \
             failure_code, failure_message, failure_http_status, occurred_at, import_id, updated_at FROM events \
             WHERE id > {after} AND lane_id = '{lane}' AND status = '{}' ORDER BY id LIMIT 51;",
            status.as_str()
        )?;
    }
    let mut count_times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(counts(&app).await?);
        count_times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let full_count = {
        let t = Instant::now();
        let q = "SELECT lane_id, status, count(*) FROM events GROUP BY lane_id, status";
        let _: Vec<(String, String, i64)> = match &app.pool {
            Pool::Sqlite(p) => sqlx::query_as(q).fetch_all(p).await?,
            Pool::Pg(p) => sqlx::query_as(q).fetch_all(p).await?,
        };
        t.elapsed().as_secs_f64() * 1000.0
    };
    println!(
        "{}",
        serde_json::json!({
            "pages": times.len(),
            "page_ms": {
                "p50": pct(&mut times.clone(), 0.5),
                "p95": pct(&mut times.clone(), 0.95),
                "mean": times.iter().sum::<f64>() / times.len().max(1) as f64,
            },
            "counts_ms": {"p50": pct(&mut count_times.clone(), 0.5), "p95": pct(&mut count_times, 0.95)},
            "counts_by_group_by_ms": full_count,
        })
    );
    app.close().await;
    Ok(())
}
