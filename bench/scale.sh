#!/usr/bin/env bash
# Scale benchmark (issue 9): a million events, each figure against a floor measured in the same
# run on the same data.
#   import   vs  sqlite3 `.import` of the same rows as CSV into a table with the same columns
#                the events file carries and the same indexes
#   a page   vs  the same SQL run by the sqlite3 CLI (many queries in one process, per query)
#   counts   (absolute: the target is 50 ms)
#   size     vs  the raw NDJSON bytes (after the import, and with the search index)
#   search   the index's catch-up after the import; p95 of searches made from the data
#
#   bench/scale.sh [N]        N events (default 1,000,000); BENCH_DIR keeps the data between runs
#
# Release build of the CLI without the window (the import and queue code is the same).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
WORK="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$WORK"
echo "work dir: $WORK" >&2
# bench/all.sh builds once for every benchmark (BENCH_PREBUILT=1).
if [ "${BENCH_PREBUILT:-0}" != 1 ]; then
  cargo build --release --no-default-features --bin replay-console --example queue_bench --example search_bench >&2
fi
T="${CARGO_TARGET_DIR:-target}"
BIN="$T/release/replay-console"
QB="$T/release/examples/queue_bench"
SB="$T/release/examples/search_bench"

# The data is kept between runs of the same size (BENCH_DIR); another size makes it again.
if [ ! -f "$WORK/events.ndjson" ] || [ "$(cat "$WORK/events.count" 2>/dev/null)" != "$N" ]; then
  echo "generating $N events..." >&2
  python3 bench/gen_events.py "$N" "$WORK/events.ndjson" --csv "$WORK/events.csv"
  echo "$N" > "$WORK/events.count"
fi
ndjson_bytes=$(stat -L -c %s "$WORK/events.ndjson")

# Floor: sqlite3 .import into the same columns and the same indexes, WAL, synchronous=FULL.
rm -f "$WORK/floor.db"*
cat > "$WORK/floor.sql" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE events (id INTEGER PRIMARY KEY, lane_id TEXT NOT NULL, event_key TEXT NOT NULL, source_system TEXT NOT NULL,
  object TEXT NOT NULL, external_id TEXT, operation TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
  failure_code TEXT, failure_message TEXT, failure_http_status INTEGER, occurred_at TEXT NOT NULL,
  UNIQUE (lane_id, event_key));
CREATE INDEX e1 ON events (lane_id, status, id);
CREATE INDEX e2 ON events (status, id);
CREATE INDEX e3 ON events (lane_id, id);
CREATE INDEX e4 ON events (failure_code, id);
CREATE INDEX e5 ON events (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX e6 ON events (event_key);
CREATE INDEX e7 ON events (occurred_at);
CREATE TEMP TABLE csv (lane_id, event_key, source_system, object, external_id, operation, payload, status,
  failure_code, failure_message, failure_http_status, occurred_at);
.import --csv --skip 1 $WORK/events.csv csv
INSERT INTO events (lane_id, event_key, source_system, object, external_id, operation, payload, status, failure_code,
  failure_message, failure_http_status, occurred_at) SELECT * FROM csv;
SQL
# Each timed step starts with no writeback pending from the step before (a 1.4 GB database
# being flushed behind the next command made either side look slower by up to a quarter).
sync
floor_s=$( { /usr/bin/time -f "%e" sqlite3 "$WORK/floor.db" < "$WORK/floor.sql" >/dev/null; } 2>&1 | tail -1 )

# Ours: the lanes, then one import of the whole file.
rm -f "$WORK/ours.db"*
"$BIN" --db "$WORK/ours.db" lanes import tests/data/lane_account_sync.yaml >/dev/null
for l in b c d; do
  sed "s/lane_id: account_sync_north_america/lane_id: bench_lane_$l/" tests/data/lane_account_sync.yaml > "$WORK/lane_$l.yaml"
  "$BIN" --db "$WORK/ours.db" lanes import "$WORK/lane_$l.yaml" >/dev/null
done
sync
read -r ours_s ours_kb < <( { /usr/bin/time -f "%e %M" "$BIN" --db "$WORK/ours.db" events import "$WORK/events.ndjson" >/dev/null; } 2>&1 | tail -1 )
db_bytes=$(( $(stat -c %s "$WORK/ours.db") + $(stat -c %s "$WORK/ours.db-wal" 2>/dev/null || echo 0) ))

# Queue pages and counts through the service; the same pages through the sqlite3 CLI. The
# CLI's own timer has a millisecond's resolution, far coarser than a page: the floor is the
# time of one sqlite3 process running the 300 queries ten times, less one running them once
# (start-up, schema and the cold first pass), over the 2,700 queries between.
queue_json=$("$QB" "$WORK/ours.db" 300 "$WORK/pages.sql")
grep -v '^\.' "$WORK/pages.sql" > "$WORK/pages1.sql"
for _ in $(seq 10); do cat "$WORK/pages1.sql"; done > "$WORK/pages10.sql"
queries=$(grep -c '^SELECT' "$WORK/pages1.sql")
t1=$( { /usr/bin/time -f "%e" sqlite3 "$WORK/ours.db" < "$WORK/pages1.sql" >/dev/null; } 2>&1 | tail -1 )
t10=$( { /usr/bin/time -f "%e" sqlite3 "$WORK/ours.db" < "$WORK/pages10.sql" >/dev/null; } 2>&1 | tail -1 )
sq_ms=$(python3 -c "print(max(($t10 - $t1) * 1000 / (9 * $queries), 0.001))")

# Full-text search (issue 22): the index's catch-up after the import (timed by the bench), then
# 300 searches made from the data, each checked to find the event it was made from; the
# database's size with the index.
search_json=$("$SB" "$WORK/ours.db" 300)
db_indexed_bytes=$(( $(stat -c %s "$WORK/ours.db") + $(stat -c %s "$WORK/ours.db-wal" 2>/dev/null || echo 0) ))

python3 - "$N" "$floor_s" "$ours_s" "$ours_kb" "$ndjson_bytes" "$db_bytes" "$queue_json" "$sq_ms" "$search_json" "$db_indexed_bytes" <<'PY'
import json, sys
n, floor_s, ours_s, kb, nd, db, q, sq_ms, sj, dbi = sys.argv[1:]
n=int(n); floor_s=float(floor_s); ours_s=float(ours_s); q=json.loads(q); sq_ms=float(sq_ms); sj=json.loads(sj)
print(json.dumps({
  "events": n,
  "import_s": ours_s, "sqlite3_import_s": floor_s,
  "import_throughput_vs_floor": round(floor_s / ours_s, 2),
  "import_peak_rss_mb": round(int(kb) / 1024, 1),
  "db_bytes_per_ndjson_byte": round(int(db) / int(nd), 2),
  "page_ms": q["page_ms"], "sqlite3_page_ms": round(sq_ms, 4),
  "page_p50_vs_sqlite3": round(q["page_ms"]["p50"] / sq_ms, 2),
  "page_mean_vs_sqlite3": round(q["page_ms"]["mean"] / sq_ms, 2),
  "counts_ms": q["counts_ms"], "counts_by_group_by_ms": q["counts_by_group_by_ms"],
  "search_index_s": round(sj["index_s"], 2), "search_indexed_events": sj["indexed_events"],
  "search_ms": sj["search_ms"], "search_by_kind": sj["by_kind"], "searches": sj["searches"],
  "db_with_index_bytes_per_ndjson_byte": round(int(dbi) / int(nd), 2),
}, indent=2))
PY
