#!/usr/bin/env bash
# Intake load benchmark: durable referral submissions per second and their latency, with wrk on
# loopback against the release binary. Every 201 is a referral committed to SQLite (WAL,
# synchronous=FULL) before the answer; afterwards the stored rows are counted to prove it.
#
# Usage: benches/intake-load.sh [SECONDS] [CONNECTIONS]   (needs wrk: apt-get install wrk)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-20}"
connections="${2:-32}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
portico="$repo/target/release/portico"

site="$(mktemp -d "${TMPDIR:-/tmp}/portico-intake-bench.XXXXXX")"
cp "$repo/tests/fixtures/intake/partners.yaml" "$site/partners.yaml"

"$portico" -q intake --root "$site" --db "$site/referrals.db" --listen 127.0.0.1:8787 \
  --rate-limit 0 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$site"' EXIT
for _ in $(seq 50); do
  curl -sf http://127.0.0.1:8787/health >/dev/null 2>&1 && break
  sleep 0.1
done

wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$repo/benches/intake-load.lua" \
  http://127.0.0.1:8787/referrals
kill -TERM $server
wait $server || true
echo "rows stored: $("$portico" referrals --root "$site" --db "$site/referrals.db" list | tail -1)"
