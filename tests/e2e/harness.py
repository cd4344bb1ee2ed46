"""Process and HTTP plumbing for the end-to-end tests.

A test builds a `Stack` (conftest's `stack` fixture): it starts function
processes (official SDKs) and the `statefun dev` emulator on free loopback
ports, talks to them over HTTP, reads state from the emulator's SQLite file and
kills everything it started when the test ends. Nothing here knows about a
particular test.
"""
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATEFUN_BIN = os.environ.get("STATEFUN_BIN", str(REPO / "build" / "cli" / "statefun"))
E2E_FUNCTIONS = REPO / "tests" / "e2e" / "functions"
JS_GREETER = REPO / "samples" / "greeter"
PY_GREETER = REPO / "samples" / "greeter-python"
# C++ SDK programs come from the build that produced STATEFUN_BIN (<build>/cli/statefun)
# unless ctest names them.
BUILD_DIR = Path(STATEFUN_BIN).resolve().parents[1]
CPP_E2E_FUNCTIONS = Path(os.environ.get("STATEFUN_E2E_CPP_FUNCTIONS",
                                        BUILD_DIR / "tests" / "e2e-functions-cpp"))
CPP_GREETER = Path(os.environ.get("STATEFUN_CPP_GREETER",
                                  BUILD_DIR / "samples" / "greeter-cpp" / "greeter-cpp"))
PYTHON = sys.executable  # the .venv interpreter running pytest; it has the SDK

STARTUP_TIMEOUT = 30.0
IDLE_TIMEOUT = 60.0
HTTP_TIMEOUT = 10.0


class HarnessError(AssertionError):
    """A wait timed out or a process misbehaved; the message says which."""


def wait_until(predicate, timeout, what, interval=0.05):
    """Poll `predicate` until it returns something truthy and return that.

    Raises HarnessError naming `what` (a string or a callable producing one,
    for a description of the last observed state) after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = what() if callable(what) else what
            raise HarnessError(f"timed out after {timeout:g}s waiting for {detail}")
        time.sleep(interval)


def free_ports(count):
    """`count` distinct free TCP ports on 127.0.0.1.

    All sockets are held open until every port is picked, so the ports are
    distinct; another process could still grab one before we use it, which is
    the usual (accepted) race of this technique.
    """
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def http(method, url, body=None, headers=None, timeout=HTTP_TIMEOUT):
    """One HTTP request -> (status, body bytes). Non-2xx statuses are returned,
    not raised; connection-level failures (refused, reset) raise OSError."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except urllib.error.URLError as error:
        # Unwrap so callers can tell "refused" (never reached the server) apart.
        raise error.reason if isinstance(error.reason, OSError) else error


# --- state -----------------------------------------------------------------
# read_state is the ONLY place that knows how the emulator stores state; a
# later `statefun` CLI command will replace its body.

def read_state(data_dir, address, name):
    """Stored bytes of state `name` of `address` ("ns/type/id"), or None when
    absent or expired."""
    ns, type_, id_ = address.split("/", 2)
    db = Path(data_dir) / "statefun.db"
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        row = connection.execute(
            "SELECT value, expires_at FROM state WHERE ns=? AND type=? AND id=? AND name=?",
            (ns, type_, id_, name)).fetchone()
    finally:
        connection.close()
    if row is None:
        return None
    value, expires_at = row
    if expires_at is not None and expires_at <= time.time() * 1000:
        return None
    return bytes(value or b"")


def decode_int(raw):
    """io.statefun.types/int (IntWrapper, sfixed32 field 1): b'' is 0."""
    if raw is None:
        return None
    if raw == b"":
        return 0
    assert raw[0] == 0x0D and len(raw) == 5, f"not an IntWrapper: {raw!r}"
    return struct.unpack("<i", raw[1:])[0]


def decode_string(raw):
    """io.statefun.types/string (StringWrapper, string field 1): b'' is ""."""
    if raw is None:
        return None
    if raw == b"":
        return ""
    assert raw[0] == 0x0A, f"not a StringWrapper: {raw!r}"
    length, shift, pos = 0, 0, 1
    while True:  # varint length
        byte = raw[pos]
        length |= (byte & 0x7F) << shift
        pos += 1
        shift += 7
        if not byte & 0x80:
            break
    return raw[pos:pos + length].decode("utf-8")


# --- processes ---------------------------------------------------------------

class Process:
    """A child process with stdout/stderr captured to files in `log_dir`.

    Restarting appends to the same files after a marker line, so one file holds
    the whole story of a process across kills.
    """

    def __init__(self, name, cmd, log_dir, env=None):
        self.name = name
        self.cmd = [str(c) for c in cmd]
        self.env = {**os.environ, **(env or {})}
        self.stdout_path = Path(log_dir) / f"{name}.stdout.log"
        self.stderr_path = Path(log_dir) / f"{name}.stderr.log"
        self.popen = None
        self.starts = 0
        self.stdout_offset = 0  # where this start's stdout begins
        self.cwd = None  # the folder it starts in (None: the test's)

    def start(self):
        assert not self.running(), f"{self.name} is already running"
        self.starts += 1
        marker = f"--- harness: start #{self.starts}: {' '.join(self.cmd)}\n"
        with open(self.stdout_path, "a") as out, open(self.stderr_path, "a") as err:
            out.write(marker)
            err.write(marker)
            out.flush()
            err.flush()
            self.stdout_offset = out.tell()
            self.popen = subprocess.Popen(self.cmd, stdout=out, stderr=err, env=self.env,
                                          stdin=subprocess.DEVNULL, cwd=self.cwd,
                                          start_new_session=True)

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def kill9(self):
        if self.running():
            self.popen.kill()
        if self.popen is not None:
            self.popen.wait()

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Signal the process and wait for it; returns its exit code.
        Raises HarnessError (after SIGKILLing it) if it does not exit in time."""
        if self.running():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise HarnessError(f"{self.name} ignored {sig.name} for {timeout:g}s; killed it")
        return None if self.popen is None else self.popen.returncode

    def stdout_since_start(self):
        with open(self.stdout_path, errors="replace") as f:
            f.seek(self.stdout_offset)
            return f.read()

    def output(self):
        """stdout and stderr of every start so far."""
        return self._read(self.stdout_path) + self._read(self.stderr_path)

    def log_sections(self):
        return [(f"{self.name} stdout", self._read(self.stdout_path)),
                (f"{self.name} stderr", self._read(self.stderr_path))]

    @staticmethod
    def _read(path):
        return Path(path).read_text(errors="replace") if Path(path).exists() else ""

    def describe_exit(self):
        return (f"{self.name} exited with code {self.popen.returncode}\n"
                + "".join(f"--- {title} ---\n{text}\n" for title, text in self.log_sections()))


class FunctionServer(Process):
    """A function process (official SDK) listening on 127.0.0.1:`port`."""

    def __init__(self, name, cmd, port, log_dir, env=None):
        super().__init__(name, cmd, log_dir, env={**(env or {}), "PORT": str(port), "HOST": "127.0.0.1"})
        self.port = port

    def url(self, path="/statefun"):
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        super().start()
        wait_until(self._accepting, STARTUP_TIMEOUT,
                   lambda: f"{self.name} to listen on port {self.port}")

    def _accepting(self):
        if not self.running():
            raise HarnessError(self.describe_exit())
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stats(self):
        """GET /stats of tests/e2e/functions/server.js (see there)."""
        status, body = http("GET", self.url("/stats"))
        assert status == 200, f"{self.name} /stats answered {status}"
        return json.loads(body)


class Emulator(Process):
    """`statefun dev` with one module.yaml and one data directory."""

    def __init__(self, module_path, data_dir, admin_port, ingress_port, egress_port, log_dir,
                 name="statefun", args=()):
        super().__init__(name, [STATEFUN_BIN, "dev", "-m", module_path, "--data", data_dir,
                                "--admin-port", admin_port, *args], log_dir)
        self.module_path = Path(module_path)
        self.data_dir = Path(data_dir)
        self.admin_port = admin_port
        self.ingress_port = ingress_port
        self.egress_port = egress_port

    def start(self):
        super().start()
        wait_until(self._ready, STARTUP_TIMEOUT, lambda: f"'ready in' from {self.name}")

    def _ready(self):
        if "ready in" in self.stdout_since_start():
            return True
        if not self.running():
            raise HarnessError(self.describe_exit())
        return False

    def write_module(self, endpoints, topics=("out",)):
        """(Re)write this emulator's module.yaml; takes effect at the next start."""
        self.module_path.write_text(module_yaml(endpoints, self.ingress_port, self.egress_port, topics))

    def restart(self):
        """kill -9, then start again on the same module.yaml and data dir."""
        self.kill9()
        self.start()

    # ingress / egress / admin

    def send(self, address, body, typename="e2e/text"):
        """PUT a message to `address` ("ns/type/id") -> HTTP status."""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
        status, _ = self.send_raw("PUT", f"/{address}", body, typename)
        return status

    def send_raw(self, method, path, body, typename):
        return http(method, f"http://127.0.0.1:{self.ingress_port}{path}", body,
                    {"Content-Type": f"application/vnd.{typename}"})

    def pop(self, topic="out"):
        """GET one egress record -> (status, payload bytes)."""
        return http("GET", f"http://127.0.0.1:{self.egress_port}/{topic}")

    def pop_json(self, topic="out", timeout=20.0):
        """Wait for the next record on `topic` and parse its payload as JSON."""
        def attempt():
            status, body = self.pop(topic)
            assert status in (200, 404), f"egress GET /{topic} answered {status}: {body!r}"
            return (body,) if status == 200 else None
        (body,) = wait_until(attempt, timeout, f"an egress record on topic {topic!r}", interval=0.1)
        return json.loads(body)

    def pop_all_json(self, topic="out"):
        """Every record currently on `topic`, parsed; does not wait."""
        records = []
        while True:
            status, body = self.pop(topic)
            if status == 404:
                return records
            assert status == 200, f"egress GET /{topic} answered {status}: {body!r}"
            records.append(json.loads(body))

    def admin(self, path):
        return http("GET", f"http://127.0.0.1:{self.admin_port}{path}")

    def status(self):
        status, body = self.admin("/v1/status")
        assert status == 200, f"/v1/status answered {status}: {body!r}"
        return json.loads(body)

    def wait_idle(self, timeout=IDLE_TIMEOUT):
        """Wait until nothing is queued or in flight (timers may be pending)."""
        last = {}

        def idle():
            if not self.running():
                raise HarnessError(self.describe_exit())
            last.update(self.status())
            return last["pending"] == 0 and last["in_flight"] == 0

        wait_until(idle, timeout, lambda: f"{self.name} to become idle; last /v1/status: {last}",
                   interval=0.05)

    def state(self, address, name):
        return read_state(self.data_dir, address, name)

    def state_int(self, address, name):
        return decode_int(self.state(address, name))

    def state_string(self, address, name):
        return decode_string(self.state(address, name))


def run_statefun(args, timeout=20.0):
    """Run the binary to completion (for startup errors) -> CompletedProcess."""
    try:
        return subprocess.run([STATEFUN_BIN, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        # (the captured output comes back as bytes here, despite text=True)
        out, err = (x.decode(errors="replace") if isinstance(x, bytes) else x
                    for x in (expired.stdout, expired.stderr))
        raise HarnessError(f"statefun {' '.join(map(str, args))} still running after {timeout:g}s "
                           f"(it was killed); stdout: {out!r} stderr: {err!r}")


# --- module.yaml ---------------------------------------------------------------

def endpoint_doc(functions, url, **extra):
    lines = ["kind: io.statefun.endpoints.v2/http", "spec:",
             f"  functions: {functions}", f"  urlPathTemplate: {url}"]
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def io_docs(ingress_port, egress_port, topics):
    return (f"kind: io.statefun.playground.v1/ingress\nspec:\n  port: {ingress_port}\n"
            "---\n"
            f"kind: io.statefun.playground.v1/egress\nspec:\n  port: {egress_port}\n  topics:\n"
            + "".join(f"    - {topic}\n" for topic in topics))


def module_yaml(endpoints, ingress_port, egress_port, topics=("out",)):
    """module.yaml text: one v2 endpoint per (functions, url) pair in
    `endpoints`, then the playground ingress and egress."""
    docs = [endpoint_doc(functions, url) for functions, url in endpoints.items()]
    docs.append(io_docs(ingress_port, egress_port, topics))
    return "---\n".join(docs)


# --- the whole stack -------------------------------------------------------------

class Stack:
    """Everything one test starts, rooted in the test's tmp dir; `close()`
    kills it all."""

    def __init__(self, root):
        self.root = Path(root)
        self.logs = self.root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes = []

    def _track(self, process):
        self.processes.append(process)
        return process

    # functions

    def _function(self, name, cmd, needs, env=None, remedy="run scripts/setup.sh"):
        if not Path(needs).exists():
            raise HarnessError(f"{needs} is missing; {remedy}")
        (port,) = free_ports(1)
        server = self._track(FunctionServer(name, cmd, port, self.logs, env=env))
        server.start()
        return server

    def test_functions(self, name="functions", impl="js", **env):
        """The e2e test functions, written with the official JS SDK
        (tests/e2e/functions/server.js, impl="js") or with our C++ SDK
        (tests/e2e/functions_cpp, impl="cpp"): same function types, same
        behaviour, same GET /stats. `env` e.g. FAULT="500", FAULT_TIMES=3."""
        env = {k: str(v) for k, v in env.items()}
        if impl == "cpp":
            return self._function(f"{name}-cpp", [CPP_E2E_FUNCTIONS], CPP_E2E_FUNCTIONS, env=env,
                                  remedy="build the e2e-functions-cpp target")
        assert impl == "js", f"unknown implementation {impl!r}"
        return self._function(name, ["node", E2E_FUNCTIONS / "server.js"],
                              E2E_FUNCTIONS / "node_modules" / "apache-flink-statefun", env=env)

    def js_greeter(self):
        return self._function("greeter-js", ["node", JS_GREETER / "functions.js"],
                              JS_GREETER / "node_modules" / "apache-flink-statefun")

    def python_greeter(self):
        return self._function("greeter-python", [PYTHON, PY_GREETER / "functions.py"],
                              PY_GREETER / "functions.py")

    def cpp_greeter(self):
        return self._function("greeter-cpp", [CPP_GREETER], CPP_GREETER,
                              remedy="build the greeter-cpp target")

    # emulator

    def emulator(self, endpoints, topics=("out",), start=True, args=()):
        """Write a module.yaml for `endpoints` ({functions: url}) and start
        `statefun dev` on it with a fresh data dir and free ports; `args` are
        more flags for it (e.g. ("--clock", "virtual"))."""
        admin, ingress, egress = free_ports(3)
        emulator = self._track(Emulator(self.root / "module.yaml", self.root / "data", admin,
                                        ingress, egress, self.logs, args=args))
        emulator.write_module(endpoints, topics)
        if start:
            emulator.start()
        return emulator

    def close(self):
        for process in reversed(self.processes):
            try:
                process.stop(timeout=10)
            except HarnessError:
                pass  # already SIGKILLed by stop()
            finally:
                process.kill9()

    def log_sections(self):
        module = self.root / "module.yaml"
        sections = [("module.yaml", module.read_text())] if module.exists() else []
        return sections + [section for p in self.processes for section in p.log_sections()]
