"""`statefun snapshot restore` against real JS SDK functions: step and timer
ids only grow (also across a restore), `trace --follow` sees the steps after
a restore, the dev console says a restore happened, every restore first
saves the current state as an undo snapshot, and on a terminal it asks.

No timing: each wait is for an outcome (a line, a state), bounded."""
import json
import os
import pty
import queue
import select
import subprocess
import threading

import pytest

from cli_helpers import cli, ok, ok_json, one_line_error
from harness import STATEFUN_BIN, wait_until

COUNTER = "e2e/counter/c"


def send_counter(emulator, times):
    for _ in range(times):
        ok(cli(emulator, "send", COUNTER, "--type", "e2e/text", "--string", "+1"))
        ok(cli(emulator, "wait"))


def schedule(emulator, token):
    ok(cli(emulator, "send", "e2e/scheduler/s", "--type", "e2e/json", "--json",
           json.dumps({"op": "after", "delay": 600000, "tag": token, "token": token})))
    ok(cli(emulator, "wait"))
    timers = ok_json(cli(emulator, "timers", "ls", "--json"))["timers"]
    return next(t["id"] for t in timers if t["token"] == token)


class Follower:
    """`statefun trace --follow --json` in the background; its steps, as read."""

    def __init__(self, emulator):
        self.steps = queue.Queue()
        self.process = subprocess.Popen(
            [STATEFUN_BIN, "trace", "--follow", "--json", "--admin-port",
             str(emulator.admin_port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.steps.put(json.loads(line))

    def next_step(self, timeout=20):
        return self.steps.get(timeout=timeout)

    def close(self):
        self.process.kill()
        self.process.wait()


@pytest.mark.timeout(150)
def test_restore_keeps_ids_growing_tells_the_console_and_can_be_undone(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    send_counter(emulator, 2)
    ok(cli(emulator, "snapshot", "create", "s1"))
    send_counter(emulator, 2)
    # A timer id is not reused once its timer went (here: cancelled).
    first = schedule(emulator, "a")
    ok(cli(emulator, "timers", "cancel", "--token", "a"))
    second = schedule(emulator, "b")
    assert second > first
    last_before = emulator.status()["steps"]
    assert last_before == 6

    follower = Follower(emulator)
    try:
        # Non-interactive (no terminal): no question, the restore goes ahead.
        restored = ok_json(cli(emulator, "snapshot", "restore", "s1", "--json"))
        assert restored["restored"] == "s1" and restored["steps"] == last_before
        undo = restored["undo"]["name"]
        assert undo.startswith("before-restore-") and restored["undo"]["automatic"] is False
        assert emulator.state_int(COUNTER, "count") == 2
        wait_until(lambda: f"restored snapshot s1" in emulator.output()
                   and f"statefun snapshot restore {undo}" in emulator.output(),
                   20, "the restore line in the dev console")

        # New steps go on from the highest ever used, and the follower sees them.
        send_counter(emulator, 1)
        step = follower.next_step()
        while step["step"] <= last_before:  # the steps it caught up on first
            step = follower.next_step()
        assert step["step"] == last_before + 1 and step["address"] == COUNTER
        assert emulator.state_int(COUNTER, "count") == 3
    finally:
        follower.close()

    # Timer ids go on too: the snapshot had no timer, the ids before it are not reused.
    assert ok_json(cli(emulator, "timers", "ls", "--json"))["timers"] == []
    assert schedule(emulator, "c") > second

    # The undo point is the state right before the restore: count 4, timer b.
    text = ok(cli(emulator, "snapshot", "restore", undo, "--yes"))
    assert f"restored snapshot {undo} into the running emulator" in text
    assert "`statefun snapshot restore before-restore-" in text
    assert emulator.state_int(COUNTER, "count") == 4
    assert [t["token"] for t in ok_json(cli(emulator, "timers", "ls", "--json"))["timers"]] == [
        "b"]
    send_counter(emulator, 1)
    assert emulator.status()["steps"] > last_before + 2


def run_on_terminal(emulator, args, answer):
    """Runs `statefun ARGS` with stdin and stderr on a pseudo-terminal, answers
    `answer` once it asks (None: expects no question) -> (exit code, stdout,
    what the terminal showed)."""
    env = {**os.environ, "NO_COLOR": "1", "STATEFUN_ADMIN_PORT": str(emulator.admin_port)}
    master, slave = pty.openpty()
    process = subprocess.Popen([STATEFUN_BIN, *args], stdin=slave, stderr=slave,
                               stdout=subprocess.PIPE, env=env, text=True)
    os.close(slave)
    shown = ""
    try:
        if answer is not None:
            while "[y/N]" not in shown:
                ready, _, _ = select.select([master], [], [], 20)
                assert ready, f"no question on the terminal: {shown!r}"
                shown += os.read(master, 4096).decode(errors="replace")
            os.write(master, (answer + "\n").encode())
        stdout, _ = process.communicate(timeout=30)
        while select.select([master], [], [], 0)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            shown += chunk.decode(errors="replace")
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, stdout, shown


@pytest.mark.timeout(120)
def test_restore_on_a_terminal_asks_first_and_no_changes_nothing(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    send_counter(emulator, 1)
    ok(cli(emulator, "snapshot", "create", "one"))
    send_counter(emulator, 2)

    code, _, shown = run_on_terminal(emulator, ["snapshot", "restore", "one"], "n")
    assert code == 1 and "restore cancelled: nothing changed" in shown, shown
    assert "Replace the whole state of the running statefun dev with snapshot 'one'?" in shown
    assert emulator.state_int(COUNTER, "count") == 3
    names = [s["name"] for s in ok_json(cli(emulator, "snapshot", "ls", "--json"))["snapshots"]]
    assert names == ["one"]  # no undo point either: nothing happened

    code, stdout, _ = run_on_terminal(emulator, ["snapshot", "restore", "one"], "y")
    assert code == 0 and stdout.startswith("restored snapshot one"), stdout
    assert emulator.state_int(COUNTER, "count") == 1

    code, stdout, shown = run_on_terminal(emulator, ["snapshot", "restore", "one", "--yes"], None)
    assert code == 0 and "[y/N]" not in shown and stdout.startswith("restored snapshot one")
    names = [s["name"] for s in ok_json(cli(emulator, "snapshot", "ls", "--json"))["snapshots"]]
    assert len([n for n in names if n.startswith("before-restore-")]) == 2


@pytest.mark.timeout(120)
def test_an_offline_restore_also_leaves_an_undo_point_and_keeps_ids_growing(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    send_counter(emulator, 1)
    ok(cli(emulator, "snapshot", "create", "one"))
    send_counter(emulator, 2)
    assert emulator.stop() == 0

    restored = ok_json(cli(emulator, "snapshot", "restore", "one", "--json"))
    assert restored["steps"] == 3 and restored["undo"]["name"].startswith("before-restore-")
    emulator.start()
    assert emulator.state_int(COUNTER, "count") == 1
    send_counter(emulator, 1)
    assert emulator.status()["steps"] == 4
    one_line_error(cli(emulator, "snapshot", "restore", "nothing-here"), 3)
