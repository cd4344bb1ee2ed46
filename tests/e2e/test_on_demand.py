"""Scale to zero: a function process with `start: on-demand` in statefun.yaml
is not started with `statefun dev` but when a message for it is due (which
waits, durably, meanwhile), and with `idle_stop` it is stopped again after
that long without calls; `statefun status` shows it as idle. The official
JS SDK serves the functions (tests/e2e/functions/dev_loop.js)."""
import json
import re

import pytest

from cli_helpers import cli, ok, ok_json
from harness import free_ports, wait_until
from test_dev_loop import COUNTER, app_dir, app_process_yaml, dev_emulator, wait_for_output, \
    write_project


def on_demand_yaml(app, port, idle_stop=None):
    text = app_process_yaml(app, port) + "    start: on-demand\n"
    if idle_stop:
        text += f"    idle_stop: {idle_stop}\n"
    return text


def process_status(emulator):
    return ok_json(cli(emulator, "status", "--json"))["processes"][0]


@pytest.mark.timeout(120)
def test_started_by_its_first_message_stopped_when_idle_and_started_again(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    module = write_project(stack, port, on_demand_yaml(app, port, idle_stop="1s"))
    emulator = dev_emulator(stack, module)
    emulator.start()

    # Nothing runs until a message needs it.
    first = process_status(emulator)
    assert first["state"] == "idle" and first["pid"] is None, first
    human = ok(cli(emulator, "status"))
    assert "app idle (down until a message for it is due)" in human, human
    assert "$ node dev_loop.js" not in emulator.output()

    sent = cli(emulator, "send", COUNTER, "--type", "dev/text", "--string", "one", "--wait")
    assert sent.returncode == 0, sent
    assert emulator.state_int(COUNTER, "count") == 1
    text = wait_for_output(emulator, r"\[app\] starting on demand: a message for dev/counter is "
                                     r"waiting")
    assert re.search(r"\[app\] ready in \d", text), text

    # Idle for a second: stopped, and shown so.
    wait_for_output(emulator, r"\[app\] stopped after 1\.0 s without calls", timeout=20)
    wait_until(lambda: process_status(emulator)["state"] == "idle", 10, "status idle")

    # The next message starts it again; each message counts once.
    for text in ("two", "three"):
        assert emulator.send(COUNTER, text, "dev/text") == 200
    emulator.wait_idle()
    assert emulator.state_int(COUNTER, "count") == 3
    wait_for_output(emulator, r"\[app\] starting on demand", count=2)
    counts = sorted(r["count"] for r in emulator.pop_all_json())
    assert counts == [1, 2, 3]


@pytest.mark.timeout(120)
def test_a_message_accepted_while_it_is_down_survives_kill_9_and_is_applied_once(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    # The process cannot start (a command that fails): the message waits.
    module = write_project(stack, port, on_demand_yaml(app, port).replace(
        "command: node dev_loop.js", "command: node no-such-file.js"))
    emulator = dev_emulator(stack, module)
    emulator.start()
    assert emulator.send(COUNTER, "kept", "dev/text") == 200
    wait_for_output(emulator, r"\[app\] starting on demand")
    emulator.kill9()

    # Fixed, and started again on the same data: the message starts the
    # process by itself (it is pending at start) and applies once.
    (stack.root / "statefun.yaml").write_text(on_demand_yaml(app, port))
    emulator.start()
    emulator.wait_idle()
    assert emulator.state_int(COUNTER, "count") == 1
    assert [r["count"] for r in emulator.pop_all_json()] == [1]
    emulator.restart()
    emulator.wait_idle()
    assert emulator.state_int(COUNTER, "count") == 1
