// When `statefun test` may send a scenario's first message.
#include "cli/dev_readiness.h"

#include <catch2/catch.hpp>

namespace statefun::cli {
namespace {

Json process(std::string name, std::string state, Json last_exit = nullptr) {
  return {{"name", std::move(name)}, {"state", std::move(state)}, {"last_exit", last_exit}};
}

std::string not_ready_why(const DevReadiness& r) {
  REQUIRE(std::holds_alternative<DevNotReady>(r));
  return std::get<DevNotReady>(r).why;
}

TEST_CASE("a dev whose supervisor has not listed its processes yet is not ready", "[cli]") {
  // The admin API answers before any process has started: an empty list
  // was once taken for "all ready", and a scenario's first message then
  // waited for the process behind the clock advance sent next.
  const Json status{{"processes", Json::array()}};
  CHECK(not_ready_why(dev_readiness(status, {"functions"})) ==
        "function process functions has not started");
  CHECK(std::holds_alternative<DevReady>(dev_readiness(status, {})));
}

TEST_CASE("ready once every expected process is ready, running or idle on demand", "[cli]") {
  Json status{{"processes", Json::array({process("a", "ready"), process("b", "starting")})}};
  CHECK(not_ready_why(dev_readiness(status, {"a", "b"})) == "function process b is starting");
  status["processes"][1] = process("b", "running");
  CHECK(std::holds_alternative<DevReady>(dev_readiness(status, {"a", "b"})));
  status["processes"][1] = process("b", "idle");
  CHECK(std::holds_alternative<DevReady>(dev_readiness(status, {"a", "b"})));
  CHECK(not_ready_why(dev_readiness(status, {"a", "b", "c"})) ==
        "function process c has not started");
}

TEST_CASE("a process that exited or cannot start fails at once", "[cli]") {
  const Json exited{{"processes", Json::array({process("a", "starting", "exited with code 1")})}};
  auto r = dev_readiness(exited, {"a"});
  REQUIRE(std::holds_alternative<DevCannotStart>(r));
  CHECK(std::get<DevCannotStart>(r).why == "function process a exited with code 1");
  const Json failed{{"processes", Json::array({process("a", "install_failed", "exit 2")})}};
  r = dev_readiness(failed, {"a"});
  REQUIRE(std::holds_alternative<DevCannotStart>(r));
  CHECK(std::get<DevCannotStart>(r).why == "function process a is install_failed (exit 2)");
}

}  // namespace
}  // namespace statefun::cli
