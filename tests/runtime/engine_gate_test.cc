// Gates and processes started on demand (FunctionRoute::gate): a batch held
// behind a closed gate is reported once per closed spell, so the process
// behind it can be started; and a gate closes "if idle" only when nothing
// routed through it is queued or on the wire and no call used it lately.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "runtime/engine/engine.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;
using namespace std::chrono_literals;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};
const Address kAnn{{"test", "counter"}, "Ann"};

TypedValue int_message(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

CallOutcome count(const BatchRequest& r) { return answer(counter(r)); }

// Every test/* type goes through the gate "proc", closed at start.
EngineOptions gated(EngineRig& h, std::vector<std::pair<std::string, FunctionType>>& waiting) {
  auto options = h.options();
  options.resolve = [](const FunctionType& type) -> std::optional<FunctionRoute> {
    if (type.ns != "test") return std::nullopt;
    FunctionRoute route;
    route.url = "http://fake/" + type.name;
    route.gate = "proc";
    return route;
  };
  options.closed_gates = {"proc"};
  options.on_gate_waiting = [&waiting](const std::string& gate, const FunctionType& type) {
    waiting.emplace_back(gate, type);
  };
  return options;
}

bool close_if_idle(EngineRig& h, std::chrono::milliseconds idle_for) {
  std::optional<bool> closed;
  h.group(GateEvent{"proc", false, idle_for, [&closed](bool c) { closed = c; }});
  REQUIRE(closed.has_value());
  return *closed;
}

}  // namespace

TEST_CASE("a batch behind a closed gate is reported once until the gate opens",
          "[runtime][gates]") {
  EngineRig h(count);
  std::vector<std::pair<std::string, FunctionType>> waiting;
  h.start(gated(h, waiting));
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.send(kAnn, int_message(1)));
  h.settle();
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].first == "proc");
  CHECK(waiting[0].second == kBob.type);
  CHECK(h.function.requests().empty());

  h.group(GateEvent{"proc", true});
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 1);
  CHECK(waiting.size() == 1);

  // Closed again (the process stopped): the next message is reported anew.
  h.group(GateEvent{"proc", false});
  REQUIRE(h.send(kBob, int_message(1)));
  h.settle();
  CHECK(waiting.size() == 2);
}

TEST_CASE("a gate closes when idle only with nothing queued or on the wire", "[runtime][gates]") {
  EngineRig h(count);
  std::vector<std::pair<std::string, FunctionType>> waiting;
  h.start(gated(h, waiting));
  h.group(GateEvent{"proc", true});

  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(1)));
  h.settle();
  REQUIRE(h.function.requests().size() == 1);
  CHECK_FALSE(close_if_idle(h, 0ms));  // a call is on the wire

  h.function.release();
  h.function.hold(false);
  REQUIRE(h.run_until_idle());
  CHECK_FALSE(close_if_idle(h, std::chrono::hours(1)));  // used moments ago
  CHECK(close_if_idle(h, 0ms));

  // Closed: a new message waits, and the waiting is reported.
  const auto sent_before = h.function.requests().size();
  REQUIRE(h.send(kBob, int_message(1)));
  h.settle();
  CHECK(h.function.requests().size() == sent_before);
  REQUIRE(waiting.size() == 1);
  h.group(GateEvent{"proc", true});
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 2);
}
