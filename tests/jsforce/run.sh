#!/usr/bin/env bash
# Cross-checks the simulated Salesforce org with jsforce (a second, independent client).
# Expects target/debug/replay-console to be built already; builds nothing itself.
# Exit status: 0 when jsforce gets what Salesforce would give it, non-zero otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${REPLAY_CONSOLE_BIN:-$root/target/debug/replay-console}"

if [[ ! -x "$bin" ]]; then
  echo "jsforce cross-check: $bin is missing; build it first (cargo build)" >&2
  exit 2
fi
command -v node >/dev/null || { echo "jsforce cross-check: node is not installed" >&2; exit 2; }

cd "$here"
if [[ ! -f node_modules/jsforce/package.json ]]; then
  # The lock file pins jsforce and everything under it.
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

work="$(mktemp -d)"
sandbox_pid=""
cleanup() {
  if [[ -n "$sandbox_pid" ]] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Batch size 2 makes the query check page through nextRecordsUrl with five accounts.
"$bin" sandbox --port 0 --seed "$here/seed.json" --query-batch-size 2 >"$work/stdout" 2>"$work/stderr" &
sandbox_pid=$!

base=""
for _ in $(seq 1 100); do
  base="$(head -n 1 "$work/stdout" 2>/dev/null || true)"
  [[ -n "$base" ]] && break
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then
    echo "jsforce cross-check: the sandbox exited early:" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$base" ]]; then
  echo "jsforce cross-check: the sandbox printed no URL within 10 s" >&2
  exit 1
fi
echo "jsforce cross-check: sandbox at $base (jsforce $(node -p 'require("jsforce/package.json").version'), node $(node --version))"

node "$here/crosscheck.js" "$base"
