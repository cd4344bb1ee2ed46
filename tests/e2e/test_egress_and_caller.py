"""Playground egress topics and caller propagation."""
import json

import pytest
from harness import wait_until


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


def popped_durably(emulator, text):
    """Whether the record of topic `out` with this text is committed as popped."""
    status, body = emulator.admin("/v1/egress/out?from=0&limit=1000")
    assert status == 200, body
    return any(json.loads(r["payload"]).get("text") == text and r["popped"]
               for r in json.loads(body)["records"])


@pytest.mark.timeout(60)
def test_egress_records_survive_a_restart_and_a_popped_record_is_never_served_again(stack, impl):
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()})

    for text in ("first", "second"):
        assert emulator.send("e2e/reporter/r", text) == 200
        emulator.wait_idle()  # one at a time, so the egress order is known
    assert emulator.pop_json()["text"] == "first"
    # A pop's record is consumed in the commit after its response was
    # written; a kill -9 before that commit serves it again (at least once,
    # README "Playground ingress and egress"), so wait until it is durable.
    wait_until(lambda: popped_durably(emulator, "first"), 10, "the pop of 'first' to commit")

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


def egress_request(emulator, method, topic="out"):
    """One request to the playground egress -> (status, headers, body)."""
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", emulator.egress_port, timeout=10)
    try:
        connection.request(method, f"/{topic}")
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.timeout(60)
def test_only_get_pops_an_egress_record_head_options_and_others_leave_it_waiting(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    assert emulator.send("e2e/reporter/m", "kept") == 200
    emulator.wait_idle()

    status, headers, body = egress_request(emulator, "HEAD")
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) > 0, "HEAD must announce the record GET would serve"
    status, headers, _ = egress_request(emulator, "OPTIONS")
    assert status == 204 and headers["Allow"] == "GET, HEAD, OPTIONS"
    for method in ("POST", "DELETE", "PUT"):
        status, headers, _ = egress_request(emulator, method)
        assert status == 405, method
        assert headers["Allow"] == "GET, HEAD, OPTIONS", method

    status, _, payload = egress_request(emulator, "GET")
    assert status == 200 and json.loads(payload)["text"] == "kept"
    assert egress_request(emulator, "HEAD")[0] == 404
    assert emulator.pop()[0] == 404


@pytest.mark.timeout(60)
def test_the_ingress_refuses_methods_other_than_put_and_post_and_sends_nothing(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})

    for method in ("GET", "DELETE", "OPTIONS"):
        status, body = emulator.send_raw(method, "/e2e/reporter/n", None, "e2e/text")
        assert status == 405, method
        assert b"PUT, POST" in body, method
    assert emulator.send_raw("POST", "/e2e/reporter/n", b"posted", "e2e/text")[0] == 200
    emulator.wait_idle()
    assert emulator.pop_json()["text"] == "posted"
    assert emulator.pop()[0] == 404, "a refused request must not have sent a message"
