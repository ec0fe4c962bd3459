#!/usr/bin/env bash
# Runs every Skranke test on this machine, installing and starting what the tests need:
# PostgreSQL (started when it is down), Debian's chromium and the pinned npm packages for the
# browser tests, cargo-nextest. Safe to run again; quiet when everything is in place.
#
#   scripts/test.sh            everything: fmt, clippy, unit + integration (SQLite and PostgreSQL),
#                              browser tests in Chromium with axe-core
#   SKIP_BROWSER=1 scripts/test.sh   everything but the browser tests
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "PostgreSQL"
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing PostgreSQL"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
# The tests create throw-away databases; allow the postgres role in without a password locally.
export SKRANKE_TEST_PG_URL="${SKRANKE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

step "Rust tools"
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

step "Format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "SMTP test servers (aiosmtpd, pinned in tests/smtp/requirements.txt)"
# The mail tests start and stop real SMTP servers themselves (tests/smtp/server.py): one with
# STARTTLS and a test CA made by openssl, one without TLS, one that answers 4xx then 5xx.
smtp_venv=tests/smtp/.venv
[[ -x "$smtp_venv/bin/python" ]] || python3 -m venv "$smtp_venv"
"$smtp_venv/bin/python" -c 'import aiosmtpd' 2>/dev/null ||
  "$smtp_venv/bin/pip" install -q --disable-pip-version-check -r tests/smtp/requirements.txt
command -v openssl >/dev/null 2>&1 || {
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
}
export SKRANKE_TEST_PYTHON="${SKRANKE_TEST_PYTHON:-$PWD/$smtp_venv/bin/python}"

step "Unit, property and integration tests (SQLite and PostgreSQL)"
cargo nextest run --workspace --locked --no-fail-fast
# nextest does not run documentation examples; they are tests too.
cargo test --workspace --locked --doc

if [[ "${SKIP_BROWSER:-0}" != "1" ]]; then
  step "Browser tests (Debian chromium + playwright-core + axe-core)"
  bash scripts/install-test-deps.sh
  cargo build --locked -p skranke --bin skranke
  (cd tests/browser && SKRANKE_BIN="$PWD/../../target/debug/skranke" npm test)
fi
