"""Delayed messages: sendAfter, cancellation, the caller of a fired message."""
import time

import pytest


def schedule(emulator, scheduler_id, **command):
    assert emulator.send(f"e2e/scheduler/{scheduler_id}", {"op": "after", **command}, "e2e/json") == 200


@pytest.mark.timeout(60)
def test_a_delayed_message_fires_with_the_scheduling_function_as_caller(stack, impl):
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()})

    schedule(emulator, "d1", delay=500, tag="later")
    assert emulator.pop_json(timeout=20) == {
        "self": "e2e/reporter/d1", "caller": "e2e/scheduler/d1", "text": "later"}
    emulator.wait_idle()
    assert emulator.status()["timers"] == 0


@pytest.mark.timeout(60)
def test_a_cancelled_delayed_message_never_fires(stack, impl):
    functions = stack.test_functions(impl=impl)
    emulator = stack.emulator({"e2e/*": functions.url()})

    delay_ms = 1500
    schedule(emulator, "d2", delay=delay_ms, tag="cancelled", token="tok")
    scheduled = time.monotonic()
    assert emulator.send("e2e/scheduler/d2", {"op": "cancel", "token": "tok"}, "e2e/json") == 200
    # A plain one scheduled after the cancellation shows that timers still run.
    schedule(emulator, "d2", delay=delay_ms, tag="kept")
    emulator.wait_idle()

    assert emulator.pop_json(timeout=20)["text"] == "kept"
    time.sleep(max(0.0, scheduled + 2 * delay_ms / 1000 - time.monotonic()))
    emulator.wait_idle()
    assert emulator.pop_all_json() == []
    assert emulator.status()["timers"] == 0
