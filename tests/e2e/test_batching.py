"""Per address one request in flight; what arrives meanwhile goes in the next
batch (spec README, most-missed semantics #2)."""
import threading

import pytest

MESSAGES = 100


def slow_requests(functions, address):
    return [entry for entry in functions.stats()["log"] if entry.get("target") == address]


@pytest.mark.timeout(120)
def test_messages_to_one_busy_address_are_batched_and_processed_in_order(stack, impl):
    functions = stack.test_functions(impl=impl, SLOW_MS=20)
    emulator = stack.emulator({"e2e/*": functions.url()})

    for i in range(MESSAGES):
        assert emulator.send("e2e/slow/one", str(i)) == 200
    emulator.wait_idle()

    stats = functions.stats()
    assert stats["recorded"]["one"] == [str(i) for i in range(MESSAGES)]
    requests = slow_requests(functions, "e2e/slow/one")
    # Each invocation takes 20 ms and an acknowledged send takes far less, so
    # messages must have queued up behind the one in flight.
    assert len(requests) < MESSAGES, f"{len(requests)} requests for {MESSAGES} messages: no batching"
    assert stats["maxInFlight"]["e2e/slow/one"] == 1


@pytest.mark.timeout(120)
def test_concurrent_senders_each_keep_their_order_and_nothing_is_lost(stack, impl):
    functions = stack.test_functions(impl=impl, SLOW_MS=20)
    emulator = stack.emulator({"e2e/*": functions.url()})
    senders, per_sender = 4, MESSAGES // 4
    statuses = []

    def send_all(sender):
        for i in range(per_sender):
            statuses.append(emulator.send("e2e/slow/many", f"{sender}-{i}"))

    threads = [threading.Thread(target=send_all, args=(s,)) for s in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * MESSAGES
    emulator.wait_idle()

    stats = functions.stats()
    assert stats["maxInFlight"]["e2e/slow/many"] == 1
    recorded = stats["recorded"]["many"]
    assert sorted(recorded) == sorted(f"{s}-{i}" for s in range(senders) for i in range(per_sender))
    for s in range(senders):
        # Each sender waited for every 200, so its messages were committed in order.
        mine = [v for v in recorded if v.startswith(f"{s}-")]
        assert mine == [f"{s}-{i}" for i in range(per_sender)], f"sender {s} out of order: {mine}"
    assert len(slow_requests(functions, "e2e/slow/many")) < MESSAGES
