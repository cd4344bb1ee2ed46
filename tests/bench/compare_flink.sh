#!/usr/bin/env bash
# Runs the same workload on Apache Flink StateFun 3.3.0 (the real engine, one
# local JVM, started by the parity suite's launcher tests/parity/engine.py,
# with its execution.buffer-timeout of 1 ms) and on `statefun dev`, one after
# the other in the same run, each with its own process of the same JS SDK
# functions (tests/bench/functions/bench.js), all on 127.0.0.1, and prints per
# engine: start to ingress accepting and to the first message on egress, idle
# RSS and RSS after the load (of the JVM / of statefun), 20,000 messages over
# 1,000 keys at concurrency 64 to a counter until every one was processed
# (each key egresses its final count; not just accepted), the engine's CPU for
# it, and the round trip of 200 sequential messages (ingress send to egress
# record popped, p50/p99).
# How it measures: tests/bench/compare_flink.py.
# A benchmark, not a test: CI does not run it. Needs java and mvn (the
# engine's jars come from Maven Central once, into ~/.cache/statefun).
#   tests/bench/compare_flink.sh [--quick] [--json FILE]
#     --quick: 2,000 messages and 50 round trips (checks that it runs)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
args=(--messages 20000 --probes 200)
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) args=(--messages 2000 --probes 50); shift ;;
    --json) args+=(--json "$(realpath -m "$2")"); shift 2 ;;
    *) echo "usage: $0 [--quick] [--json FILE]" >&2; exit 2 ;;
  esac
done
for tool in java mvn node; do
  command -v "$tool" >/dev/null || { echo "compare_flink: $tool is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
done

# Whatever the measuring script started goes to $BENCH_DIR/pids (one process
# group each); it stops them itself, this is for when it could not.
# lib.sh's cleanup then removes $BENCH_DIR, Flink's temporary files included.
stop_leftovers() {
  if [[ -f $BENCH_DIR/pids ]]; then
    while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done <"$BENCH_DIR/pids"
  fi
  cleanup
}
trap stop_leftovers EXIT

# In the background, so that a signal to this script reaches it at once.
python3 "$ROOT/tests/bench/compare_flink.py" --load "$BUILD/tests/bench/statefun-load" \
  --statefun "$BUILD/cli/statefun" --workdir "$BENCH_DIR" "${args[@]}" &
compare=$!
trap 'kill -TERM "$compare" 2>/dev/null; wait "$compare"; exit 143' TERM INT HUP
wait "$compare"
