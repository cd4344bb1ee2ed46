"""The Kafka greeter sample (samples/greeter-kafka, JS SDK) on both engines
against one real Kafka broker (tests/kafka/broker.py): the real engine with
StateFun's own Kafka ingress/egress (io.statefun.kafka.v1), `statefun dev`
with `--kafka connect`. Its module.yaml is read unchanged but for the broker
address and the function URL.

Both engines read the same input topic from the earliest offset and write the
same output topic, so they run one after the other: the real engine's
greetings are the first records of `greetings`, statefun dev's the next."""
import sys

import pytest

from pair import Pair, harness
from test_semantics import assert_parity

sys.path.insert(0, str(harness.REPO / "tests" / "kafka"))
import broker as kafka_broker  # noqa: E402

SAMPLE = harness.REPO / "samples" / "greeter-kafka"
NAMES = ["Bob", "Alice", "Bob", "Bob", "Alice"]


@pytest.fixture(scope="module")
def broker(tmp_path_factory, launcher):
    b = kafka_broker.KafkaBroker(tmp_path_factory.mktemp("kafka"))
    try:
        b.start()
        b.create_topics("names", "greetings")
        yield b
    finally:
        b.stop()


def greeter(stack, side):
    cmd = ["node", SAMPLE / "functions.js"]
    return stack._function(f"greeter-kafka-{side}", cmd, SAMPLE / "node_modules")


def per_key(records):
    grouped = {}
    for key, value in records:  # ordered per key only
        grouped.setdefault(key, []).append(value)
    return grouped


def test_kafka_greeter(broker, tmp_path, statefun_bin):
    broker.produce("names", [(name, f'{{"name": "{name}"}}') for name in NAMES])
    module = (SAMPLE / "module.yaml").read_text()
    pair = Pair(tmp_path)
    results = {}
    try:
        for count, side in enumerate(("flink", "dev"), start=1):
            pair.start_side(side, module, greeter, dev_args=("--kafka", "connect"),
                            kafka=broker.bootstrap)
            records = []
            # Each read is a console consumer JVM that joins a new group: on a
            # machine busy with sanitizer builds that alone took over 3 s, so
            # a 3 s timeout read nothing, every time, for a minute. It returns
            # as soon as it has them all, so a wide timeout costs nothing.
            harness.wait_until(
                lambda: records.__setitem__(slice(None), broker.consume(
                    "greetings", count * len(NAMES), timeout_ms=15000))
                or len(records) >= count * len(NAMES),
                150, lambda: f"{side}: {count * len(NAMES)} greetings, got {records}",
                interval=0.5)
            results[side] = per_key(records[(count - 1) * len(NAMES):])
            if side == "flink":
                pair.real.stop()  # so it cannot write while statefun dev runs
    finally:
        pair.close()
    assert_parity(results, {
        "Bob": ["Hello Bob! Nice to meet you.", "Hello Bob! Good to see you again.",
                "Hello Bob! This is visit number 3."],
        "Alice": ["Hello Alice! Nice to meet you.", "Hello Alice! Good to see you again."],
    })
