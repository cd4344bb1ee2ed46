"""The dev loop: `statefun dev` starts, watches and restarts the function
processes itself (statefun.yaml, or `statefun dev -- CMD`)."""
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from harness import (E2E_FUNCTIONS, JS_GREETER, STATEFUN_BIN, Emulator, HarnessError, free_ports,
                     http, module_yaml, run_statefun, wait_until)

NODE_MODULES = E2E_FUNCTIONS / "node_modules"
COUNTER = "dev/counter/c"


def dev_emulator(stack, module_path, extra_args=(), env=None):
    """`statefun dev` on `module_path` with free ports, tracked by `stack`;
    not started yet."""
    admin, ingress, egress = free_ports(3)
    emulator = Emulator(module_path, stack.root / "data", admin, ingress, egress, stack.logs)
    emulator.cmd += ["--ingress-port", str(ingress), "--egress-port", str(egress),
                     *map(str, extra_args)]
    # Function processes inherit statefun's environment: keep them on loopback.
    emulator.env.update({"HOST": "127.0.0.1", **(env or {})})
    stack.processes.append(emulator)
    return emulator


def app_dir(stack, version=None):
    """A folder with the dev-loop test functions (tests/e2e/functions/dev_loop.js)."""
    if not (NODE_MODULES / "apache-flink-statefun").exists():
        raise HarnessError(f"{NODE_MODULES} is missing; run scripts/setup.sh")
    app = stack.root / "app"
    app.mkdir(exist_ok=True)
    shutil.copy(E2E_FUNCTIONS / "dev_loop.js", app / "dev_loop.js")
    if version is not None:
        (app / "version.js").write_text(f"module.exports = {version!r};\n")
    return app


def write_project(stack, port, process_yaml):
    """module.yaml for dev/* on `port` plus a statefun.yaml with one process
    `app`; returns the module.yaml path."""
    module = stack.root / "module.yaml"
    module.write_text(module_yaml({"dev/*": f"http://localhost:{port}/statefun"}, 1, 1))
    (stack.root / "statefun.yaml").write_text(process_yaml)
    return module


def app_process_yaml(app, port, extra_env=None, watch=None, command="node dev_loop.js"):
    env = {"PORT": str(port), "NODE_PATH": str(NODE_MODULES), **(extra_env or {})}
    lines = ["processes:", "  - name: app", f"    command: {command}",
             f"    working_dir: {app}", "    env:"]
    lines += [f"      {key}: {value!r}" for key, value in env.items()]
    if watch:
        lines += ["    watch:"] + [f"      - {glob!r}" for glob in watch]
    return "\n".join(lines) + "\n"


def output(emulator):
    return emulator.output()


def wait_for_output(emulator, pattern, count=1, timeout=30):
    """Wait until `pattern` (a regex) occurs `count` times in the emulator's
    stdout + stderr; returns the output."""
    def seen():
        if not emulator.running():
            raise HarnessError(emulator.describe_exit())
        text = output(emulator)
        return text if len(re.findall(pattern, text)) >= count else None
    return wait_until(seen, timeout, lambda: f"{count}x {pattern!r} in the statefun output")


def processes_with(marker):
    """pids of live processes whose environment holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue  # gone, or not ours
    return found


@pytest.mark.timeout(90)
def test_the_greeter_sample_runs_from_its_statefun_yaml_with_a_hosts_map(stack):
    (port,) = free_ports(1)
    project = stack.root / "greeter"
    project.mkdir()
    for name in ("module.yaml", "functions.js"):
        shutil.copy(JS_GREETER / name, project / name)
    (project / "node_modules").symlink_to(JS_GREETER / "node_modules")
    # The sample's statefun.yaml, moved to a free port: the module.yaml stays
    # the playground's (http://functions:8000/statefun) and the hosts map
    # sends it to our port.
    sample = (JS_GREETER / "statefun.yaml").read_text()
    moved = sample.replace('PORT: "8000"', f'PORT: "{port}"').replace(
        "functions: localhost", f"functions: 127.0.0.1:{port}")
    assert moved.count(str(port)) == 2, "the sample's statefun.yaml changed shape"
    (project / "statefun.yaml").write_text(moved)
    assert "http://functions:8000/statefun" in (project / "module.yaml").read_text()

    emulator = dev_emulator(stack, project / "module.yaml")
    emulator.start()
    for _ in range(2):
        assert emulator.send("example/person/Bob", '{"name": "Bob"}', "example/GreetRequest") == 200
    emulator.wait_idle()

    greetings = [emulator.pop("greetings") for _ in range(2)]
    assert [status for status, _ in greetings] == [200, 200], greetings
    assert all(body.startswith(b"Hello Bob!") for _, body in greetings), greetings
    assert emulator.state_int("example/person/Bob", "visits") == 2

    text = output(emulator)
    assert f"example/* → http://127.0.0.1:{port}/statefun  (functions)" in text
    assert f"[functions] greeter functions listening on 127.0.0.1:{port}" in text
    assert re.search(r"\[functions\] ready in \d", text), text


@pytest.mark.timeout(120)
def test_a_process_that_crashes_mid_stream_is_restarted_and_each_message_counts_once(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    marker = stack.root / "crashed"
    module = write_project(stack, port,
                           app_process_yaml(app, port, {"CRASH_MARKER": str(marker)}))
    emulator = dev_emulator(stack, module)
    emulator.start()

    texts = [f"m{i}" for i in range(25)] + ["crash"] + [f"n{i}" for i in range(25)]
    for text in texts:
        assert emulator.send(COUNTER, text, "dev/text") == 200
    emulator.wait_idle()

    assert marker.exists(), "the process never crashed: nothing was exercised"
    assert emulator.state_int(COUNTER, "count") == len(texts)
    counts = sorted(record["count"] for record in emulator.pop_all_json())
    assert counts == list(range(1, len(texts) + 1)), "a message was applied twice or never"

    text = output(emulator)
    assert "[app] crashing on purpose" in text
    assert re.search(r"\[app\] exited with code 3; restarting in", text), text
    assert len(re.findall(r"\[app\] \$ node dev_loop\.js", text)) >= 2, text


@pytest.mark.timeout(90)
def test_saving_a_watched_file_restarts_the_process_and_the_next_message_sees_the_new_code(stack):
    (port,) = free_ports(1)
    app = app_dir(stack, version="v1")
    module = write_project(stack, port, app_process_yaml(app, port, watch=["*.js"]))
    emulator = dev_emulator(stack, module)
    emulator.start()

    assert emulator.send(COUNTER, "a", "dev/text") == 200
    assert emulator.pop_json() == {"id": "c", "count": 1, "version": "v1"}

    (app / "version.js").write_text("module.exports = 'v2';\n")
    wait_for_output(emulator, r"\[app\] version\.js changed: restarting")
    wait_for_output(emulator, r"\[app\] ready in", count=2)

    assert emulator.send(COUNTER, "b", "dev/text") == 200
    assert emulator.pop_json() == {"id": "c", "count": 2, "version": "v2"}


@pytest.mark.timeout(90)
def test_one_command_runs_a_process_without_statefun_yaml_and_prints_a_line_per_step(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    module = stack.root / "module.yaml"
    module.write_text(module_yaml({"dev/*": f"http://functions:{port}/statefun"}, 1, 1))
    emulator = dev_emulator(stack, module,
                            ["--port", port, "--host", "functions=localhost", "--color", "never",
                             "--", "node", app / "dev_loop.js"],
                            env={"NODE_PATH": str(NODE_MODULES)})
    emulator.start()

    sent = 5
    for i in range(sent):
        assert emulator.send(f"dev/counter/k{i}", "x", "dev/text") == 200
    emulator.wait_idle()
    assert len(emulator.pop_all_json()) == sent

    text = output(emulator)
    # The process is named after its script and gets PORT.
    assert f"[dev_loop] dev-loop functions none listening on 127.0.0.1:{port}" in text
    # One plain line per step: time, address, message type, duration, step,
    # state changes and egress.
    step = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} dev/counter/k(\d) dev/text \S+ #\d+ "
                      r"state: count ⇥ 1 egress$", re.M)
    assert sorted(step.findall(text)) == [str(i) for i in range(sent)], text


@pytest.mark.timeout(90)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=lambda s: s.name)
def test_stopping_or_killing_statefun_leaves_no_child_process_behind(stack, sig):
    (port,) = free_ports(1)
    app = app_dir(stack)
    # Grandchildren too: `sleep 600` runs beside node in the process's group;
    # `sleep 601` left the group with setsid (issue 14.7), and `sleep 602`
    # did as well and was then orphaned by its subshell.
    command = "sleep 600 & setsid sleep 601 & (setsid sleep 602 &) ; node dev_loop.js"
    module = write_project(stack, port, app_process_yaml(app, port, command=command))
    marker = f"STATEFUN_E2E_MARKER={uuid.uuid4()}"
    name, value = marker.split("=", 1)
    emulator = dev_emulator(stack, module, env={name: value})
    emulator.start()
    wait_for_output(emulator, r"\[app\] ready in")

    children = [pid for pid in processes_with(marker) if pid != emulator.popen.pid]
    assert len(children) >= 5, f"expected keeper, node and three sleeps; found {children}"

    emulator.popen.send_signal(sig)
    emulator.popen.wait(30)
    wait_until(lambda: not [p for p in processes_with(marker) if p != emulator.popen.pid], 20,
               lambda: f"the function processes to go after {sig.name}; still there: "
                       f"{processes_with(marker)}")
    if sig != signal.SIGKILL:
        assert emulator.popen.returncode == 0


@pytest.mark.timeout(90)
def test_a_message_nobody_serves_is_kept_and_delivered_once_module_yaml_gains_an_endpoint(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    module = write_project(stack, port, app_process_yaml(app, port))
    module.write_text(module_yaml({"elsewhere/*": f"http://localhost:{port}/statefun"}, 1, 1))
    emulator = dev_emulator(stack, module)
    emulator.start()

    assert emulator.send(COUNTER, "early", "dev/text") == 200
    wait_for_output(emulator, r"no endpoint in module\.yaml serves function type dev/counter")
    wait_until(lambda: emulator.status()["unroutable"] == 1, 10, "the message to be held")

    module.write_text(module_yaml({"dev/*": f"http://localhost:{port}/statefun"}, 1, 1))
    wait_for_output(emulator, r"module\.yaml changed: configuration reloaded")
    # Not wait_idle(): held (unroutable) messages do not count as pending, so
    # the emulator can look idle before the reload has re-routed them.
    wait_until(lambda: emulator.state_int(COUNTER, "count") == 1, 10,
               "the held message to be delivered")
    emulator.wait_idle()
    assert emulator.state_int(COUNTER, "count") == 1
    text = output(emulator)
    assert len(re.findall(r"serves function type dev/counter", text)) == 1, "reported twice"


@pytest.mark.timeout(90)
def test_statefun_yaml_edits_apply_live_and_a_broken_edit_keeps_the_running_configuration(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    config = stack.root / "statefun.yaml"
    module = write_project(stack, port, app_process_yaml(app, port, {"VERSION": "one"}))
    emulator = dev_emulator(stack, module)
    emulator.start()
    assert emulator.send(COUNTER, "a", "dev/text") == 200
    assert emulator.pop_json()["version"] == "one"

    # A typo: reported with the key, and nothing changes.
    config.write_text(config.read_text().replace("command:", "comand:"))
    wait_for_output(emulator, r'processes\[0\]\.comand: unknown key \(did you mean "command"\?\); '
                              r"still running the previous configuration")
    assert emulator.send(COUNTER, "b", "dev/text") == 200
    assert emulator.pop_json()["version"] == "one"

    # A real change restarts the process; what is bound at start (the listen
    # address here; the ports come from flags, which win) needs a restart.
    text = app_process_yaml(app, port, {"VERSION": "two"}) + "listen: 127.0.0.2\n"
    config.write_text(text)
    wait_for_output(emulator, r"\[app\] statefun\.yaml changed: restarting")
    wait_for_output(emulator, r"listen changed \(default → 127\.0\.0\.2\): restart statefun dev "
                              r"to apply it")
    assert emulator.send(COUNTER, "c", "dev/text") == 200
    assert emulator.pop_json()["version"] == "two"


@pytest.mark.timeout(60)
def test_a_command_that_does_not_exist_is_reported_with_its_output(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    module = write_project(stack, port,
                           app_process_yaml(app, port, command="no-such-program-xyz dev_loop.js"))
    emulator = dev_emulator(stack, module)
    emulator.start()
    text = wait_for_output(emulator, r"\[app\] exited with code 127 \(the command was not found\) "
                                     r"before it was ready; restarting in")
    assert re.search(r"\[app\]   \| .*no-such-program-xyz.*not found", text), text


@pytest.mark.timeout(60)
def test_a_process_that_never_gets_ready_is_reported_and_its_messages_wait(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    yaml = app_process_yaml(app, port, command="echo warming up; sleep 600")
    yaml += "    ready:\n      timeout: 500ms\n"
    module = write_project(stack, port, yaml)
    emulator = dev_emulator(stack, module)
    emulator.start()
    assert emulator.send(COUNTER, "x", "dev/text") == 200
    text = wait_for_output(emulator, r"\[app\] not ready after [\d.]+ \w+: nothing accepts "
                                     rf"connections on localhost:{port}")
    assert "[app]   | warming up" in text
    assert emulator.status()["pending"] == 1
    assert "failed" not in text, "a message was sent to a process that was not ready"


@pytest.mark.timeout(60)
def test_json_log_format_prints_one_object_per_line(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    module = write_project(stack, port, app_process_yaml(app, port))
    emulator = dev_emulator(stack, module, ["--log-format", "json"])
    super(Emulator, emulator).start()  # the plain "ready in" line is not there to wait for
    wait_for_output(emulator, r'"event":"process","process":"app","state":"ready"')
    assert emulator.send(COUNTER, "x", "dev/text") == 200
    emulator.wait_idle()
    wait_for_output(emulator, r'"event":"step"')

    lines = [json.loads(line) for line in emulator.stdout_since_start().splitlines() if line]
    events = {line["event"] for line in lines}
    assert {"banner", "ready", "process", "output", "step"} <= events, events
    step = next(line for line in lines if line["event"] == "step")
    assert step["address"] == COUNTER and step["states"] == ["count"] and step["egress"] == 1


@pytest.mark.timeout(30)
def test_a_bad_statefun_yaml_stops_the_start_with_one_line_naming_the_key(stack):
    (port,) = free_ports(1)
    module = write_project(stack, port, "processes:\n  - name: app\n    comand: node x.js\n")
    result = run_statefun(["dev", "-m", module, "--data", stack.root / "data",
                           "--admin-port", free_ports(1)[0]])
    assert result.returncode == 1, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith('statefun.yaml:3:5: processes[0].comand: unknown key '
                             '(did you mean "command"?)'), lines[0]


class OnATerminal:
    """A command with stdout and stderr on one pseudo-terminal, as when a
    person runs it; `text()` is everything it printed so far."""

    def __init__(self, cmd, env):
        master, slave = pty.openpty()
        self._master = master
        self._chunks = []
        self.popen = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                                      stdout=slave, stderr=slave, env=env,
                                      start_new_session=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # EIO: the process and its children closed the terminal
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def text(self):
        return b"".join(self._chunks).decode(errors="replace")

    def wait_for(self, needle, timeout=30):
        def seen():
            if self.popen.poll() is not None:
                raise HarnessError(f"exited with {self.popen.returncode}: {self.text()!r}")
            return needle in re.sub(r"\x1b\[[0-9;]*m", "", self.text())
        wait_until(seen, timeout, lambda: f"{needle!r} on the terminal: {self.text()!r}")

    def stop(self):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._reader.join(5)
        os.close(self._master)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("no_color, coloured", [(None, True), ("", True), ("1", False)],
                         ids=["NO_COLOR unset", "NO_COLOR empty", "NO_COLOR=1"])
def test_dev_on_a_terminal_is_coloured_unless_no_color_is_set(stack, no_color, coloured):
    greeter = stack.js_greeter()
    admin, ingress, egress = free_ports(3)
    module = stack.root / "module.yaml"
    module.write_text(module_yaml({"example/*": greeter.url()}, ingress, egress, ("greetings",)))
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    dev = OnATerminal([STATEFUN_BIN, "dev", "-m", module, "--data", stack.root / "data",
                       "--admin-port", admin], env)
    try:
        dev.wait_for("statefun dev ready in")
        status, _ = http("PUT", f"http://127.0.0.1:{ingress}/example/person/Bob", b'{"name":"Bob"}',
                         {"Content-Type": "application/vnd.example/GreetRequest"})
        assert status == 200
        dev.wait_for("⇥ 1 egress")  # the greeter's step, the last of the two
    finally:
        dev.stop()
    text = dev.text()
    assert ("\x1b[" in text) == coloured, text
