#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for a bounded time: scripts/fuzz.sh [SECONDS]  (default 60 each).
#
# Runs on the stable toolchain: cargo-fuzz with --sanitizer none passes rustc only stable -C
# flags (see fuzz/README.md). Installs cargo-fuzz when it is missing. For each target it first
# replays the saved crash inputs in fuzz/regressions/<target>/, then fuzzes from
# fuzz/corpus/<target>/ (grown by earlier runs, not committed) plus fuzz/seeds/<target>/.
# Exits non-zero when a regression input still crashes or a target finds a new crash, timeout
# or out-of-memory input (libFuzzer saves it under fuzz/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (seconds of fuzzing per target, default 60)" >&2
  exit 2
fi

targets=(protocol cards_and_bets signature)
# The largest input each target is given: a player or dealer frame is at most
# limits.frame_bytes_max (16 KiB); the other inputs are header values and short strings.
declare -A max_len=([protocol]=16384 [cards_and_bets]=4096 [signature]=4096)
# One input slower than this is a finding too (a hostile frame must not stall a socket).
timeout_s=10

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

export RUST_BACKTRACE=1
fuzz=(cargo fuzz run --sanitizer none)

echo "== build"
cargo fuzz build --sanitizer none

# The console shows libFuzzer's periodic status, not every new corpus entry (the full log
# is kept for the summary).
quiet() {
  grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE)|^"|Recommended dictionary|End of recommended' || true
}

logs="$(mktemp -d)"
failed=()
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  regressions=()
  if [ -d "regressions/$target" ]; then
    mapfile -t regressions < <(find "regressions/$target" -type f | sort)
  fi
  if [ "${#regressions[@]}" -gt 0 ]; then
    echo "== $target: replaying ${#regressions[@]} regression input(s)"
    if ! "${fuzz[@]}" "$target" "${regressions[@]}" -- -timeout="$timeout_s" >"$logs/$target.regressions" 2>&1; then
      cat "$logs/$target.regressions"
      failed+=("$target (regression input)")
    fi
  fi

  echo "== $target: fuzzing for ${seconds}s"
  if ! "${fuzz[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout="$timeout_s" -max_len="${max_len[$target]}" \
    -dict="dicts/$target.dict" -print_final_stats=1 2>&1 | tee "$logs/$target.log" | quiet; then
    failed+=("$target")
  fi
done

echo
echo "== summary (${seconds}s per target)"
for target in "${targets[@]}"; do
  log="$logs/$target.log"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, features \2, corpus \3/p' <<<"$last")"
  echo "$target: runs ${runs:-?}, exec/s ${rate:-?}, ${cov:-no coverage line}"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  echo "Inputs are in fuzz/artifacts/<target>/. Minimise one with:"
  echo "  cd fuzz && cargo fuzz tmin --sanitizer none <target> artifacts/<target>/<file>"
  exit 1
fi
echo "no crashes"
