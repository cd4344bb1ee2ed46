"""Emulated Kafka topics (`statefun topic produce|consume|ls`) with the
official JS SDK: records are routed as StateFun 3.3's Kafka ingress routes
them, Kafka egress records read back as topics, and a produced record that
was acknowledged is applied exactly once, across restarts and kill -9."""
import json
import subprocess

import pytest

from cli_helpers import cli, ok, ok_json
from harness import JS_GREETER, STATEFUN_BIN, Emulator, free_ports, io_docs, wait_until
from test_cli_completion import bash_complete

GREETER_KAFKA = JS_GREETER.parent / "greeter-kafka"


def kafka_ingress(topic, value_type, targets, ingress_id="e2e/in"):
    return ("kind: io.statefun.kafka.v1/ingress\nspec:\n"
            f"  id: {ingress_id}\n  address: kafka:9092\n  consumerGroupId: e2e\n"
            f"  topics:\n    - topic: {topic}\n      valueType: {value_type}\n"
            "      targets:\n" + "".join(f"        - {t}\n" for t in targets))


def start_emulator(stack, module_text, playground=False):
    """statefun dev on `module_text` with free ports and a fresh data dir;
    `playground` adds the playground ingress and egress (topic `out`, where
    the e2e functions write)."""
    admin, ingress, egress = free_ports(3)
    emulator = stack._track(Emulator(stack.root / "module.yaml", stack.root / "data", admin,
                                     ingress, egress, stack.logs))
    if playground:
        module_text += "---\n" + io_docs(ingress, egress, ["out"])
    emulator.module_path.write_text(module_text)
    emulator.start()
    return emulator


def e2e_module(functions, topic, targets):
    """The e2e functions' endpoint and one Kafka ingress reading `topic`."""
    return ("kind: io.statefun.endpoints.v2/http\nspec:\n  functions: e2e/*\n"
            f"  urlPathTemplate: {functions.url()}\n---\n"
            + kafka_ingress(topic, "e2e/text", targets))


def greeter_kafka(stack):
    """The samples/greeter-kafka functions and its module.yaml, pointed at them."""
    functions = stack._function("greeter-kafka", ["node", GREETER_KAFKA / "functions.js"],
                                GREETER_KAFKA / "node_modules" / "apache-flink-statefun")
    module = (GREETER_KAFKA / "module.yaml").read_text().replace(
        "http://functions:8000/statefun", functions.url("/statefun"))
    return functions, start_emulator(stack, module)


def produce(emulator, topic, *args):
    return cli(emulator, "topic", "produce", topic, *args, "-o", "json")


@pytest.mark.timeout(60)
def test_sample_produce_routes_by_key_and_greetings_read_back_from_the_kafka_egress(stack):
    _, emulator = greeter_kafka(stack)
    first = json.loads(ok(produce(emulator, "names", "--key", "Bob", "--json", '{"name":"Bob"}')))
    assert first["offset"] == 0
    assert [m["address"] for m in first["messages"]] == ["example/person/Bob"]
    assert first["ingresses"] == ["example/names"]
    # The playground producer's input file: each line is the value, its "name" the key.
    lines = ok(cli(emulator, "topic", "produce", "names", "--records",
                   GREETER_KAFKA / "input-example.json", "--key-path", "name", "-o", "json"))
    assert [json.loads(line)["offset"] for line in lines.splitlines()] == [1, 2]
    emulator.wait_idle()
    assert emulator.state_int("example/person/Bob", "visits") == 2
    assert emulator.state_int("example/person/Joe", "visits") == 1

    greetings = ok_json(cli(emulator, "topic", "consume", "greetings", "--json"))
    assert greetings["direction"] == "egress"
    got = [(r["key"], r["value"]) for r in greetings["records"]]
    assert sorted(got) == sorted([("Bob", "Hello Bob! Nice to meet you."),
                                  ("Bob", "Hello Bob! Good to see you again."),
                                  ("Joe", "Hello Joe! Nice to meet you.")])
    # Reading consumes nothing.
    assert len(ok_json(cli(emulator, "topic", "consume", "greetings", "--json"))["records"]) == 3

    names = ok_json(cli(emulator, "topic", "consume", "names", "--from", "1", "--json"))
    assert [(r["offset"], r["key"], r["messages"]) for r in names["records"]] == [
        (1, "Bob", 1), (2, "Joe", 1)]
    assert json.loads(names["records"][0]["value"]) == {"name": "Bob"}

    listed = {t["topic"]: t for t in ok_json(cli(emulator, "topic", "ls", "--json"))["topics"]}
    assert listed["names"]["direction"] == "ingress"
    assert listed["names"]["owners"] == ["example/names"]
    assert listed["names"]["records"] == 3
    assert listed["names"]["consumer_offset"] == 3
    assert listed["greetings"]["direction"] == "egress"
    assert listed["greetings"]["owners"] == ["example/greets"]
    assert listed["greetings"]["records"] == 3
    human = ok(cli(emulator, "topic", "ls"))
    assert "names" in human and "example/names" in human and "at 3" in human
    # Shell completion knows the commands and the topics.
    assert bash_complete(emulator, "topic p") == ["produce"]
    assert bash_complete(emulator, "topic consume ") == ["greetings", "names"]


@pytest.mark.timeout(60)
def test_a_record_without_key_or_for_an_unread_topic_is_refused_and_not_stored(stack):
    functions = stack.test_functions()
    emulator = start_emulator(stack, e2e_module(functions, "events", ["e2e/counter"]),
                              playground=True)
    no_key = produce(emulator, "events", "--string", "hello")
    assert no_key.returncode == 2, no_key
    assert "has no key" in no_key.stderr and "e2e/in" in no_key.stderr
    unread = produce(emulator, "elsewhere", "--key", "k", "--string", "hello")
    assert unread.returncode == 3, unread
    assert "no Kafka or Kinesis ingress" in unread.stderr
    listed = ok_json(cli(emulator, "topic", "ls", "--json"))["topics"]
    assert [(t["topic"], t["records"]) for t in listed] == [("events", 0)]
    # An empty key is a key: the id "".
    ok(produce(emulator, "events", "--key", "", "--string", "hello"))
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/", "count") == 1


@pytest.mark.timeout(60)
def test_fan_out_to_two_targets_and_restart_durability(stack):
    functions = stack.test_functions()
    emulator = start_emulator(
        stack, e2e_module(functions, "events", ["e2e/counter", "e2e/ledger"]), playground=True)
    sent = json.loads(ok(produce(emulator, "events", "--key", "k1", "--string", "one")))
    assert [m["address"] for m in sent["messages"]] == ["e2e/counter/k1", "e2e/ledger/k1"]
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/k1", "count") == 1
    assert emulator.state_int("e2e/ledger/k1", "count") == 1

    emulator.restart()  # kill -9, then start on the same data
    emulator.wait_idle()
    records = ok_json(cli(emulator, "topic", "consume", "events", "--json"))["records"]
    assert [(r["offset"], r["key"], r["value"]) for r in records] == [(0, "k1", "one")]
    second = json.loads(ok(produce(emulator, "events", "--key", "k1", "--string", "two")))
    assert second["offset"] == 1
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/k1", "count") == 2
    assert emulator.state_int("e2e/ledger/k1", "count") == 2
    # Offline, with statefun dev gone, the topic reads the same.
    emulator.stop()
    offline = ok_json(cli(emulator, "topic", "consume", "events", "--offline", "-m",
                          emulator.module_path, "--json"))
    assert [r["value"] for r in offline["records"]] == ["one", "two"]


@pytest.mark.timeout(60)
def test_an_acknowledged_record_is_applied_exactly_once_across_kill_9(stack):
    functions = stack.test_functions()
    emulator = start_emulator(stack, e2e_module(functions, "events", ["e2e/counter"]),
                              playground=True)
    # With the functions down the message stays pending: the acknowledgement
    # means committed, not delivered.
    functions.stop()
    ok(produce(emulator, "events", "--key", "once", "--string", "x"))
    emulator.kill9()
    functions.start()
    emulator.start()
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/once", "count") == 1
    records = ok_json(cli(emulator, "topic", "consume", "events", "--json"))["records"]
    assert len(records) == 1
    # Restarting again applies nothing twice.
    emulator.restart()
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/once", "count") == 1


def pipeline_module(functions):
    """e2e/kafka-ledger reads topic "events" and writes to "ledger-out" through
    the Kafka egress e2e/kafka-out; a second ingress reads "ledger-out" on to
    e2e/counter: a pipeline through Kafka, as clusters run them."""
    return (e2e_module(functions, "events", ["e2e/kafka-ledger"]) + "---\n"
            + kafka_ingress("ledger-out", "e2e/json", ["e2e/counter"], ingress_id="e2e/loop")
            + "---\nkind: io.statefun.kafka.v1/egress\nspec:\n  id: e2e/kafka-out\n"
            "  address: kafka:9092\n  deliverySemantic:\n    type: at-least-once\n")


@pytest.mark.timeout(90)
def test_a_kafka_egress_record_goes_on_into_the_ingress_reading_its_topic(stack):
    functions = stack.test_functions()
    emulator = start_emulator(stack, pipeline_module(functions))
    first = json.loads(ok(produce(emulator, "events", "--key", "a", "--string", "one")))
    ok(produce(emulator, "events", "--key", "a", "--string", "two"))
    ok(produce(emulator, "events", "--key", "b", "--string", "three"))
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/a", "count") == 2
    assert emulator.state_int("e2e/counter/b", "count") == 1

    # The egress records are an ingress topic now, with their keys and values.
    loop = ok_json(cli(emulator, "topic", "consume", "ledger-out", "--json"))
    assert loop["direction"] == "ingress"
    got = sorted((r["key"], json.loads(r["value"])["m"]) for r in loop["records"])
    assert got == [("a", "one"), ("a", "two"), ("b", "three")]
    listed = {t["topic"]: t for t in ok_json(cli(emulator, "topic", "ls", "--json"))["topics"]}
    assert listed["ledger-out"]["records"] == 3

    # One message's tree goes through the topic to the counter.
    tree = ok_json(cli(emulator, "trace", "--tree", first["messages"][0]["id"], "--json"))
    assert tree["settled"] and tree["steps"] == 2
    ledger = tree["root"]
    assert ledger["step"]["address"] == "e2e/kafka-ledger/a"
    assert [c["step"]["address"] for c in ledger["children"]] == ["e2e/counter/a"]

    # A reload of module.yaml keeps the pipeline going.
    emulator.module_path.write_text(emulator.module_path.read_text() + "# reloaded\n")
    wait_until(lambda: "configuration reloaded" in emulator.output(), 20, "the reload")
    ok(produce(emulator, "events", "--key", "b", "--string", "four"))
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/b", "count") == 2

    # kill -9 and start again: nothing fed back twice.
    emulator.restart()
    emulator.wait_idle()
    assert emulator.state_int("e2e/counter/a", "count") == 2
    assert emulator.state_int("e2e/counter/b", "count") == 2
    assert len(ok_json(cli(emulator, "topic", "consume", "ledger-out", "--json"))["records"]) == 4


@pytest.mark.timeout(60)
def test_consume_follow_waits_for_an_egress_topic_nothing_wrote_to_yet(stack):
    _, emulator = greeter_kafka(stack)
    follower = subprocess.Popen(
        [STATEFUN_BIN, "topic", "consume", "greetings", "--follow", "--json",
         "--admin-port", str(emulator.admin_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        note = follower.stderr.readline()
        assert "unknown topic 'greetings'" in note and "waiting for its first record" in note
        assert follower.poll() is None
        ok(produce(emulator, "names", "--key", "Ann", "--json", '{"name":"Ann"}'))
        record = json.loads(follower.stdout.readline())
        assert record["key"] == "Ann" and record["value"] == "Hello Ann! Nice to meet you."
    finally:
        follower.kill()
        follower.wait()
