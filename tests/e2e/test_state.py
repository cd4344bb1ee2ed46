"""State: the missing-state handshake, persistence, expiration, writes
through the admin API."""
import json
import time

import pytest

from harness import http


@pytest.mark.timeout(60)
def test_first_contact_handshakes_persists_state_and_later_ids_of_the_type_get_the_states(stack, impl):
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()})

    assert emulator.send("e2e/stateful/alice", "hello") == 200
    emulator.wait_idle()
    assert emulator.pop_json() == {"id": "alice", "seen": None, "greeting": None}
    assert emulator.state_int("e2e/stateful/alice", "seen") == 1
    assert emulator.state_string("e2e/stateful/alice", "greeting") == "hi alice"

    assert emulator.send("e2e/stateful/alice", "again") == 200
    assert emulator.send("e2e/stateful/bob", "hello") == 200
    emulator.wait_idle()
    records = sorted(emulator.pop_all_json(), key=lambda r: r["id"])
    assert records == [{"id": "alice", "seen": 1, "greeting": "hi alice"},
                       {"id": "bob", "seen": None, "greeting": None}]
    assert emulator.state_int("e2e/stateful/bob", "seen") == 1

    log = [e for e in functions.stats()["log"] if e["target"].startswith("e2e/stateful/")]
    # The first request knows no states, so the SDK answers "incomplete
    # context" and the same message is re-sent with both states attached.
    assert log[0] == {"target": "e2e/stateful/alice", "states": {}, "callers": [None]}
    assert log[1] == {"target": "e2e/stateful/alice", "states": {"seen": False, "greeting": False},
                      "callers": [None]}
    # Registration is per function type: bob's very first request carries both.
    bob = [e for e in log if e["target"] == "e2e/stateful/bob"]
    assert bob[0]["states"] == {"seen": False, "greeting": False}
    alice_again = [e for e in log if e["target"] == "e2e/stateful/alice"][2]
    assert alice_again["states"] == {"seen": True, "greeting": True}


@pytest.mark.timeout(60)
def test_state_with_expire_after_write_is_readable_within_its_ttl_and_absent_after_it(stack, impl):
    ttl_ms = 1500
    functions = stack.test_functions(impl=impl, TTL_MS=ttl_ms)
    emulator = stack.emulator({"e2e/*": functions.url()})

    assert emulator.send("e2e/ttl/t", {"op": "write", "value": "fresh"}, "e2e/json") == 200
    written = time.monotonic()
    emulator.wait_idle()  # so the read is a request of its own, carrying the stored value
    assert emulator.send("e2e/ttl/t", {"op": "read"}, "e2e/json") == 200
    assert emulator.pop_json() == {"seen": "fresh"}
    assert emulator.state_string("e2e/ttl/t", "v") == "fresh"

    time.sleep(max(0.0, written + 2 * ttl_ms / 1000 - time.monotonic()))
    assert emulator.send("e2e/ttl/t", {"op": "read"}, "e2e/json") == 200
    assert emulator.pop_json() == {"seen": None}
    assert emulator.state("e2e/ttl/t", "v") is None


@pytest.mark.timeout(60)
def test_the_admin_api_writes_a_state_given_in_its_types_own_notation(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    assert emulator.send("e2e/counter/v", "one") == 200
    emulator.wait_idle()
    url = f"http://127.0.0.1:{emulator.admin_port}/v1/state/e2e/counter/v/count"
    headers = {"Content-Type": "application/json"}
    status, body = http("PUT", url, json.dumps(
        {"typename": "io.statefun.types/int", "value": "41"}).encode(), headers)
    assert status == 200, body
    assert emulator.state_int("e2e/counter/v", "count") == 41  # the int's own protobuf bytes
    assert emulator.send("e2e/counter/v", "two") == 200
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/v", "count") == 42
    # What does not parse as the type is refused, naming it; nothing written.
    status, body = http("PUT", url, json.dumps(
        {"typename": "io.statefun.types/int", "value": "lots"}).encode(), headers)
    assert status == 400 and b"io.statefun.types/int" in body, body
    status, body = http("PUT", url, json.dumps(
        {"typename": "io.statefun.types/int", "value": "1", "text": "1"}).encode(), headers)
    assert status == 400 and b'exactly one of' in body, body
    assert emulator.state_int("e2e/counter/v", "count") == 42
