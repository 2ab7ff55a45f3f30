#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document with schemathesis against a real server.
#
# Usage: scripts/schemathesis.sh [MAX_EXAMPLES]   (default 100 test cases per operation and phase)
#
# Goal: no 5xx and no response that the document does not describe. Method: build the release
# binary, start it on 127.0.0.1 port 0 with a temp data dir, the shipped tables and fast pacing
# (so rounds and revealed shoes exist for /v1/rounds/*), then run schemathesis on the served
# /v1/openapi.json with every request signed by the sandbox operator key
# (scripts/schemathesis/croupier_hooks.py). Exits non-zero when schemathesis reports a failure,
# when the server log shows a panic, or when the server refused one of our signatures (then
# the run did not reach the handlers it claims to test).
#
# Traffic goes to loopback only. Output: target/schemathesis/ (JUnit report, HAR of every
# request and response, server log, refused.ndjson).
# Environment: SCHEMATHESIS_SEED to replay a run; SCHEMATHESIS_WORKERS (default 2);
# CROUPIER_BIN to test an already built binary instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."

max_examples="${1:-100}"
venv="target/schemathesis-venv"
out="target/schemathesis"
# Longest the fuzzing may take before it is stopped and counted as a failure.
run_timeout_s=600

requirements="scripts/schemathesis/requirements.txt"
# The venv records the requirements it was built from; any change reinstalls.
if ! cmp -s "$requirements" "$venv/requirements.installed"; then
  echo "== installing $requirements into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.installed"
fi
schemathesis_version="$("$venv/bin/st" --version | sed 's/.*version //')"

# CROUPIER_BIN: a binary already built (the test command passes its debug build).
binary="${CROUPIER_BIN:-}"
if [ -z "$binary" ]; then
  echo "== build"
  cargo build --release --bin croupier
  binary="target/release/croupier"
fi

work="$(mktemp -d)"
mkdir -p "$out"
rm -f "$out/refused.ndjson" "$out/server.log"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  [ -f "$work/server.log" ] && cp "$work/server.log" "$out/server.log"
  rm -rf "$work"
}
trap stop_server EXIT

# Fast pacing: rounds every second or so per table, shoes end and are revealed within the run.
cat >"$work/config.toml" <<'EOF'
sandbox = true
pacing_scale = 0.05
EOF

echo "== start server"
RUST_LOG=info "$binary" serve --listen 127.0.0.1:0 --data "$work/data" \
  --tables tables --config "$work/config.toml" >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
addr=""
for _ in $(seq 1 200); do
  addr="$(sed -n 's|^croupier listening on http://||p' "$work/stdout" | head -n 1)"
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "server exited:"; cat "$work/server.log"; exit 1; }
  sleep 0.1
done
case "$addr" in
  127.*) ;;
  *) echo "server did not report a loopback address (got '$addr')"; exit 1 ;;
esac
base="http://$addr"
echo "server on $base (pid $server_pid)"

echo "== schemathesis $schemathesis_version, $max_examples examples per operation"
seed_args=()
[ -n "${SCHEMATHESIS_SEED:-}" ] && seed_args=(--seed "$SCHEMATHESIS_SEED")
status=0
# Runs from the temp dir so nothing (hypothesis database, reports) lands in the work tree
# except what is asked for under $out.
(
  cd "$work"
  # No __pycache__ beside the hook in the work tree.
  export PYTHONPATH="$OLDPWD/scripts/schemathesis" SCHEMATHESIS_HOOKS=croupier_hooks PYTHONDONTWRITEBYTECODE=1
  export CROUPIER_ST_REFUSED_LOG="$OLDPWD/$out/refused.ndjson"
  # One worker: with two threads, hypothesis's ast.parse of its own source hits CPython
  # 3.11's "AST constructor recursion depth mismatch" (python/cpython#106905, threads only),
  # a tool crash that fails the run with every request passing.
  exec timeout "$run_timeout_s" "$OLDPWD/$venv/bin/st" --no-color run "$base/v1/openapi.json" \
    --url "$base" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,allow_header_conformance \
    --max-examples "$max_examples" \
    --workers "${SCHEMATHESIS_WORKERS:-1}" \
    --request-timeout 10 \
    --generation-with-security-parameters false \
    --generation-database none \
    --continue-on-failure \
    --report junit,har --report-junit-path "$OLDPWD/$out/junit.xml" --report-har-path "$OLDPWD/$out/requests.har" \
    "${seed_args[@]}"
) || status=$?

stop_server
trap - EXIT

if grep -n "panicked" "$out/server.log"; then
  echo "FAIL: the server panicked (log: $out/server.log)"
  status=1
fi
if [ -s "$out/refused.ndjson" ]; then
  echo "FAIL: $(wc -l <"$out/refused.ndjson") signed requests were refused (see $out/refused.ndjson)"
  head -n 5 "$out/refused.ndjson"
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "== schemathesis: FAILED (exit $status; server log $out/server.log)"
else
  echo "== schemathesis: passed"
fi
exit "$status"
