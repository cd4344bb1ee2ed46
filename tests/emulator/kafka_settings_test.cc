// What module.yaml's Kafka ingresses and egresses say about their broker
// (KafkaSettings), which `kafka: connect` acts on, and statefun.yaml's
// `kafka:` key.
#include <catch2/catch.hpp>
#include <string>

#include "emulator/config/dev_config.h"
#include "emulator/config/module_config.h"
#include "emulator/kafka/kafka_connect.h"
#include "emulator/kafka/kafka_egress.h"
#include "emulator/kafka/kafka_ingress.h"

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;

constexpr std::string_view kEndpoint = R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
---
)";

ModuleConfig parse(const std::string& components) {
  auto config = parse_module_yaml(std::string(kEndpoint) + components, "module.yaml");
  INFO((config ? "" : config.error().message));
  REQUIRE(config);
  return *config;
}

TEST_CASE("kafka settings: an ingress's address, group, reset and properties",
          "[emulator][kafka]") {
  auto config = parse(R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: my-group
  autoOffsetResetPosition: EARLIEST
  properties:
    - fetch.min.bytes: "1"
    - client.id: names
  topics:
    - topic: names
      valueType: io.statefun.types/string
      targets: [example/greeter]
)");
  REQUIRE(config.kafka_ingresses.size() == 1);
  const auto& kafka = config.kafka_ingresses[0].kafka;
  REQUIRE(kafka);
  CHECK(kafka->address == "kafka:9092");
  CHECK(kafka->consumer_group_id == "my-group");
  CHECK(kafka->auto_offset_reset == "earliest");
  CHECK(kafka->start == KafkaSettings::Start::kGroupOffsets);  // StateFun's default
  CHECK(kafka::consumer_properties(*kafka) == kafka::Properties{{"client.id", "names"},
                                                                {"fetch.min.bytes", "1"},
                                                                {"bootstrap.servers", "kafka:9092"},
                                                                {"group.id", "my-group"},
                                                                {"auto.offset.reset", "earliest"}});
}

TEST_CASE("kafka settings: every startup position", "[emulator][kafka]") {
  const std::string head = R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: g
  topics:
    - topic: names
      valueType: io.statefun.types/string
      targets: [example/greeter]
  startupPosition:
)";
  using Start = KafkaSettings::Start;
  CHECK(parse(head + "    type: earliest\n").kafka_ingresses[0].kafka->start == Start::kEarliest);
  CHECK(parse(head + "    type: latest\n").kafka_ingresses[0].kafka->start == Start::kLatest);
  CHECK(parse(head + "    type: group-offsets\n").kafka_ingresses[0].kafka->start ==
        Start::kGroupOffsets);
  auto specific = *parse(head +
                         "    type: specific-offsets\n    offsets:\n      - names/0: 42\n"
                         "      - my/topic/1: 7\n")
                       .kafka_ingresses[0]
                       .kafka;
  CHECK(specific.start == Start::kSpecificOffsets);
  REQUIRE(specific.specific_offsets.size() == 2);
  CHECK(specific.specific_offsets[0].topic == "names");
  CHECK(specific.specific_offsets[0].partition == 0);
  CHECK(specific.specific_offsets[0].offset == 42);
  CHECK(specific.specific_offsets[1].topic == "my/topic");  // the last '/' splits
  CHECK(specific.specific_offsets[1].partition == 1);
  auto date = *parse(head + "    type: date\n    date: 2020-02-01 04:15:00.000 +0100\n")
                   .kafka_ingresses[0]
                   .kafka;
  CHECK(date.start == Start::kDate);
  CHECK(date.start_date_ms == 1580526900000);  // 03:15:00 UTC
}

TEST_CASE("kafka settings: an egress's delivery semantic", "[emulator][kafka]") {
  const std::string head = R"(kind: io.statefun.kafka.v1/egress
spec:
  id: example/greets
  address: kafka:9092
)";
  auto plain = *parse(head).kafka_egresses[0].kafka;
  CHECK(plain.delivery == KafkaSettings::Delivery::kAtLeastOnce);
  CHECK(kafka::producer_properties(plain) ==
        kafka::Properties{{"bootstrap.servers", "kafka:9092"}});
  auto exactly = *parse(head +
                        "  deliverySemantic:\n    type: exactly-once\n"
                        "    transactionTimeout: 15min\n")
                      .kafka_egresses[0]
                      .kafka;
  CHECK(exactly.delivery == KafkaSettings::Delivery::kExactlyOnce);
  CHECK(exactly.transaction_timeout == std::chrono::minutes(15));
  auto none = *parse(head + "  deliverySemantic:\n    type: none\n").kafka_egresses[0].kafka;
  CHECK(none.delivery == KafkaSettings::Delivery::kNone);
}

TEST_CASE("statefun.yaml: kafka is emulate or connect", "[emulator][kafka]") {
  auto connect = parse_dev_config("kafka: connect\n", "statefun.yaml", "/tmp");
  REQUIRE(connect);
  CHECK(connect->settings.kafka_connect == true);
  auto emulate = parse_dev_config("kafka: emulate\n", "statefun.yaml", "/tmp");
  REQUIRE(emulate);
  CHECK(emulate->settings.kafka_connect == false);
  auto none = parse_dev_config("data: x\n", "statefun.yaml", "/tmp");
  REQUIRE(none);
  CHECK_FALSE(none->settings.kafka_connect.has_value());
  auto bad = parse_dev_config("kafka: real\n", "statefun.yaml", "/tmp");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Contains("statefun.yaml:1:"));
  CHECK_THAT(bad.error().message, Contains("kafka"));
  // The flag wins over the file.
  DevOverrides flag;
  flag.settings.kafka_connect = false;
  CHECK(apply_overrides(*connect, flag).settings.kafka_connect == false);
}

}  // namespace
}  // namespace statefun::emulator

namespace statefun::emulator::kafka {
namespace {

TEST_CASE("kafka connect: statefun.yaml's hosts map applies to broker addresses",
          "[emulator][kafka]") {
  const std::map<std::string, std::string> hosts{{"kafka-broker", "localhost"},
                                                 {"other", "127.0.0.1:19092"}};
  CHECK(map_bootstrap("kafka-broker:9092", hosts) == "localhost:9092");
  CHECK(map_bootstrap("kafka-broker:9092,other:9093,third:9094", hosts) ==
        "localhost:9092,127.0.0.1:19092,third:9094");
  CHECK(map_bootstrap("elsewhere:9092", hosts) == "elsewhere:9092");
  CHECK(map_bootstrap("kafka-broker", hosts) == "localhost");
}

}  // namespace
}  // namespace statefun::emulator::kafka
