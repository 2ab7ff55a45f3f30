#!/usr/bin/env bash
# Measures the bare broadcast servers, alternating them, each run on a fresh server:
#   loadtest/baseline/run.sh [CLIENTS] [SECONDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")"
clients=${1:-5000} seconds=${2:-20} runs=${3:-3}
cargo build --release --quiet
bin=target/release
for run in $(seq "$runs"); do
    for server in actix-ws-broadcast:9911 tungstenite-broadcast:9912; do
        name=${server%:*} port=${server#*:}
        "$bin/$name" &
        pid=$!
        sleep 1
        echo -n "run $run $name: "
        "$bin/broadcast-client" "$port" "$pid" "$clients" "$seconds"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        sleep 2
    done
done
