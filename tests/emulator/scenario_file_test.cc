// Scenario files of `statefun test` (emulator/config/scenario_file.h), and
// --process-port, which moves a statefun.yaml process (and the endpoints
// that reach it) to another port so scenarios run side by side.
#include "emulator/config/scenario_file.h"

#include <catch2/catch.hpp>

#include "emulator/config/dev_config.h"
#include "emulator/config/function_routes.h"
#include "emulator/config/module_config.h"

namespace statefun::emulator {
namespace {

using Catch::Matchers::Contains;
using Kind = ScenarioStep::Kind;

TEST_CASE("scenario file: every step parses", "[emulator]") {
  auto parsed = parse_scenario_file(R"(name: greets
clock: 2027-01-01T00:00:00Z
retry: {max_attempts: 3}
steps:
  - send: {to: example/person/Bob, type: example/GreetRequest, value: {name: Bob, n: [1, 2.5, true, ~]}}
  - advance: 30d
  - advance: {until_idle: true, horizon: 1h}
  - advance: {to: "2027-03-01T00:00:00Z"}
  - wait: 5s
  - wait:
  - expect egress: {topic: greetings, value: "Hello Bob!"}
  - expect state: {address: example/person/Bob, name: visits, value: 2, timeout: 1m}
  - expect state: {address: example/person/Eve, name: visits, absent: true}
  - expect no message: {topic: greetings}
  - expect no message:
  - expect dead-letter: {address: example/person/Bob, type: example/GreetRequest}
)",
                                    "scenarios/greet.yaml");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 1);
  const Scenario& s = parsed->front();
  CHECK(s.name == "greets");
  CHECK(s.clock_start == "2027-01-01T00:00:00Z");
  CHECK(s.retry_max_attempts == 3);
  REQUIRE(s.steps.size() == 12);
  CHECK(s.steps[0].kind == Kind::kSend);
  CHECK(s.steps[0].line == 5);
  CHECK(s.steps[0].address == "example/person/Bob");
  CHECK(*s.steps[0].value == nlohmann::json::parse(R"({"name":"Bob","n":[1,2.5,true,null]})"));
  CHECK(s.steps[1].advance_ms == int64_t{30} * 86'400'000);
  CHECK(s.steps[2].until_idle);
  CHECK(s.steps[2].horizon_ms == 3'600'000);
  CHECK(s.steps[3].advance_to == "2027-03-01T00:00:00Z");
  CHECK(s.steps[4].timeout_ms == 5000);
  CHECK_FALSE(s.steps[5].timeout_ms.has_value());
  CHECK(s.steps[6].kind == Kind::kExpectEgress);
  CHECK(*s.steps[6].value == "Hello Bob!");
  CHECK(s.steps[7].timeout_ms == 60000);
  CHECK(s.steps[8].absent);
  CHECK(s.steps[9].topic == "greetings");
  CHECK(s.steps[10].topic.empty());
  CHECK(s.steps[11].type_name == "example/GreetRequest");
}

TEST_CASE("scenario file: produce takes a topic, an optional key and a value", "[emulator]") {
  auto parsed = parse_scenario_file(R"(steps:
  - produce: {topic: names, key: bob, value: {name: Bob}}
  - produce: {topic: names, value: plain text}
  - produce: {topic: names, key: 42, value: 7}
)",
                                    "s.yaml");
  REQUIRE(parsed.has_value());
  const auto& steps = parsed->front().steps;
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].kind == Kind::kProduce);
  CHECK(steps[0].label == "produce");
  CHECK(steps[0].topic == "names");
  CHECK(steps[0].key == "bob");
  CHECK(*steps[0].value == nlohmann::json::parse(R"({"name":"Bob"})"));
  CHECK_FALSE(steps[1].key.has_value());
  CHECK(*steps[1].value == "plain text");
  CHECK(steps[2].key == "42");
  CHECK(*steps[2].value == 7);

  auto error = [](std::string_view text) {
    auto bad = parse_scenario_file(text, "s.yaml");
    REQUIRE_FALSE(bad.has_value());
    return bad.error().message;
  };
  CHECK_THAT(error("steps:\n  - produce: {key: k, value: 1}\n"),
             Contains("s.yaml:2:") && Contains("topic"));
  CHECK_THAT(error("steps:\n  - produce: {topic: t}\n"), Contains("missing required field"));
  CHECK_THAT(error("steps:\n  - produce: {topic: t, value: 1, to: a/b/c}\n"),
             Contains("produce.to: unknown key"));
}

TEST_CASE("scenario file: several scenarios, named after the file when unnamed", "[emulator]") {
  auto parsed = parse_scenario_file(
      "scenarios:\n  - steps: [{wait: 1s}]\n  - name: two\n    steps: [{wait: 1s}]\n",
      "dir/cycle.yaml");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].name == "cycle #1");
  CHECK((*parsed)[1].name == "two");
}

TEST_CASE("scenario file: mistakes name the file, line and field", "[emulator]") {
  auto error = [](std::string_view text) {
    auto parsed = parse_scenario_file(text, "s.yaml");
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
    return parsed.error().message;
  };
  CHECK_THAT(error("steps:\n  - sned: {to: a/b/c, value: 1}\n"),
             Contains("s.yaml:2:5") && Contains("unknown key") && Contains("\"send\""));
  CHECK_THAT(error("steps:\n  - advance: soon\n"), Contains("s.yaml:2:") && Contains("soon"));
  CHECK_THAT(error("steps:\n  - send: {to: a/b, value: 1}\n"),
             Contains("steps[0].send.to") && Contains("not namespace/type/id"));
  CHECK_THAT(error("steps:\n  - send: {to: a/b/c}\n"), Contains("missing required field"));
  CHECK_THAT(error("steps:\n  - expect state: {address: a/b/c, name: n}\n"),
             Contains("value: ... or absent: true"));
  CHECK_THAT(error("steps:\n  - advance: {by: 1d, to: \"2027-01-01\"}\n"),
             Contains("exactly one of"));
  CHECK_THAT(error("steps:\n  - {wait: 1s, advance: 1d}\n"), Contains("a step is one key"));
  CHECK_THAT(error("stpes: []\n"), Contains("unknown key") && Contains("\"steps\""));
  CHECK_THAT(error("clock: someday\nsteps: [{wait: 1s}]\n"), Contains("clock"));
  CHECK_THAT(error("- 1\n"), Contains("expected a mapping"));
}

TEST_CASE("--process-port moves a process and the endpoints that reached it", "[emulator]") {
  auto module = parse_module_yaml(R"(kind: io.statefun.endpoints.v2/http
spec:
  functions: example/*
  urlPathTemplate: http://functions:8000/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: direct/*
  urlPathTemplate: http://localhost:8001/statefun
---
kind: io.statefun.endpoints.v2/http
spec:
  functions: other/*
  urlPathTemplate: http://localhost:8002/statefun
)",
                                  "module.yaml");
  REQUIRE(module.has_value());
  auto file = parse_dev_config(R"(hosts:
  functions: localhost
processes:
  - name: functions
    command: node functions.js
    env: {PORT: "8000", OTHER: "8000"}
  - name: direct
    command: python3 direct.py
    url: http://localhost:8001/statefun
)",
                               "statefun.yaml", "/app");
  REQUIRE(file.has_value());
  DevOverrides overrides;
  overrides.process_ports = {{"functions", 18000}, {"direct", 18001}};
  const DevConfig config = apply_overrides(*file, overrides);
  CHECK(config.processes[0].port == 18000);
  CHECK(config.processes[0].env.at("PORT") == "18000");
  CHECK(config.processes[0].env.at("OTHER") == "8000");  // only PORT is the port
  CHECK(config.processes[1].url == "http://localhost:18001/statefun");
  RouteTable table;
  table.module = std::make_shared<const ModuleConfig>(*module);
  table.hosts = hosts_for(*module, config);
  table.processes = config.processes;
  table.moved_ports = config.moved_ports;
  auto example = table.resolve({"example", "person"});
  REQUIRE(example);
  CHECK(example->url == "http://localhost:18000/statefun");
  CHECK(example->gate == "functions");
  auto direct = table.resolve({"direct", "x"});
  REQUIRE(direct);
  CHECK(direct->url == "http://localhost:18001/statefun");
  CHECK(direct->gate == "direct");
  auto other = table.resolve({"other", "x"});  // no process moved from 8002
  REQUIRE(other);
  CHECK(other->url == "http://localhost:8002/statefun");
}

}  // namespace
}  // namespace statefun::emulator
