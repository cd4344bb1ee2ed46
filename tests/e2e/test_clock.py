"""`statefun dev --clock virtual` and `statefun clock now|advance|set`: real
JS SDK functions, timers delivered in due order at their virtual times,
state expiring by the virtual clock, the admin rules on the new writes."""
import json

import pytest

from cli_helpers import cli, ok, ok_json, one_line_error
from harness import http, run_statefun

START = "2027-01-01T00:00:00Z"
HOUR_MS = 3_600_000


def schedule(emulator, tag, delay_ms):
    body = {"op": "after", "delay": delay_ms, "tag": tag}
    assert emulator.send("e2e/scheduler/v", body, "e2e/json") == 200


@pytest.mark.timeout(60)
def test_advance_fires_timers_in_due_order_and_status_shows_the_clock(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()},
                              args=("--clock", "virtual", "--clock-start", START))
    now = ok_json(cli(emulator, "clock", "now", "--json"))
    assert now["mode"] == "virtual"
    assert now["now"] == "2027-01-01T00:00:00.000Z"

    schedule(emulator, "two hours", 2 * HOUR_MS)
    schedule(emulator, "one hour", HOUR_MS)
    schedule(emulator, "thirty days", 30 * 24 * HOUR_MS)
    emulator.wait_idle()
    assert emulator.status()["timers"] == 3
    assert emulator.pop_all_json() == []  # virtual time stands still

    report = ok_json(cli(emulator, "clock", "advance", "3h", "--json"))
    assert report["from"] == "2027-01-01T00:00:00.000Z"
    assert report["to"] == "2027-01-01T03:00:00.000Z"
    assert report["timers_fired"] == 2
    assert report["next_timer"] == "2027-01-31T00:00:00.000Z"
    # Answered after the commit: both records are there, in due order.
    assert [r["text"] for r in emulator.pop_all_json()] == ["one hour", "two hours"]
    # Each step saw its own virtual time.
    trace = ok_json(cli(emulator, "trace", "e2e/reporter/v", "--json"))
    times = [step["at"] for step in trace["steps"]]
    assert times == ["2027-01-01T01:00:00.000Z", "2027-01-01T02:00:00.000Z"]

    status = ok(cli(emulator, "status"))
    assert "virtual 2027-01-01T03:00:00.000Z" in status
    assert emulator.status()["clock"]["mode"] == "virtual"

    # Not backwards; and until-idle follows the far timer only when the
    # horizon reaches it.
    error = one_line_error(cli(emulator, "clock", "set", "2026-12-31T00:00:00Z"), 2)
    assert "only moves forward" in error
    idle = ok_json(cli(emulator, "clock", "advance", "--until-idle", "--json"))
    assert idle["timers_fired"] == 0 and idle["to"] == idle["from"]
    far = ok(cli(emulator, "clock", "advance", "--until-idle", "--horizon", "40d"))
    assert "1 timer fired" in far
    assert [r["text"] for r in emulator.pop_all_json()] == ["thirty days"]
    assert ok_json(cli(emulator, "clock", "now", "--json"))["now"] == "2027-01-31T00:00:00.000Z"

    ok(cli(emulator, "clock", "set", "2027-06-01T00:00:00Z"))
    assert ok_json(cli(emulator, "clock", "now", "--json"))["now"] == "2027-06-01T00:00:00.000Z"


@pytest.mark.timeout(60)
def test_state_expires_by_the_virtual_clock(stack):
    functions = stack.test_functions(TTL_MS=60_000)
    emulator = stack.emulator({"e2e/*": functions.url()}, args=("--clock", "virtual"))
    assert emulator.send("e2e/ttl/t", {"op": "write", "value": "kept"}, "e2e/json") == 200
    ok(cli(emulator, "clock", "advance", "59s"))
    assert emulator.send("e2e/ttl/t", {"op": "read"}, "e2e/json") == 200
    assert emulator.pop_json() == {"seen": "kept"}
    ok(cli(emulator, "clock", "advance", "2s"))
    assert emulator.send("e2e/ttl/t", {"op": "read"}, "e2e/json") == 200
    assert emulator.pop_json() == {"seen": None}


@pytest.mark.timeout(30)
def test_the_wall_clock_refuses_to_advance_and_web_pages_cannot_move_it(stack):
    emulator = stack.emulator({"e2e/*": "http://127.0.0.1:9/statefun"})
    assert ok_json(cli(emulator, "clock", "now", "--json"))["mode"] == "wall"
    error = one_line_error(cli(emulator, "clock", "advance", "1h"), 1)
    assert "--clock virtual" in error
    one_line_error(cli(emulator, "clock", "advance"), 2)
    one_line_error(cli(emulator, "clock", "advance", "soon"), 2)

    url = f"http://127.0.0.1:{emulator.admin_port}/v1/clock/advance"
    body = json.dumps({"duration": "1h"}).encode()
    status, _ = http("POST", url, body, {"Content-Type": "application/json",
                                         "Origin": "https://evil.example"})
    assert status == 403
    status, _ = http("POST", url, body, {"Content-Type": "text/plain"})
    assert status == 415


@pytest.mark.timeout(90)
def test_virtual_time_resumes_after_a_restart_and_offline_reads_keep_to_it(stack):
    """A restart of `statefun dev --clock virtual` started the clock at now
    again, before the timers and trace it had written; offline reads counted
    state expiry on the wall clock."""
    functions = stack.test_functions(TTL_MS=60_000)
    emulator = stack.emulator({"e2e/*": functions.url()},
                              args=("--clock", "virtual", "--clock-start", START))
    assert emulator.send("e2e/ttl/t", {"op": "write", "value": "kept"}, "e2e/json") == 200
    schedule(emulator, "a day later", 24 * HOUR_MS)
    emulator.wait_idle()
    ok(cli(emulator, "clock", "advance", "2h"))  # past the state's minute to live

    # Stopped, the database tells the application's time: the state expired
    # two virtual hours ago (on the wall clock it would live until 2027).
    emulator.stop()
    expired = cli(emulator, "state", "get", "e2e/ttl/t", "--offline", "--json")
    assert expired.returncode == 3, expired  # "has no state"
    assert json.loads(expired.stdout)["states"] == [], expired.stdout
    timers = ok(cli(emulator, "timers", "ls", "--offline"))
    assert "(in 22h0m)" in timers, timers

    # Going back is refused, one line, exit 2, naming both times.
    again = run_statefun(emulator.cmd[1:])
    assert again.returncode == 2, again
    assert again.stderr.strip().splitlines() == [
        "error: --clock-start 2027-01-01T00:00:00.000Z is before 2027-01-01T02:00:00.000Z, "
        "where virtual time stopped in this data directory, and it only moves forward: leave "
        "--clock-start out to resume there, or use another --data"], again.stderr

    # Without --clock-start it resumes where it stopped, and the timer fires
    # a day after it was set.
    at = emulator.cmd.index("--clock-start")
    del emulator.cmd[at:at + 2]
    emulator.start()
    assert "virtual, stopped at 2027-01-01T02:00:00.000Z (where it stopped last time)" in \
        emulator.stdout_since_start()
    assert ok_json(cli(emulator, "clock", "now", "--json"))["now"] == "2027-01-01T02:00:00.000Z"
    assert emulator.pop_all_json() == []
    ok(cli(emulator, "clock", "advance", "22h"))
    assert [r["text"] for r in emulator.pop_all_json()] == ["a day later"]

    # A wall-clock run on the same data: offline reads follow the wall again,
    # where the state (written at a virtual 2027) has not expired yet.
    emulator.stop()
    at = emulator.cmd.index("--clock")
    del emulator.cmd[at:at + 2]
    emulator.start()
    assert ok_json(cli(emulator, "clock", "now", "--json"))["mode"] == "wall"
    emulator.stop()
    offline = ok_json(cli(emulator, "state", "get", "e2e/ttl/t", "--offline", "--json"))
    assert [state["name"] for state in offline["states"]] == ["v"], offline
