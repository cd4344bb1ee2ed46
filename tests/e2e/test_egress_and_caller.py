"""Playground egress topics and caller propagation."""
import pytest


@pytest.mark.timeout(60)
def test_a_message_from_a_function_carries_its_address_as_caller_and_an_ingress_message_none(stack, impl):
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()})

    assert emulator.send("e2e/forwarder/a", "via forwarder") == 200
    assert emulator.pop_json() == {
        "self": "e2e/reporter/a", "caller": "e2e/forwarder/a", "text": "via forwarder"}

    assert emulator.send("e2e/reporter/b", "from outside") == 200
    assert emulator.pop_json() == {"self": "e2e/reporter/b", "caller": None, "text": "from outside"}
    # On the wire the caller field is absent, not an empty Address (which the
    # JS SDK would expose as a bogus caller "//").
    [request] = [e for e in functions.stats()["log"] if e["target"] == "e2e/reporter/b"]
    assert request["callers"] == [None]


@pytest.mark.timeout(60)
def test_egress_answers_404_for_an_empty_topic_and_405_for_an_unknown_one(stack, impl):
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()}, topics=["out", "other"])

    assert emulator.pop("out")[0] == 404
    assert emulator.pop("other")[0] == 404
    assert emulator.pop("nope")[0] == 405

    assert emulator.send("e2e/reporter/x", "one") == 200
    emulator.wait_idle()
    assert emulator.pop("other")[0] == 404, "a record must only appear on its own topic"
    assert emulator.pop_json("out")["text"] == "one"
    assert emulator.pop("out")[0] == 404


@pytest.mark.timeout(60)
def test_egress_records_survive_a_restart_and_a_popped_record_is_never_served_again(stack, impl):
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()})

    for text in ("first", "second"):
        assert emulator.send("e2e/reporter/r", text) == 200
        emulator.wait_idle()  # one at a time, so the egress order is known
    assert emulator.pop_json()["text"] == "first"

    emulator.restart()
    assert emulator.pop_json()["text"] == "second"
    assert emulator.pop()[0] == 404

    emulator.restart()
    assert emulator.pop()[0] == 404


@pytest.mark.timeout(60)
def test_an_admin_egress_read_with_wait_ms_answers_when_a_record_is_committed(stack, impl):
    import json
    import threading
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()})

    # Nothing to read: the long poll answers empty once wait_ms has passed.
    status, body = emulator.admin("/v1/egress/out?wait_ms=200")
    assert status == 200 and json.loads(body)["records"] == []

    # A reader waiting from offset 0 gets the record as soon as it is committed.
    answer = {}
    reader = threading.Thread(target=lambda: answer.update(
        reply=emulator.admin("/v1/egress/out?from=0&wait_ms=30000")))
    reader.start()
    assert emulator.send("e2e/reporter/w", "awaited") == 200
    reader.join(timeout=30)
    assert not reader.is_alive(), "the long poll never answered"
    status, body = answer["reply"]
    assert status == 200
    [record] = json.loads(body)["records"]
    assert json.loads(record["payload"])["text"] == "awaited"

    status, body = emulator.admin("/v1/egress/out?wait_ms=60001")
    assert status == 400 and "wait_ms" in body.decode()
