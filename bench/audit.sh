#!/usr/bin/env bash
# Audit-log benchmark: `audit verify` and `audit export` of N entries (default 1,000,000), each
# against a floor measured in the same run on the same data:
#   verify  vs  sha256sum over the exact bytes verify hashes (tag, link, canonical entry)
#   export  vs  sqlite3 -csv dump of the same table
# Targets (issue 6): verify within 3x, export within 2x. Each timing is the best of RUNS (3).
#
#   scripts/with-keyring bench/audit.sh [N]     # with a keychain, the checkpoint is checked too
#
# Release build of the CLI without the window (the audit code is the same). Results go to
# docs/BENCHMARKS.md by hand, with the machine and its load noted.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
RUNS="${RUNS:-3}"
WORK="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$WORK"
echo "work dir: $WORK"

if [ "${BENCH_PREBUILT:-0}" != 1 ]; then  # bench/all.sh builds once for every benchmark
  cargo build --release --no-default-features --bin replay-console --example audit_bench >&2
fi
# CARGO_TARGET_DIR is honoured (a shared machine may give each engineer their own).
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/replay-console"
GEN="$TARGET/release/examples/audit_bench"
DB="$WORK/bench.db"

if [ ! -f "$DB" ] || [ "$(cat "$WORK/entries.count" 2>/dev/null)" != "$N" ]; then
  rm -f "$DB"*
  echo "generating $N entries..." >&2
  start=$(date +%s.%N)
  "$GEN" make "$DB" "$N"
  echo "generated in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
  echo "$N" > "$WORK/entries.count"
fi
"$GEN" canonical "$DB" "$WORK/canonical.bin"

# best of RUNS wall-clock seconds of a command (stdout discarded)
best() {
  local best=""
  for _ in $(seq "$RUNS"); do
    local s e t
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

# Warm the page cache so every contender reads from memory alike.
cat "$DB" "$WORK/canonical.bin" >/dev/null

sha_floor=$(best sha256sum "$WORK/canonical.bin")
# For context only: coreutils sha256sum may not use the CPU's SHA extensions; OpenSSL does.
openssl_floor=$( command -v openssl >/dev/null && best openssl dgst -sha256 "$WORK/canonical.bin" || echo 0)
verify=$(best "$BIN" --db "$DB" audit verify --json)
"$BIN" --db "$DB" audit verify --json > "$WORK/verify.json" || true

dump_floor=$(best sh -c "sqlite3 -csv '$DB' 'SELECT * FROM audit_log' > '$WORK/dump.csv'")
# The whole log, as an incident lead would export it. Each export also appends its own audit
# entry (and advances the checkpoint, verifying the new entry); that is part of the time.
export_csv=$(best "$BIN" --db "$DB" audit export --format csv --out "$WORK/export.csv" --force)
export_ndjson=$(best "$BIN" --db "$DB" audit export --format ndjson --out "$WORK/export.ndjson" --force)
verify_export=$(best "$BIN" audit verify-export "$WORK/export.csv")

ratio() { echo "scale=2; $1 / $2" | bc; }
cat <<EOF
entries                 $N
canonical bytes         $(stat -c %s "$WORK/canonical.bin")
database bytes          $(stat -c %s "$DB")
sha256sum floor         ${sha_floor} s
openssl dgst -sha256    ${openssl_floor} s   (context, not the floor)
audit verify            ${verify} s   ratio $(ratio "$verify" "$sha_floor")  (target <= 3)
sqlite3 -csv floor      ${dump_floor} s   ($(stat -c %s "$WORK/dump.csv") bytes)
audit export csv        ${export_csv} s   ratio $(ratio "$export_csv" "$dump_floor")  (target <= 2)  ($(stat -c %s "$WORK/export.csv") bytes)
audit export ndjson     ${export_ndjson} s   ratio $(ratio "$export_ndjson" "$dump_floor")  ($(stat -c %s "$WORK/export.ndjson") bytes)
audit verify-export csv ${verify_export} s
verify report           $(grep -o '"ok": [a-z]*' "$WORK/verify.json" | head -1), checkpoint $(grep -A1 '"state"' "$WORK/verify.json" | head -1 | tr -d ' ,'), $(grep -o '"macs_checked": [0-9]*' "$WORK/verify.json" | head -1) (entry MACs checked by verify)
EOF
# One line for bench/all.sh to read.
f() { printf '%.4f' "$1"; }
echo "json: {\"entries\": $N, \"verify_s\": $(f "$verify"), \"sha256sum_s\": $(f "$sha_floor"), \"export_csv_s\": $(f "$export_csv"), \"sqlite3_dump_s\": $(f "$dump_floor")}"
