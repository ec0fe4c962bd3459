#!/usr/bin/env bash
# `skranke address check` over 1,000,000 lines, beside `cat` of the same file (the I/O floor).
# The input mixes provider, municipal, lookalike, unrelated and invalid addresses (seeded).
#   bench/address-check-cli.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release -q -p skranke --bin skranke
input="$(mktemp)"; trap 'rm -f "$input"' EXIT
python3 - "$input" <<'PY'
import random, sys
random.seed(7)
doms = ["gmail.com", "hotmail.dk", "fredericia.dk", "fred.dk", "outlook.com", "example.org", "gmial.com",
        "vejen.dk", "bageriet-aalborg.dk", "kk.dk", "koebenhavn.dk", "mail.dk", "yahoo.dk", "firma%d.dk"]
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        d = random.choice(doms)
        if "%d" in d:
            d = d % random.randint(1, 5000)
        f.write(f"person{i}@{d}\n" if i % 50 else f"bad address {i}\n")
PY
hyperfine -w1 -r3 "target/release/skranke address check --org-domain fredericia.dk $input > /dev/null" "cat $input > /dev/null"
