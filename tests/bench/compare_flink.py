"""The measuring half of tests/bench/compare_flink.sh (run that, not this).

Runs one workload on two engines, one after the other, each with its own
function process running the same code (tests/bench/functions/bench.js, the
official JS SDK), everything on 127.0.0.1:
- "flink": Apache Flink StateFun 3.3.0 in one local JVM, started by the parity
  suite's launcher (tests/parity/engine.py: its JVM flags, execution.buffer-
  timeout 1 ms, Flink's temporary files in our work directory, removed on stop);
- "dev": `statefun dev` on the same module.yaml (other ports).

Per engine: seconds from starting it to its ingress accepting a message (an
answer meaning 200; the real engine's ingress queues messages before its job
runs) and to that message's egress record being popped; RSS of the engine
process (the JVM / statefun) 2 s later, idle; the load: MESSAGES messages over
1,000 keys at concurrency 64 to `bench/tally` (the counter; a key egresses
"<id> <count>" when its count reaches MESSAGES / 1,000) sent by statefun-load,
timed from the start until a thread popping the egress has seen all 1,000
keys' final counts, i.e. until every message was processed, not accepted; the
engine's RSS and CPU seconds after it; then PROBES messages to `bench/echo`,
one at a time (each sent once the one before was popped), ingress send to its
egress record popped (p50, p99; pops 0.2 ms apart while empty). Every wait is
bounded; a failure exits non-zero.

  python3 compare_flink.py --load BIN --statefun BIN --workdir DIR
                           [--messages 20000] [--probes 200] [--json FILE]
"""
import argparse
import http.client
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "parity"))
import engine as flink  # noqa: E402  (the parity suite's launcher of the real engine)

KEYS, CONCURRENCY = 1000, 64
READY_TIMEOUT_S = 120   # the JVM starts in 2.5-7 s; generous for a busy machine
LOAD_TIMEOUT_S = 300    # statefun-load's own bound on each run
SETTLE_S = 2.0          # after the first message, before the idle RSS
CLK_TCK = os.sysconf("SC_CLK_TCK")


def fail(why):
    raise SystemExit(f"compare_flink: {why}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    fail(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def playground_call(port, method, path, body=b"", content_type=None):
    """-> (intended status, body); the real engine's playground answers 200
    with the intended code in a `Status:` header. None when nothing listens."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        status = response.getheader("Status")
        return (int(status) if status and status.isdigit() else response.status), data
    except OSError:
        return None, b""
    finally:
        conn.close()


def wait_first_message(ingress, egress, began):
    """-> (s to the ingress accepting a message, s to its egress record)."""
    deadline = began + READY_TIMEOUT_S
    accepted = None
    while accepted is None:
        status, _ = playground_call(ingress, "POST", "/bench/echo/ready", b"ready",
                                    "application/vnd.bench/raw")
        if status == 200:
            accepted = time.monotonic() - began
        elif time.monotonic() > deadline:
            fail(f"the ingress on port {ingress} accepted nothing in {READY_TIMEOUT_S} s")
        else:
            time.sleep(0.005)
    while True:
        status, data = playground_call(egress, "GET", "/out")
        if status == 200 and data == b"ready":
            return accepted, time.monotonic() - began
        if time.monotonic() > deadline:
            fail(f"the first message never reached the egress on port {egress}")
        time.sleep(0.002)


class Client:
    """One keep-alive connection to a playground ingress or egress."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def call(self, method, path, body=b"", content_type=None):
        """-> (intended status, body), as playground_call."""
        headers = {"Content-Type": content_type} if content_type else {}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        status = response.getheader("Status")
        return (int(status) if status and status.isdigit() else response.status), data

    def close(self):
        self.conn.close()


def drain(egress):
    """Pops the topic until empty (records of earlier steps)."""
    client = Client(egress)
    while client.call("GET", "/out")[0] == 200:
        pass
    client.close()


def run_load(load, ingress, egress, messages):
    """MESSAGES to bench/tally over KEYS keys at CONCURRENCY with statefun-load
    while a thread pops the egress until every key reported its last count:
    -> (seconds from the start to the last key's record, statefun-load's result)."""
    target = messages // KEYS
    expected = {f"k{key} {target}".encode() for key in range(KEYS)}
    seen, done = set(), threading.Event()
    times = {}

    def watch():
        client = Client(egress)
        try:
            while not done.is_set() and seen != expected:
                status, data = client.call("GET", "/out")
                if status == 200:
                    seen.add(data)
                    times["last"] = time.monotonic()
                else:
                    time.sleep(0.001)
        except OSError as e:  # the engine went away: the check below reports it
            times["error"] = e
        finally:
            client.close()
    drain(egress)
    watcher = threading.Thread(target=watch, daemon=True)
    began = time.monotonic()
    watcher.start()
    try:
        proc = subprocess.run(
            [load, "--ingress", f"127.0.0.1:{ingress}", "--target", "bench/tally",
             "--keys", str(KEYS), "--concurrency", str(CONCURRENCY), "--messages", str(messages),
             "--timeout", str(LOAD_TIMEOUT_S)],
            capture_output=True, text=True, timeout=LOAD_TIMEOUT_S + 60)
        watcher.join(timeout=LOAD_TIMEOUT_S)
    finally:
        done.set()
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        fail(f"statefun-load gave no result: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    if result["errors"] or seen != expected:
        fail(f"bench/tally: {result['errors']} errors, {len(seen & expected)} of {KEYS} keys "
             f"reported {target} on egress ({times.get('error', 'no egress error')}): "
             f"{proc.stdout.strip()}")
    return times["last"] - began, result


def round_trips(ingress, egress, probes):
    """PROBES messages to bench/echo one at a time, each sent once the one
    before is on egress: -> sorted milliseconds, send to record popped."""
    drain(egress)
    send, pop = Client(ingress), Client(egress)
    took = []
    try:
        for n in range(probes):
            body = f"probe-{n}".encode()
            began = time.monotonic()
            status, _ = send.call("POST", f"/bench/echo/p{n % 10}", body, "application/vnd.bench/raw")
            if status != 200:
                fail(f"round trip {n}: the ingress answered {status}")
            while True:
                status, data = pop.call("GET", "/out")
                if status == 200:
                    if data != body:
                        fail(f"round trip {n}: egress gave {data!r}, not {body!r}")
                    break
                if time.monotonic() > began + 30:
                    fail(f"round trip {n}: nothing on egress after 30 s")
                time.sleep(0.0002)
            took.append((time.monotonic() - began) * 1000)
    finally:
        send.close()
        pop.close()
    took.sort()
    return {p: took[min(len(took) - 1, int(p / 100 * len(took)))] for p in (50, 99)}


class Processes:
    """Everything started here, stopped (process group) by close(); the pids
    also go to PIDFILE so the shell wrapper can stop them if we die."""

    def __init__(self, pidfile):
        self.pidfile = pidfile
        self.procs = []
        self.engines = []

    def spawn(self, args, log, env=None):
        with open(log, "w") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.track(proc.pid)
        self.procs.append(proc)
        return proc

    def track(self, pid):
        with open(self.pidfile, "a") as f:
            f.write(f"{pid}\n")

    def stop(self, proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def close(self):
        for real in self.engines:
            pid = real.proc.pid if real.proc else None
            real.stop()  # SIGKILLs the JVM's group and removes Flink's temporary files
            if pid:  # the JVM's perf data file, left behind by a SIGKILL
                user = pwd.getpwuid(os.getuid()).pw_name
                Path(f"/tmp/hsperfdata_{user}/{pid}").unlink(missing_ok=True)
        for proc in self.procs:
            self.stop(proc)


def module_yaml(folder, function_port, ingress, egress):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "module.yaml"
    path.write_text(f"""kind: io.statefun.endpoints.v2/http
spec:
  functions: bench/*
  urlPathTemplate: http://127.0.0.1:{function_port}/statefun
---
kind: io.statefun.playground.v1/ingress
spec:
  port: {ingress}
---
kind: io.statefun.playground.v1/egress
spec:
  port: {egress}
  topics: [out]
""")
    return path


def measure(name, args, procs):
    folder = Path(args.workdir) / name
    function_port, ingress, egress = free_port(), free_port(), free_port()
    module = module_yaml(folder, function_port, ingress, egress)
    functions = procs.spawn(
        ["node", str(ROOT / "tests/bench/functions/bench.js")], folder / "functions.log",
        env={**os.environ, "PORT": str(function_port), "TALLY_TARGET": str(args.messages // KEYS)})
    wait_port(function_port)

    figures = {}
    began = time.monotonic()
    if name == "flink":
        real = flink.RealEngine(module, folder)
        procs.engines.append(real)
        errors = []

        def start():
            try:
                real.start()
            except BaseException as e:  # reported below, once the probe gives up
                errors.append(e)
        starter = threading.Thread(target=start, daemon=True)
        starter.start()
        while real.proc is None and not errors and time.monotonic() < began + 30:
            time.sleep(0.001)
        if errors or real.proc is None:
            fail(f"the real engine did not start: {errors}")
        pid = real.proc.pid
        procs.track(pid)
        try:
            accepted, first = wait_first_message(ingress, egress, began)
        except SystemExit:
            fail(f"the real engine: {errors or real.log_tail()}")
        starter.join(timeout=READY_TIMEOUT_S)
        if errors:
            fail(f"the real engine: {errors[0]}")
        figures["job_running_s"] = real.start_seconds
    else:
        proc = procs.spawn([args.statefun, "dev", "-q", "-m", str(module),
                            "--admin-port", str(free_port())], folder / "statefun.log")
        pid = proc.pid
        accepted, first = wait_first_message(ingress, egress, began)
    figures["accepting_s"], figures["first_message_s"] = accepted, first

    time.sleep(SETTLE_S)
    figures["idle_rss_mib"] = proc_status_kib(pid, "VmRSS") / 1024
    cpu_before, functions_cpu_before = cpu_seconds(pid), cpu_seconds(functions.pid)
    processed_s, load = run_load(args.load, ingress, egress, args.messages)
    figures["load_cpu_s"] = cpu_seconds(pid) - cpu_before
    figures["functions_cpu_s"] = cpu_seconds(functions.pid) - functions_cpu_before
    figures["loaded_rss_mib"] = proc_status_kib(pid, "VmRSS") / 1024
    figures["peak_rss_mib"] = proc_status_kib(pid, "VmHWM") / 1024
    figures["processed_s"] = processed_s
    figures["processed_per_s"] = args.messages / processed_s
    figures["accepted_s"] = load["send_seconds"]
    figures["statefun_load"] = load
    figures["round_trip_ms"] = round_trips(ingress, egress, args.probes)
    return figures


def table(results, messages, probes):
    f, d = results["flink"], results["dev"]
    rows = [
        ("start to ingress accepting (s)", "{accepting_s:.2f}"),
        ("start to first message on egress (s)", "{first_message_s:.2f}"),
        ("idle RSS (MiB)", "{idle_rss_mib:.1f}"),
        ("RSS after the load (MiB)", "{loaded_rss_mib:.1f}"),
        (f"{messages:,} msgs, {KEYS:,} keys, c={CONCURRENCY}: all on egress after (s)",
         "{processed_s:.2f}"),
        ("  = processed per second", "{processed_per_s:,.0f}"),
        ("  (all accepted by the ingress after (s))", "{accepted_s:.2f}"),
        ("engine CPU for the load (s)", "{load_cpu_s:.1f}"),
        ("function process (node) CPU for it (s)", "{functions_cpu_s:.1f}"),
        (f"round trip, {probes} sequential, p50 (ms)", "{round_trip_ms[50]:.2f}"),
        ("round trip p99 (ms)", "{round_trip_ms[99]:.2f}"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    lines = [f"{'':<{width}}{'Flink StateFun 3.3.0':>22}{'statefun dev':>14}"]
    for label, fmt in rows:
        lines.append(f"{label:<{width}}{fmt.format(**f):>22}{fmt.format(**d):>14}")
    lines.append(f"(real engine: one local JVM via tests/parity/engine.py, heap state, "
                 f"execution.buffer-timeout 1 ms; its job ran {f['job_running_s']:.2f} s after "
                 f"the start; load average now {os.getloadavg()[0]:.1f})")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", required=True)
    parser.add_argument("--statefun", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.messages < KEYS or args.messages % KEYS:
        parser.error(f"--messages must be a multiple of {KEYS} (the same count per key)")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda n, _: sys.exit(f"compare_flink: stopped by signal {n}"))
    flink.ensure_launcher()  # a download on the very first run, not timed
    load_before = os.getloadavg()[0]
    results = {}
    for name in ("flink", "dev"):  # one after the other: they share two cores
        procs = Processes(Path(args.workdir) / "pids")
        try:
            results[name] = measure(name, args, procs)
        finally:
            procs.close()
    print(table(results, args.messages, args.probes))
    print(f"(load average before: {load_before:.1f})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
