"""Causality end to end, with the official JS SDK: `send --wait` waits for its
own message's causal tree (not for the whole emulator to be idle), names a
stuck message's address and reason, and `trace --tree` / `--from-send` /
`--payloads` show which message caused which step, across three functions
to the egress."""
import json
import re
import time
import urllib.request

import pytest

from cli_helpers import cli, ok, ok_json
from harness import wait_until


def sent_id(out):
    match = re.search(r"\(message (\d+)\)", out)
    assert match, f"no message id in {out!r}"
    return int(match.group(1))


def failing(emulator):
    return emulator.status()["failing"] >= 1


@pytest.mark.timeout(120)
def test_send_wait_returns_with_its_own_steps_while_another_address_keeps_failing(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    # e2e/chain/bad throws on every attempt, forever.
    ok(cli(emulator, "send", "e2e/chain/bad", "--type", "e2e/text", "--string", "boom"))
    wait_until(lambda: failing(emulator), 20, "e2e/chain/bad to be failing")

    started = time.monotonic()
    result = cli(emulator, "send", "e2e/chain/good", "--type", "e2e/text", "--string", "hello",
                 "--wait", "--timeout", "20s")
    elapsed = time.monotonic() - started
    print(f"send --wait beside a failing address returned in {elapsed * 1000:.0f} ms")
    out = ok(result)
    lines = out.splitlines()
    assert len(lines) == 4, out
    assert "e2e/chain/good" in lines[0]
    assert "e2e/forwarder/good" in lines[1]
    assert "e2e/reporter/good" in lines[2] and "1 egress" in lines[2]
    assert lines[3].startswith("egress out") and '"text":"hello"' in lines[3]
    assert "bad" not in out  # the failing address is none of its business

    # The whole emulator is still not idle: `wait` would time out.
    assert emulator.status()["failing"] >= 1

    # In JSON: the tree, and the flat steps and egress as before.
    sent = ok_json(cli(emulator, "send", "e2e/chain/good", "--type", "e2e/text", "--string", "2",
                       "--wait", "--timeout", "20s", "-o", "json"))
    assert sent["tree"]["outcome"] == "settled" and sent["tree"]["settled"]
    assert sent["tree"]["id"] == sent["id"]
    assert [s["address"] for s in sent["steps"]] == [
        "e2e/chain/good", "e2e/forwarder/good", "e2e/reporter/good"]
    assert [json.loads(r["payload"])["text"] for r in sent["egress"]] == ["2"]


@pytest.mark.timeout(120)
def test_send_wait_on_a_stuck_message_exits_4_naming_the_address_and_reason(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    result = cli(emulator, "send", "e2e/chain/bad", "--type", "e2e/text", "--string", "boom",
                 "--wait", "--stuck-after", "300ms", "--timeout", "20s")
    assert result.returncode == 4, (result.returncode, result.stderr, result.stdout)
    error, *details = result.stderr.strip().splitlines()
    assert error.startswith("statefun: e2e/chain/bad keeps failing: "), error
    assert error.endswith("--stuck-after 300ms)"), error
    # Then the failing address as `statefun wait` names it.
    assert details[0].startswith("  e2e/chain/bad (1 message, attempt "), details
    # What it printed is the tree so far: the pending message.
    assert "pending e2e/chain/bad e2e/text" in result.stdout

    # The tree stays readable, unsettled, while the message keeps failing.
    tree = ok_json(cli(emulator, "trace", "--from-send", "--json"))
    assert tree["settled"] is False
    assert [m["target"] for m in tree["pending"]] == ["e2e/chain/bad"]


@pytest.mark.timeout(120)
def test_trace_tree_follows_one_message_across_three_functions_to_the_egress(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    # Noise: other messages' steps are not in the tree.
    ok(cli(emulator, "send", "e2e/counter/noise", "--int", "1"))
    first = sent_id(ok(cli(emulator, "send", "e2e/chain/c1", "--type", "e2e/text", "--string",
                           "one")))
    ok(cli(emulator, "send", "e2e/chain/c2", "--type", "e2e/text", "--string", "two"))
    emulator.wait_idle()

    out = ok(cli(emulator, "trace", "--tree", first))
    lines = out.splitlines()
    assert len(lines) == 4, out
    assert "e2e/chain/c1 e2e/text" in lines[0] and "→ 1 msg" in lines[0]
    assert lines[1].startswith("└─ ") and "e2e/forwarder/c1" in lines[1]
    assert lines[2].startswith("   └─ ") and "e2e/reporter/c1" in lines[2]
    assert lines[3].startswith("      └─ ⇥ out ") and '"text":"one"' in lines[3]

    tree = ok_json(cli(emulator, "trace", "--tree", first, "--json"))
    assert tree["settled"] and tree["nodes"] == 3 and tree["steps"] == 3
    chain = tree["root"]
    forwarder = chain["children"][0]
    reporter = forwarder["children"][0]
    assert chain["message"]["source"] == "admin" and chain["message"]["cause_step"] is None
    assert forwarder["message"]["caller"] == "e2e/chain/c1"
    assert forwarder["message"]["cause_step"] == chain["step"]["step"]
    assert reporter["step"]["address"] == "e2e/reporter/c1" and reporter["children"] == []
    assert json.loads(reporter["egress"][0]["payload"]) == {
        "self": "e2e/reporter/c1", "caller": "e2e/forwarder/c1", "text": "one"}

    # --from-send: the last message `send` sent (c2's), here and offline.
    latest = ok_json(cli(emulator, "trace", "--from-send", "--json"))
    assert latest["root"]["message"]["target"] == "e2e/chain/c2"
    # The playground ingress answers the id too, and its tree is the same shape.
    request = urllib.request.Request(f"http://127.0.0.1:{emulator.ingress_port}/e2e/chain/c3",
                                     data=b"three", method="PUT",
                                     headers={"Content-Type": "application/vnd.e2e/text"})
    with urllib.request.urlopen(request, timeout=10) as response:
        ingress_id = int(response.headers["X-Statefun-Message-Id"])
    emulator.wait_idle()
    via_ingress = ok_json(cli(emulator, "trace", "--tree", ingress_id, "--json"))
    assert via_ingress["root"]["message"]["source"] == "ingress"
    assert via_ingress["nodes"] == 3

    emulator.stop()
    offline = ok_json(cli(emulator, "trace", "--tree", first, "--json"))
    assert offline["root"]["children"][0]["children"][0]["egress"][0]["payload"] == \
        reporter["egress"][0]["payload"]
    assert ok_json(cli(emulator, "trace", "--from-send", "--json"))["id"] == latest["id"]
    missing = cli(emulator, "trace", "--tree", 999999)
    assert missing.returncode == 3 and "no message 999999" in missing.stderr


@pytest.mark.timeout(120)
def test_trace_payloads_show_values_decoded_by_type(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    counted = sent_id(ok(cli(emulator, "send", "e2e/counter/p", "--int", "41")))
    ok(cli(emulator, "send", "e2e/adder/a", "--type", "e2e/json", "--json", '{"n":2,"to":"b"}'))
    emulator.wait_idle()

    out = ok(cli(emulator, "trace", "--payloads"))
    assert f"← admin (message {counted}): 41" in out
    assert '← admin' in out and '{"n":2,"to":"b"}' in out
    assert '→ e2e/adder/b' in out and '{"n":2}' in out
    assert "← e2e/adder/a" in out  # b's step names its caller
    assert '⇥ out' in out and '"sum":2' in out

    steps = ok_json(cli(emulator, "trace", "--payloads", "--json"))["steps"]
    counter = next(s for s in steps if s["address"] == "e2e/counter/p")
    assert counter["consumed"][0]["value"]["value"] == 41
    assert counter["consumed"][0]["value"]["encoding"] == "well-known"
    adder = next(s for s in steps if s["address"] == "e2e/adder/a")
    assert adder["produced"][0]["value"]["value"] == {"n": 2}
    assert json.loads(adder["egress_records"][0]["payload"]) == {"id": "a", "sum": 2}

    # send --wait --payloads --tree: the tree with each message's value.
    out = ok(cli(emulator, "send", "e2e/adder/a", "--type", "e2e/json", "--json",
                 '{"n":5,"to":"b"}', "--wait", "--tree", "--payloads"))
    assert '← admin: {"n":5,"to":"b"}' in out
    assert '← e2e/adder/a: {"n":5}' in out
    assert out.count("⇥ out") == 2
