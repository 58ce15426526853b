//! The queue's queries are served by indexes: EXPLAIN QUERY PLAN shows no full scan of events
//! and no sort of a whole lane, for every filter the screens and the CLI offer.

use crate::common::*;
use replay_console::store::events::{explain_page, Filter};

#[test]
fn every_queue_filter_uses_an_index() {
    let env = Env::new();
    env.import_reference_lane();
    env.ok(&["events", "import", &env.write("e.ndjson", ndjson(0..200))]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = replay_console::App::open(&env.db).await.expect("open");
        // Fresh statistics, as a real database has after use; without them the planner guesses.
        sqlx::query("ANALYZE")
            .execute(app.pool.as_sqlite().expect("a SQLite file"))
            .await
            .expect("analyze");
        let s = |v: &str| Some(v.to_string());
        let filters = vec![
            ("none", Filter::default()),
            (
                "lane",
                Filter {
                    lane_id: s(LANE),
                    ..Filter::default()
                },
            ),
            (
                "status",
                Filter {
                    status: s("failed"),
                    ..Filter::default()
                },
            ),
            (
                "lane+status",
                Filter {
                    lane_id: s(LANE),
                    status: s("blocked"),
                    ..Filter::default()
                },
            ),
            (
                "reason code",
                Filter {
                    failure_code: s("UNABLE_TO_LOCK_ROW"),
                    ..Filter::default()
                },
            ),
            (
                "search",
                Filter {
                    search: s("BA-0001"),
                    ..Filter::default()
                },
            ),
            (
                "text",
                Filter {
                    text: Some(replay_console::domain::search::parse("customer 12*").expect("a search")),
                    ..Filter::default()
                },
            ),
            (
                "text+lane+status",
                Filter {
                    text: Some(replay_console::domain::search::parse("silver").expect("a search")),
                    lane_id: s(LANE),
                    status: s("failed"),
                    ..Filter::default()
                },
            ),
            (
                "time",
                Filter {
                    since: s("2026-11-20T00:00:00.000Z"),
                    until: s("2026-11-21T00:00:00.000Z"),
                    ..Filter::default()
                },
            ),
        ];
        for (what, f) in filters {
            let plan = explain_page(&app.pool, &f).await.expect("explain").join(" | ");
            let full_scan = plan
                .split(" | ")
                .any(|step| step.starts_with("SCAN events") && !step.contains("INDEX"));
            assert!(
                !full_scan,
                "{what}: the page query must not scan the whole table: {plan}"
            );
            if what.starts_with("text") {
                assert!(
                    plan.contains("event_search VIRTUAL TABLE")
                        && plan.contains("SEARCH events USING INTEGER PRIMARY KEY"),
                    "{what}: the full-text index drives the page, each match joined by id: {plan}"
                );
            }
            if what.starts_with("lane")
                || what.starts_with("text")
                || what == "status"
                || what == "none"
                || what == "reason code"
            {
                assert!(
                    !plan.contains("TEMP B-TREE"),
                    "{what}: pages come in index order, never by sorting the lane: {plan}"
                );
            }
        }
        // The counts the first screen shows come from the maintained table and agree with a count.
        let kept = replay_console::services::events::counts(&app).await.expect("counts");
        let counted: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT lane_id, status, count(*) FROM events GROUP BY lane_id, status ORDER BY 1, 2")
                .fetch_all(app.pool.as_sqlite().expect("a SQLite file"))
                .await
                .expect("count");
        let kept: Vec<(String, String, i64)> = kept
            .into_iter()
            .map(|c| (c.lane_id, c.status.as_str().to_string(), c.count))
            .collect();
        assert_eq!(kept, counted, "maintained counts equal a full count");
        app.close().await;
    });
}
