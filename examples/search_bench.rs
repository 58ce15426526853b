//! The queue's full-text search on a large database (issue 22: a payload search on 1,000,000
//! events answering in under 100 ms at p95; driven by bench/scale.sh, results in
//! docs/BENCHMARKS.md).
//!
//!   search_bench DB N
//!
//! Brings the index up to date first (timed: the catch-up after an import), then runs N
//! searches through the service the window and the CLI use, each the first page of 50 and one
//! page deeper (its cursor), and prints their timings as JSON. The searches are made from the
//! data: words of random events' payload values, external IDs and failure messages, alone, in
//! pairs, as prefixes, and with the lane and status filters, so rare and common words both
//! count. Every search is checked to find the event it was made from (its first page, or by
//! paging on until it does): a fast search that misses is not measured as a success.

use rand::{Rng, SeedableRng};
use replay_console::domain::event::EventStatus;
use replay_console::services::events::{list, EventQuery};
use replay_console::store::Pool;
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[(((v.len() as f64) - 1.0) * p).round() as usize]
}

/// Words of a text as the index makes them.
fn words(text: &str) -> Vec<String> {
    let mut s = String::new();
    replay_console::domain::search::push_words(text, &mut s);
    s.split_whitespace().map(String::from).collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: search_bench DB N".into());
    }
    let n: usize = args[2].parse()?;
    let app = replay_console::App::open(std::path::Path::new(&args[1])).await?;
    let t = Instant::now();
    let indexed = replay_console::services::search::catch_up(&app, |_, _| {}).await?;
    let index_s = t.elapsed().as_secs_f64();
    let max_id: i64 = match &app.pool {
        Pool::Sqlite(p) => sqlx::query_scalar("SELECT max(id) FROM events").fetch_one(p).await?,
        Pool::Pg(p) => sqlx::query_scalar("SELECT max(id) FROM events").fetch_one(p).await?,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(22);
    let mut times = Vec::new();
    let mut kinds: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut matched = 0usize;
    for i in 0..n + 10 {
        let id = rng.gen_range(1..=max_id.max(1));
        let sql = "SELECT lane_id, status, external_id, failure_message, payload, event_key FROM events WHERE id = ";
        #[allow(clippy::type_complexity)]
        let (lane, status, external_id, message, payload, key): (
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            String,
        ) = match &app.pool {
            Pool::Sqlite(p) => sqlx::query_as(&format!("{sql}?")).bind(id).fetch_one(p).await?,
            Pool::Pg(p) => sqlx::query_as(&format!("{sql}$1")).bind(id).fetch_one(p).await?,
        };
        let payload: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&payload)?;
        let values: Vec<String> = payload
            .values()
            .filter_map(|v| v.as_str().map(String::from))
            .flat_map(|v| words(&v))
            .collect();
        let pick = |rng: &mut rand::rngs::StdRng, v: &[String]| v[rng.gen_range(0..v.len())].clone();
        if values.is_empty() {
            continue;
        }
        // An event without an external ID (the contract's missing case) is searched by its key.
        let id_text = external_id.clone().unwrap_or(key);
        let (kind, text, lane_f, status_f) = match i % 6 {
            0 => ("external id", id_text.clone(), None, None),
            1 => ("one payload word", pick(&mut rng, &values), None, None),
            2 => (
                "two payload words",
                format!("{} {}", pick(&mut rng, &values), pick(&mut rng, &values)),
                None,
                None,
            ),
            3 => {
                let w = pick(&mut rng, &values);
                let cut: String = w.chars().take(4).collect();
                let star = if cut.chars().count() >= 2 { "*" } else { "" };
                ("prefix", format!("{cut}{star}"), None, None)
            }
            4 => {
                let m = match message.as_deref().map(words) {
                    Some(m) if !m.is_empty() => m,
                    _ => values.clone(),
                };
                (
                    "message word + lane + status",
                    pick(&mut rng, &m),
                    Some(lane.clone()),
                    Some(status.clone()),
                )
            }
            _ => (
                "payload word + external id word + lane",
                format!(
                    "{} {}",
                    pick(&mut rng, &values),
                    words(&id_text).last().cloned().unwrap_or_default()
                ),
                Some(lane.clone()),
                None,
            ),
        };
        let q = EventQuery {
            text: Some(text.clone()),
            lane_id: lane_f,
            status: status_f.as_deref().and_then(EventStatus::parse),
            limit: Some(50),
            ..Default::default()
        };
        let t = Instant::now();
        let first = list(&app, &q).await?;
        let ms1 = t.elapsed().as_secs_f64() * 1000.0;
        let mut found = first.events.iter().any(|e| e.id == id);
        let mut ms2 = None;
        if let Some(cursor) = &first.next_cursor {
            let t = Instant::now();
            let next = list(
                &app,
                &EventQuery {
                    after: Some(cursor.clone()),
                    ..q.clone()
                },
            )
            .await?;
            ms2 = Some(t.elapsed().as_secs_f64() * 1000.0);
            found |= next.events.iter().any(|e| e.id == id);
            if !found {
                // Confirm by paging on from just before the event (correctness, not timed).
                let page = list(
                    &app,
                    &EventQuery {
                        after: Some((id - 1).to_string()),
                        limit: Some(1),
                        ..q.clone()
                    },
                )
                .await?;
                found = page.events.first().is_some_and(|e| e.id == id);
            }
        }
        if !found {
            return Err(format!("search `{text}` did not find event {id}, whose words it was made from").into());
        }
        matched += 1;
        if i >= 10 {
            times.push(ms1);
            kinds.entry(kind).or_default().push(ms1);
            if let Some(ms) = ms2 {
                times.push(ms);
                kinds.entry(kind).or_default().push(ms);
            }
        }
    }
    let by_kind: serde_json::Map<String, serde_json::Value> = kinds
        .into_iter()
        .map(|(k, mut v)| {
            (
                k.to_string(),
                serde_json::json!({"pages": v.len(), "p50": pct(&mut v.clone(), 0.5), "p95": pct(&mut v, 0.95)}),
            )
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "indexed_events": indexed,
            "index_s": index_s,
            "searches": matched,
            "pages": times.len(),
            "search_ms": {
                "p50": pct(&mut times.clone(), 0.5),
                "p95": pct(&mut times.clone(), 0.95),
                "max": pct(&mut times, 1.0),
            },
            "by_kind": by_kind,
        })
    );
    app.close().await;
    Ok(())
}
