#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Skranke's lookalike checker beside mailcheck (npm) and dnstwist (PyPI, offline permutations only)
# on the same corpora (crates/skranke-recipient/corpora/*.tsv), with the same protected set
# (municipal domains from shared/data plus Skranke's regions, state services and mail providers).
# Prints a markdown table of recall, false positives, typo suggestions and wall time.
#   bench/compare-lookalike-tools.sh            # table on stdout, progress on stderr
# Deps install once, pinned, into git-ignored bench/compare/node_modules and bench/compare/.venv.
# Answers and per-tool misses stay in bench/compare/out/ (git-ignored) for inspection.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
HERE="$ROOT/bench/compare"
OUT="$HERE/out"
CORPORA="$ROOT/crates/skranke-recipient/corpora"
MAILCHECK_VERSION=1.1.1
DNSTWIST_VERSION=20250130
SHARED_TSV="${SKRANKE_SHARED:-$ROOT/../shared}/data/dk-municipal-domains.tsv"
[[ -f "$SHARED_TSV" ]] || { echo "dk-municipal-domains.tsv not found (set SKRANKE_SHARED)" >&2; exit 1; }
export LC_ALL=C.UTF-8

log() { echo "compare: $*" >&2; }
now_ns() { date +%s%N; }
t_start=$(now_ns)

# --- dependencies (idempotent) ---------------------------------------------------------------
log "building skranke (release)"
cargo build --release -q -p skranke --bin skranke
SKRANKE="$ROOT/target/release/skranke"

have_mailcheck=$(node -e "try{console.log(require('$HERE/node_modules/mailcheck/package.json').version)}catch(e){}")
if [[ "$have_mailcheck" != "$MAILCHECK_VERSION" ]]; then
  log "installing mailcheck@$MAILCHECK_VERSION into bench/compare/node_modules"
  npm install --prefix "$HERE" --no-save --no-package-lock --no-audit --no-fund --silent "mailcheck@$MAILCHECK_VERSION" >&2
fi
PY="$HERE/.venv/bin/python"
if ! [[ -x "$PY" ]] || [[ "$("$PY" -c 'import dnstwist; print(dnstwist.__version__)' 2>/dev/null)" != "$DNSTWIST_VERSION" ]]; then
  log "installing dnstwist==$DNSTWIST_VERSION into bench/compare/.venv"
  python3 -m venv "$HERE/.venv"
  "$PY" -m pip install -q --disable-pip-version-check "dnstwist==$DNSTWIST_VERSION" >&2
fi

# --- inputs: every corpus domain once, the protected set, the TLD list -----------------------
mkdir -p "$OUT"
rm -f "$OUT"/*.tsv "$OUT"/*.txt
awk -F'\t' 'FNR > 1 && $1 != "" && !seen[$1]++ { print $1 }' \
  "$CORPORA/lookalikes.tsv" "$CORPORA/negatives.tsv" "$CORPORA/typos.tsv" > "$OUT/domains.txt"
python3 "$HERE/protected.py" "$ROOT" "$SHARED_TSV" > "$OUT/protected.txt"
python3 "$HERE/protected.py" "$ROOT" "$SHARED_TSV" --well-known > "$OUT/well-known.txt"
# The same TLD knowledge for mailcheck and dnstwist: mailcheck's default list plus the protected TLDs.
{
  node -e "console.log(require('$HERE/node_modules/mailcheck').defaultTopLevelDomains.join('\n'))"
  awk -F. '{ print $NF }' "$OUT/protected.txt"
} | sort -u > "$OUT/tlds.txt"
log "$(wc -l < "$OUT/domains.txt") domains, $(wc -l < "$OUT/protected.txt") protected, $(wc -l < "$OUT/tlds.txt") TLDs"

# --- the three tools, each timed over the same input -----------------------------------------
: > "$OUT/times.tsv"
timed() { # timed NAME OUTFILE CMD... (stdin: domains.txt)
  local name=$1 outfile=$2 t0 t1
  shift 2
  log "running $name"
  t0=$(now_ns)
  "$@" < "$OUT/domains.txt" > "$outfile"
  t1=$(now_ns)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s\t%.3f\n", n, (b - a) / 1e9 }' >> "$OUT/times.tsv"
}
# Run from out/ with no SKRANKE_CONFIG so no skranke.toml adds protected or own domains.
skranke_check() { (cd "$OUT" && unset SKRANKE_CONFIG && sed 's/^/person@/' | "$SKRANKE" address check --format tsv); }
timed skranke "$OUT/skranke.tsv" skranke_check
timed mailcheck "$OUT/mailcheck.tsv" node "$HERE/run_mailcheck.mjs" "$OUT/protected.txt"
timed dnstwist "$OUT/dnstwist.tsv" "$PY" "$HERE/run_dnstwist.py" "$OUT/protected.txt" "$OUT/tlds.txt"

# --- the table ---------------------------------------------------------------------------------
python3 "$HERE/score.py" "$OUT" "$CORPORA"
echo
echo "Versions: skranke $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
  "($("$SKRANKE" --version 2>/dev/null || echo skranke)), mailcheck $MAILCHECK_VERSION (node $(node --version))," \
  "dnstwist $("$PY" -c 'import dnstwist; print(dnstwist.__version__)') (Python $("$PY" -c 'import platform; print(platform.python_version())'))."
log "total $(awk -v a="$t_start" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s; answers and misses in bench/compare/out/"
