#!/usr/bin/env bash
# Measures how long `croupier serve` takes to be listening on a journal with a long history.
# Usage: scripts/restart_time.sh [EVENTS]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
cargo build --release --bin croupier --example fill_journal
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
target/release/examples/fill_journal "$dir" "$events"
mkdir -p "$dir/tables" && cp tables/baccarat-1.toml "$dir/tables/"
for run in 1 2 3; do
  start=$(date +%s.%N)
  target/release/croupier serve --listen 127.0.0.1:0 --data "$dir" --tables "$dir/tables" 2>/dev/null | {
    read -r line
    end=$(date +%s.%N)
    echo "run $run: listening after $(echo "$end - $start" | bc) s ($line)"
    pkill -TERM -f "croupier serve --listen 127.0.0.1:0 --data $dir" || true
    cat >/dev/null
  }
done
