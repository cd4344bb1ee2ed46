"""Why a call failed, where the user looks: a JS function (official SDK)
that throws answers an empty 500; what its process printed during the call
is the reason, and `statefun status`, `wait`, `send --wait` and the console
show it. Also: output without a newline, and crash loops."""
import json
import re

import pytest

from harness import free_ports, run_statefun
from test_dev_loop import (COUNTER, NODE_MODULES, app_dir, app_process_yaml, dev_emulator, output,
                           wait_for_output, write_project)

REASON = "Error: cannot count 'throw' for t"


def cli(emulator, *args, timeout=30):
    return run_statefun([*args, "--admin-port", emulator.admin_port, "--color", "never"],
                        timeout=timeout)


def running_app(stack, extra_env=None):
    (port,) = free_ports(1)
    app = app_dir(stack)
    module = write_project(stack, port, app_process_yaml(app, port, extra_env))
    return dev_emulator(stack, module, ["--color", "never"])


@pytest.mark.timeout(120)
def test_a_throwing_function_shows_its_printed_reason_in_status_wait_send_and_the_console(stack):
    emulator = running_app(stack)
    emulator.start()
    wait_for_output(emulator, r"\[app\] ready in")

    # send --wait times out on the stuck message and says why.
    sent = cli(emulator, "send", "dev/counter/t", "--type", "dev/text", "--string", "throw",
               "--wait", "--timeout", "3s")
    assert sent.returncode == 4, sent
    assert "dev/counter/t (1 message, attempt" in sent.stderr, sent.stderr
    assert "HTTP 500" in sent.stderr, sent.stderr
    assert REASON in sent.stderr, sent.stderr

    waited = cli(emulator, "wait", "--timeout", "1s")
    assert waited.returncode == 4, waited
    assert "dev/counter/t" in waited.stderr and REASON in waited.stderr, waited.stderr

    status = cli(emulator, "status", "--json")
    assert status.returncode == 0, status
    body = json.loads(status.stdout)
    assert body["failing"] == 1
    (failing,) = body["failing_addresses"]
    assert failing["address"] == "dev/counter/t"
    assert failing["kind"] == "http_status" and failing["http_status"] == 500
    assert failing["process"] == "app"
    assert failing["attempt"] >= 1 and failing["messages"] == 1
    lines = [line["line"] for line in failing["output"]]
    assert REASON in lines, failing
    assert all(line["stream"] == "stderr" for line in failing["output"]), failing
    (process,) = body["processes"]
    assert process["name"] == "app" and process["state"] == "ready", process
    assert process["pid"] > 0 and process["restarts"] == 0 and process["last_exit"] is None

    human = cli(emulator, "status")
    assert human.returncode == 0, human
    assert re.search(r"process\s+app ready, pid \d+", human.stdout), human.stdout
    assert "dev/counter/t (1 message, attempt" in human.stdout, human.stdout
    assert f"| {REASON}" in human.stdout, human.stdout

    # The console: the full reason once, then repeat lines with a count;
    # the stack trace is not printed again on every retry.
    text = wait_for_output(emulator, r"dev/counter/t failed again \(attempt \d+\): HTTP 500[^\n]* "
                                     r"\(same reason as above; \d+ repeats? so far")
    assert len(re.findall(r"dev/counter/t failed \(attempt 1\): HTTP 500[^\n]*; message kept",
                          text)) == 1, text
    assert text.count("[app] printed during the call:") == 1, text
    assert text.count(f"[app] | {REASON}") == 1, text
    assert text.count(f"[app] {REASON}") == 1, text  # the live line, once

    # Another address, another message: a different reason within the same
    # second is shown in full too, not folded into a count.
    assert emulator.send("dev/counter/u", "throw", "dev/text") == 200
    wait_for_output(emulator, r"dev/counter/u failed \(attempt 1\)")
    assert "more failures" not in output(emulator)


@pytest.mark.timeout(90)
def test_output_without_a_newline_is_shown_while_the_process_runs(stack):
    emulator = running_app(stack)
    emulator.start()
    wait_for_output(emulator, r"\[app\] ready in")
    # Each write shows up as a line of its own, with the process still running
    # (one message at a time: a batch of two writes both at once).
    assert emulator.send(COUNTER, "partial 1", "dev/text") == 200
    wait_for_output(emulator, r"(?m)^\[app\] seen 1$")
    assert emulator.send(COUNTER, "partial 2", "dev/text") == 200
    wait_for_output(emulator, r"(?m)^\[app\] seen 2$")
    assert emulator.running()
    assert "seen 1seen 2" not in output(emulator)


@pytest.mark.timeout(120)
def test_a_crash_loop_prints_its_output_once_then_a_line_per_restart(stack):
    emulator = running_app(stack, {"CRASH_AT_START": "1"})
    emulator.start()
    summary = (r"\[app\] exited with code 1 again before it was ready, with the same output as "
               r"before \(\d runs in a row; pid \d+\); restarting in")
    first = wait_for_output(emulator, summary, count=1, timeout=60)
    # The first crash: the live lines (and the exit's "last output" block).
    printed = first.count("Error: no database configured")
    assert printed >= 1, first
    text = wait_for_output(emulator, summary, count=3, timeout=60)
    assert text.count("Error: no database configured") == printed, text
    # Once the loop is established, a restart is one line (no "$ command").
    assert len(re.findall(r"\[app\] \$ node dev_loop\.js", text)) == 2, text
    status = json.loads(cli(emulator, "status", "--json").stdout)
    (process,) = status["processes"]
    assert process["restarts"] >= 2, process
    assert process["last_exit"] == "exited with code 1 before it was ready", process


@pytest.mark.timeout(90)
def test_a_process_given_after_dashes_is_named_from_statefun_yaml_or_name(stack):
    (port,) = free_ports(1)
    app = app_dir(stack)
    module = write_project(stack, port, app_process_yaml(app, port))  # one process, "app"
    command = ["--port", port, "--", "node", app / "dev_loop.js"]
    emulator = dev_emulator(stack, module, command, env={"NODE_PATH": str(NODE_MODULES)})
    emulator.start()
    wait_for_output(emulator, rf"\[app\] dev-loop functions none listening on 127\.0\.0\.1:{port}")
    emulator.stop()

    named = dev_emulator(stack, module, ["--name", "billing", *command],
                         env={"NODE_PATH": str(NODE_MODULES)})
    named.start()
    wait_for_output(named, r"\[billing\] dev-loop functions none listening")
