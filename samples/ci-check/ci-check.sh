#!/usr/bin/env bash
# A complete scripted check of the greeter sample, with the statefun CLI
# alone: start the functions and the emulator in the background, send two
# visits, wait until everything settled, assert on state and egress, stop.
#
#   samples/ci-check/ci-check.sh          # statefun from PATH
#   STATEFUN=build/cli/statefun samples/ci-check/ci-check.sh
#
# Ports (override to run several checks side by side): FUNCTIONS_PORT
# (default 8000), INGRESS_PORT (8090), EGRESS_PORT (8091), ADMIN_PORT (8092).
set -euo pipefail

statefun=${STATEFUN:-statefun}
greeter="$(cd "$(dirname "$0")/../greeter" && pwd)"
functions_port=${FUNCTIONS_PORT:-8000}
export STATEFUN_ADMIN_PORT=${ADMIN_PORT:-8092}  # every statefun command below uses it

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "ci-check: FAILED: $*" >&2
  echo "--- statefun dev output ---" >&2
  cat "$work/dev.log" >&2 || true
  exit 1
}

# 1. The function process (official JS SDK) on its port.
PORT=$functions_port HOST=127.0.0.1 node "$greeter/functions.js" >"$work/functions.log" 2>&1 &
pids+=($!)

# 2. The emulator on a copy of the sample's module.yaml whose endpoint points
#    at that port (and no statefun.yaml: we started the functions ourselves),
#    with a fresh state directory.
sed -E "s#(urlPathTemplate: *)https?://[^/]+/#\1http://127.0.0.1:$functions_port/#" \
  "$greeter/module.yaml" >"$work/module.yaml"
"$statefun" dev -m "$work/module.yaml" --data "$work/data" \
  --ingress-port "${INGRESS_PORT:-8090}" --egress-port "${EGRESS_PORT:-8091}" \
  >"$work/dev.log" 2>&1 &
dev_pid=$!
pids+=("$dev_pid")

# 3. Wait until it answers (status exits 1 while nothing runs).
for _ in $(seq 1 100); do
  "$statefun" status >/dev/null 2>&1 && break
  sleep 0.1
done
"$statefun" status >/dev/null || fail "statefun dev did not start"

# 4. Two visits from Bob, then wait until everything they caused settled.
"$statefun" send example/person/Bob --type example/GreetRequest --json '{"name":"Bob"}'
"$statefun" send example/person/Bob --type example/GreetRequest --json '{"name":"Bob"}'
"$statefun" wait --timeout 30s || fail "the greeter did not settle"

# 5. Assert on state: the plain value, and the same through --json.
visits=$("$statefun" state get example/person/Bob visits)
[[ $visits == 2 ]] || fail "expected 2 visits, got '$visits'"
"$statefun" state get example/person/Bob visits --json | grep -q '"value": 2' ||
  fail "state get --json does not say 2"

# 6. Assert on egress, read without consuming it.
greetings=$("$statefun" egress read greetings --raw)
expected=$'Hello Bob! Nice to meet you.\nHello Bob! Good to see you again.'
[[ $greetings == "$expected" ]] || fail "unexpected greetings: $greetings"

# 7. Stop: SIGTERM commits and exits 0.
kill -TERM "$dev_pid"
wait "$dev_pid" || fail "statefun dev did not exit cleanly"
echo "ci-check: all checks passed"
