#include "emulator/config/egress_routes.h"

#include <catch2/catch.hpp>
#include <string>

#include "egress.pb.h"
#include "runtime/protocol/well_known_types.h"

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;

// A module with one egress of each kind: the playground one with two topics,
// one Kafka and one Kinesis egress.
ModuleConfig module_with_all_egresses() {
  ModuleConfig config;
  config.playground_egress =
      PlaygroundEgressSpec{.document = 1, .port = 8091, .topics = {"greetings", "audit"}};
  config.kafka_egresses.push_back(
      {.document = 2, .kind = "io.statefun.kafka.v1/egress", .id = "example/kafka-out"});
  config.kinesis_egresses.push_back(
      {.document = 3, .kind = "io.statefun.kinesis.v1/egress", .id = "example/kinesis-out"});
  return config;
}

EgressMessage message_to(std::string egress_id, std::string_view type_name, std::string value) {
  const auto slash = egress_id.find('/');
  return EgressMessage{
      .egress_namespace = egress_id.substr(0, slash),
      .egress_type = egress_id.substr(slash + 1),
      .argument = TypedValue{
          .type_name = std::string(type_name), .has_value = true, .value = std::move(value)}};
}

EgressMessage playground_record(std::string json) {
  return message_to(std::string(kPlaygroundEgressId), types::kPlaygroundEgressRecord,
                    std::move(json));
}

std::string kafka_bytes(std::string topic, std::string value) {
  io::statefun::sdk::egress::KafkaProducerRecord record;
  record.set_key("k");
  record.set_topic(std::move(topic));
  record.set_value_bytes(std::move(value));
  return record.SerializeAsString();
}

std::string kinesis_bytes(std::string stream, std::string value) {
  io::statefun::sdk::egress::KinesisEgressRecord record;
  record.set_partition_key("p");
  record.set_stream(std::move(stream));
  record.set_value_bytes(std::move(value));
  return record.SerializeAsString();
}

// The error message of a rejected record; fails the test if it was routed.
Error rejected(const Result<RoutedEgress>& routed) {
  REQUIRE_FALSE(routed.has_value());
  return routed.error();
}

TEST_CASE("a playground record goes to its topic with its payload", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto routed = routes.route(playground_record(R"({"topic":"greetings","payload":"Hello, Bob"})"));
  REQUIRE(routed.has_value());
  CHECK(routed->topic == "greetings");
  CHECK(routed->payload == "Hello, Bob");
}

TEST_CASE("a playground payload that is a number or boolean becomes its text", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto number = routes.route(playground_record(R"({"topic":"audit","payload":42})"));
  REQUIRE(number.has_value());
  CHECK(number->payload == "42");
  auto flag = routes.route(playground_record(R"({"topic":"audit","payload":true})"));
  REQUIRE(flag.has_value());
  CHECK(flag->payload == "true");
}

TEST_CASE("playground records the real egress would reject are errors naming why", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto error_for = [&](std::string json) {
    return rejected(routes.route(playground_record(std::move(json))));
  };
  CHECK_THAT(error_for("not json").message, Contains("not a JSON object"));
  CHECK_THAT(error_for("[1, 2]").message, Contains("not a JSON object"));
  CHECK_THAT(error_for(R"({"topic":"greetings","payload":"x","key":"k"})").message,
             Contains("unknown property 'key'"));
  CHECK_THAT(error_for(R"({"payload":"x"})").message, Contains("'topic'"));
  CHECK_THAT(error_for(R"({"topic":7,"payload":"x"})").message, Contains("non-string 'topic'"));
  CHECK_THAT(error_for(R"({"topic":"elsewhere","payload":"x"})").message,
             Contains("topic 'elsewhere' is not one of the egress's topics"));
  CHECK_THAT(error_for(R"({"topic":"greetings"})").message, Contains("missing 'payload'"));
  CHECK_THAT(error_for(R"({"topic":"greetings","payload":null})").message,
             Contains("missing 'payload'"));
  CHECK_THAT(error_for(R"({"topic":"greetings","payload":{"a":1}})").message,
             Contains("'payload' must be a string"));
  CHECK_THAT(error_for(R"({"topic":"greetings","payload":["a"]})").message,
             Contains("'payload' must be a string"));
  CHECK(error_for("not json").code == ErrorCode::kInvalidArgument);
}

TEST_CASE("a playground record with the wrong typename is an error", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto error = rejected(routes.route(message_to(std::string(kPlaygroundEgressId), types::kString,
                                                R"({"topic":"greetings","payload":"x"})")));
  CHECK(error.code == ErrorCode::kInvalidArgument);
  CHECK_THAT(error.message, Contains("typename must be io.statefun.playground/EgressRecord"));
}

TEST_CASE("a Kafka record goes to the topic it names with its value bytes", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto routed = routes.route(message_to("example/kafka-out", types::kKafkaProducerRecord,
                                        kafka_bytes("orders", std::string("v\0x", 3))));
  REQUIRE(routed.has_value());
  CHECK(routed->topic == "orders");
  CHECK(routed->payload == std::string("v\0x", 3));
}

TEST_CASE("a Kafka egress rejects other typenames and unparsable records", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto wrong_type = rejected(routes.route(
      message_to("example/kafka-out", types::kKinesisEgressRecord, kinesis_bytes("s", "v"))));
  CHECK(wrong_type.code == ErrorCode::kInvalidArgument);
  CHECK_THAT(wrong_type.message, Contains("Kafka egress example/kafka-out expects"));
  auto garbage = rejected(
      routes.route(message_to("example/kafka-out", types::kKafkaProducerRecord, "\xff\xff\xff")));
  CHECK_THAT(garbage.message, Contains("record is not a KafkaProducerRecord"));
}

TEST_CASE("a Kinesis record goes to the stream it names with its value bytes", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto routed = routes.route(message_to("example/kinesis-out", types::kKinesisEgressRecord,
                                        kinesis_bytes("clicks", "payload")));
  REQUIRE(routed.has_value());
  CHECK(routed->topic == "clicks");
  CHECK(routed->payload == "payload");
}

TEST_CASE("a Kinesis egress rejects other typenames and unparsable records", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto wrong_type = rejected(routes.route(
      message_to("example/kinesis-out", types::kKafkaProducerRecord, kafka_bytes("t", "v"))));
  CHECK(wrong_type.code == ErrorCode::kInvalidArgument);
  CHECK_THAT(wrong_type.message, Contains("Kinesis egress example/kinesis-out expects"));
  auto garbage = rejected(
      routes.route(message_to("example/kinesis-out", types::kKinesisEgressRecord, "\xff\xff\xff")));
  CHECK_THAT(garbage.message, Contains("record is not a KinesisEgressRecord"));
}

TEST_CASE("an egress the module does not declare is not found", "[emulator]") {
  const EgressRoutes routes(module_with_all_egresses());
  auto unknown = rejected(routes.route(
      message_to("example/nowhere", types::kKafkaProducerRecord, kafka_bytes("t", "v"))));
  CHECK(unknown.code == ErrorCode::kNotFound);
  CHECK_THAT(unknown.message, Contains("unknown egress example/nowhere"));

  // Without a playground egress in the module, its id is unknown too.
  const EgressRoutes no_playground{ModuleConfig{}};
  auto missing =
      rejected(no_playground.route(playground_record(R"({"topic":"greetings","payload":"x"})")));
  CHECK(missing.code == ErrorCode::kNotFound);
}

}  // namespace
}  // namespace statefun::emulator
