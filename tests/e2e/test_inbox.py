"""Pending messages and dead letters (`statefun inbox`, `statefun
dead-letters`) against the real binary and official JS SDK functions: a
function that throws on one message, drop, retry, the retry policy and
replaying a dead letter; and the console line each of these edits prints."""
import json

import pytest

from cli_helpers import cli, ok, ok_json, one_line_error
from harness import wait_until

BAD = "e2e/scheduler/bad"  # throws on an unknown op (tests/e2e/functions/functions.js)


def send_bad(emulator):
    ok(cli(emulator, "send", BAD, "--type", "e2e/json", "--json", '{"op":"explode"}'))


def failing(emulator, min_attempts=1):
    """The failing messages, once there is one with at least `min_attempts`."""
    def look():
        messages = ok_json(cli(emulator, "inbox", "ls", "--failing", "--json"))["messages"]
        return messages if any(m["attempts"] >= min_attempts for m in messages) else None
    return wait_until(look, 20, f"a message with {min_attempts} failed attempts in inbox ls")


def console_lines(emulator, text):
    return [line for line in emulator.stdout_since_start().splitlines() if text in line]


@pytest.mark.timeout(90)
def test_a_throwing_message_is_listed_dropped_replayed_and_deleted(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    send_bad(emulator)
    ok(cli(emulator, "send", "e2e/counter/c", "--type", "e2e/text", "--string", "x"))

    [message] = failing(emulator, min_attempts=2)
    assert message["target"] == BAD
    assert message["source"] == "admin"
    assert message["last_failure"]["http_status"] == 500
    assert "500" in message["last_failure"]["reason"]
    assert message["first_failed_at_ms"] <= message["last_failed_at_ms"]
    assert message["message"]["value"] == {"op": "explode"}
    # Everything pending, human: the failing one with its attempts and reason.
    table = ok(cli(emulator, "inbox", "ls", BAD)).splitlines()
    assert table[0].split()[:3] == ["ID", "TARGET", "ATTEMPTS"]
    assert table[1].split()[0] == str(message["id"]) and "HTTP 500" in table[1]
    # The healthy address was not held up.
    assert ok_json(cli(emulator, "inbox", "ls", "e2e/counter/c", "--json"))["messages"] == []

    # Retry now: one more attempt, recorded in the trace.
    out = ok(cli(emulator, "inbox", "retry", message["id"]))
    assert out == "retried 1 message\n"
    failing(emulator, min_attempts=message["attempts"] + 1)

    # Drop: out of the inbox, into the dead letters, in a step of its own.
    out = ok(cli(emulator, "inbox", "drop", message["id"]))
    assert out.startswith("dropped 1 message")
    assert ok_json(cli(emulator, "inbox", "ls", "--json"))["messages"] == []
    ok(cli(emulator, "wait", "--timeout", "10s"))  # nothing is stuck any more
    # ... and nothing is failing: the console's stuck badge reads this.
    status = emulator.status()
    assert status["failing"] == 0 and status["failing_addresses"] == [], status
    [letter] = ok_json(cli(emulator, "dead-letters", "ls", "--json"))["dead_letters"]
    assert letter["id"] == message["id"] and letter["target"] == BAD
    assert letter["cause"] == "dropped by an admin (statefun inbox drop)"
    assert letter["attempts"] >= 3 and letter["last_failure"]["http_status"] == 500
    shown = ok(cli(emulator, "dead-letters", "show", letter["id"]))
    assert "dropped by an admin" in shown and "HTTP 500" in shown

    # Replay: back as a new message, which fails again; drop it by address.
    out = ok_json(cli(emulator, "dead-letters", "replay", letter["id"], "--json"))
    new_id = out["message_id"]
    assert new_id > letter["id"]
    assert [m["id"] for m in failing(emulator)] == [new_id]
    assert ok_json(cli(emulator, "dead-letters", "ls", "--json"))["dead_letters"] == []
    dropped = ok_json(cli(emulator, "inbox", "drop", "--address", BAD, "--json"))
    assert dropped == {"dropped": 1}
    ok(cli(emulator, "dead-letters", "drop", new_id))
    assert ok_json(cli(emulator, "dead-letters", "ls", "--json"))["dead_letters"] == []

    # Every edit is in the trace with a note, and the console printed it.
    notes = [s["note"] for s in ok_json(cli(emulator, "trace", BAD, "--json"))["steps"]]
    assert notes == [
        "inbox retry: 1 message sent again now (backoff reset)",
        f"inbox drop: 1 message (#{message['id']}) moved to the dead letters",
        f"dead-letters replay: #{letter['id']} back in the inbox as #{new_id}",
        f"inbox drop: 1 message (#{new_id}) moved to the dead letters",
        f"dead-letters drop: #{new_id} (e2e/json) deleted",
    ]
    wait_until(lambda: console_lines(emulator, f"dead-letters drop: #{new_id}"), 10,
               "the console line of the dead-letters drop")
    [line] = console_lines(emulator, "inbox retry:")
    assert f"{BAD} statefun/retry #" in line
    assert not console_lines(emulator, "0 messages")


@pytest.mark.timeout(60)
def test_unknown_ids_are_not_found(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    assert "no pending message 999" in one_line_error(cli(emulator, "inbox", "drop", "999"), 3)
    assert "no pending messages for e2e/counter/x" in one_line_error(
        cli(emulator, "inbox", "retry", "--address", "e2e/counter/x"), 3)
    assert "no dead letter 5" in one_line_error(cli(emulator, "dead-letters", "replay", "5"), 3)
    assert "no dead letter 5" in one_line_error(cli(emulator, "dead-letters", "show", "5"), 3)
    one_line_error(cli(emulator, "inbox", "drop"), 2)  # neither an id nor --address


@pytest.mark.timeout(90)
def test_max_attempts_dead_letters_a_message_and_replay_delivers_it_once_fixed(stack):
    # The first three requests fail with HTTP 500, as a function that is
    # broken and then fixed.
    functions = stack.test_functions(FAULT="500", FAULT_TIMES=3)
    emulator = stack.emulator({"e2e/*": functions.url()}, start=False)
    emulator.cmd += ["--retry-max-attempts", "3"]
    emulator.start()
    ok(cli(emulator, "send", "e2e/counter/c", "--type", "e2e/text", "--string", "x"))

    def dead():
        return ok_json(cli(emulator, "dead-letters", "ls", "--json"))["dead_letters"] or None
    [letter] = wait_until(dead, 20, "a dead letter after 3 failed attempts")
    assert letter["attempts"] == 3
    assert letter["cause"] == "gave up after 3 failed attempts (retry max-attempts 3)"
    ok(cli(emulator, "wait", "--timeout", "10s"))
    nothing = cli(emulator, "state", "get", "e2e/counter/c", "--json")
    assert nothing.returncode == 3 and json.loads(nothing.stdout)["states"] == []  # no state
    [line] = console_lines(emulator, "dead-lettered 1 message")
    assert "e2e/counter/c statefun/dead-letter #" in line
    assert "gave up after 3 failed attempts" in line
    table = ok(cli(emulator, "dead-letters", "ls")).splitlines()
    assert table[0].split()[:2] == ["ID", "TARGET"] and "max-attempts 3" in table[1]

    ok(cli(emulator, "dead-letters", "replay", letter["id"]))
    ok(cli(emulator, "wait", "--timeout", "10s"))
    states = ok_json(cli(emulator, "state", "get", "e2e/counter/c", "--json"))["states"]
    assert [(s["name"], s["value"]) for s in states] == [("count", 1)]

    # Offline, from the database, once the emulator is gone.
    emulator.stop()
    offline = ok_json(cli(emulator, "dead-letters", "ls", "--json", "--offline"))
    assert offline["dead_letters"] == []
    assert ok_json(cli(emulator, "inbox", "ls", "--json", "--offline"))["messages"] == []


@pytest.mark.timeout(60)
def test_state_set_prints_what_it_did_in_the_console(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    ok(cli(emulator, "send", "e2e/counter/c", "--type", "e2e/text", "--string", "x"))
    ok(cli(emulator, "wait"))
    ok(cli(emulator, "state", "set", "e2e/counter/c", "count", "41"))
    [line] = wait_until(lambda: console_lines(emulator, "statefun/state-set"), 10,
                        "the console line of state set")
    assert line.endswith("state set: count")
    steps = ok_json(cli(emulator, "trace", "e2e/counter/c", "--json"))["steps"]
    assert [s["note"] for s in steps] == [None, "state set: count"]
