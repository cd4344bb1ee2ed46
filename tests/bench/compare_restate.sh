#!/usr/bin/env bash
# Runs the same counter workload (1,000 keys, official JS SDK on our side,
# Restate's TypeScript SDK on theirs) against Restate 1.7.12 and against
# `statefun dev`, on this machine, in the same run, bound to 127.0.0.1, and
# prints calls per second and the ratio at concurrency 1 and 64.
# A benchmark, not a test: CI does not run it. Needs the npm registry once.
#   tests/bench/compare_restate.sh [--messages-c64 20000] [--messages-c1 2000]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
messages_c64=20000
messages_c1=2000
while [[ $# -gt 0 ]]; do
  case $1 in
    --messages-c64) messages_c64=$2; shift 2 ;;
    --messages-c1) messages_c1=$2; shift 2 ;;
    *) echo "usage: $0 [--messages-c64 N] [--messages-c1 N]" >&2; exit 2 ;;
  esac
done

restate_dir=$ROOT/tests/bench/restate
if [[ ! -x $restate_dir/node_modules/.bin/restate-server ]]; then
  (cd "$restate_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
load=$BUILD/tests/bench/statefun-load

# Restate: server, counter service (Node 22 from npm), registration.
r_node=$(free_port) r_ingress=$(free_port) r_admin=$(free_port) r_service=$(free_port)
start restate-server env RESTATE_BIND_ADDRESS=127.0.0.1:$r_node \
  RESTATE_INGRESS__BIND_ADDRESS=127.0.0.1:$r_ingress RESTATE_ADMIN__BIND_ADDRESS=127.0.0.1:$r_admin \
  "$restate_dir/node_modules/.bin/restate-server" --base-dir "$BENCH_DIR/restate-data"
start restate-counter env PORT=$r_service "$restate_dir/node_modules/.bin/node" "$restate_dir/counter.mjs"
wait_port "$r_admin" 60 && wait_port "$r_service" && wait_port "$r_ingress" 60
curl -sf -X POST "127.0.0.1:$r_admin/deployments" -H 'content-type: application/json' \
  -d "{\"uri\":\"http://127.0.0.1:$r_service\"}" >/dev/null

# statefun: the JS SDK counter of tests/bench/functions/bench.js.
s_function=$(free_port) s_ingress=$(free_port) s_egress=$(free_port) s_admin=$(free_port)
mkdir -p "$BENCH_DIR/app"
write_bench_module "$BENCH_DIR/app" "$s_function" "$s_ingress" "$s_egress"
start bench-functions env PORT=$s_function node "$ROOT/tests/bench/functions/bench.js"
start statefun "$BUILD/cli/statefun" dev -q -m "$BENCH_DIR/app/module.yaml" --admin-port "$s_admin"
wait_port "$s_function" && wait_port "$s_ingress"

run() {  # run NAME CONCURRENCY MESSAGES ARGS...
  local name=$1 concurrency=$2 messages=$3; shift 3
  "$load" --keys 1000 --concurrency "$concurrency" --messages "$messages" "$@" >"$BENCH_DIR/$name.json"
}
# Restate answers a call when the handler is done, so its calls per second
# are acknowledged calls; statefun acknowledges on durable acceptance, so we
# count until every message was applied (the emulator is idle again).
for c in 1 64; do
  n=$([[ $c == 1 ]] && echo "$messages_c1" || echo "$messages_c64")
  run "restate-c$c" "$c" "$n" --ingress "127.0.0.1:$r_ingress" --method POST \
    --path '/Counter/{key}/add' --content-type application/json
  run "statefun-c$c" "$c" "$n" --ingress "127.0.0.1:$s_ingress" --admin "127.0.0.1:$s_admin" \
    --target bench/counter
done

python3 - "$BENCH_DIR" <<'PY'
import json, sys
d = sys.argv[1]
rows = []
print(f"{'workload':<28}{'restate calls/s':>16}{'statefun msg/s':>16}{'ratio':>8}{'restate p99':>13}{'statefun p99':>14}")
for c in (1, 64):
    r = json.load(open(f"{d}/restate-c{c}.json"))
    s = json.load(open(f"{d}/statefun-c{c}.json"))
    rr, sr = r["accept_per_second"], s["processed_per_second"]
    print(f"{'counter, concurrency ' + str(c):<28}{rr:>16.0f}{sr:>16.0f}{sr / rr:>7.1f}x"
          f"{r['ack_ms']['p99']:>11.1f}ms{s['ack_ms']['p99']:>12.1f}ms")
    rows.append({"concurrency": c, "restate": r, "statefun": s, "ratio": sr / rr})
json.dump(rows, open("bench-restate.json", "w"), indent=1)
print("wrote bench-restate.json")
PY
