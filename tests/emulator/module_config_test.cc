#include "emulator/config/module_config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/core/time_text.h"

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Most error tests only care about one component; this endpoint keeps the
// module valid around it.
constexpr std::string_view kEndpoint = R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
)";

constexpr std::string_view kPlaygroundIngress = R"(kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
)";

ModuleConfig parse_ok(std::string_view yaml) {
  auto config = parse_module_yaml(yaml, "module.yaml");
  INFO((config ? std::string() : config.error().message));
  REQUIRE(config.has_value());
  return *config;
}

std::string parse_error(std::string_view yaml) {
  auto config = parse_module_yaml(yaml, "module.yaml");
  REQUIRE_FALSE(config.has_value());
  CHECK(config.error().code == ErrorCode::kInvalidArgument);
  return config.error().message;
}

// `kEndpoint` followed by `component` as document 2.
std::string with_endpoint(std::string_view component) {
  return std::string(kEndpoint) + "---\n" + std::string(component);
}

bool has_warning_containing(const ModuleConfig& config, std::string_view text) {
  for (const auto& warning : config.warnings) {
    if (warning.find(text) != std::string::npos) return true;
  }
  return false;
}

// module.yaml reads durations in Flink's form.
milliseconds duration(std::string_view text) {
  auto parsed = parse_duration(text, kFlinkDurations);
  INFO(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

// ---------------------------------------------------------------------------
// Playground examples and defaults
// ---------------------------------------------------------------------------

TEST_CASE("The python greeter module loads with a one-day call timeout and both playground servers",
          "[emulator]") {
  const auto config = parse_ok(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
  transport:
    type: io.statefun.transports.v1/async
    call: 1day
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
kind: io.statefun.playground.v1/egress
spec:
  port: 8091
  topics:
    - greetings
)");
  CHECK(config.path == "module.yaml");
  CHECK_FALSE(config.legacy_format);
  CHECK(config.warnings.empty());
  REQUIRE(config.endpoints.size() == 1);
  const auto& endpoint = config.endpoints[0];
  CHECK(endpoint.document == 1);
  CHECK(endpoint.kind == "io.statefun.endpoints.v2/http");
  CHECK(endpoint.functions == "example/*");
  CHECK(endpoint.function_namespace == "example");
  CHECK_FALSE(endpoint.function_name.has_value());
  CHECK(endpoint.url_path_template == "http://functions:8000/statefun");
  CHECK(endpoint.transport == TransportKind::kAsync);
  CHECK(endpoint.call_timeout == std::chrono::hours(24));
  CHECK(endpoint.connect_timeout == seconds(20));
  REQUIRE(config.playground_ingress.has_value());
  CHECK(config.playground_ingress->document == 2);
  CHECK(config.playground_ingress->port == 8090);
  REQUIRE(config.playground_egress.has_value());
  CHECK(config.playground_egress->document == 3);
  CHECK(config.playground_egress->port == 8091);
  CHECK(config.playground_egress->topics == std::vector<std::string>{"greetings"});
}

TEST_CASE("An endpoint without a transport gets every async default", "[emulator]") {
  const auto config = parse_ok(with_endpoint(kPlaygroundIngress));
  const auto& endpoint = config.endpoints.at(0);
  CHECK(endpoint.transport == TransportKind::kAsync);
  CHECK(endpoint.max_num_batch_requests == 1000);
  CHECK(endpoint.call_timeout == minutes(2));
  CHECK(endpoint.connect_timeout == seconds(20));
  CHECK(endpoint.pool_ttl == seconds(15));
  CHECK(endpoint.pool_size == 1024);
  CHECK(endpoint.payload_max_bytes == 33554432);
}

TEST_CASE("Async transport pool and payload settings are read", "[emulator]") {
  const auto config = parse_ok(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/greeter
  urlPathTemplate: https://functions.example.com/{function.name}
  maxNumBatchRequests: 0
  transport:
    call: 30s
    connect: 2 sec
    pool_ttl: 0
    pool_size: 8
    payload_max_bytes: 1048576
)");
  const auto& endpoint = config.endpoints.at(0);
  CHECK(endpoint.function_name == "greeter");
  CHECK(endpoint.max_num_batch_requests == 0);
  CHECK(endpoint.call_timeout == seconds(30));
  CHECK(endpoint.connect_timeout == seconds(2));
  CHECK(endpoint.pool_ttl == milliseconds(0));
  CHECK(endpoint.pool_size == 8);
  CHECK(endpoint.payload_max_bytes == 1048576);
}

TEST_CASE("The v2 endpoint coerces a quoted number for maxNumBatchRequests like Jackson does",
          "[emulator]") {
  const auto config = parse_ok(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  maxNumBatchRequests: "50"
)");
  CHECK(config.endpoints.at(0).max_num_batch_requests == 50);
}

TEST_CASE("Unknown keys are ignored as the real engine does, each with a warning", "[emulator]") {
  const auto config = parse_ok(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  somethingNew: [1, 2]
  maxNumBatchRequest: 10
  transport:
    flavour: vanilla
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
  colour: blue
extra: top-level keys are ignored too
)");
  // Still loaded: the real engine would start with this file.
  REQUIRE(config.endpoints.size() == 1);
  CHECK(config.endpoints[0].max_num_batch_requests == 1000);  // the misspelt key means the default
  const std::vector<std::string> expected = {
      "module.yaml:5:3: document 1 (io.statefun.endpoints.v2/http): spec.somethingNew: unknown "
      "key, ignored (Flink StateFun ignores it too)",
      "module.yaml:6:3: document 1 (io.statefun.endpoints.v2/http): spec.maxNumBatchRequest: "
      "unknown key, ignored (Flink StateFun ignores it too); did you mean "
      "\"maxNumBatchRequests\"?",
      "module.yaml:14:1: document 2 (io.statefun.playground.v1/ingress): extra: unknown key, "
      "ignored (Flink StateFun ignores it too)",
      "module.yaml:13:3: document 2 (io.statefun.playground.v1/ingress): spec.colour: unknown "
      "key, ignored (Flink StateFun ignores it too)",
  };
  // A transport's keys are properties of its client: open-ended, not warned about.
  CHECK(config.warnings == expected);
}

TEST_CASE("A misspelt required key names the likely misspelling", "[emulator]") {
  const auto message = parse_error(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplat: http://localhost:8000/statefun
)");
  CHECK(message ==
        "module.yaml:3:3: document 1 (io.statefun.endpoints.v2/http): spec.urlPathTemplate: "
        "missing required field (is \"urlPathTemplat\" a misspelling of it?)");
}

// ---------------------------------------------------------------------------
// v1 endpoints
// ---------------------------------------------------------------------------

TEST_CASE("A v1 endpoint uses OkHttp timeouts from spec.timeouts and ignores transport",
          "[emulator]") {
  const auto config = parse_ok(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: com.example/greeter
  urlPathTemplate: http+unix:///tmp/functions.sock/{function.name}
  maxNumBatchRequests: 10000
  timeouts:
    call: 2 min
    connect: 20 seconds
    read: 30 sec
  transport:
    type: io.statefun.transports.v1/async
    call: 1day
)");
  const auto& endpoint = config.endpoints.at(0);
  CHECK(endpoint.kind == "io.statefun.endpoints.v1/http");
  CHECK(endpoint.transport == TransportKind::kOkHttp);
  CHECK(endpoint.max_num_batch_requests == 10000);
  CHECK(endpoint.call_timeout == minutes(2));
  CHECK(endpoint.connect_timeout == seconds(20));
  CHECK(endpoint.read_timeout == seconds(30));
  CHECK(endpoint.write_timeout == seconds(10));
}

TEST_CASE("A v1 endpoint without timeouts gets the OkHttp defaults", "[emulator]") {
  const auto config = parse_ok(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
)");
  const auto& endpoint = config.endpoints.at(0);
  CHECK(endpoint.call_timeout == minutes(1));
  CHECK(endpoint.connect_timeout == seconds(10));
  CHECK(endpoint.read_timeout == seconds(10));
  CHECK(endpoint.write_timeout == seconds(10));
}

TEST_CASE("A v1 endpoint insists on YAML strings and integers where the binder does",
          "[emulator]") {
  SECTION("functions given as a number") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: 42
  urlPathTemplate: http://localhost:8000/statefun
)");
    CHECK(
        message ==
        "module.yaml:3:14: document 1 (io.statefun.endpoints.v1/http): spec.functions: expected a "
        "string, got the number 42");
  }
  SECTION("urlPathTemplate given as a mapping") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: {host: localhost}
)");
    CHECK_THAT(message, StartsWith("module.yaml:4:20: document 1 (io.statefun.endpoints.v1/http): "
                                   "spec.urlPathTemplate: expected a string, got a mapping"));
  }
  SECTION("maxNumBatchRequests given as a word") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  maxNumBatchRequests: many
)");
    CHECK(message ==
          "module.yaml:5:24: document 1 (io.statefun.endpoints.v1/http): spec.maxNumBatchRequests: "
          "expected an integer, got \"many\"");
  }
  SECTION("maxNumBatchRequests given as a quoted number") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  maxNumBatchRequests: "10"
)");
    CHECK_THAT(message, Contains("spec.maxNumBatchRequests: expected an integer, got \"10\""));
  }
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

TEST_CASE("Several documents are read in order and empty ones are skipped but still counted",
          "[emulator]") {
  const auto config = parse_ok(R"(---
kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
---
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: other/*
  urlPathTemplate: http://other:8000/statefun
---
kind: io.statefun.playground.v1/ingress
spec:
  port: 8090
---
)");
  REQUIRE(config.endpoints.size() == 2);
  CHECK(config.endpoints[0].document == 1);
  CHECK(config.endpoints[1].document == 3);
  CHECK(config.endpoints[1].function_namespace == "other");
  CHECK(config.playground_ingress->document == 4);
}

TEST_CASE("A trailing document separator is harmless", "[emulator]") {
  const auto config = parse_ok(std::string(kEndpoint) + "---\n");
  CHECK(config.endpoints.size() == 1);
}

TEST_CASE("YAML syntax errors name the file, line and column", "[emulator]") {
  const auto message = parse_error("kind: io.statefun.endpoints.v2/http\nspec: [1\n");
  CHECK_THAT(message, StartsWith("module.yaml:3:1: invalid YAML: "));
}

TEST_CASE("A document that is not a mapping is rejected with the component shape", "[emulator]") {
  const auto message = parse_error(std::string(kEndpoint) + "---\n- a\n- b\n");
  CHECK(
      message ==
      "module.yaml:6:1: document 2: expected a component (a mapping with the required fields kind "
      "and spec), got a list");
}

TEST_CASE("A component without kind or spec is rejected", "[emulator]") {
  SECTION("kind missing") {
    const auto message = parse_error(with_endpoint("spec:\n  port: 8090\n"));
    CHECK_THAT(message, StartsWith("module.yaml:6:1: document 2: kind: missing required field"));
    CHECK_THAT(message, Contains("kind and spec"));
  }
  SECTION("spec missing") {
    const auto message = parse_error(with_endpoint("kind: io.statefun.playground.v1/ingress\n"));
    CHECK_THAT(message,
               StartsWith("module.yaml:6:1: document 2 (io.statefun.playground.v1/ingress): "
                          "spec: missing required field"));
  }
  SECTION("spec not a mapping") {
    const auto message =
        parse_error(with_endpoint("kind: io.statefun.playground.v1/ingress\nspec: 8090\n"));
    CHECK_THAT(message, Contains("document 2 (io.statefun.playground.v1/ingress): spec: expected "
                                 "a mapping, got the number 8090"));
  }
}

TEST_CASE("An unknown component kind is an error that lists the known kinds", "[emulator]") {
  const auto message =
      parse_error(with_endpoint("kind: io.statefun.rabbitmq.v1/ingress\nspec: {}\n"));
  CHECK_THAT(message,
             StartsWith("module.yaml:6:7: document 2 (io.statefun.rabbitmq.v1/ingress): kind: "
                        "unknown component kind"));
  CHECK_THAT(message, Contains("io.statefun.kafka.v1/ingress"));
}

// ---------------------------------------------------------------------------
// Legacy format
// ---------------------------------------------------------------------------

constexpr std::string_view kLegacyModule = R"(version: "3.0"
module:
  meta:
    type: Remote
  spec:
    endpoints:
      - endpoint:
          meta:
            kind: http
          spec:
            functions: example/*
            urlPathTemplate: http://functions:8000/statefun
            timeouts:
              call: 2 min
    ingresses:
      - ingress:
          meta:
            type: io.statefun.kafka/ingress
            id: example/names
          spec:
            address: kafka:9092
            consumerGroupId: greeter
            topics:
              - topic: names
                valueType: example/Name
                targets:
                  - example/greeter
    egresses:
      - egress:
          meta:
            type: io.statefun.kafka/egress
            id: example/greets
          spec:
            address: kafka:9092
)";

TEST_CASE("A legacy 3.0 file maps its entries to component kinds", "[emulator]") {
  const auto config = parse_ok(std::string(kLegacyModule) + "---\n");
  CHECK(config.legacy_format);
  REQUIRE(config.endpoints.size() == 1);
  CHECK(config.endpoints[0].kind == "io.statefun.endpoints.v1/http");
  CHECK(config.endpoints[0].document == 1);
  CHECK(config.endpoints[0].transport == TransportKind::kOkHttp);
  CHECK(config.endpoints[0].call_timeout == minutes(2));
  REQUIRE(config.kafka_ingresses.size() == 1);
  CHECK(config.kafka_ingresses[0].kind == "io.statefun.kafka.v1/ingress");
  CHECK(config.kafka_ingresses[0].id == "example/names");
  REQUIRE(config.kafka_egresses.size() == 1);
  CHECK(config.kafka_egresses[0].id == "example/greets");
  // Emulated (emulator/topics/), so no longer flagged.
  CHECK_FALSE(has_warning_containing(config, "not emulated"));
}

TEST_CASE("A legacy version must be a quoted string", "[emulator]") {
  const auto message = parse_error("version: 3.0\nmodule: {}\n");
  CHECK_THAT(
      message,
      StartsWith("module.yaml:1:10: document 1: version: must be a string, got the number 3.0"));
}

TEST_CASE("Legacy versions other than 3.0 are refused with the runtime's reasons", "[emulator]") {
  SECTION("2.0 is too old") {
    const auto message = parse_error("version: \"2.0\"\nmodule: {}\n");
    CHECK_THAT(message, StartsWith("module.yaml:1:10: document 1: version: "));
    CHECK_THAT(message, Contains("higher than or equal to 3.0"));
  }
  SECTION("3.1 is unrecognized") {
    const auto message = parse_error("version: \"3.1\"\nmodule: {}\n");
    CHECK_THAT(message,
               StartsWith("module.yaml:1:10: document 1: version: unrecognized format version "
                          "\"3.1\""));
  }
}

TEST_CASE("A legacy module must declare the remote module type", "[emulator]") {
  const auto message = parse_error(R"(version: "3.0"
module:
  meta:
    type: embedded
  spec: {}
)");
  CHECK_THAT(message,
             StartsWith("module.yaml:4:11: document 1: module.meta.type: expected remote"));
}

TEST_CASE("Legacy entry errors name the path inside the module", "[emulator]") {
  const auto message = parse_error(R"(version: "3.0"
module:
  meta:
    type: remote
  spec:
    endpoints:
      - endpoint:
          meta:
            kind: http
          spec:
            functions: example/*
)");
  CHECK(message ==
        "module.yaml:11:13: document 1 (io.statefun.endpoints.v1/http): "
        "module.spec.endpoints[0].endpoint.spec.urlPathTemplate: missing required field");
}

TEST_CASE("A legacy entry's id is read from, and reported at, its meta", "[emulator]") {
  std::string module(kLegacyModule);
  const std::string id = "id: example/names";
  module.replace(module.find(id), id.size(), "id: names");
  CHECK(parse_error(module) ==
        "module.yaml:19:17: document 1 (io.statefun.kafka.v1/ingress): "
        "module.spec.ingresses[0].ingress.meta.id: expected a type name <namespace>/<name>, got "
        "\"names\"");
}

TEST_CASE("A version field in a file with several documents is not a legacy file", "[emulator]") {
  const auto message = parse_error(with_endpoint(kLegacyModule));
  CHECK_THAT(message, StartsWith("module.yaml:6:10: document 2: version: "));
}

// ---------------------------------------------------------------------------
// Function patterns and URLs
// ---------------------------------------------------------------------------

std::string endpoint_for_functions(std::string_view functions) {
  return "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: \"" + std::string(functions) +
         "\"\n  urlPathTemplate: http://localhost:8000/statefun\n";
}

TEST_CASE("Function patterns follow the runtime's type name rules", "[emulator]") {
  for (const std::string bad : {"*/greeter", "ex*/greeter", "example/greet*", "example/**",
                                "example", "a/b/c", "/greeter", "a//b", "a//", ""}) {
    INFO(bad);
    const auto message = parse_error(endpoint_for_functions(bad));
    CHECK_THAT(message, StartsWith("module.yaml:3:14: document 1 (io.statefun.endpoints.v2/http): "
                                   "spec.functions: "));
  }
  CHECK_THAT(parse_error(endpoint_for_functions("*/greeter")), Contains("namespace"));
  CHECK_THAT(parse_error(endpoint_for_functions("example/greet*")), Contains("exactly '*'"));
  CHECK_THAT(parse_error(endpoint_for_functions("")), Contains("got \"\""));

  // Java's split("/") drops trailing empty parts, so the runtime accepts this.
  const auto config = parse_ok(endpoint_for_functions("example/greeter/"));
  CHECK(config.endpoints.at(0).function_namespace == "example");
  CHECK(config.endpoints.at(0).function_name == "greeter");
}

std::string endpoint_with_url(std::string_view url, std::string_view transport_type) {
  return "kind: io.statefun.endpoints.v2/http\nspec:\n  functions: example/*\n"
         "  urlPathTemplate: \"" +
         std::string(url) + "\"\n  transport:\n    type: " + std::string(transport_type) + "\n";
}

TEST_CASE("urlPathTemplate must be an absolute http or https URL", "[emulator]") {
  constexpr std::string_view kAsync = "io.statefun.transports.v1/async";
  constexpr std::string_view kOkHttp = "io.statefun.transports.v1/okhttp";
  for (const std::string bad : {"functions:8000/statefun", "/statefun", "ftp://functions/x",
                                "http:///statefun", "http://functions:8000/a b"}) {
    INFO(bad);
    CHECK_THAT(parse_error(endpoint_with_url(bad, kAsync)),
               StartsWith("module.yaml:4:20: document 1 (io.statefun.endpoints.v2/http): "
                          "spec.urlPathTemplate: "));
  }
  CHECK(parse_ok(endpoint_with_url("HTTPS://functions/{function.name}", kAsync)).endpoints.size() ==
        1);
  SECTION("Unix socket URLs need the OkHttp transport") {
    CHECK_THAT(parse_error(endpoint_with_url("http+unix:///tmp/fn.sock/statefun", kAsync)),
               Contains("spec.urlPathTemplate: "));
    const auto config = parse_ok(endpoint_with_url("http+unix:///tmp/fn.sock/statefun", kOkHttp));
    CHECK(config.endpoints.at(0).transport == TransportKind::kOkHttp);
  }
}

TEST_CASE("urlPathTemplate is read by the same URL rules as the function clients", "[emulator]") {
  constexpr std::string_view kAsync = "io.statefun.transports.v1/async";
  // Refused at load now, rather than on the first call.
  CHECK_THAT(parse_error(endpoint_with_url("http://functions:80x/statefun", kAsync)),
             Contains("spec.urlPathTemplate: invalid URL \"http://functions:80x/statefun\": port "
                      "\"80x\" is not a number from 1 to 65535"));
  const auto credentials =
      parse_error(endpoint_with_url("http://user:secret@functions:8000/statefun", kAsync));
  CHECK_THAT(credentials, Contains("user info (user:password@) is not supported"));
  CHECK(credentials.find("secret") == std::string::npos);
  // A placeholder may stand anywhere, even for the host.
  CHECK(parse_ok(endpoint_with_url("http://{function.name}:8000/{function.name}", kAsync))
            .endpoints.size() == 1);
  CHECK(parse_ok(endpoint_with_url("http://[::1]:8000/statefun", kAsync)).endpoints.size() == 1);
}

TEST_CASE("url_for replaces every occurrence of the function name placeholder", "[emulator]") {
  HttpEndpointSpec endpoint;
  endpoint.url_path_template = "http://fn:8000/{function.name}/x/{function.name}?f={function}";
  CHECK(endpoint.url_for("greeter") == "http://fn:8000/greeter/x/greeter?f={function}");
  endpoint.url_path_template = "http://functions:8000/statefun";
  CHECK(endpoint.url_for("greeter") == "http://functions:8000/statefun");
}

TEST_CASE("endpoint_for prefers an exact binding over a namespace wildcard", "[emulator]") {
  const auto config = parse_ok(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://wildcard:8000/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: example/greeter
  urlPathTemplate: http://exact:8000/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: example.sub/other
  urlPathTemplate: http://sub:8000/statefun
)");
  REQUIRE(config.endpoint_for("example", "greeter") != nullptr);
  CHECK(config.endpoint_for("example", "greeter")->url_path_template ==
        "http://exact:8000/statefun");
  REQUIRE(config.endpoint_for("example", "counter") != nullptr);
  CHECK(config.endpoint_for("example", "counter")->url_path_template ==
        "http://wildcard:8000/statefun");
  CHECK(config.endpoint_for("example.sub", "greeter") == nullptr);
  CHECK(config.endpoint_for("exam", "greeter") == nullptr);
  CHECK(config.endpoint_for("example.sub", "other")->url_path_template ==
        "http://sub:8000/statefun");
}

// ---------------------------------------------------------------------------
// Transports and timeouts
// ---------------------------------------------------------------------------

TEST_CASE("An unknown transport type is an error naming it", "[emulator]") {
  const auto message =
      parse_error(endpoint_with_url("http://x/", "io.statefun.transports.v1/grpc"));
  CHECK(
      message ==
      "module.yaml:6:11: document 1 (io.statefun.endpoints.v2/http): spec.transport.type: unknown "
      "transport type \"io.statefun.transports.v1/grpc\"; expected "
      "io.statefun.transports.v1/async or io.statefun.transports.v1/okhttp");
}

TEST_CASE("An async timeouts object replaces the flat call and connect values", "[emulator]") {
  SECTION("with its own values") {
    const auto config = parse_ok(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  transport:
    call: 1day
    connect: 1 min
    timeouts:
      call: 5 min
)");
    CHECK(config.endpoints.at(0).call_timeout == minutes(5));
    CHECK(config.endpoints.at(0).connect_timeout == seconds(10));
  }
  SECTION("with its defaults when empty") {
    const auto config = parse_ok(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  transport:
    call: 1day
    timeouts: {}
)");
    CHECK(config.endpoints.at(0).call_timeout == minutes(1));
    CHECK(config.endpoints.at(0).connect_timeout == seconds(10));
  }
}

TEST_CASE("A zero duration inside a timeouts object is rejected", "[emulator]") {
  const auto message = parse_error(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  transport:
    timeouts:
      connect: 0 ms
)");
  CHECK(message ==
        "module.yaml:7:16: document 1 (io.statefun.endpoints.v2/http): "
        "spec.transport.timeouts.connect: "
        "timeout durations must be larger than 0");
}

TEST_CASE("A compound duration in module.yaml is refused as a real cluster would", "[emulator]") {
  const auto message = parse_error(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  transport:
    call: 1m30s
)");
  CHECK(message ==
        "module.yaml:6:11: document 1 (io.statefun.endpoints.v2/http): spec.transport.call: "
        "invalid duration \"1m30s\": Flink reads one whole number and one unit, so a real "
        "cluster would reject a compound duration; write \"90s\"");
}

TEST_CASE("OkHttp timeouts default to one minute and ten seconds and may not exceed the call",
          "[emulator]") {
  SECTION("defaults") {
    const auto config =
        parse_ok(endpoint_with_url("http://x/", "io.statefun.transports.v1/okhttp"));
    const auto& endpoint = config.endpoints.at(0);
    CHECK(endpoint.transport == TransportKind::kOkHttp);
    CHECK(endpoint.call_timeout == minutes(1));
    CHECK(endpoint.connect_timeout == seconds(10));
    CHECK(endpoint.read_timeout == seconds(10));
    CHECK(endpoint.write_timeout == seconds(10));
  }
  SECTION("a read timeout longer than the call timeout") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  transport:
    type: io.statefun.transports.v1/okhttp
    timeouts:
      call: 5 sec
      connect: 1 sec
      read: 6 sec
      write: 1 sec
)");
    CHECK_THAT(message, StartsWith("module.yaml:10:13: document 1 (io.statefun.endpoints.v2/http): "
                                   "spec.transport.timeouts.read: must not be longer than the call "
                                   "timeout"));
  }
  SECTION("a default connect timeout longer than a short call timeout") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  timeouts:
    call: 5 sec
)");
    CHECK_THAT(message, Contains("spec.timeouts.connect: must not be longer than the call timeout "
                                 "(10000 ms, the default, > 5000 ms)"));
  }
  SECTION("a zero write timeout in a v1 endpoint") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  timeouts:
    write: 0
)");
    CHECK_THAT(message, Contains("document 1 (io.statefun.endpoints.v1/http): "
                                 "spec.timeouts.write: timeout durations must be larger than 0"));
  }
}

TEST_CASE("A malformed duration names the field and the text", "[emulator]") {
  const auto message = parse_error(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
  transport:
    call: forever
)");
  CHECK_THAT(message, StartsWith("module.yaml:6:11: document 1 (io.statefun.endpoints.v2/http): "
                                 "spec.transport.call: invalid duration \"forever\""));
}

// ---------------------------------------------------------------------------
// Duplicate bindings
// ---------------------------------------------------------------------------

TEST_CASE("Binding the same function type or namespace twice is an error", "[emulator]") {
  SECTION("the same exact type") {
    const auto message = parse_error(endpoint_for_functions("example/greeter") + "---\n" +
                                     endpoint_for_functions("example/greeter"));
    CHECK(message ==
          "module.yaml:8:14: document 2 (io.statefun.endpoints.v2/http): spec.functions: a binding "
          "for "
          "example/greeter was already defined in document 1");
  }
  SECTION("the same namespace wildcard, once as v1 and once as v2") {
    const auto message = parse_error(R"(kind: io.statefun.endpoints.v1/http
spec:
  functions: example/*
  urlPathTemplate: http://localhost:8000/statefun
---
)" + std::string(kEndpoint));
    CHECK_THAT(message, Contains("document 2 (io.statefun.endpoints.v2/http): spec.functions: "
                                 "a binding for example/* was already defined in document 1"));
  }
  SECTION("a wildcard and an exact type of the same namespace may coexist") {
    const auto config =
        parse_ok(std::string(kEndpoint) + "---\n" + endpoint_for_functions("example/greeter"));
    CHECK(config.endpoints.size() == 2);
  }
}

TEST_CASE("Only one playground ingress and one playground egress are allowed", "[emulator]") {
  SECTION("two ingresses") {
    const auto message = parse_error(
        with_endpoint(std::string(kPlaygroundIngress) + "---\n" + std::string(kPlaygroundIngress)));
    CHECK_THAT(message,
               StartsWith("module.yaml:10:7: document 3 (io.statefun.playground.v1/ingress): "
                          "kind: only one playground ingress is allowed"));
    CHECK_THAT(message, Contains("document 2"));
  }
  SECTION("two egresses") {
    const std::string egress =
        "kind: io.statefun.playground.v1/egress\nspec:\n  port: 8091\n  topics: [a]\n";
    const auto message = parse_error(with_endpoint(egress + "---\n" + egress));
    CHECK_THAT(message,
               StartsWith("module.yaml:11:7: document 3 (io.statefun.playground.v1/egress): "
                          "kind: only one playground egress is allowed"));
  }
}

// ---------------------------------------------------------------------------
// Playground I/O
// ---------------------------------------------------------------------------

TEST_CASE("A playground egress needs a list of topic names", "[emulator]") {
  SECTION("topics missing") {
    const auto message =
        parse_error(with_endpoint("kind: io.statefun.playground.v1/egress\nspec:\n  port: 8091\n"));
    CHECK_THAT(message,
               StartsWith("module.yaml:8:3: document 2 (io.statefun.playground.v1/egress): "
                          "spec.topics: missing required field"));
  }
  SECTION("topics not a list") {
    const auto message = parse_error(
        with_endpoint("kind: io.statefun.playground.v1/egress\nspec:\n  topics: greetings\n"));
    CHECK_THAT(message, Contains("document 2 (io.statefun.playground.v1/egress): spec.topics: "
                                 "expected a list, got \"greetings\""));
  }
  SECTION("a topic that is not a name") {
    const auto message = parse_error(
        with_endpoint("kind: io.statefun.playground.v1/egress\nspec:\n  topics: [{a: b}]\n"));
    CHECK_THAT(message, Contains("spec.topics[0]: expected a topic name, got a mapping"));
  }
}

TEST_CASE("A playground port that is missing becomes 0 with a warning", "[emulator]") {
  const auto config = parse_ok(
      with_endpoint("kind: io.statefun.playground.v1/ingress\nspec: {}\n---\n"
                    "kind: io.statefun.playground.v1/egress\nspec:\n  topics: [greetings]\n"));
  CHECK(config.playground_ingress->port == 0);
  CHECK(config.playground_egress->port == 0);
  CHECK(has_warning_containing(
      config, "module.yaml: document 2 (io.statefun.playground.v1/ingress): spec.port"));
  CHECK(has_warning_containing(config, "random port"));
}

TEST_CASE("A playground port must be an integer between 0 and 65535", "[emulator]") {
  CHECK_THAT(parse_error(with_endpoint("kind: io.statefun.playground.v1/ingress\nspec:\n"
                                       "  port: eighty\n")),
             Contains("document 2 (io.statefun.playground.v1/ingress): spec.port: expected an "
                      "integer, got \"eighty\""));
  CHECK_THAT(parse_error(with_endpoint("kind: io.statefun.playground.v1/ingress\nspec:\n"
                                       "  port: 70000\n")),
             Contains("spec.port: expected an integer from 0 to 65535, got 70000"));
}

// ---------------------------------------------------------------------------
// Module-level validation
// ---------------------------------------------------------------------------

TEST_CASE("A module without any function endpoint is refused", "[emulator]") {
  const auto message = parse_error(kPlaygroundIngress);
  CHECK_THAT(message, StartsWith("module.yaml: no function endpoint"));
  CHECK_THAT(parse_error(""), StartsWith("module.yaml: no function endpoint"));
}

TEST_CASE("A module without any ingress only gets a warning", "[emulator]") {
  const auto config = parse_ok(kEndpoint);
  CHECK_FALSE(config.playground_ingress.has_value());
  REQUIRE(config.warnings.size() == 1);
  CHECK_THAT(config.warnings[0], StartsWith("module.yaml: no ingress"));
}

// ---------------------------------------------------------------------------
// Kafka and Kinesis
// ---------------------------------------------------------------------------

TEST_CASE("Kafka components are parsed into routes, without a not-emulated warning", "[emulator]") {
  const auto config = parse_ok(with_endpoint(R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: greeter
  autoOffsetResetPosition: EARLIEST
  startupPosition:
    type: specific-offsets
    offsets:
      - names/0: 42
  topics:
    - topic: names
      valueType: example/Name
      targets:
        - example/greeter
        - example/counter
---
kind: io.statefun.kafka.v1/egress
spec:
  id: example/greets
  properties:
    - bootstrap.servers: kafka:9092
  deliverySemantic:
    type: exactly-once
    transactionTimeout: 15min
)"));
  REQUIRE(config.kafka_ingresses.size() == 1);
  const auto& ingress = config.kafka_ingresses[0];
  CHECK(ingress.document == 2);
  CHECK(ingress.kind == "io.statefun.kafka.v1/ingress");
  CHECK(ingress.id == "example/names");
  REQUIRE(ingress.routes.size() == 1);
  CHECK(ingress.routes[0].source == "names");
  CHECK(ingress.routes[0].value_type == "example/Name");
  CHECK(ingress.routes[0].targets ==
        std::vector<std::string>{"example/greeter", "example/counter"});
  REQUIRE(config.kafka_egresses.size() == 1);
  CHECK(config.kafka_egresses[0].id == "example/greets");
  CHECK(config.warnings.empty());
  CHECK_FALSE(has_warning_containing(config, "no ingress"));
}

TEST_CASE("Kafka components report their missing or malformed fields", "[emulator]") {
  const std::string prefix = "document 2 (io.statefun.kafka.v1/ingress): ";
  SECTION("no address anywhere") {
    CHECK_THAT(parse_error(with_endpoint(R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  consumerGroupId: greeter
  topics: [{topic: names, valueType: example/Name, targets: [example/greeter]}]
)")),
               StartsWith("module.yaml:8:3: " + prefix + "spec.address: missing required field"));
  }
  SECTION("no topics") {
    CHECK_THAT(
        parse_error(with_endpoint(R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: greeter
  topics: []
)")),
        StartsWith("module.yaml:11:11: " + prefix + "spec.topics: expected at least one entry"));
  }
  SECTION("a target that is not a function type") {
    CHECK_THAT(parse_error(with_endpoint(R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: greeter
  topics: [{topic: names, valueType: example/Name, targets: [greeter]}]
)")),
               StartsWith("module.yaml:11:62: " + prefix +
                          "spec.topics[0].targets[0]: expected a function type"));
  }
  SECTION("an id that is not a type name") {
    CHECK_THAT(parse_error(with_endpoint(R"(kind: io.statefun.kafka.v1/egress
spec:
  id: greets
  address: kafka:9092
)")),
               StartsWith("module.yaml:8:7: document 2 (io.statefun.kafka.v1/egress): spec.id: "
                          "expected a type name"));
  }
  SECTION("an unknown startup position") {
    CHECK_THAT(
        parse_error(with_endpoint(R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: greeter
  startupPosition: {type: yesterday}
  topics: [{topic: names, valueType: example/Name, targets: [example/greeter]}]
)")),
        StartsWith("module.yaml:11:27: " + prefix + "spec.startupPosition.type: expected one of"));
  }
  SECTION("exactly-once without a transaction timeout") {
    CHECK_THAT(parse_error(with_endpoint(R"(kind: io.statefun.kafka.v1/egress
spec:
  id: example/greets
  address: kafka:9092
  deliverySemantic: {type: exactly-once}
)")),
               Contains("spec.deliverySemantic.transactionTimeout: missing"));
  }
}

TEST_CASE("The same ingress id twice is a duplicate binding, across Kafka and Kinesis",
          "[emulator]") {
  const auto message = parse_error(with_endpoint(R"(kind: io.statefun.kafka.v1/ingress
spec:
  id: example/names
  address: kafka:9092
  consumerGroupId: greeter
  topics: [{topic: names, valueType: example/Name, targets: [example/greeter]}]
---
kind: io.statefun.kinesis.v1/ingress
spec:
  id: example/names
  streams: [{stream: names, valueType: example/Name, targets: [example/greeter]}]
)"));
  CHECK(
      message ==
      "module.yaml:15:7: document 3 (io.statefun.kinesis.v1/ingress): spec.id: an ingress with id "
      "example/names was already defined in document 2");
}

TEST_CASE("The same Kafka egress id twice is a duplicate binding", "[emulator]") {
  const std::string egress =
      "kind: io.statefun.kafka.v1/egress\nspec:\n  id: example/out\n  address: kafka:9092\n";
  CHECK_THAT(parse_error(with_endpoint(egress + "---\n" + egress)),
             StartsWith("module.yaml:13:7: document 3 (io.statefun.kafka.v1/egress): spec.id: an "
                        "egress with id example/out was already defined in document 2"));
}

TEST_CASE("Kinesis components are parsed, without a not-emulated warning", "[emulator]") {
  const auto config = parse_ok(with_endpoint(R"(kind: io.statefun.kinesis.v1/ingress
spec:
  id: example/names
  awsRegion:
    type: custom-endpoint
    endpoint: http://localhost:4567
    id: us-west-1
  awsCredentials:
    type: basic
    accessKeyId: key
    secretAccessKey: secret
  startupPosition:
    type: date
    date: 2020-02-01 04:15:00.000 +0000
  streams:
    - stream: names
      valueType: example/Name
      targets: [example/greeter]
  clientConfigProperties:
    - SocketTimeout: 9999
---
kind: io.statefun.kinesis.v1/egress
spec:
  id: example/greets
  awsRegion: {type: specific, id: us-west-1}
  awsCredentials: {type: profile, profileName: dev}
  maxOutstandingRecords: 9999
)"));
  REQUIRE(config.kinesis_ingresses.size() == 1);
  CHECK(config.kinesis_ingresses[0].routes.at(0).source == "names");
  REQUIRE(config.kinesis_egresses.size() == 1);
  CHECK(config.kinesis_egresses[0].id == "example/greets");
  CHECK(config.warnings.empty());
}

TEST_CASE("Kinesis components report their missing or malformed fields", "[emulator]") {
  SECTION("no streams") {
    CHECK_THAT(parse_error(with_endpoint("kind: io.statefun.kinesis.v1/ingress\nspec:\n"
                                         "  id: example/names\n")),
               StartsWith("module.yaml:8:3: document 2 (io.statefun.kinesis.v1/ingress): "
                          "spec.streams: missing required field"));
  }
  SECTION("basic credentials without a secret") {
    CHECK_THAT(parse_error(with_endpoint(R"(kind: io.statefun.kinesis.v1/egress
spec:
  id: example/greets
  awsCredentials: {type: basic, accessKeyId: key}
)")),
               StartsWith("module.yaml:9:19: document 2 (io.statefun.kinesis.v1/egress): "
                          "spec.awsCredentials.secretAccessKey: missing required field"));
  }
  SECTION("a malformed start date") {
    CHECK_THAT(parse_error(with_endpoint(R"(kind: io.statefun.kinesis.v1/ingress
spec:
  id: example/names
  startupPosition: {type: date, date: yesterday}
  streams: [{stream: names, valueType: example/Name, targets: [example/greeter]}]
)")),
               Contains("spec.startupPosition.date: expected a date"));
  }
}

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

TEST_CASE("Durations accept every example from the StateFun sources and docs", "[emulator]") {
  CHECK(duration("1 min") == minutes(1));
  CHECK(duration("10 sec") == seconds(10));
  CHECK(duration("15min") == minutes(15));
  CHECK(duration("1minutes") == minutes(1));
  CHECK(duration("10second") == seconds(10));
  CHECK(duration("1day") == std::chrono::hours(24));
  CHECK(duration("2m") == minutes(2));
  CHECK(duration("20s") == seconds(20));
  CHECK(duration("500") == milliseconds(500));
  CHECK(duration("250 ms") == milliseconds(250));
}

TEST_CASE("Durations trim, ignore unit case and know every unit spelling", "[emulator]") {
  CHECK(duration("  3  HOURS ") == std::chrono::hours(3));
  CHECK(duration("2 d") == std::chrono::hours(48));
  CHECK(duration("1h") == std::chrono::hours(1));
  CHECK(duration("5 secs") == seconds(5));
  CHECK(duration("7 Millis") == milliseconds(7));
  CHECK(duration("0") == milliseconds(0));
  CHECK(duration("3000 \u00b5s") == milliseconds(3));
  CHECK(duration("2000 micros") == milliseconds(2));
  CHECK(duration("5000000ns") == milliseconds(5));
  // A non-zero duration shorter than a millisecond must stay non-zero.
  CHECK(duration("1 nanosecond") == milliseconds(1));
}

TEST_CASE("Malformed or negative durations are errors naming the text", "[emulator]") {
  for (const std::string bad : {"", "   ", "-1 min", "min", "1.5 min", "10 parsecs", "10 mins",
                                "1 min 30 s", "99999999999999999999", "9999999999999999 days"}) {
    INFO(bad);
    const auto parsed = parse_duration(bad, kFlinkDurations);
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error().message, StartsWith("invalid duration \"" + bad + "\""));
  }
  CHECK_THAT(parse_duration("10 parsecs", kFlinkDurations).error().message,
             Contains("unknown unit \"parsecs\""));
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

TEST_CASE("load_module_yaml reads a file and names a missing one", "[emulator]") {
  const auto directory = std::filesystem::temp_directory_path() /
                         ("statefun-module-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const auto path = (directory / "module.yaml").string();
  {
    std::ofstream file(path);
    file << kEndpoint << "---\n" << kPlaygroundIngress;
  }
  const auto loaded = load_module_yaml(path);
  REQUIRE(loaded.has_value());
  CHECK(loaded->path == path);
  CHECK(loaded->endpoints.size() == 1);

  const auto missing = load_module_yaml((directory / "absent.yaml").string());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK_THAT(missing.error().message, Contains("absent.yaml"));

  const auto directory_error = load_module_yaml(directory.string());
  REQUIRE_FALSE(directory_error.has_value());
  CHECK(directory_error.error().code == ErrorCode::kIo);
  std::filesystem::remove_all(directory);
}

TEST_CASE("a legacy version key without a value is an error, not a crash", "[emulator]") {
  // Found by tests/fuzz/module_yaml_fuzz.cc: `version: #3.0"` (a comment,
  // so null) was dereferenced as a missing optional.
  for (const char* text : {"version:\nmodule: {}\n", "version: #3.0\"\nmodule: {}\n"}) {
    auto config = parse_module_yaml(text, "module.yaml");
    REQUIRE_FALSE(config);
    CHECK_THAT(config.error().message, Catch::Matchers::Contains("version: must be a string, got"));
  }
}

}  // namespace
}  // namespace statefun::emulator
