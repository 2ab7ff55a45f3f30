#!/usr/bin/env bash
# The browser tests' one entry point: installs what is missing (Debian's Chromium, the npm
# packages), then runs the node unit test of web/fair.js and the end-to-end tests in
# headless Chromium against a real croupier server started by the tests themselves.
# The server binary is not built here: CROUPIER_BIN names it (default target/debug/croupier).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(cd ../.. && pwd)"
export CROUPIER_BIN="${CROUPIER_BIN:-$ROOT/target/debug/croupier}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ]; then
  echo "browser tests: installing Debian's chromium"
  as_root apt-get update
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y chromium
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "browser tests: installing node and npm"
  as_root apt-get update
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y nodejs npm
fi
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
if [ ! -x "$CROUPIER_BIN" ]; then
  echo "browser tests: no server binary at $CROUPIER_BIN (build it first, or set CROUPIER_BIN)" >&2
  exit 1
fi

# One file at a time: the e2e file drives one browser, and the machine is small.
exec node --test --test-concurrency=1 fair.test.mjs e2e.test.mjs
