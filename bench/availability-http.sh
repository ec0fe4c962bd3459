#!/usr/bin/env bash
# Availability over HTTP at issue #2's size (40 staff, 20 services, 2,000 bookings, SQLite),
# beside a trivial handler (/healthz: one SELECT 1) measured in the same run, with the
# availability cache on (default, 1 s) and off. Loopback only; wrk runs for a bounded time.
#
#   bench/availability-http.sh [seconds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p skranke --example bench_server
bin=target/release/examples/bench_server
tmp="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT

start() { # $1 port, $2 cache ms
  SKRANKE_AVAILABILITY_CACHE_MS="$2" "$bin" "127.0.0.1:$1" "$tmp/$1.db" >"$tmp/$1.out" 2>"$tmp/$1.err" &
  pids+=($!)
  for _ in $(seq 1 120); do grep -q '^Listening on' "$tmp/$1.out" 2>/dev/null && return; sleep 0.5; done
  echo "server on $1 did not start" >&2; cat "$tmp/$1.err" >&2; exit 1
}
run() { # $1 label, $2 url
  local out; out="$(wrk -t2 -c32 -d"${secs}s" --latency "$2")"
  printf '| %s | %s | %s | %s |\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '/ 50%/ {print $2}' <<<"$out")" \
    "$(awk '/ 99%/ {print $2}' <<<"$out")"
}

start 18101 1000
service="$(awk '/^service/ {print $2}' "$tmp/18101.out")"
from="$(date +%F)"; to="$(date -d '+29 days' +%F)"
path="/api/v1/availability?service=$service&from=$from&to=$to"
head -n 1 "$tmp/18101.out"
echo "| request | requests/s | p50 | p99 |"
echo "| --- | ---: | ---: | ---: |"
run "/healthz (baseline)" "http://127.0.0.1:18101/healthz"
run "availability 30 days, cache on" "http://127.0.0.1:18101$path"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
start 18102 0
service="$(awk '/^service/ {print $2}' "$tmp/18102.out")"
path="/api/v1/availability?service=$service&from=$from&to=$to"
run "availability 30 days, cache off" "http://127.0.0.1:18102$path"
