#!/usr/bin/env bash
# The one test command: builds everything, runs every Rust test (unit, property,
# integration against the real binary, crash, loadtest smoke), the REST API fuzzing from
# its OpenAPI document, then the browser tests.
# On a fresh machine it installs what is missing (cargo-nextest is optional; Chromium
# and the npm packages for the browser tests are installed by tests/web/run.sh, schemathesis
# into target/schemathesis-venv by scripts/schemathesis.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build"
cargo build --workspace --all-targets

echo "== rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

echo "== fuzz regressions and seeds (fuzz/, replayed without libFuzzer; scripts/fuzz.sh fuzzes)"
cargo test --manifest-path fuzz/Cargo.toml

echo "== REST API fuzzing from the OpenAPI document (schemathesis)"
CROUPIER_BIN="$PWD/target/debug/croupier" scripts/schemathesis.sh 50

if [ -x tests/web/run.sh ]; then
  echo "== browser tests"
  CROUPIER_BIN="$PWD/target/debug/croupier" tests/web/run.sh
fi
echo "== all tests passed"
