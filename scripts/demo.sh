#!/usr/bin/env bash
# The main demo, from a fresh machine: installs what is missing, builds, and
# runs `statefun dev` on the greeter sample in the foreground. statefun dev
# starts the sample's function process (official JS SDK) from its
# statefun.yaml, restarts it when functions.js changes, and stops it on
# Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-test-deps
scripts/build.sh
cat <<'MSG'

  In another terminal:
    curl -X PUT -H "Content-Type: application/vnd.example/GreetRequest" \
         -d '{"name":"Bob"}' localhost:8090/example/person/Bob
    curl localhost:8091/greetings

  Edit a greeting in samples/greeter/functions.js and save: the functions
  restart and the next visit sees the new text.

MSG
# The demo sends one greeting by itself once the emulator is up; it waits
# behind the functions' gate until node is ready.
(
  for _ in $(seq 50); do
    curl -sf -o /dev/null localhost:8092/v1/health && break
    sleep 0.1
  done
  curl -sf -X PUT -H "Content-Type: application/vnd.example/GreetRequest" \
       -d '{"name":"Demo"}' localhost:8090/example/person/Demo >/dev/null || true
) &
build/cli/statefun dev -m samples/greeter/module.yaml
