#include "emulator/topics/topic_feedback.h"

#include <catch2/catch.hpp>
#include <string>

#include "egress.pb.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;

// A pipeline: functions write to the Kafka egress example/out (topic
// "greetings") and the Kinesis egress example/stream (stream "greetings");
// a Kafka ingress and a Kinesis ingress each read "greetings".
ModuleConfig pipeline_module() {
  const auto config = parse_module_yaml(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: example/greetings-in
  address: kafka:9092
  consumerGroupId: pipeline
  topics:
    - topic: greetings
      valueType: example/Greeting
      targets:
        - example/archive
        - example/counter
---
kind: io.statefun.kinesis.v1/ingress
spec:
  id: example/stream-in
  streams:
    - stream: greetings
      valueType: example/Click
      targets:
        - example/clicker
---
kind: io.statefun.kafka.v1/egress
spec:
  id: example/out
  address: kafka:9092
  deliverySemantic:
    type: at-least-once
---
kind: io.statefun.kinesis.v1/egress
spec:
  id: example/stream
)",
                                        "module.yaml");
  REQUIRE(config.has_value());
  return *config;
}

EgressMessage kafka_message(const std::string& topic, const std::string& key,
                            const std::string& value) {
  io::statefun::sdk::egress::KafkaProducerRecord record;
  record.set_topic(topic);
  record.set_key(key);
  record.set_value_bytes(value);
  return {"example",
          "out",
          {std::string(types::kKafkaProducerRecord), true, record.SerializeAsString()}};
}

EgressMessage kinesis_message(const std::string& stream, const std::string& key,
                              const std::string& value) {
  io::statefun::sdk::egress::KinesisEgressRecord record;
  record.set_stream(stream);
  record.set_partition_key(key);
  record.set_value_bytes(value);
  return {"example",
          "stream",
          {std::string(types::kKinesisEgressRecord), true, record.SerializeAsString()}};
}

}  // namespace

TEST_CASE("a Kafka egress record to a topic an ingress reads is routed back",
          "[emulator][topics]") {
  const auto config = pipeline_module();
  RoutedEgress routed{"greetings", "hi"};
  REQUIRE(add_topic_feedback(config, kafka_message("greetings", "bob", "hi"), routed, true));
  REQUIRE(routed.feedback.has_value());
  CHECK(routed.feedback->record.topic == "greetings");
  CHECK(routed.feedback->record.key == "bob");
  CHECK(routed.feedback->record.value == "hi");
  // Only the Kafka ingress: the Kinesis stream of the same name is another log.
  const auto& messages = routed.feedback->messages;
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].target.str() == "example/archive/bob");
  CHECK(messages[1].target.str() == "example/counter/bob");
  CHECK(messages[0].argument.type_name == "example/Greeting");
  CHECK(messages[0].argument.value == "hi");
}

TEST_CASE("a Kinesis egress record feeds the Kinesis ingress by partition key",
          "[emulator][topics]") {
  const auto config = pipeline_module();
  RoutedEgress routed{"greetings", "c"};
  // Kinesis stays emulated in connect mode, so it is fed either way.
  REQUIRE(add_topic_feedback(config, kinesis_message("greetings", "p1", "c"), routed, false));
  REQUIRE(routed.feedback.has_value());
  REQUIRE(routed.feedback->messages.size() == 1);
  CHECK(routed.feedback->messages[0].target.str() == "example/clicker/p1");
}

TEST_CASE("what no ingress reads, and Kafka in connect mode, is not fed back",
          "[emulator][topics]") {
  const auto config = pipeline_module();
  RoutedEgress elsewhere{"other", "x"};
  REQUIRE(add_topic_feedback(config, kafka_message("other", "bob", "x"), elsewhere, true));
  CHECK_FALSE(elsewhere.feedback.has_value());
  RoutedEgress connected{"greetings", "x"};
  REQUIRE(add_topic_feedback(config, kafka_message("greetings", "bob", "x"), connected, false));
  CHECK_FALSE(connected.feedback.has_value());
  RoutedEgress playground{"out", "x"};
  REQUIRE(add_topic_feedback(
      config,
      {"io.statefun.playground", "egress", {"io.statefun.playground/EgressRecord", true, "{}"}},
      playground, true));
  CHECK_FALSE(playground.feedback.has_value());
}

TEST_CASE("an empty Kafka key reaches the ingress as no key, which fails the response",
          "[emulator][topics]") {
  const auto config = pipeline_module();
  RoutedEgress routed{"greetings", "x"};
  auto fed = add_topic_feedback(config, kafka_message("greetings", "", "x"), routed, true);
  REQUIRE_FALSE(fed);
  CHECK_THAT(fed.error().message, Contains("example/out") && Contains("\"greetings\"") &&
                                      Contains("example/greetings-in") && Contains("no key"));
  CHECK_FALSE(routed.feedback.has_value());
}

}  // namespace statefun::emulator
