"""StateFun semantics, side by side: the e2e test functions behind one
module.yaml, on the real engine and on `statefun dev`. Each scenario runs on
both at once; the two must observe the same egress, and that must be what
StateFun specifies (so two engines that agree on something wrong still fail).

Twice: with the functions written with the official JS SDK
(tests/e2e/functions) and with our C++ SDK (tests/e2e/functions_cpp, same
function types and behaviour), so our SDK is checked against the real engine
too."""
import json
import time
import urllib.request

import pytest

from pair import harness

MODULE = """\
kind: io.statefun.endpoints.v2/http
spec:
  functions: e2e/*
  urlPathTemplate: http://127.0.0.1:1/statefun
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics:
    - out
"""
# Generous on purpose: CI runs this beside sanitizer builds on 2 cores, and a
# read must come back before the TTL ends, a send before a request ends.
TTL_MS = 1500
SLOW_MS = 100


def e2e_functions(stack, side, impl="js"):
    return stack.test_functions(name=f"functions-{side}", impl=impl, TTL_MS=TTL_MS,
                                SLOW_MS=SLOW_MS)


@pytest.fixture(scope="module", params=["js", "cpp"])
def pair(request, start_pair):
    pair = start_pair(MODULE, lambda stack, side: e2e_functions(stack, side, request.param))
    pair.impl = request.param
    yield pair
    pair.close()  # before the next parameter's JVM starts


def assert_parity(results, expected):
    assert results["flink"] == results["dev"], (
        "the real engine and statefun dev disagree:\n"
        f"  real engine:  {results['flink']}\n  statefun dev: {results['dev']}")
    assert results["dev"] == expected


def by_key(records, key):
    """Records grouped per address, in arrival order: StateFun orders messages
    per address only, so the interleaving across addresses may differ."""
    grouped = {}
    for record in records:
        grouped.setdefault(record[key], []).append(record)
    return grouped


def test_counting_per_address(pair):
    sends = ["ann", "bob", "ann", "ann", "bob"]

    def scenario(pg):
        for name in sends:
            pg.send(f"e2e/stateful/{name}", "hi")
        records = pg.take(len(sends))
        pg.quiet()
        return by_key(records, "id")

    results = pair.both(scenario)
    assert_parity(results, {
        "ann": [{"id": "ann", "seen": None, "greeting": None},
                {"id": "ann", "seen": 1, "greeting": "hi ann"},
                {"id": "ann", "seen": 2, "greeting": "hi ann"}],
        "bob": [{"id": "bob", "seen": None, "greeting": None},
                {"id": "bob", "seen": 1, "greeting": "hi bob"}],
    })
    # The state left behind: statefun dev's, read from its database, is what
    # the real engine's last egress implies (its state cannot be read).
    dev = pair["dev"].engine
    for name, records in results["flink"].items():
        address = f"e2e/stateful/{name}"
        assert dev.state_int(address, "seen") == records[-1]["seen"] + 1
        assert dev.state_string(address, "greeting") == f"hi {name}"


def test_state_flows_between_addresses(pair):
    if pair.impl == "cpp":
        pytest.skip("e2e/adder is only in the JS e2e functions, not in functions_cpp")
    # e2e/adder/<id> adds n to its `sum` and may pass n on to another adder.
    def scenario(pg):
        pg.send("e2e/adder/x", {"n": 2, "to": "y"}, typename="e2e/json")
        first = pg.take(2)
        pg.send("e2e/adder/y", {"n": 5}, typename="e2e/json")
        pg.send("e2e/adder/x", {"n": 1}, typename="e2e/json")
        rest = pg.take(2)
        pg.quiet()
        return by_key(first, "id"), by_key(rest, "id")

    assert_parity(pair.both(scenario), (
        {"x": [{"id": "x", "sum": 2}], "y": [{"id": "y", "sum": 2}]},
        {"x": [{"id": "x", "sum": 3}], "y": [{"id": "y", "sum": 7}]},
    ))


def test_delayed_messages_with_cancellation(pair):
    def scenario(pg):
        after = {"op": "after"}
        began = time.monotonic()
        pg.send("e2e/scheduler/d", {**after, "delay": 300, "tag": "early"}, typename="e2e/json")
        pg.send("e2e/scheduler/d", {**after, "delay": 600, "tag": "kept", "token": "k"},
                typename="e2e/json")
        pg.send("e2e/scheduler/d", {**after, "delay": 1500, "tag": "cancelled", "token": "c"},
                typename="e2e/json")
        pg.send("e2e/scheduler/d", {"op": "cancel", "token": "c"}, typename="e2e/json")
        records = pg.take(2, timeout=20)
        # "kept" was scheduled after `began`, so it cannot be here any sooner.
        not_early = time.monotonic() - began >= 0.6
        pg.quiet(for_seconds=max(0.5, began + 2.2 - time.monotonic()))  # past "cancelled"
        return records, not_early

    caller = "e2e/scheduler/d"
    assert_parity(pair.both(scenario), (
        [{"self": "e2e/reporter/d", "caller": caller, "text": "early"},
         {"self": "e2e/reporter/d", "caller": caller, "text": "kept"}],
        True,
    ))


def test_state_expires_after_write(pair):
    def scenario(pg):
        def read():
            pg.send("e2e/ttl/t", {"op": "read"}, typename="e2e/json")
            return pg.take(1)[0]["seen"]

        pg.send("e2e/ttl/t", {"op": "write", "value": "v1"}, typename="e2e/json")
        fresh = read()
        time.sleep(TTL_MS / 1000 * 1.8)
        expired = read()
        pg.send("e2e/ttl/t", {"op": "write", "value": "v2"}, typename="e2e/json")
        rewritten = read()
        return fresh, expired, rewritten

    assert_parity(pair.both(scenario), ("v1", None, "v2"))


def test_caller_on_function_messages_none_on_ingress(pair):
    def scenario(pg):
        pg.send("e2e/forwarder/f", "via a function")
        forwarded = pg.take(1)
        pg.send("e2e/reporter/r", "straight from the ingress")
        direct = pg.take(1)
        pg.quiet()
        return forwarded + direct

    assert_parity(pair.both(scenario), [
        {"self": "e2e/reporter/f", "caller": "e2e/forwarder/f", "text": "via a function"},
        {"self": "e2e/reporter/r", "caller": None, "text": "straight from the ingress"},
    ])


def stats(functions):
    with urllib.request.urlopen(functions.url("/stats"), timeout=10) as response:
        return json.loads(response.read())


def test_batching_per_address(pair):
    # e2e/slow takes SLOW_MS per message and records what it saw; the function
    # process logs each request's invocations. Observed there, not on egress.
    count = 12
    address = "e2e/slow/b"

    def observe(side):
        functions = pair[side].functions
        pg = pair[side].playground
        for i in range(count):
            pg.send(address, f"m{i}")
        harness.wait_until(lambda: len(stats(functions)["recorded"].get("b", [])) >= count,
                           30, f"{side}: e2e/slow/b to see {count} messages")
        time.sleep(0.3)  # anything more (a duplicate) would show up by now
        s = stats(functions)
        sizes = [len(e["callers"]) for e in s["log"] if e.get("target") == address]
        return {
            "recorded": s["recorded"]["b"],
            "invocations": sum(sizes),
            "max_in_flight": s["maxInFlight"][address],
            # Batch sizes depend on timing; that messages waiting behind a
            # request go together in a later one does not.
            "batched": len(sizes) < count and max(sizes) > 1,
        }

    results = pair.both(lambda pg: observe(pg.name))
    assert_parity(results, {"recorded": [f"m{i}" for i in range(count)],
                            "invocations": count, "max_in_flight": 1, "batched": True})
