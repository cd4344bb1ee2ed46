// The Kafka client wrapper (emulator/kafka/). "[kafka]" cases need no
// broker; "[.kafka-broker]" cases (hidden: not in the layer runs) talk to the
// real broker named by STATEFUN_KAFKA_BOOTSTRAP, which ctest's
// unit-kafka-broker starts through tests/kafka/broker.py.
#include <librdkafka/rdkafka.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "emulator/kafka/kafka_consumer.h"
#include "emulator/kafka/kafka_producer.h"

namespace statefun::emulator::kafka {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// A port nothing listens on: binding it and not listening keeps it closed.
constexpr const char* kDeadBroker = "127.0.0.1:1";

TEST_CASE("kafka: an unknown property is a one-line error naming it", "[emulator][kafka]") {
  auto c = Consumer::create({{"bootstrap.servers", kDeadBroker}, {"fetch.max.bites", "1"}});
  REQUIRE_FALSE(c);
  CHECK(c.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(c.error().message, StartsWith("Kafka property \"fetch.max.bites\"=\"1\": "));
  CHECK(c.error().message.find('\n') == std::string::npos);
}

TEST_CASE("kafka: a bad property value is a one-line error naming it", "[emulator][kafka]") {
  auto p = Producer::create({{"bootstrap.servers", kDeadBroker}, {"linger.ms", "soon"}}, {});
  REQUIRE_FALSE(p);
  CHECK(p.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(p.error().message, StartsWith("Kafka property \"linger.ms\"=\"soon\": "));
}

TEST_CASE("kafka: bootstrap.servers is required", "[emulator][kafka]") {
  auto c = Consumer::create({{"group.id", "g"}});
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "Kafka property \"bootstrap.servers\" is missing");
}

TEST_CASE("kafka: an unreachable broker is kUnavailable naming it", "[emulator][kafka]") {
  auto c = Consumer::create({{"bootstrap.servers", kDeadBroker}});
  REQUIRE(c);
  auto parts = (*c)->partitions("t", 1500ms);
  REQUIRE_FALSE(parts);
  CHECK(parts.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(parts.error().message, StartsWith("Kafka broker 127.0.0.1:1 unreachable"));

  auto p = Producer::create({{"bootstrap.servers", kDeadBroker}}, {});
  REQUIRE(p);
  auto sent = (*p)->send({{.topic = "t", .key = "k", .value = "v"}}, 1500ms);
  REQUIRE_FALSE(sent);
  CHECK(sent.error().code == ErrorCode::kUnavailable);
}

// ---- against the real broker ----

std::string bootstrap() {
  const char* b = std::getenv("STATEFUN_KAFKA_BOOTSTRAP");
  if (b == nullptr) FAIL("STATEFUN_KAFKA_BOOTSTRAP is not set (run through tests/kafka/broker.py)");
  return b;
}

std::string unique_topic(const std::string& stem) {
  static std::mt19937_64 rng{std::random_device{}()};
  return stem + "-" + std::to_string(rng() % 1000000000);
}

// Creates a topic with librdkafka's admin API (the wrapper has no admin part).
void create_topic(const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().c_str(), err, sizeof err) ==
          RD_KAFKA_CONF_OK);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  REQUIRE(rk != nullptr);
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  REQUIRE(ev != nullptr);
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
  REQUIRE(n == 1);
  CHECK(rd_kafka_topic_result_error(results[0]) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
}

std::vector<Record> read_n(Consumer& c, std::size_t n) {
  std::vector<Record> out;
  for (int i = 0; i < 600 && out.size() < n; ++i) {  // up to a minute
    auto got = c.poll(n - out.size(), 100ms);
    REQUIRE(got);
    out.insert(out.end(), got->begin(), got->end());
  }
  return out;
}

TEST_CASE("kafka broker: produce, then consume from the beginning, keys kept", "[.kafka-broker]") {
  const auto topic = unique_topic("roundtrip");
  create_topic(topic, 2);
  auto p = Producer::create({{"bootstrap.servers", bootstrap()}}, {});
  REQUIRE(p);
  std::vector<OutRecord> records;
  for (int i = 0; i < 10; ++i) {
    records.push_back(
        {.topic = topic, .key = "k" + std::to_string(i % 3), .value = std::to_string(i)});
  }
  records.push_back({.topic = topic, .key = std::nullopt, .value = "no key"});
  REQUIRE((*p)->send(records, 30s));

  auto c = Consumer::create({{"bootstrap.servers", bootstrap()}, {"group.id", "g-" + topic}});
  REQUIRE(c);
  auto parts = (*c)->partitions(topic, 30s);
  REQUIRE(parts);
  CHECK(*parts == std::vector<std::int32_t>{0, 1});
  REQUIRE((*c)->assign({{topic, 0, kOffsetBeginning}, {topic, 1, kOffsetBeginning}}));
  auto got = read_n(**c, records.size());
  REQUIRE(got.size() == records.size());
  int null_keys = 0;
  std::map<std::string, std::vector<std::string>> per_key;
  for (const auto& r : got) {
    CHECK(r.topic == topic);
    if (!r.key) {
      ++null_keys;
      CHECK(r.value == "no key");
      continue;
    }
    per_key[*r.key].push_back(*r.value);
  }
  CHECK(null_keys == 1);
  // One key goes to one partition: its records keep the produced order.
  CHECK(per_key["k0"] == std::vector<std::string>{"0", "3", "6", "9"});
  CHECK(per_key["k1"] == std::vector<std::string>{"1", "4", "7"});
}

TEST_CASE("kafka broker: assign from an offset, commit, read it back as committed",
          "[.kafka-broker]") {
  const auto topic = unique_topic("offsets");
  create_topic(topic, 1);
  auto p = Producer::create({{"bootstrap.servers", bootstrap()}}, {});
  REQUIRE(p);
  std::vector<OutRecord> records;
  for (int i = 0; i < 5; ++i)
    records.push_back({.topic = topic, .key = "k", .value = std::to_string(i)});
  REQUIRE((*p)->send(records, 30s));

  const std::string group = "g-" + topic;
  auto c = Consumer::create({{"bootstrap.servers", bootstrap()}, {"group.id", group}});
  REQUIRE(c);
  auto none = (*c)->committed({{topic, 0, 0}}, 30s);
  REQUIRE(none);
  CHECK(none->at(0).offset == kOffsetInvalid);
  REQUIRE((*c)->assign({{topic, 0, 3}}));
  auto got = read_n(**c, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].offset == 3);
  CHECK(*got[1].value == "4");
  REQUIRE((*c)->commit({{topic, 0, 5}}));

  auto again = Consumer::create({{"bootstrap.servers", bootstrap()}, {"group.id", group}});
  REQUIRE(again);
  auto committed = (*again)->committed({{topic, 0, 0}}, 30s);
  REQUIRE(committed);
  CHECK(committed->at(0) == PartitionOffset{topic, 0, 5});
}

TEST_CASE("kafka broker: offsets by time", "[.kafka-broker]") {
  const auto topic = unique_topic("bytime");
  create_topic(topic, 1);
  auto p = Producer::create({{"bootstrap.servers", bootstrap()}}, {});
  REQUIRE(p);
  REQUIRE((*p)->send({{.topic = topic, .key = "a", .value = "1"}}, 30s));
  auto c = Consumer::create({{"bootstrap.servers", bootstrap()}});
  REQUIRE(c);
  REQUIRE((*c)->assign({{topic, 0, kOffsetBeginning}}));
  auto first = read_n(**c, 1);
  REQUIRE(first.size() == 1);
  const auto t0 = first[0].timestamp_ms;
  auto at = (*c)->offsets_for_time({{topic, 0, 0}}, t0, 30s);
  REQUIRE(at);
  CHECK(at->at(0).offset == 0);
  auto after = (*c)->offsets_for_time({{topic, 0, 0}}, t0 + 3600 * 1000, 30s);
  REQUIRE(after);
  CHECK(after->at(0).offset == kOffsetEnd);
}

TEST_CASE("kafka broker: a missing topic is kNotFound naming it", "[.kafka-broker]") {
  auto c = Consumer::create({{"bootstrap.servers", bootstrap()}});
  REQUIRE(c);
  auto parts = (*c)->partitions("no-such-topic", 30s);
  REQUIRE_FALSE(parts);
  CHECK(parts.error().code == ErrorCode::kNotFound);
  CHECK(parts.error().message ==
        "Kafka metadata of topic \"no-such-topic\": no such topic on " + bootstrap());

  auto p = Producer::create({{"bootstrap.servers", bootstrap()}}, {});
  REQUIRE(p);
  auto sent = (*p)->send({{.topic = "no-such-topic", .key = "k", .value = "v"}}, 30s);
  REQUIRE_FALSE(sent);
  CHECK(sent.error().code == ErrorCode::kNotFound);
}

TEST_CASE("kafka broker: a transactional producer's records are read committed",
          "[.kafka-broker]") {
  const auto topic = unique_topic("txn");
  create_topic(topic, 1);
  auto p = Producer::create({{"bootstrap.servers", bootstrap()}}, "txn-" + topic);
  REQUIRE(p);
  REQUIRE((*p)->send(
      {{.topic = topic, .key = "a", .value = "1"}, {.topic = topic, .key = "b", .value = "2"}},
      30s));
  REQUIRE((*p)->send({{.topic = topic, .key = "c", .value = "3"}}, 30s));
  auto c =
      Consumer::create({{"bootstrap.servers", bootstrap()}, {"isolation.level", "read_committed"}});
  REQUIRE(c);
  REQUIRE((*c)->assign({{topic, 0, kOffsetBeginning}}));
  auto got = read_n(**c, 3);
  REQUIRE(got.size() == 3);
  CHECK(*got[0].value == "1");
  CHECK(*got[2].value == "3");
}

}  // namespace
}  // namespace statefun::emulator::kafka
