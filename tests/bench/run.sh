#!/usr/bin/env bash
# The statefun benchmark suite: starts the real binary and real function
# processes (our C++ SDK and the official JS SDK) on loopback, measures, and
# prints a table; the figures also go to bench-results.json.
#
#   tests/bench/run.sh           the full suite (several minutes)
#   tests/bench/run.sh --quick   small sizes, checks only that every scenario
#                                completes correctly (under a minute; CI runs it)
#
# Scenarios: counter throughput (1,000 keys, durable commits) with the C++ and
# the JS SDK; ingress-to-egress latency at fixed offered rates and at
# concurrency 1 and 64; an A->B->C->egress chain; start-up time, idle and peak
# memory; restart time with many entities and pending messages; state size;
# data directory growth per step.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
quick=0
[[ ${1:-} == --quick ]] && quick=1
if ((quick)); then
  N_THROUGHPUT=3000 N_JS=2000 N_LATENCY=500 N_CHAIN=500 ENTITIES=20000 PENDING=2000
else
  N_THROUGHPUT=100000 N_JS=100000 N_LATENCY=20000 N_CHAIN=20000 ENTITIES=1000000 PENDING=100000
fi
statefun=$BUILD/cli/statefun
load=$BUILD/tests/bench/statefun-load
results=$BENCH_DIR/results
mkdir -p "$results"

# launch_app NAME FUNCTION_COMMAND...: a data dir, a function process and an
# emulator on free ports; sets INGRESS, EGRESS, ADMIN, STATEFUN_PID.
launch_app() {
  local name=$1; shift
  local fn_port; fn_port=$(free_port)
  local ingress egress admin
  ingress=$(free_port); egress=$(free_port); admin=$(free_port)
  mkdir -p "$BENCH_DIR/$name"
  write_bench_module "$BENCH_DIR/$name" "$fn_port" "$ingress" "$egress"
  start "$name-functions" env PORT="$fn_port" "$@"
  start "$name-statefun" "$statefun" dev -q -m "$BENCH_DIR/$name/module.yaml" --admin-port "$admin"
  STATEFUN_PID=${PIDS[-1]}
  wait_port "$fn_port" && wait_port "$ingress"
  INGRESS=127.0.0.1:$ingress EGRESS=127.0.0.1:$egress ADMIN=127.0.0.1:$admin
}

stop_app() {  # stop_app: SIGTERM the last emulator and wait for it
  kill "$STATEFUN_PID" 2>/dev/null || true
  wait "$STATEFUN_PID" 2>/dev/null || true
}

measure() {  # measure NAME ARGS...: one load run, JSON in $results/NAME.json
  local name=$1; shift
  if ! "$load" --timeout 300 "$@" >"$results/$name.json"; then
    echo "bench: scenario $name failed: $(cat "$results/$name.json")" >&2
    exit 1
  fi
}

cpp_functions=("$BUILD/tests/bench/statefun-bench-functions")
js_functions=(node "$ROOT/tests/bench/functions/bench.js")

echo "bench: C++ SDK counter and latency scenarios" >&2
launch_app cpp "${cpp_functions[@]}"
measure throughput-cpp --ingress "$INGRESS" --admin "$ADMIN" --target bench/counter \
  --keys 1000 --concurrency 64 --messages "$N_THROUGHPUT"
measure latency-c1 --ingress "$INGRESS" --egress "$EGRESS" --admin "$ADMIN" --target bench/echo \
  --keys 1000 --concurrency 1 --messages "$N_LATENCY"
measure latency-c64 --ingress "$INGRESS" --egress "$EGRESS" --admin "$ADMIN" --target bench/echo \
  --keys 1000 --concurrency 64 --messages "$N_LATENCY"
for rate in 1000 5000; do
  measure "latency-rate$rate" --ingress "$INGRESS" --egress "$EGRESS" --admin "$ADMIN" \
    --target bench/echo --keys 1000 --concurrency 64 --rate "$rate" --messages "$N_LATENCY"
done
measure chain --ingress "$INGRESS" --egress "$EGRESS" --admin "$ADMIN" --target bench/chain-a \
  --keys 1000 --concurrency 64 --messages "$N_CHAIN"
peak_kb=$(peak_rss_kb "$STATEFUN_PID")
# Disk growth per step under default retention: the data directory once
# stopped (WAL checkpointed), over the steps of every scenario above.
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://$ADMIN/v1/status" >"$results/status-cpp.json"
stop_app
data_bytes=$(du -sb "$BENCH_DIR/cpp/.statefun" | cut -f1)

echo "bench: JS SDK counter" >&2
launch_app js "${js_functions[@]}"
measure throughput-js --ingress "$INGRESS" --admin "$ADMIN" --target bench/counter \
  --keys 1000 --concurrency 64 --messages "$N_JS"
stop_app

echo "bench: start-up and memory" >&2
mkdir -p "$BENCH_DIR/empty"
# start_empty: a fresh emulator on the empty app, on ports asked anew each
# time; waits until it is ready and sets EMPTY_PID. A port handed out by
# free_port can be taken by a concurrent test before the emulator binds it,
# so a start that fails is retried on other ports (twice), and each failure
# prints the emulator's own output. The log is removed before the start: the
# child truncates it only once it runs, and until then a "ready in" left by
# the previous start would pass for this one's (under load the emulator was
# then killed before it had even created its data directory).
start_empty() {
  local attempt
  for attempt in 1 2 3; do
    rm -rf "$BENCH_DIR/empty/.statefun" "$BENCH_DIR/empty.log"
    write_bench_module "$BENCH_DIR/empty" "$(free_port)" "$(free_port)" "$(free_port)"
    "$statefun" dev -q --color never -m "$BENCH_DIR/empty/module.yaml" --admin-port "$(free_port)" \
      >"$BENCH_DIR/empty.log" 2>&1 &
    EMPTY_PID=$!
    for _ in $(seq 600); do
      grep -qs "ready in" "$BENCH_DIR/empty.log" && return 0
      kill -0 "$EMPTY_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill "$EMPTY_PID" 2>/dev/null || true
    wait "$EMPTY_PID" 2>/dev/null || true
    echo "bench: the empty app did not start (attempt $attempt):" >&2
    sed 's/^/  /' "$BENCH_DIR/empty.log" >&2
  done
  exit 1
}
ready_ms=()
for _ in 1 2 3 4 5; do
  start_empty
  ready_ms+=("$(sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p' "$BENCH_DIR/empty.log" | head -1)")
  sleep 0.5
  idle_kb=$(rss_kb "$EMPTY_PID")
  kill "$EMPTY_PID"; wait "$EMPTY_PID" 2>/dev/null || true
done
fresh_bytes=$(du -sb "$BENCH_DIR/empty/.statefun" | cut -f1)

echo "bench: recovery with $ENTITIES entities and $PENDING pending messages" >&2
"$BUILD/tests/bench/statefun-store-bench" --seed-only --entities "$ENTITIES" --pending "$PENDING" \
  --dir "$BENCH_DIR/seeded" >"$results/seed.json"
# No function process: the pending messages stay pending, only recovery is timed.
admin_port=$(free_port)
"$statefun" dev -q --color never -m "$BENCH_DIR/empty/module.yaml" --data "$BENCH_DIR/seeded" \
  --admin-port "$admin_port" >"$BENCH_DIR/recovery.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do grep -q "ready in" "$BENCH_DIR/recovery.log" && break; sleep 0.05; done
recovery_ms=$(sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p' "$BENCH_DIR/recovery.log" | head -1)
recovered_kb=$(rss_kb "$pid")
if [[ -z $recovery_ms ]]; then echo "bench: recovery never became ready" >&2; exit 1; fi
# `statefun state get` among all those entities: through the running
# emulator's admin API, then offline on the database file.
state_get_online_ms=$(median_ms 20 "$statefun" state get bench/counter/k4242 --admin-port "$admin_port")
# The web console's entity search among them: one page of 50 by prefix
# (GET /v1/entities), a prefix in the middle of the key space.
entity_search_ms=$(median_ms 20 curl -sf -o /dev/null \
  "http://127.0.0.1:$admin_port/v1/entities?prefix=bench/counter/k4242&limit=50")
kill "$pid"; wait "$pid" 2>/dev/null || true
state_get_offline_ms=$(median_ms 20 "$statefun" state get bench/counter/k4242 --offline \
  --data "$BENCH_DIR/seeded")

echo "bench: state database at scale" >&2
"$BUILD/tests/bench/statefun-store-bench" --entities "$ENTITIES" --dir "$BENCH_DIR/store" \
  >"$results/store.json"

python3 - "$results" "$quick" "${ready_ms[*]}" "$idle_kb" "$peak_kb" "$fresh_bytes" \
  "$recovery_ms" "$recovered_kb" "$ENTITIES" "$PENDING" "$state_get_online_ms" \
  "$state_get_offline_ms" "$data_bytes" "$entity_search_ms" <<'PY'
import json, sys
(results, quick, ready, idle_kb, peak_kb, fresh, recovery_ms, recovered_kb, entities,
 pending, get_online_ms, get_offline_ms, data_bytes, search_ms) = sys.argv[1:]
r = lambda name: json.load(open(f"{results}/{name}.json"))
rows, failures = [], []

def check(name, data, expect_egress=False):
    if data.get("errors") or not data.get("idle_reached", True):
        failures.append(f"{name}: errors or never idle")
    if expect_egress and data.get("egress_received") != data.get("acknowledged"):
        failures.append(f"{name}: {data.get('egress_received')} of {data.get('acknowledged')} "
                        "egress records arrived")

def row(what, value, target=""):
    rows.append((what, value, target))

for name, label in (("throughput-cpp", "C++ SDK"), ("throughput-js", "JS SDK")):
    d = r(name); check(name, d)
    row(f"counter throughput, {label}, 1k keys, c=64",
        f"{d['processed_per_second']:,.0f} msg/s",
        ">= 20,000 msg/s" if name == "throughput-cpp" else "10x Restate (compare_restate.sh)")
for name, label in (("latency-c1", "c=1"), ("latency-c64", "c=64"),
                    ("latency-rate1000", "1,000/s offered"), ("latency-rate5000", "5,000/s offered"),
                    ("chain", "chain A->B->C->egress, c=64")):
    d = r(name); check(name, d, expect_egress=True)
    e = d["e2e_ms"]
    target = {"latency-c1": "p50 < 0.5 ms", "latency-c64": "p99 < 20 ms"}.get(name, "")
    row(f"ingress request -> readable egress, {label}",
        f"p50 {e['p50']:.2f} / p99 {e['p99']:.2f} / p99.9 {e['p999']:.2f} ms", target)
    if name == "chain":
        row("chain throughput", f"{d['processed_per_second']:,.0f} msg/s")
status = r("status-cpp")
steps = max(1, status["steps"])
retained = status["data_usage"]["retained_bytes"]
row(f"data directory growth per step ({steps:,} steps, default retention)",
    f"{int(data_bytes)/steps:.0f} B/step; retention counts {retained/steps:.0f} B/step")
ready_values = sorted(int(x) for x in ready.split())
row("start-up to ready, no functions (median of 5)", f"{ready_values[len(ready_values)//2]} ms", "< 20 ms")
row("idle resident memory", f"{int(idle_kb)/1024:.1f} MB", "< 15 MB")
row("peak resident memory under load", f"{int(peak_kb)/1024:.1f} MB")
row("fresh data directory", f"{int(fresh)/1024:.0f} KB", "< 1 MB")
row(f"restart with {int(entities):,} entities, {int(pending):,} pending", f"{recovery_ms} ms")
row("resident memory after that restart", f"{int(recovered_kb)/1024:.1f} MB")
row(f"`statefun state get` among {int(entities):,} entities (median of 20)",
    f"{get_online_ms} ms via the admin API, {get_offline_ms} ms offline")
row(f"web console entity search among {int(entities):,} entities, a page of 50 (median of 20)",
    f"{search_ms} ms (GET /v1/entities?prefix=...)")
s = r("store")
row("database bytes per entity", f"{s['bytes_per_entity']:.0f} B")
row("history growth per step", f"{s['history_bytes_per_step']:.0f} B")
row(f"rewind one entity among {int(entities):,}", f"p50 {s['rewind_ms']['p50']:.2f} ms", "< 5 ms")
row(f"snapshot create / restore, {int(entities):,} entities",
    f"{s['snapshot_create_seconds']:.2f} s / {s['snapshot_restore_seconds']:.2f} s, "
    f"{s['snapshot_bytes']/1e6:.0f} MB")

width = max(len(w) for w, _, _ in rows)
print(f"{'scenario':<{width}}  {'measured':<42} target")
for what, value, target in rows:
    print(f"{what:<{width}}  {value:<42} {target}")
all_results = {name: r(name) for name in ("throughput-cpp", "throughput-js", "latency-c1",
               "latency-c64", "latency-rate1000", "latency-rate5000", "chain", "store")}
all_results.update(ready_ms=ready_values, idle_kb=int(idle_kb), peak_kb=int(peak_kb),
                   fresh_data_bytes=int(fresh), recovery_ms=int(recovery_ms),
                   data_bytes_per_step=int(data_bytes) / steps,
                   retained_bytes_per_step=retained / steps,
                   state_get_ms={"admin_api": float(get_online_ms), "offline": float(get_offline_ms)},
                   entity_search_ms=float(search_ms))
json.dump(all_results, open("bench-results.json", "w"), indent=1)
print("wrote bench-results.json")
if failures:
    print("FAILED: " + "; ".join(failures))
    sys.exit(1)
PY
