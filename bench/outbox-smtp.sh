#!/usr/bin/env bash
# Issue 6's speed target: the outbox (examples/bench_outbox.rs: fresh SQLite, N pending staff
# notices, `Worker::tick` until drained) to Postfix's `smtp-sink` over loopback, beside Postfix's
# `smtp-source` against the same sink in the same run. Target: outbox >= 80 % of smtp-source run
# with its defaults (one session, a new connection per message), TLS off; smtp-source with a kept
# connection (-d) and with four sessions (-s 4, as many as the outbox sends at once) is measured
# beside it for comparison. TLS on is measured separately against tests/smtp/server.py (aiosmtpd, Python) with a
# throwaway CA: smtp-sink has no TLS, and that server is far slower than smtp-sink, so it is no
# like-for-like baseline; the outbox without TLS against the same Python server is shown beside it.
# Diagnostics (one run each): the SMTP client alone (no database) and the worker delivering into
# the database instead of over SMTP (no network).
#
#   bench/outbox-smtp.sh [N]            N messages per measurement (default 2000)
#   RUNS=3 TLS_N=N DIAG=1 bench/outbox-smtp.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n="${1:-2000}"
runs="${RUNS:-3}"
tls_n="${TLS_N:-$n}"
diag="${DIAG:-1}"
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v smtp-sink >/dev/null || ! command -v smtp-source >/dev/null; then
  # Only Postfix's test programs are wanted: "No configuration" leaves Postfix unset and stopped.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
command -v openssl >/dev/null ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }
python="${SKRANKE_TEST_PYTHON:-tests/smtp/.venv/bin/python}"
cargo build --release -q -p skranke --example bench_outbox
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_outbox"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  exec 9>&- 8>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { # $1 port
  for _ in $(seq 1 100); do (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done
  echo "nothing listens on $1" >&2; exit 1
}
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
median() {
  sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
declare -A results
row() { # $1 label, rates...
  local label="$1"; shift
  results["$label"]="$(printf '%s\n' "$@" | median)"
  printf '| %s | %s | %s |\n' "$label" "$(printf '%s / ' "$@" | sed 's# / $##')" "${results[$label]}"
}
rates=()
source_rates() { # $1 port, $2 count, smtp-source options... -> rates
  local port="$1" count="$2" t0 t1; shift 2
  rates=()
  for _ in $(seq 1 "$runs"); do
    t0="$(now)"
    smtp-source "$@" -m "$count" -l 300 -f bench@eksempelkommune.dk -t sink@eksempelkommune.dk "127.0.0.1:$port"
    t1="$(now)"
    rates+=("$(rate "$count" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")")
  done
}
outbox_rates() { # $1 count, $2 runs, bench_outbox options... -> rates (it fails unless all N were sent)
  local count="$1" times="$2" line; shift 2
  rates=()
  for _ in $(seq 1 "$times"); do
    line="$("$bin" --messages "$count" "$@")"
    echo "$line" >>"$tmp/outbox.log"
    rates+=("$(rate "$count" "$(sed -E 's/.* in ([0-9.]+) s = .*/\1/' <<<"$line")")")
  done
}

# --- TLS off: smtp-sink ----------------------------------------------------------------------
sink_port="$(free_port)"
sink_user=(); [ "$(id -u)" = 0 ] && sink_user=(-u nobody) # smtp-sink refuses to keep root
smtp-sink "${sink_user[@]}" -c "127.0.0.1:$sink_port" 1000 >"$tmp/sink.out" 2>"$tmp/sink.err" &
pids+=($!)
wait_port "$sink_port"

echo "N = $n messages per measurement, $runs runs each, loopback, $(nproc) cores; msg/s"
echo
echo "| measurement | runs (msg/s) | median |"
echo "| --- | --- | ---: |"
s1="smtp-source (defaults: 1 session, a connection per message) → smtp-sink (baseline)"
sd="smtp-source -s 1 -d (1 session, connection kept) → smtp-sink"
s4="smtp-source -s 4 (4 sessions, a connection per message) → smtp-sink"
s4d="smtp-source -s 4 -d (4 sessions, connections kept, as the outbox sends) → smtp-sink"
ob="Skranke outbox → smtp-sink, TLS off"
source_rates "$sink_port" "$n"; row "$s1" "${rates[@]}"
source_rates "$sink_port" "$n" -s 1 -d; row "$sd" "${rates[@]}"
source_rates "$sink_port" "$n" -s 4; row "$s4" "${rates[@]}"
source_rates "$sink_port" "$n" -s 4 -d; row "$s4d" "${rates[@]}"
outbox_rates "$n" "$runs" --port "$sink_port"; row "$ob" "${rates[@]}"
if [ "$diag" = 1 ]; then
  outbox_rates "$n" 1 --port "$sink_port" --smtp-only
  row "diagnostic (1 run): SmtpSender alone (4 at once), no database → smtp-sink" "${rates[@]}"
  outbox_rates "$n" 1 --dev-mailbox
  row "diagnostic (1 run): worker into the dev mailbox, no SMTP" "${rates[@]}"
fi
sink_total="$(tr '\r' '\n' <"$tmp/sink.out" | grep -o 'mesg=[0-9]*' | tail -n 1 | cut -d= -f2)"

# --- TLS on: tests/smtp/server.py (STARTTLS) beside the same server without TLS ---------------
tls_rows=0
if [ -x "$python" ]; then
  certs="$tmp/certs"; mkdir -p "$certs"
  (
    cd "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Skranke bench CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
      -extfile ext.cnf 2>/dev/null
  )
  py_server() { # $1 mode -> port. The server runs until its stdin (fd 9 / 8 here) closes.
    local mode="$1" fifo="$tmp/$1.stdin"
    mkfifo "$fifo"
    local extra=(); [ "$mode" = starttls ] && extra=(--cert "$certs/server.pem" --key "$certs/server.key")
    "$python" tests/smtp/server.py --mode "$mode" --out "$tmp/$mode.jsonl" "${extra[@]}" \
      <"$fifo" >"$tmp/$mode.out" 2>"$tmp/$mode.err" &
    pids+=($!)
    if [ "$mode" = starttls ]; then exec 9>"$fifo"; else exec 8>"$fifo"; fi
    for _ in $(seq 1 100); do grep -q '^READY' "$tmp/$mode.out" 2>/dev/null && break; sleep 0.1; done
    port="$(awk '/^READY/ { print $2 }' "$tmp/$mode.out")"
  }
  port=""; py_server plain; plain_port="$port"
  port=""; py_server starttls; tls_port="$port"
  [ -n "$plain_port" ] && [ -n "$tls_port" ] ||
    { echo "tests/smtp/server.py did not start" >&2; cat "$tmp"/*.err >&2; exit 1; }
  pp="Skranke outbox → server.py, TLS off (N=$tls_n)"; pt="Skranke outbox → server.py STARTTLS, TLS on (N=$tls_n)"
  source_rates "$plain_port" "$tls_n" -s 1; row "smtp-source -s 1 → server.py, no TLS (N=$tls_n)" "${rates[@]}"
  outbox_rates "$tls_n" "$runs" --port "$plain_port"; row "$pp" "${rates[@]}"
  outbox_rates "$tls_n" "$runs" --port "$tls_port" --tls --extra-ca "$certs/ca.pem"; row "$pt" "${rates[@]}"
  tls_rows="$(wc -l <"$tmp/starttls.jsonl")"
  tls_seen="$(head -n 1 "$tmp/starttls.jsonl" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tls"])')"
else
  echo "(no $python: run scripts/test.sh to make it; TLS on not measured)"
fi

echo
awk -v o="${results[$ob]}" -v b="${results[$s1]}" -v bd="${results[$sd]}" -v b4="${results[$s4]}" \
  -v b4d="${results[$s4d]}" 'BEGIN {
  printf "outbox / smtp-source (defaults) = %.1f %% (target >= 80 %%: %s)\n", 100 * o / b, (o >= 0.8 * b) ? "met" : "NOT met"
  printf "outbox / smtp-source -s 1 -d = %.1f %%; -s 4 = %.1f %%; -s 4 -d = %.1f %%\n", 100 * o / bd, 100 * o / b4, 100 * o / b4d
}'
[ "$tls_rows" != 0 ] && awk -v t="${results[$pt]}" -v p="${results[$pp]}" \
  'BEGIN { printf "outbox TLS on / TLS off, same Python server = %.1f %%\n", 100 * t / p }'
expected=$((runs * 4 * n + runs * n + (diag == 1 ? n : 0)))
echo "smtp-sink counted $sink_total messages (expected $expected)"
[ "$tls_rows" != 0 ] && echo "server.py STARTTLS accepted $tls_rows messages, session TLS: $tls_seen"
echo "outbox runs:"; sed 's/^/  /' "$tmp/outbox.log"
