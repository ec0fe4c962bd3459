#!/usr/bin/env bash
# Instructions and simulated cache misses per lookalike check, under cachegrind: the same numbers
# on every run of the same binary, however busy the machine (wall-clock figures here drift by
# 10-40 % within minutes). L1 32 KB and "LL" 1 MB model this machine's per-core L1d and L2.
#   bench/lookalike-counts.sh [MIX]        (MIX: a case of benches/mixes, default the all-unknown one)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
mix="${1:-unknown_builtin_plus_10000}"
cargo build --release -q -p skranke-recipient --example lookalike_profile
exe=target/release/examples/lookalike_profile
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
count() { # rounds -> "instructions D1-misses LL-misses"
    valgrind --tool=cachegrind --cache-sim=yes --D1=32768,8,64 --LL=1048576,16,64 \
        --cachegrind-out-file="$out/cg.$1" "$exe" "$mix" "$1" 2>&1 >/dev/null |
        awk '/I *refs/ {i=$NF} /D1  misses/ {d=$4} /LLd misses/ {l=$4} END {gsub(",", "", i); gsub(",", "", d); gsub(",", "", l); print i, d, l}'
}
read -r i0 d0 l0 < <(count 0)
read -r i3 d3 l3 < <(count 3)
awk -v i="$((i3 - i0))" -v d="$((d3 - d0))" -v l="$((l3 - l0))" -v m="$mix" \
    'BEGIN { n = 30000; printf "%s: %.0f instructions, %.1f L1d misses, %.1f L2 misses per check\n", m, i / n, d / n, l / n }'
