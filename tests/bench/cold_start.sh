#!/usr/bin/env bash
# Cold start to first response per template language, with `start:
# on-demand` (docs/statefun-yaml.md, "Scale to zero"): a project made by
# `statefun init --template greeter`, its process down until a message
# comes; the time `statefun send --wait` takes while the process is down
# (start, readiness, the call, the commit), median of 3. The install step
# (npm install, pip, go build, mvn package, cmake) runs once before, in a
# warm-up, and is not counted.
#
#   tests/bench/cold_start.sh              every language whose toolchain is here
#   tests/bench/cold_start.sh js python    only those
#
# Prints a table; the figures also go to bench-cold-start.json. Not in CI
# (the Java and C++ builds take minutes).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
statefun=$BUILD/cli/statefun
RUNS=3

have() { command -v "$1" >/dev/null; }
languages=("$@")
if ((${#languages[@]} == 0)); then
  have node && languages+=(js)
  have python3 && languages+=(python)
  have go && languages+=(go)
  have mvn && have java && languages+=(java)
  have cmake && languages+=(cpp)
fi

# status_state ADMIN: the state of the project's one process
status_state() {
  "$statefun" status --json --admin-port "$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["state"])'
}

# cold_start LANG: prints the median ms
cold_start() {
  # Not named after the language: `go` is no valid Go module path.
  local lang=$1 dir=$BENCH_DIR/$1-greeter port admin
  port=$(free_port)
  admin=$(free_port)
  "$statefun" init "$dir" --lang "$lang" --template greeter --yes >/dev/null
  # A free port for the functions, started on demand and stopped after 1 s.
  python3 - "$dir/statefun.yaml" "$port" <<'PY'
import re, sys
path, port = sys.argv[1], sys.argv[2]
text = open(path).read()
text = text.replace('PORT: "8000"', f'PORT: "{port}"')
text = text.replace("functions: localhost", f"functions: 127.0.0.1:{port}")
text = re.sub(r"(\n  - name: functions\n)", r"\1    start: on-demand\n    idle_stop: 1s\n", text)
open(path, "w").write(text)
PY
  start "$lang-statefun" "$statefun" dev -q -m "$dir/module.yaml" --admin-port "$admin" \
    --ingress-port "$(free_port)" --egress-port "$(free_port)"
  local pid=${PIDS[-1]}
  wait_port "$admin" 30
  local send=("$statefun" send example/person/Bob --type example/GreetRequest
              --json '{"name":"Bob"}' --wait --admin-port "$admin")
  # Warm-up: the install step and the first build.
  "${send[@]}" --timeout 20m >/dev/null
  local times=()
  for _ in $(seq "$RUNS"); do
    for _ in $(seq 200); do
      [[ $(status_state "$admin") == idle ]] && break
      sleep 0.05
    done
    times+=("$(median_ms 1 "${send[@]}")")
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

json="{"
printf '%-10s %s\n' language "cold start to first response (median of $RUNS)"
for lang in "${languages[@]}"; do
  ms=$(cold_start "$lang")
  printf '%-10s %s ms\n' "$lang" "$ms"
  json+="$([[ $json == "{" ]] || echo ,)\"$lang\": $ms"
done
echo "$json}" >"$ROOT/bench-cold-start.json"
