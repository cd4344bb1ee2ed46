"""`kafka: connect` against a REAL Kafka broker (tests/kafka/broker.py: a
single-node KRaft broker from the jars on Maven Central, started once for
this file): records produced to the broker reach the official JS SDK's
functions through `statefun dev --kafka connect`, results land on the egress
topic, and across a kill -9 of statefun no record is lost and none is
applied twice (state counts). Also: an unreachable broker and a missing
topic are one-line problems shown in /v1/status and retried; a bad property
is a one-line startup error.

Skipped only where Java is absent (the broker needs a JVM)."""
import json
import sys
import time
import uuid
from datetime import datetime, timezone

import pytest

from harness import REPO, Emulator, HarnessError, endpoint_doc, free_ports, read_state, \
    decode_int, run_statefun, wait_until

sys.path.insert(0, str(REPO / "tests" / "kafka"))
import broker as kafka_broker  # noqa: E402

pytestmark = pytest.mark.skipif(kafka_broker.skip_reason() is not None,
                                reason=kafka_broker.skip_reason() or "")

KEYS = ("k0", "k1", "k2")


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = kafka_broker.KafkaBroker(tmp_path_factory.mktemp("kafka"))
    b.start()
    # A figure, not an assertion: how long the JVM took to serve.
    print(f"\nKafka {kafka_broker.KAFKA_VERSION} broker on {b.bootstrap}, "
          f"started in {b.start_seconds:.1f} s")
    try:
        yield b
    finally:
        b.stop()


def kafka_module(functions_url, bootstrap, in_topic, delivery="at-least-once",
                 ingress_extra="", egress_address=None, start="earliest", start_extra=""):
    egress_address = egress_address or bootstrap
    semantic = ("    type: exactly-once\n    transactionTimeout: 1min\n"
                if delivery == "exactly-once" else f"    type: {delivery}\n")
    return (endpoint_doc("e2e/*", functions_url) + "---\n"
            "kind: io.statefun.kafka.v1/ingress\nspec:\n  id: e2e/kafka-in\n"
            f"  address: {bootstrap}\n  consumerGroupId: statefun-e2e\n"
            f"  startupPosition:\n    type: {start}\n{start_extra}"
            f"{ingress_extra}"
            "  topics:\n"
            f"    - topic: {in_topic}\n      valueType: e2e/text\n"
            "      targets:\n        - e2e/kafka-ledger\n"
            "---\n"
            "kind: io.statefun.kafka.v1/egress\nspec:\n  id: e2e/kafka-out\n"
            f"  address: {egress_address}\n  deliverySemantic:\n{semantic}")


def connect_emulator(stack, module_text, name="statefun", data="data"):
    admin, ingress, egress = free_ports(3)
    emulator = stack._track(Emulator(stack.root / "module.yaml", stack.root / data, admin,
                                     ingress, egress, stack.logs, name=name))
    emulator.cmd += ["--kafka", "connect"]
    emulator.module_path.write_text(module_text)
    emulator.start()
    return emulator


def counts(emulator):
    out = {}
    for key in KEYS:
        raw = read_state(emulator.data_dir, f"e2e/kafka-ledger/{key}", "count")
        out[key] = decode_int(raw) if raw is not None else 0
    return out


def wait_counts(emulator, expected, timeout=60):
    wait_until(lambda: counts(emulator) == expected, timeout,
               lambda: f"counts {expected}, have {counts(emulator)}; "
                       f"status kafka: {emulator.status().get('kafka')}")


def records(prefix, start, end):
    """(key, value) records: `prefix-i` to key k(i % 3)."""
    return [(KEYS[i % 3], f"{prefix}-{i}") for i in range(start, end)]


def ledger(broker, topic, expected):
    got = broker.consume(topic, expected, timeout_ms=8000)
    return [(key, json.loads(value)) for key, value in got]


@pytest.mark.timeout(150)
@pytest.mark.parametrize("delivery", ["exactly-once"])
def test_records_flow_through_and_survive_kill9(stack, broker, delivery):
    uid = uuid.uuid4().hex[:8]
    in_topic, out_topic = f"in-{uid}", f"out-{uid}"
    broker.create_topics((in_topic, 2), out_topic)
    functions = stack.test_functions(KAFKA_OUT_TOPIC=out_topic)
    emulator = connect_emulator(
        stack, kafka_module(functions.url(), broker.bootstrap, in_topic, delivery))

    broker.produce(in_topic, records("a", 0, 30))
    wait_counts(emulator, {k: 10 for k in KEYS})
    status = emulator.status()
    ingress = next(k for k in status["kafka"] if k["direction"] == "ingress")
    assert ingress["state"] == "connected" and ingress["records"] == 30, status["kafka"]

    # kill -9 in the middle of the next 60 records, then restart.
    broker.produce(in_topic, records("b", 30, 90))
    wait_until(lambda: sum(counts(emulator).values()) > 30, 60, "progress after the produce")
    emulator.kill9()
    emulator.start()
    wait_counts(emulator, {k: 30 for k in KEYS})
    emulator.wait_idle()
    # Nothing applied twice: the counts stay exact once everything is read.
    assert counts(emulator) == {k: 30 for k in KEYS}

    out = ledger(broker, out_topic, 90)
    seen = {}
    for key, record in out:
        assert key == record["ledger"]
        seen.setdefault(key, []).append(record["n"])
    # Every step's egress record reached the broker (none lost), each count
    # once per key: the kill fell between commits, not in a produced batch.
    for key in KEYS:
        assert sorted(set(seen.get(key, []))) == list(range(1, 31)), (key, seen.get(key))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("delivery", ["at-least-once", "none"])
def test_at_least_once_and_none_deliver_every_record_to_the_egress_topic(stack, broker, delivery):
    uid = uuid.uuid4().hex[:8]
    in_topic, out_topic = f"in-{uid}", f"out-{uid}"
    broker.create_topics(in_topic, out_topic)
    functions = stack.test_functions(KAFKA_OUT_TOPIC=out_topic)
    emulator = connect_emulator(
        stack, kafka_module(functions.url(), broker.bootstrap, in_topic, delivery))
    broker.produce(in_topic, records("d", 0, 9))
    wait_counts(emulator, {k: 3 for k in KEYS})
    emulator.wait_idle()
    out = ledger(broker, out_topic, 9)
    assert sorted((key, r["n"]) for key, r in out) == sorted(
        (k, n) for k in KEYS for n in (1, 2, 3))
    egress = next(k for k in emulator.status()["kafka"] if k["direction"] == "egress")
    assert egress["state"] == "connected", egress


def ingress_records(emulator):
    return next(k for k in emulator.status()["kafka"] if k["direction"] == "ingress")["records"]


@pytest.mark.timeout(150)
def test_specific_offsets_and_date_choose_where_a_new_ingress_starts(stack, broker):
    uid = uuid.uuid4().hex[:8]
    topic = f"pos-{uid}"
    broker.create_topics(topic)
    broker.produce(topic, [("k0", "r0"), ("k1", "r1")])
    time.sleep(0.05)
    # Between the two batches: each produce is a JVM of its own, started later.
    middle = datetime.now(timezone.utc)
    time.sleep(0.05)
    broker.produce(topic, [("k2", "r2"), ("k0", "r3")])
    functions = stack.test_functions(KAFKA_OUT_TOPIC=f"unused-{uid}")

    specific = connect_emulator(
        stack, kafka_module(functions.url(), broker.bootstrap, topic, start="specific-offsets",
                            start_extra=f"    offsets:\n      - {topic}/0: 3\n"),
        name="specific", data="data-specific")
    wait_counts(specific, {"k0": 1, "k1": 0, "k2": 0})
    specific.wait_idle()
    assert ingress_records(specific) == 1
    specific.stop()

    date = middle.strftime("%Y-%m-%d %H:%M:%S.") + f"{middle.microsecond // 1000:03d} +0000"
    by_date = connect_emulator(
        stack, kafka_module(functions.url(), broker.bootstrap, topic, start="date",
                            start_extra=f"    date: {date}\n"),
        name="date", data="data-date")
    wait_counts(by_date, {"k0": 1, "k1": 0, "k2": 1})
    by_date.wait_idle()
    assert ingress_records(by_date) == 2


@pytest.mark.timeout(150)
def test_group_offsets_start_where_the_consumer_group_committed(stack, broker):
    uid = uuid.uuid4().hex[:8]
    topic = f"group-{uid}"
    broker.create_topics(topic)
    broker.produce(topic, records("g", 0, 3))
    functions = stack.test_functions(KAFKA_OUT_TOPIC=f"unused-{uid}")
    module = kafka_module(functions.url(), broker.bootstrap, topic, start="group-offsets",
                          ingress_extra="  autoOffsetResetPosition: earliest\n")
    # No committed offset yet: autoOffsetResetPosition decides (earliest).
    first = connect_emulator(stack, module, name="first", data="data-first")
    wait_counts(first, {k: 1 for k in KEYS})
    # statefun tells the group what it consumed, after its own commit.
    wait_until(lambda: broker.committed("statefun-e2e", topic) == {0: 3}, 60,
               "the group's committed offset")
    first.stop()

    broker.produce(topic, records("g", 3, 6))
    # A new data directory: only the group's offset says where to start.
    second = connect_emulator(stack, module, name="second", data="data-second")
    wait_counts(second, {k: 1 for k in KEYS})
    second.wait_idle()
    assert ingress_records(second) == 3


@pytest.mark.timeout(90)
def test_unreachable_broker_and_missing_topic_are_shown_and_retried(stack, broker):
    (dead_port,) = free_ports(1)
    functions = stack.test_functions()
    module = kafka_module(functions.url(), broker.bootstrap, "no-such-topic",
                          egress_address=f"127.0.0.1:{dead_port}")
    emulator = connect_emulator(stack, module)

    def problems():
        links = {k["direction"]: k for k in emulator.status()["kafka"]}
        if all(links[d]["state"] == "retrying" for d in ("ingress", "egress")):
            return links
        return None
    links = wait_until(problems, 30, "both Kafka links retrying")
    assert links["ingress"]["error"] == (
        f'Kafka metadata of topic "no-such-topic": no such topic on {broker.bootstrap}')
    assert links["egress"]["error"].startswith(f"Kafka broker 127.0.0.1:{dead_port} unreachable")
    out = emulator.output()
    # Shown once each, however often it was retried.
    assert out.count("kafka ingress e2e/kafka-in: Kafka metadata of topic") == 1, out
    assert out.count(f"kafka egress e2e/kafka-out: Kafka broker 127.0.0.1:{dead_port}") == 1, out

    # The topic appears: the ingress gets going by itself.
    broker.create_topics("no-such-topic")
    broker.produce("no-such-topic", [("k0", "late")])
    wait_until(lambda: counts(emulator)["k0"] == 1, 60, "the record on the new topic")


@pytest.mark.timeout(90)
def test_latest_starts_at_the_end_and_keeps_its_place_across_a_restart(stack, broker):
    uid = uuid.uuid4().hex[:8]
    topic = f"latest-{uid}"
    broker.create_topics(topic)
    broker.produce(topic, [("k0", "before")])
    functions = stack.test_functions(KAFKA_OUT_TOPIC=f"unused-{uid}")
    emulator = connect_emulator(
        stack, kafka_module(functions.url(), broker.bootstrap, topic, start="latest"))
    wait_until(lambda: any(k["direction"] == "ingress" and k["state"] == "connected"
                           for k in emulator.status()["kafka"]), 30, "the ingress connected")
    broker.produce(topic, [("k1", "after")])
    wait_counts(emulator, {"k0": 0, "k1": 1, "k2": 0})
    # Down while a record arrives: the stored position, not "latest", decides.
    emulator.kill9()
    broker.produce(topic, [("k2", "while down")])
    emulator.start()
    wait_counts(emulator, {"k0": 0, "k1": 1, "k2": 1})


def test_a_bad_property_is_a_one_line_startup_error(stack, broker, tmp_path):
    module = tmp_path / "module.yaml"
    module.write_text(kafka_module(
        "http://localhost:1/statefun", broker.bootstrap, "whatever",
        ingress_extra="  properties:\n    - fetch.max.bites: \"1\"\n"))
    result = run_statefun(["dev", "-m", module, "--data", tmp_path / "data", "--admin-port", "0",
                           "--kafka", "connect"])
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "fetch.max.bites" in line]
    assert len(errors) == 1, result.stderr
    assert 'kafka ingress e2e/kafka-in: Kafka property "fetch.max.bites"="1": ' in errors[0]
