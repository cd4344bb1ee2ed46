"""`statefun send`, `state ls|get|set|rm`, `wait` and `status` against the
real binary and JS SDK functions, in human and JSON output."""
import json
import re

import pytest

from cli_helpers import cli, ok, ok_json, one_line_error


@pytest.mark.timeout(90)
def test_send_wait_prints_the_steps_and_egress_the_message_caused(stack):
    greeter = stack.js_greeter()
    emulator = stack.emulator({"example/*": greeter.url()}, topics=("greetings",))

    out = ok(cli(emulator, "send", "example/person/Bob", "--type", "example/GreetRequest",
                 "--json", '{"name":"Bob"}', "--wait"))
    lines = out.splitlines()
    assert len(lines) == 3, out
    assert "example/person/Bob example/GreetRequest" in lines[0] and "state: visits" in lines[0]
    assert "example/greeter/Bob" in lines[1] and "1 egress" in lines[1]
    assert "greetings" in lines[2] and "Hello Bob! Nice to meet you." in lines[2]

    sent = ok_json(cli(emulator, "send", "example/person/Bob", "-t", "example/GreetRequest",
                       '{"name":"Bob"}', "--wait", "-o", "json"))
    assert sent["address"] == "example/person/Bob"
    assert [s["address"] for s in sent["steps"]] == ["example/person/Bob", "example/greeter/Bob"]
    assert all(s["step"] > sent["after_step"] for s in sent["steps"])
    assert [r["payload"] for r in sent["egress"]] == ["Hello Bob! Good to see you again."]
    assert sent["egress"][0]["topic"] == "greetings" and sent["egress"][0]["offset"] >= 1


@pytest.mark.timeout(90)
def test_send_takes_values_as_int_string_json_file_and_stdin(stack, tmp_path):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})

    ok(cli(emulator, "send", "e2e/counter/c", "--int", "5"))  # io.statefun.types/int
    ok(cli(emulator, "send", "e2e/forwarder/f", "--type", "e2e/text", "--string", "from string"))
    payload = tmp_path / "msg.txt"
    payload.write_text("from file")
    ok(cli(emulator, "send", "e2e/forwarder/f", "--type", "e2e/text", "--file", payload))
    ok(cli(emulator, "send", "e2e/forwarder/f", "--type", "e2e/text", "-", input="from stdin"))
    ok(cli(emulator, "send", "e2e/ttl/t", "--type", "e2e/json", "--json",
           '{"op": "write", "value": "v1"}'))
    ok(cli(emulator, "wait"))

    assert emulator.state_int("e2e/counter/c", "count") == 1
    assert emulator.state_string("e2e/ttl/t", "v") == "v1"
    texts = [r["text"] for r in emulator.pop_all_json()]
    assert texts == ["from string", "from file", "from stdin"]


@pytest.mark.timeout(90)
def test_state_ls_get_set_rm_in_human_and_json_output(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    for who in ("alice", "bob"):
        ok(cli(emulator, "send", f"e2e/stateful/{who}", "--type", "e2e/text", "--string", "hi"))
    ok(cli(emulator, "wait"))

    listing = ok(cli(emulator, "state", "ls", "e2e/stateful"))
    assert listing.splitlines()[0].split() == ["ADDRESS", "STATES", "MESSAGES", "PENDING"]
    assert "e2e/stateful/alice" in listing and "e2e/stateful/bob" in listing
    listed = ok_json(cli(emulator, "state", "ls", "e2e/stateful", "--json"))
    assert {a["address"]: a["states"] for a in listed["addresses"]} == {
        "e2e/stateful/alice": 2, "e2e/stateful/bob": 2}

    table = ok(cli(emulator, "state", "get", "e2e/stateful/alice"))
    rows = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert '"hi alice"' in rows["greeting"] and "io.statefun.types/string" in rows["greeting"]
    assert rows["seen"].split()[1:3] == ["io.statefun.types/int", "1"]

    state = ok_json(cli(emulator, "state", "get", "e2e/stateful/alice", "--json"))
    values = {s["name"]: s for s in state["states"]}
    assert values["seen"]["value"] == 1 and values["seen"]["encoding"] == "well-known"
    assert values["greeting"]["value"] == "hi alice"
    assert [s["name"] for s in state["registered"]] == ["seen", "greeting"]
    assert ok(cli(emulator, "state", "get", "e2e/stateful/alice", "seen")) == "1\n"

    # set: the registered type is used when --type is not given.
    ok(cli(emulator, "state", "set", "e2e/stateful/alice", "seen", "41"))
    assert emulator.state_int("e2e/stateful/alice", "seen") == 41
    written = ok_json(cli(emulator, "state", "set", "e2e/stateful/alice", "greeting",
                          "--string", "hello again", "-o", "json"))
    assert written["written"] is True
    assert emulator.state_string("e2e/stateful/alice", "greeting") == "hello again"

    # The function sees the edited state on its next message.
    ok(cli(emulator, "send", "e2e/stateful/alice", "--type", "e2e/text", "--string", "x",
           "--wait"))
    record = emulator.pop_all_json()[-1]
    assert record == {"id": "alice", "seen": 41, "greeting": "hello again"}

    removed = ok_json(cli(emulator, "state", "rm", "e2e/stateful/bob", "seen", "--json"))
    assert removed["removed"] == ["seen"]
    assert emulator.state("e2e/stateful/bob", "seen") is None
    assert "removed: greeting" in ok(cli(emulator, "state", "rm", "e2e/stateful/bob"))
    assert emulator.state("e2e/stateful/bob", "greeting") is None

    # Edits are steps of their own in the trace.
    trace = ok_json(cli(emulator, "trace", "e2e/stateful/bob", "--json"))
    assert [s["message_type"] for s in trace["steps"]][-2:] == ["statefun/state-rm"] * 2


@pytest.mark.timeout(60)
def test_wait_and_status_report_the_emulator(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    ok(cli(emulator, "send", "e2e/counter/c", "--int", "1"))
    idle = ok_json(cli(emulator, "wait", "--timeout", "30s", "--json"))
    assert idle["idle"] is True and idle["pending"] == 0 and idle["steps"] >= 1
    assert ok(cli(emulator, "wait")).startswith("idle")

    status = ok_json(cli(emulator, "status", "--json"))
    assert status["running"] is True
    assert status["admin_port"] == emulator.admin_port
    assert status["ingress_port"] == emulator.ingress_port
    assert status["egress_port"] == emulator.egress_port
    assert status["functions"] == [{"functions": "e2e/*", "url": functions.url()}]
    assert status["registered"]["e2e/counter"][0]["name"] == "count"
    human = ok(cli(emulator, "status"))
    assert "running" in human and f"127.0.0.1:{emulator.ingress_port}" in human
    assert "e2e/* → " in human


@pytest.mark.timeout(60)
def test_wait_times_out_with_exit_4_while_a_function_keeps_failing(stack):
    functions = stack.test_functions(FAULT="500", FAULT_TIMES=1000000)
    emulator = stack.emulator({"e2e/*": functions.url()})
    ok(cli(emulator, "send", "e2e/counter/c", "--int", "1"))
    # The time-out names what is stuck and why: one line, then one per
    # failing address (and what its process printed, when it is ours).
    for result in (cli(emulator, "wait", "--timeout", "1s"),
                   cli(emulator, "send", "e2e/counter/c", "--int", "1", "--wait", "--timeout",
                       "500ms")):
        assert result.returncode == 4, result
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        # wait: the emulator is not idle; send --wait: its own tree is not
        # settled (it waits for nothing else).
        assert "not idle" in lines[0] or "still has 1 message(s) pending" in lines[0], \
            result.stderr
        assert re.match(r"\s+e2e/counter/c \(\d+ messages?, attempt \d+\): HTTP 500", lines[1]), \
            result.stderr


@pytest.mark.timeout(60)
def test_the_admin_token_is_required_when_set(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()}, start=False)
    emulator.env["STATEFUN_ADMIN_TOKEN"] = "s3cret"
    emulator.start()
    assert emulator.admin("/v1/health")[0] == 401
    line = one_line_error(cli(emulator, "status", env={"STATEFUN_ADMIN_TOKEN": "wrong"}), 1)
    assert "STATEFUN_ADMIN_TOKEN" in line
    status = ok_json(cli(emulator, "status", "--json", env={"STATEFUN_ADMIN_TOKEN": "s3cret"}))
    assert status["running"] is True
    emulator.env.pop("STATEFUN_ADMIN_TOKEN")


@pytest.mark.timeout(60)
def test_admin_api_metrics_and_event_stream(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    ok(cli(emulator, "send", "e2e/counter/c", "--int", "1", "--wait"))
    status, body = emulator.admin("/metrics")
    assert status == 200
    text = body.decode()
    assert 'statefun_steps_total{function_type="e2e/counter"} 1' in text
    assert 'statefun_batch_size_count{function_type="e2e/counter"} 1' in text
    assert "statefun_function_latency_seconds_bucket" in text
    assert "statefun_queue_depth" in text and "statefun_retries_total" in text

    # SSE: replay from step 0, then the stream continues live.
    import urllib.request
    request = urllib.request.urlopen(
        f"http://127.0.0.1:{emulator.admin_port}/v1/events?after_step=0", timeout=10)
    assert request.headers["Content-Type"].startswith("text/event-stream")
    events = []
    ok(cli(emulator, "send", "e2e/counter/d", "--int", "1"))
    while len(events) < 2:
        line = request.readline().decode()
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
    request.close()
    assert [(e["step"], e["address"]) for e in events] == [(1, "e2e/counter/c"),
                                                            (2, "e2e/counter/d")]


@pytest.mark.timeout(60)
def test_protobuf_values_are_encoded_and_decoded_from_proto_files(stack):
    from harness import REPO
    proto = REPO / "tests" / "e2e" / "protos" / "note.proto"
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    note_type = "type.googleapis.com/e2e.Note"

    ok(cli(emulator, "send", "e2e/keeper/k", "--type", note_type, "--proto", proto, "--json",
           '{"text": "hi", "stars": 3, "tags": ["a", "b"]}', "--wait"))
    # text=1 "hi", stars=2 3, tags=3 "a", "b": serialized by protobuf, stored by the SDK.
    assert emulator.state("e2e/keeper/k", "last") == bytes.fromhex("0a02686910031a01611a0162")
    state = ok_json(cli(emulator, "state", "get", "e2e/keeper/k", "last", "--json",
                        "--proto", proto))
    assert state["encoding"] == "protobuf"
    assert state["value"] == {"text": "hi", "stars": 3, "tags": ["a", "b"]}
    human = ok(cli(emulator, "state", "get", "e2e/keeper/k", "--proto", proto))
    assert '{"text":"hi","stars":3,"tags":["a","b"]}' in human
    # Without the .proto the bytes are shown as bytes.
    raw = ok_json(cli(emulator, "state", "get", "e2e/keeper/k", "last", "--json"))
    assert raw["encoding"] == "bytes" and raw["value"] is None

    ok(cli(emulator, "state", "set", "e2e/keeper/k", "last", "--proto", proto,
           '{"text": "edited", "at": "2025-01-01T00:00:00Z"}'))
    edited = ok_json(cli(emulator, "state", "get", "e2e/keeper/k", "last", "--json",
                         "--proto", proto))
    assert edited["value"] == {"text": "edited", "at": "2025-01-01T00:00:00Z"}
    line = one_line_error(cli(emulator, "state", "set", "e2e/keeper/k", "last", "--proto", proto,
                              '{"colour": "red"}'), 2)
    assert "e2e.Note" in line
