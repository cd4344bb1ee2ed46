#!/usr/bin/env python3
"""How the admin API answers while many `statefun trace --follow` run
(issue 14): starts `statefun dev`, opens N event streams (/v1/events, as
`trace --follow` does) and M egress long polls, then times `statefun status`
and GET /v1/health, and reads the emulator's threads and memory.

    .venv/bin/python tests/bench/followers.py [--followers 1000] [--polls 0]
        [--bin build/cli/statefun]

Prints one JSON object: the median and worst `statefun status` wall time
over 5 runs, the health round trip, and the emulator's threads and RSS with
every stream open.
"""
import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_request(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return s


def proc_field(pid, name):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--polls", type=int, default=0)
    parser.add_argument("--bin", default=str(Path(__file__).resolve().parents[2] / "build/cli/statefun"))
    args = parser.parse_args()
    # Each stream is a socket here and in statefun dev (which inherits this).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    with tempfile.TemporaryDirectory() as root:
        admin, ingress, egress = free_port(), free_port(), free_port()
        module = Path(root) / "module.yaml"
        module.write_text(
            "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: bench/*\n"
            "  urlPathTemplate: http://127.0.0.1:9/statefun\n---\n"
            f"kind: io.statefun.playground.v1/ingress\nspec:\n  port: {ingress}\n---\n"
            f"kind: io.statefun.playground.v1/egress\nspec:\n  port: {egress}\n  topics:\n    - out\n")
        dev = subprocess.Popen([args.bin, "dev", "-q", "-m", str(module), "--admin-port", str(admin)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{admin}/v1/health", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("statefun dev did not start")
                    time.sleep(0.05)
            opened = time.monotonic()
            sockets = [open_request(admin, "/v1/events?after_step=0") for _ in range(args.followers)]
            sockets += [open_request(admin, "/v1/egress/out?wait_ms=60000") for _ in range(args.polls)]
            for s in sockets[: args.followers]:  # every stream answered its headers
                head = b""
                while b"\r\n\r\n" not in head:
                    head += s.recv(4096)
            open_ms = (time.monotonic() - opened) * 1000
            env = {**os.environ, "STATEFUN_ADMIN_PORT": str(admin), "NO_COLOR": "1"}
            runs = []
            for _ in range(5):
                started = time.monotonic()
                result = subprocess.run([args.bin, "status"], env=env, capture_output=True, timeout=60)
                runs.append((time.monotonic() - started) * 1000)
                if result.returncode != 0:
                    raise SystemExit(f"statefun status exited {result.returncode}: {result.stderr!r}")
            started = time.monotonic()
            urllib.request.urlopen(f"http://127.0.0.1:{admin}/v1/health", timeout=60).read()
            health_ms = (time.monotonic() - started) * 1000
            print(json.dumps({
                "followers": args.followers,
                "long_polls": args.polls,
                "open_all_ms": round(open_ms),
                "status_median_ms": round(statistics.median(runs), 1),
                "status_worst_ms": round(max(runs), 1),
                "health_ms": round(health_ms, 1),
                "threads": proc_field(dev.pid, "Threads"),
                "rss_kb": proc_field(dev.pid, "VmRSS"),
            }))
            for s in sockets:
                s.close()
        finally:
            dev.terminate()
            dev.wait(30)


if __name__ == "__main__":
    main()
