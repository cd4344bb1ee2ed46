# Shared by the benchmark scripts: starting and stopping processes on
# loopback, waiting for ports, and the statefun bench application.
# Source it; it sets BUILD, ROOT and a work directory in $BENCH_DIR.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${STATEFUN_BUILD:-$ROOT/build}
BENCH_DIR=$(mktemp -d /tmp/statefun-bench.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

# start NAME COMMAND...: runs a command in the background, output in $BENCH_DIR/NAME.log
start() {
  local name=$1; shift
  "$@" >"$BENCH_DIR/$name.log" 2>&1 &
  PIDS+=($!)
}

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT
wait_port() {
  local port=$1 limit=${2:-30}
  for _ in $(seq $((limit * 20))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on port $port after ${limit}s" >&2
  return 1
}

# write_bench_module DIR FUNCTION_PORT INGRESS EGRESS
write_bench_module() {
  cat >"$1/module.yaml" <<YAML
kind: io.statefun.endpoints.v2/http
spec:
  functions: bench/*
  urlPathTemplate: http://127.0.0.1:$2/statefun
---
kind: io.statefun.playground.v1/ingress
spec:
  port: $3
---
kind: io.statefun.playground.v1/egress
spec:
  port: $4
  topics: [out]
YAML
}

# rss_kb PID: resident set size in KiB
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# peak_rss_kb PID: peak resident set size in KiB
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# free_port: a TCP port nothing listens on right now (asked from the kernel)
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# median_ms N COMMAND...: runs COMMAND N times (output discarded, must
# succeed) and prints the median wall time in milliseconds.
median_ms() {
  local runs=$1; shift
  python3 - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, command = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - started) * 1000)
print(f"{statistics.median(times):.1f}")
PY
}
