#!/usr/bin/env bash
# Lobby fan-out over server-sent events: N clients (default 500) on one centre's lobby stream of
# a demo server (SQLite, clock set to a Monday morning so the centre is open), then 30 walk-in
# tickets over the staff API; reports how long each board takes to reach every client, beside a
# trivial request (/healthz) measured in the same run. Loopback only; Node 20+, no npm packages.
#
#   bench/sse-fanout.sh [clients] [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
clients="${1:-500}"
rounds="${2:-30}"
command -v node >/dev/null || { echo "node (20+) is needed" >&2; exit 1; }
# One descriptor per stream on each side (client and server run here), plus the database's.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p skranke --bin skranke
bin=target/release/skranke
tmp="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

"$bin" demo --listen 127.0.0.1:0 --database "sqlite://$tmp/demo.db" --now 2026-11-30T09:00 \
  >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 120); do grep -q '^Listening on' "$tmp/out" 2>/dev/null && break; sleep 0.5; done
grep -q '^Listening on' "$tmp/out" || { echo "the demo server did not start" >&2; cat "$tmp/err" >&2; exit 1; }
url="$(awk '/^Listening on/ {print $3}' "$tmp/out")"
centre="$(sed -n 's|^  Borgerservice Eksempelby: http://.*/book/\([0-9a-f-]*\)$|\1|p' "$tmp/out")"
[ -n "$centre" ] || { echo "no Borgerservice Eksempelby line in the demo output" >&2; cat "$tmp/out" >&2; exit 1; }
node bench/sse-fanout.mjs "$url" "$centre" "$clients" "$rounds"
