"""Bad requests and misbehaving functions: reported, never fatal, nothing lost."""
import pytest

from harness import wait_until


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", ["/e2e/counter", "/e2e/counter/x/y"], ids=["two", "four"])
def test_an_ingress_path_without_exactly_three_segments_is_rejected_with_400(stack, path):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/*": functions.url()})
    before = emulator.status()

    status, body = emulator.send_raw("PUT", path, b"x", "e2e/text")

    assert status == 400
    assert body.strip() and len(body.strip().splitlines()) == 1, f"want a one-line reason: {body!r}"
    after = emulator.status()
    assert after["pending"] == 0 and after["steps"] == before["steps"], after
    assert functions.stats()["requests"] == 0


@pytest.mark.timeout(90)
def test_a_message_for_a_type_without_endpoint_is_kept_logged_and_delivered_once_one_appears(stack):
    functions = stack.test_functions()
    emulator = stack.emulator({"e2e/reporter": functions.url()})

    assert emulator.send("e2e/counter/late", "x") == 200
    wait_until(lambda: "e2e/counter" in emulator.output(), 20,
               "an error naming e2e/counter in the emulator's output")
    # Still serving everything else.
    assert emulator.admin("/v1/health")[0] == 200
    assert emulator.send("e2e/reporter/ok", "still alive") == 200
    assert emulator.pop_json()["text"] == "still alive"

    emulator.write_module({"e2e/*": functions.url()})
    assert emulator.stop() == 0
    emulator.start()
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/late", "count") == 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", ["500", "garbage", "close"])
def test_a_function_that_misbehaves_then_recovers_is_retried_and_each_message_applied_once(
        stack, fault):
    functions = stack.test_functions(FAULT=fault, FAULT_TIMES=3)
    emulator = stack.emulator({"e2e/*": functions.url()})

    for i in range(3):
        assert emulator.send("e2e/counter/f", f"m{i}") == 200
    emulator.wait_idle(timeout=90)

    assert functions.stats()["faults"] == 3
    assert emulator.state_int("e2e/counter/f", "count") == 3
    failures = [line for line in emulator.output().splitlines() if "e2e/counter" in line]
    assert failures, "the emulator should log the failing function type"
    if fault == "500":
        assert any("500" in line for line in failures), failures
