#!/usr/bin/env bash
# Install what the browser tests (tests/browser/) need: Debian's headless
# chromium, a font for rendering, and the pinned npm packages.
#
# Idempotent and quiet when everything is already in place. Never runs
# `npx playwright install` (that downloads a browser build, which cannot be
# fetched here); playwright-core drives Debian's /usr/bin/chromium instead.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
browser_dir="$repo_root/tests/browser"

# --- Debian packages -------------------------------------------------------
missing=()
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if ! dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(fonts-dejavu-core)
fi

if ((${#missing[@]} > 0)); then
  echo "install-test-deps: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
  fi
  apt_log="$(mktemp)"
  trap 'rm -f "$apt_log"' EXIT
  if ! {
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "install-test-deps: apt-get failed" >&2
    exit 1
  fi
fi

# --- npm packages ----------------------------------------------------------
# npm ci writes node_modules/.package-lock.json; reinstall when it is missing
# or older than the committed lockfile.
marker="$browser_dir/node_modules/.package-lock.json"
if [[ ! -d "$browser_dir/node_modules" || ! -f "$marker" || "$browser_dir/package-lock.json" -nt "$marker" ]]; then
  echo "install-test-deps: npm ci in tests/browser"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
