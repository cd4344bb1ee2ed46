// Why a call failed, as the engine keeps and reports it: the HTTP status, the
// start of the body, and what the function's process printed during the
// call (through EngineOptions::call_output); the last failure of each
// failing address in the status, gone once it recovers.
#include <catch2/catch.hpp>

#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};
const Address kAlice{{"test", "counter"}, "Alice"};

TypedValue int_message(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

CallOutcome count(const BatchRequest& r) { return answer(counter(r)); }

CallOutcome empty_500() {
  CallOutcome outcome;
  outcome.error = {CallErrorKind::kHttpStatus, 500, "HTTP 500", ""};
  return outcome;
}

// A rig whose routes name a process ("functions") behind a gate, and whose
// call_output hook answers with what a test says the process printed.
struct OutputRig : EngineRig {
  std::vector<OutputLine> printed;
  std::vector<std::pair<std::string, int64_t>> asked;  // (process, since)
  explicit OutputRig(FakeFunction::Handler handler) : EngineRig(std::move(handler)) {
    EngineOptions o = options();
    auto resolve = o.resolve;
    o.resolve = [resolve](const FunctionType& type) {
      auto route = resolve(type);
      if (route) route->gate = "functions";
      return route;
    };
    o.call_output = [this](const std::string& process, int64_t since_ms) {
      asked.emplace_back(process, since_ms);
      std::vector<OutputLine> lines;
      for (const auto& line : printed) {
        if (line.at_ms >= since_ms) lines.push_back(line);
      }
      return lines;
    };
    start(std::move(o));
  }
};

}  // namespace

TEST_CASE("a failed call carries its kind, status, body and the process's output during the call",
          "[runtime]") {
  OutputRig h(count);
  h.function.hold(true);
  h.printed.push_back({h.clock.now_ms() - 5, false, "from an earlier call"});
  h.clock.advance_ms(10);
  REQUIRE(h.send(kBob, int_message(1)));
  const int64_t sent_at = h.clock.now_ms();
  h.clock.advance_ms(3);
  h.printed.push_back({h.clock.now_ms(), true, "Error: boom"});
  h.printed.push_back({h.clock.now_ms(), true, "    at fn (functions.js:12:9)"});
  CallOutcome outcome = empty_500();
  outcome.error.body = "trace id 7";
  REQUIRE(h.function.complete_next(outcome));
  h.settle();

  REQUIRE(h.recorder.failure_details.size() == 1);
  const CallFailure& f = h.recorder.failure_details[0];
  CHECK(f.kind == CallFailure::Kind::kHttpStatus);
  CHECK(std::string(call_failure_kind_name(f.kind)) == "http_status");
  CHECK(f.http_status == 500);
  CHECK(f.body == "trace id 7");
  CHECK(f.process == "functions");
  CHECK(f.attempt == 1);
  CHECK(f.messages == 1);
  CHECK(f.at_ms == h.clock.now_ms());
  CHECK(f.first_at_ms == h.clock.now_ms());
  // Only what was printed since the request went out.
  REQUIRE(h.asked.size() == 1);
  CHECK(h.asked[0] == std::pair<std::string, int64_t>{"functions", sent_at});
  REQUIRE(f.output.size() == 2);
  CHECK(f.output[0].text == "Error: boom");
  CHECK(f.output[0].stderr_stream);
  CHECK(f.output[1].text == "    at fn (functions.js:12:9)");
}

TEST_CASE("the status lists failing addresses with their last failure until they recover",
          "[runtime]") {
  OutputRig h(count);
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.send(kAlice, int_message(1)));
  REQUIRE(h.function.complete_next(empty_500()));
  REQUIRE(h.function.complete_next(failure("HTTP 503: starting")));
  h.settle();
  auto status = h.engine->status();
  CHECK(status.failing == 2);
  REQUIRE(status.failing_addresses.size() == 2);
  // In address order: Alice before Bob (whichever failed first).
  CHECK(status.failing_addresses[0].address == kAlice);
  CHECK(status.failing_addresses[1].address == kBob);
  const auto first_alice = status.failing_addresses[0].failure->first_at_ms;

  // Bob fails again: his entry is the newest failure, attempt 2, and the
  // first failure's time stays.
  h.clock.advance_ms(5);
  h.group();
  REQUIRE(h.function.held() >= 1);
  h.clock.advance_ms(5);
  h.group();
  while (h.function.held() > 0) REQUIRE(h.function.complete_next(failure("HTTP 502: gateway")));
  h.settle();
  status = h.engine->status();
  REQUIRE(status.failing_addresses.size() == 2);
  CHECK(status.failing_addresses[0].failure->first_at_ms == first_alice);
  CHECK(status.failing_addresses[1].failure->reason == "HTTP 502: gateway");
  CHECK(status.failing_addresses[1].failure->attempt == 2);

  h.function.hold(false);
  h.function.release();
  REQUIRE(h.run_until_idle());
  status = h.engine->status();
  CHECK(status.failing == 0);
  CHECK(status.failing_addresses.empty());
}

TEST_CASE("an invalid response is a failure of its own kind, without a status", "[runtime]") {
  OutputRig h([](const BatchRequest&) {
    InvocationResult result;
    result.mutations.push_back({MutationKind::kModify, "nope", int_message(1)});
    return answer(result);
  });
  REQUIRE(h.send(kBob, int_message(1)));
  h.settle();
  REQUIRE_FALSE(h.recorder.failure_details.empty());
  const CallFailure& f = h.recorder.failure_details[0];
  CHECK(f.kind == CallFailure::Kind::kInvalidResponse);
  CHECK(f.http_status == 0);
  CHECK(f.reason.find("unregistered state 'nope'") != std::string::npos);
}
