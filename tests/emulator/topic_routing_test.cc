#include "emulator/topics/topic_routing.h"

#include <catch2/catch.hpp>
#include <string>

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;

// A module as module.yaml's parser builds it: one Kafka ingress reading
// "names" (two targets) and "audit" (none), one Kinesis ingress reading the
// stream "clicks", and a second Kafka ingress that also reads "names".
ModuleConfig sample_module() {
  const auto config = parse_module_yaml(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: greeter
  topics:
    - topic: names
      valueType: example/Name
      targets:
        - example/greeter
        - example/counter
    - topic: audit
      valueType: example/Audit
      targets: []
---
kind: io.statefun.kinesis.v1/ingress
spec:
  id: example/clicks
  streams:
    - stream: clicks
      valueType: example/Click
      targets:
        - example/clicker
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: example/mirror
  address: kafka:9092
  consumerGroupId: mirror
  topics:
    - topic: names
      valueType: io.statefun.types/string
      targets:
        - example/mirror
)",
                                        "module.yaml");
  REQUIRE(config.has_value());
  return *config;
}

const ExternalIoSpec& kafka_names(const ModuleConfig& config) { return config.kafka_ingresses[0]; }

std::string error_of(const Result<std::vector<InboxMessage>>& routed) {
  REQUIRE_FALSE(routed.has_value());
  return routed.error().message;
}

TEST_CASE("A Kafka record goes to every target, keyed by the record key", "[topics]") {
  const auto config = sample_module();
  auto routed = route_topic_record(kafka_names(config), TopicKind::kKafka,
                                   {"names", "alice", R"({"name":"Alice"})"});
  REQUIRE(routed.has_value());
  REQUIRE(routed->size() == 2);
  const InboxMessage& first = (*routed)[0];
  CHECK(first.target.str() == "example/greeter/alice");
  CHECK((*routed)[1].target.str() == "example/counter/alice");
  for (const auto& message : *routed) {
    CHECK(message.argument == TypedValue{"example/Name", true, R"({"name":"Alice"})"});
    CHECK_FALSE(message.caller.has_value());
    CHECK(message.source == MessageSource::kIngress);
    CHECK(message.seq == 0);
    CHECK(message.accepted_at_ms == 0);
  }
}

TEST_CASE("The value's bytes are passed through unchanged, typed with valueType", "[topics]") {
  const auto config = sample_module();
  const std::string binary("\x00\xff\x01", 3);
  auto routed = route_topic_record(kafka_names(config), TopicKind::kKafka, {"names", "k", binary});
  REQUIRE(routed.has_value());
  CHECK((*routed)[0].argument.value == binary);
  CHECK((*routed)[0].argument.type_name == "example/Name");

  SECTION("an empty value is a present empty value") {
    auto empty = route_topic_record(kafka_names(config), TopicKind::kKafka, {"names", "k", ""});
    REQUIRE(empty.has_value());
    CHECK((*empty)[0].argument == TypedValue{"example/Name", true, ""});
  }
}

TEST_CASE("A Kafka record without a key is refused, as the runtime fails on it", "[topics]") {
  const auto config = sample_module();
  const auto message = error_of(
      route_topic_record(kafka_names(config), TopicKind::kKafka, {"names", std::nullopt, "v"}));
  CHECK_THAT(message, Contains("Kafka ingress example/names"));
  CHECK_THAT(message, Contains("topic \"names\""));
  CHECK_THAT(message, Contains("has no key"));
}

TEST_CASE("An empty Kafka key is the id \"\"", "[topics]") {
  const auto config = sample_module();
  auto routed = route_topic_record(kafka_names(config), TopicKind::kKafka, {"names", "", "v"});
  REQUIRE(routed.has_value());
  CHECK((*routed)[0].target.id.empty());
  CHECK((*routed)[0].target.type.str() == "example/greeter");
}

TEST_CASE("A Kafka key is decoded as UTF-8 with malformed bytes replaced", "[topics]") {
  const auto config = sample_module();
  auto routed = route_topic_record(kafka_names(config), TopicKind::kKafka,
                                   {"names",
                                    std::string("a\xff"
                                                "b"),
                                    "v"});
  REQUIRE(routed.has_value());
  CHECK((*routed)[0].target.id ==
        "a\xEF\xBF\xBD"
        "b");
  // A key with a '/' is an ordinary id.
  auto slash = route_topic_record(kafka_names(config), TopicKind::kKafka, {"names", "a/b", "v"});
  REQUIRE(slash.has_value());
  CHECK((*slash)[0].target.id == "a/b");
}

TEST_CASE("decode_utf8_lossy replaces each maximal malformed subpart once", "[topics]") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(decode_utf8_lossy("") == "");
  CHECK(decode_utf8_lossy("h\xC3\xA9llo \xF0\x9F\x98\x80") == "h\xC3\xA9llo \xF0\x9F\x98\x80");
  CHECK(decode_utf8_lossy("\x80") == fffd);             // a lone continuation byte
  CHECK(decode_utf8_lossy("\xC0\xAF") == fffd + fffd);  // an overlong lead, then a stray
  CHECK(decode_utf8_lossy("\xE2\x82") == fffd);         // a truncated 3-byte sequence
  CHECK(decode_utf8_lossy("\xE2\x82"
                          "A") == fffd + "A");                                // cut short by ASCII
  CHECK(decode_utf8_lossy("\xED\xA0\x80") == fffd + fffd + fffd);             // a surrogate
  CHECK(decode_utf8_lossy("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // > U+10FFFF
  CHECK(decode_utf8_lossy("\xF0\x9F\x98") == fffd);  // a truncated 4-byte sequence
}

TEST_CASE("A record without a value (a tombstone) is refused", "[topics]") {
  const auto config = sample_module();
  const auto message = error_of(
      route_topic_record(kafka_names(config), TopicKind::kKafka, {"names", "k", std::nullopt}));
  CHECK_THAT(message, Contains("has no value"));
}

TEST_CASE("A topic the ingress does not list is refused", "[topics]") {
  const auto config = sample_module();
  const auto message =
      error_of(route_topic_record(kafka_names(config), TopicKind::kKafka, {"other", "k", "v"}));
  CHECK_THAT(message, Contains("Kafka ingress example/names: topic \"other\": not one of"));
}

TEST_CASE("A route with no targets routes a record to nothing", "[topics]") {
  const auto config = sample_module();
  auto routed = route_topic_record(kafka_names(config), TopicKind::kKafka, {"audit", "k", "v"});
  REQUIRE(routed.has_value());
  CHECK(routed->empty());
}

TEST_CASE("A topic listed twice in one ingress routes by its last entry", "[topics]") {
  ExternalIoSpec ingress{.document = 1,
                         .kind = "io.statefun.kafka.v1/ingress",
                         .id = "example/twice",
                         .routes = {{"t", "example/First", {"example/a"}},
                                    {"t", "example/Second", {"example/b", "example/b"}}}};
  auto routed = route_topic_record(ingress, TopicKind::kKafka, {"t", "k", "v"});
  REQUIRE(routed.has_value());
  // The last entry, and a target listed twice gets the record twice.
  REQUIRE(routed->size() == 2);
  CHECK((*routed)[0].target.str() == "example/b/k");
  CHECK((*routed)[1].target.str() == "example/b/k");
  CHECK((*routed)[0].argument.type_name == "example/Second");
}

TEST_CASE("A Kinesis record routes by stream and partition key", "[topics]") {
  const auto config = sample_module();
  const ExternalIoSpec& clicks = config.kinesis_ingresses[0];
  auto routed = route_topic_record(clicks, TopicKind::kKinesis, {"clicks", "user-1", "c"});
  REQUIRE(routed.has_value());
  REQUIRE(routed->size() == 1);
  CHECK((*routed)[0].target.str() == "example/clicker/user-1");
  CHECK((*routed)[0].argument == TypedValue{"example/Click", true, "c"});

  SECTION("without a partition key it is refused") {
    const auto message =
        error_of(route_topic_record(clicks, TopicKind::kKinesis, {"clicks", std::nullopt, "c"}));
    CHECK_THAT(message, Contains("Kinesis ingress example/clicks: stream \"clicks\""));
    CHECK_THAT(message, Contains("no partition key"));
  }
  SECTION("an empty partition key is refused, as Kinesis does") {
    CHECK_THAT(error_of(route_topic_record(clicks, TopicKind::kKinesis, {"clicks", "", "c"})),
               Contains("partition key is empty"));
  }
}

TEST_CASE("Every ingress reading a topic gets the record", "[topics]") {
  const auto config = sample_module();
  const auto readers = readers_of(config, "names");
  REQUIRE(readers.size() == 2);
  CHECK(readers[0].ingress->id == "example/names");
  CHECK(readers[1].ingress->id == "example/mirror");
  CHECK(readers_of(config, "clicks").size() == 1);
  CHECK(readers_of(config, "clicks")[0].kind == TopicKind::kKinesis);
  CHECK(readers_of(config, "nothing").empty());

  auto routed = route_produced_record(config, {"names", "bob", "hi"});
  REQUIRE(routed.has_value());
  REQUIRE(routed->size() == 3);
  CHECK((*routed)[0].target.str() == "example/greeter/bob");
  CHECK((*routed)[1].target.str() == "example/counter/bob");
  CHECK((*routed)[2].target.str() == "example/mirror/bob");
  CHECK((*routed)[2].argument.type_name == "io.statefun.types/string");
}

TEST_CASE("A produced record nobody reads, or one an ingress refuses, routes nothing", "[topics]") {
  const auto config = sample_module();
  auto nobody = route_produced_record(config, {"nothing", "k", "v"});
  REQUIRE_FALSE(nobody.has_value());
  CHECK(nobody.error().code == ErrorCode::kNotFound);
  CHECK(nobody.error().message ==
        "no Kafka or Kinesis ingress in module.yaml reads topic \"nothing\"");
  CHECK_THAT(error_of(route_produced_record(config, {"names", std::nullopt, "v"})),
             Contains("has no key"));
}

}  // namespace
}  // namespace statefun::emulator
