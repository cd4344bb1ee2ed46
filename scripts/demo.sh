#!/usr/bin/env bash
# The main demo, from a fresh machine: installs what is missing, builds, starts
# the greeter sample's function process (official JS SDK) and runs
# `statefun dev` on it in the foreground. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-test-deps
scripts/build.sh
sample=samples/greeter
PORT=8000 node "$sample/functions.js" &
functions_pid=$!
trap 'kill $functions_pid 2>/dev/null || true' EXIT
cat <<'MSG'

  In another terminal:
    curl -X PUT -H "Content-Type: application/vnd.example/GreetRequest" \
         -d '{"name":"Bob"}' localhost:8090/example/person/Bob
    curl localhost:8091/greetings

MSG
# The demo sends one greeting by itself once the emulator is up.
(
  for _ in $(seq 50); do
    curl -sf -o /dev/null localhost:8092/v1/health && break
    sleep 0.1
  done
  curl -sf -X PUT -H "Content-Type: application/vnd.example/GreetRequest" \
       -d '{"name":"Demo"}' localhost:8090/example/person/Demo >/dev/null || true
) &
build/cli/statefun dev -m "$sample/module.yaml"
