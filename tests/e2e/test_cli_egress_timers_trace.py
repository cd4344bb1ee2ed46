"""`statefun egress`, `timers` and `trace` against the real binary and JS SDK
functions, human and JSON output."""
import json
import re
import subprocess
import time

import pytest

from cli_helpers import cli, ok, ok_json, one_line_error
from harness import STATEFUN_BIN, wait_until


@pytest.mark.timeout(90)
def test_egress_ls_and_read_from_an_offset_without_consuming(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()}, topics=("out", "unused"))
    for text in ("one", "two", "three"):
        ok(cli(emulator, "send", "e2e/forwarder/f", "--type", "e2e/text", "--string", text))
    ok(cli(emulator, "wait"))

    topics = ok_json(cli(emulator, "egress", "ls", "--json"))["topics"]
    assert {t["topic"]: t["records"] for t in topics} == {"out": 3, "unused": 0}
    table = ok(cli(emulator, "egress", "ls"))
    assert table.splitlines()[0].split() == ["TOPIC", "EGRESS", "RECORDS", "UNPOPPED"]

    everything = ok_json(cli(emulator, "egress", "read", "out", "--json"))["records"]
    offsets = [r["offset"] for r in everything]
    assert offsets == sorted(offsets) and len(set(offsets)) == 3
    read = ok_json(cli(emulator, "egress", "read", "out", "--from", offsets[1], "--json"))
    assert [json.loads(r["payload"])["text"] for r in read["records"]] == ["two", "three"]
    assert [r["offset"] for r in read["records"]] == offsets[1:]
    assert read["next"] == offsets[2] + 1
    assert ok_json(cli(emulator, "egress", "read", "out", "--from", read["next"],
                       "--json"))["records"] == []
    human = ok(cli(emulator, "egress", "read", "out")).splitlines()
    assert len(human) == 3 and human[0].startswith(f"{offsets[0]} ")
    assert '"text":"one"' in human[0]
    raw = ok(cli(emulator, "egress", "read", "out", "--raw")).splitlines()
    assert [json.loads(line)["text"] for line in raw] == ["one", "two", "three"]

    # Reading consumed nothing: the playground egress still serves all three.
    assert [r["text"] for r in emulator.pop_all_json()] == ["one", "two", "three"]
    after_pop = ok_json(cli(emulator, "egress", "read", "out", "--json"))["records"]
    assert [r["popped"] for r in after_pop] == [True, True, True]
    assert ok_json(cli(emulator, "egress", "read", "unused", "--json"))["records"] == []


@pytest.mark.timeout(60)
def test_egress_read_follow_prints_records_as_they_arrive(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    follower = subprocess.Popen(
        [STATEFUN_BIN, "egress", "read", "out", "--follow", "--json",
         "--admin-port", str(emulator.admin_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ok(cli(emulator, "send", "e2e/forwarder/f", "--type", "e2e/text", "--string", "live"))
        line = follower.stdout.readline()
        assert json.loads(json.loads(line)["payload"])["text"] == "live"
    finally:
        follower.kill()
        follower.wait()


@pytest.mark.timeout(90)
def test_timers_ls_fire_and_cancel_by_id_and_token(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    # Tokens are scoped by sender: two senders may both use t2.
    for sender, tag, token in (("s1", "a", "t1"), ("s2", "b", "t2"), ("s3", "c", "t2")):
        ok(cli(emulator, "send", f"e2e/scheduler/{sender}", "--type", "e2e/json", "--json",
               json.dumps({"op": "after", "delay": 600000, "tag": tag, "token": token})))
    ok(cli(emulator, "wait"))

    timers = ok_json(cli(emulator, "timers", "ls", "--json"))["timers"]
    assert len(timers) == 3
    by_tag = {t["message"]["value"]: t for t in timers}
    assert set(by_tag) == {"a", "b", "c"} and by_tag["a"]["token"] == "t1"
    assert by_tag["a"]["target"] == "e2e/reporter/s1"
    assert by_tag["a"]["sender"] == "e2e/scheduler/s1"
    assert by_tag["a"]["due_in_ms"] > 500000
    table = ok(cli(emulator, "timers", "ls", "e2e/reporter/s2"))
    assert table.splitlines()[0].split() == ["ID", "DUE", "TARGET", "SENDER", "TOKEN", "MESSAGE"]
    assert len(table.splitlines()) == 2 and "e2e/scheduler/s2" in table
    assert ok_json(cli(emulator, "timers", "ls", "e2e/reporter/x", "--json"))["timers"] == []

    fired = ok_json(cli(emulator, "timers", "fire", str(by_tag["a"]["id"]), "--json"))
    assert fired["fired"] == [by_tag["a"]["id"]]
    ok(cli(emulator, "wait"))
    record = emulator.pop_json()
    assert record == {"self": "e2e/reporter/s1", "caller": "e2e/scheduler/s1", "text": "a"}

    out = ok(cli(emulator, "timers", "cancel", "--token", "t2"))
    assert out.startswith("cancelled timers")
    assert ok_json(cli(emulator, "timers", "ls", "--json"))["timers"] == []
    one_line_error(cli(emulator, "timers", "cancel", str(by_tag["b"]["id"])), 3)
    one_line_error(cli(emulator, "timers", "fire", "999999"), 3)
    one_line_error(cli(emulator, "timers", "cancel", "--token", "nope"), 3)
    one_line_error(cli(emulator, "timers", "cancel"), 2)


@pytest.mark.timeout(90)
def test_trace_shows_one_line_per_step_filtered_and_followed(stack):
    greeter = stack.js_greeter()
    emulator = stack.emulator({"example/*": greeter.url()}, topics=("greetings",))
    for name in ("Ann", "Bob"):
        ok(cli(emulator, "send", f"example/person/{name}", "-t", "example/GreetRequest",
               json.dumps({"name": name})))
    ok(cli(emulator, "wait"))

    lines = ok(cli(emulator, "trace")).splitlines()
    assert len(lines) == 4
    assert any("example/person/Ann example/GreetRequest" in line and "→ 1 msg" in line
               for line in lines)
    assert any("example/greeter/Bob" in line and "⇥ 1 egress" in line for line in lines)
    bob = ok_json(cli(emulator, "trace", "example/person/Bob", "--json"))
    assert [s["address"] for s in bob["steps"]] == ["example/person/Bob"]
    assert bob["steps"][0]["states_changed"] == ["visits"]
    assert bob["last_step"] == 4
    after = ok_json(cli(emulator, "trace", "--after-step", "2", "--json"))
    assert [s["step"] for s in after["steps"]] == [3, 4]
    assert len(ok_json(cli(emulator, "trace", "--since", "10m", "--json"))["steps"]) == 4
    assert ok_json(cli(emulator, "trace", "--limit", "1", "--json"))["steps"][0]["step"] == 4

    follower = subprocess.Popen(
        [STATEFUN_BIN, "trace", "--follow", "--json", "--admin-port", str(emulator.admin_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = [json.loads(follower.stdout.readline())["step"] for _ in range(4)]
        assert seen == [1, 2, 3, 4]
        ok(cli(emulator, "send", "example/person/Cy", "-t", "example/GreetRequest",
               '{"name":"Cy"}'))
        live = [json.loads(follower.stdout.readline()) for _ in range(2)]
        assert [s["address"] for s in live] == ["example/person/Cy", "example/greeter/Cy"]
    finally:
        follower.kill()
        follower.wait()


def console_step_lines(emulator):
    """The step lines `statefun dev` printed on stdout (they hold " #<step>")."""
    return [line for line in emulator.stdout_since_start().splitlines()
            if re.search(r" (\x1b\[2m)?#\d+", line)]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("color", ["never", "always"])
def test_trace_prints_each_step_exactly_as_the_dev_console_does(stack, color):
    greeter = stack.js_greeter()
    emulator = stack.emulator({"example/*": greeter.url()}, topics=("greetings",), start=False)
    emulator.cmd += ["--color", color]
    emulator.start()
    ok(cli(emulator, "send", "example/person/Ann", "-t", "example/GreetRequest",
           '{"name":"Ann"}', "--wait"))
    # An admin edit is a step too, without an invocation.
    ok(cli(emulator, "state", "set", "example/person/Ann", "visits", "--int", "5"))
    console = wait_until(lambda: len(console_step_lines(emulator)) == 3, 30,
                         lambda: f"three step lines on the console: {emulator.output()}")
    console = console_step_lines(emulator)

    # --color always wins over the NO_COLOR the CLI helper sets.
    traced = ok(cli(emulator, "trace", "--color", color)).splitlines()
    followed = subprocess.Popen(
        [STATEFUN_BIN, "trace", "--follow", "--color", color,
         "--admin-port", str(emulator.admin_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        streamed = [followed.stdout.readline().rstrip("\n") for _ in range(3)]
    finally:
        followed.kill()
        followed.wait()

    assert traced == console, (traced, console)
    assert streamed == console, (streamed, console)
    assert ("\x1b[" in "".join(console)) == (color == "always")
    plain = [re.sub(r"\x1b\[\d+m", "", line) for line in console]
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} example/person/Ann example/GreetRequest \S+ #1 "
                        r"state: visits → 1 msg", plain[0]), plain
    assert re.fullmatch(r"\S+ example/greeter/Ann example/GreetRequest \S+ #2 ⇥ 1 egress",
                        plain[1]), plain
    assert re.fullmatch(r"\S+ example/person/Ann statefun/state-set #3 state set: visits",
                        plain[2]), plain
