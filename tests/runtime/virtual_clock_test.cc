// The virtual clock (`statefun dev --clock virtual`, engine_clock.cc):
// advancing delivers every timer due in the window in due order, each at
// its own due time, including timers scheduled on the way; cancellations
// hold; state expires by the virtual clock; the clock waits for requests on
// the wire. Driven step by step with engine_rig.h: deterministic, no sleeps.
#include <catch2/catch.hpp>

#include "runtime/engine/engine.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kScheduler{{"test", "scheduler"}, "s"};
const Address kSink{{"test", "sink"}, "k"};
const Address kCounter{{"test", "counter"}, "c"};
constexpr int64_t kHour = 3'600'000;

TypedValue int_message(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }
int32_t int_of(const TypedValue& v) { return *types::decode_int(v.value); }

// A rig whose engine runs on a virtual clock (the rig's clock) with its own
// wall clock for housekeeping.
struct VirtualRig : EngineRig {
  ManualClock wall{5'000};
  explicit VirtualRig(FakeFunction::Handler handler) : EngineRig(std::move(handler)) {}
  void start_virtual() {
    auto o = options();
    o.virtual_clock = &clock;
    o.wall_clock = &wall;
    start(std::move(o));
  }
  Result<ClockAdvance> advance(int64_t target_ms, bool until_idle = false, int64_t horizon = 0) {
    auto done = std::make_shared<std::optional<Result<ClockAdvance>>>();
    group(AdvanceClockEvent{target_ms, until_idle, horizon, into(done)});
    for (int round = 0; round < 1000 && !done->has_value(); ++round) {
      settle();
      if (!done->has_value()) group();
    }
    REQUIRE(done->has_value());
    return **done;
  }
  // (virtual time, value) of every step of `address`, in order: the
  // step's time from the trace, the value from its request (one message
  // each: these addresses keep no state, so there is no handshake).
  std::vector<std::pair<int64_t, int32_t>> received(const Address& address) {
    std::vector<std::pair<int64_t, int32_t>> seen;
    for (const auto& step : recorder.steps) {
      if (step.address == address) seen.emplace_back(step.at_ms, 0);
    }
    std::size_t i = 0;
    for (const auto& request : function.requests()) {
      if (request.target != address) continue;
      for (const auto& invocation : request.invocations) {
        if (i < seen.size()) seen[i++].second = int_of(invocation.argument);
      }
    }
    return seen;
  }
};

// The scheduler answers an int message n with timers to the sink after n,
// 2n and 3n ms... as the test's list says: each entry (delay, value).
using Plan = std::vector<std::pair<int64_t, int32_t>>;

InvocationResult schedule(const Plan& plan, const Address& to) {
  InvocationResult result;
  for (const auto& [delay, value] : plan) {
    result.delayed.push_back({false, "", delay, to, int_message(value)});
  }
  return result;
}

}  // namespace

TEST_CASE("advancing delivers due timers in due order, each at its own virtual time",
          "[runtime][virtual-clock]") {
  VirtualRig h([](const BatchRequest& r) {
    if (r.target == kScheduler) return answer(schedule({{3000, 3}, {1000, 1}, {2000, 2}}, kSink));
    return answer(InvocationResult{});
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kScheduler, int_message(0)));
  h.settle();
  // Virtual time stands still: nothing is due however long we wait.
  CHECK(h.engine->status().timers == 3);
  CHECK_FALSE(h.engine->next_due_ms().has_value());
  h.wall.advance_ms(10'000);
  h.group();
  CHECK(h.engine->status().timers == 3);

  auto report = h.advance(t0 + 5000);
  REQUIRE(report);
  CHECK(report->from_ms == t0);
  CHECK(report->to_ms == t0 + 5000);
  CHECK(report->timers_fired == 3);
  CHECK(report->steps == 3);
  CHECK_FALSE(report->next_timer_ms.has_value());
  CHECK(h.clock.now_ms() == t0 + 5000);
  const auto seen = h.received(kSink);
  CHECK(seen ==
        std::vector<std::pair<int64_t, int32_t>>{{t0 + 1000, 1}, {t0 + 2000, 2}, {t0 + 3000, 3}});
}

TEST_CASE("timers scheduled while advancing fire too when they fall inside the window",
          "[runtime][virtual-clock]") {
  // The sink reschedules itself 1 s later, with the next number.
  VirtualRig h([](const BatchRequest& r) {
    if (r.target == kScheduler) return answer(schedule({{1000, 1}}, kSink));
    const int32_t n = int_of(r.invocations.back().argument);
    return answer(schedule({{1000, n + 1}}, kSink));
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kScheduler, int_message(0)));
  h.settle();
  auto report = h.advance(t0 + 3500);
  REQUIRE(report);
  CHECK(report->timers_fired == 3);
  CHECK(report->next_timer_ms == t0 + 4000);  // outside the window: still pending
  CHECK(h.received(kSink) ==
        std::vector<std::pair<int64_t, int32_t>>{{t0 + 1000, 1}, {t0 + 2000, 2}, {t0 + 3000, 3}});
  CHECK(h.engine->status().timers == 1);
  // The next advance picks up where this one stopped.
  report = h.advance(t0 + 4000);
  REQUIRE(report);
  CHECK(report->timers_fired == 1);
  CHECK(h.received(kSink).back() == std::pair<int64_t, int32_t>{t0 + 4000, 4});
}

TEST_CASE("a timer cancelled by a step on the way never fires", "[runtime][virtual-clock]") {
  VirtualRig h([](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == kScheduler && int_of(r.invocations.back().argument) == 0) {
      // A cancellable reminder at 2 s, and at 1 s a message back to us that
      // cancels it.
      result.delayed.push_back({false, "reminder", 2000, kSink, int_message(2)});
      result.delayed.push_back({false, "", 1000, kScheduler, int_message(1)});
    } else if (r.target == kScheduler) {
      result.delayed.push_back({true, "reminder", 0, {}, {}});
    }
    return answer(result);
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kScheduler, int_message(0)));
  h.settle();
  CHECK(h.engine->status().timers == 2);
  auto report = h.advance(t0 + 10'000);
  REQUIRE(report);
  CHECK(report->timers_fired == 1);
  CHECK(h.received(kSink).empty());
  CHECK(h.engine->status().timers == 0);
}

TEST_CASE("state expires by the virtual clock at each step's own time",
          "[runtime][virtual-clock]") {
  // `count` expires 1.5 s after each write. Timers add 1 at 1 s (the 5 is
  // still there: 6, expiring at 2.5 s) and at 3 s (expired: 1). A clock that
  // jumped straight to 3 s would give 1 and then 2.
  VirtualRig h([](const BatchRequest& r) {
    if (r.target == kScheduler) return answer(schedule({{1000, 1}, {3000, 1}}, kCounter));
    return answer(counter(r, ExpireMode::kAfterWrite, 1500));
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kCounter, int_message(5)));
  REQUIRE(h.send(kScheduler, int_message(0)));
  h.settle();
  REQUIRE(h.count_of(kCounter) == 5);
  REQUIRE(h.advance(t0 + 1200));
  CHECK(h.count_of(kCounter) == 6);
  REQUIRE(h.advance(t0 + 4000));
  CHECK(h.count_of(kCounter) == 1);
}

TEST_CASE("the clock waits for requests on the wire before it moves on",
          "[runtime][virtual-clock]") {
  VirtualRig h([](const BatchRequest& r) {
    if (r.target == kScheduler) return answer(schedule({{1000, 1}, {2000, 2}}, kSink));
    return answer(InvocationResult{});
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kScheduler, int_message(0)));
  h.settle();
  h.function.hold(true);
  auto done = std::make_shared<std::optional<Result<ClockAdvance>>>();
  h.group(AdvanceClockEvent{t0 + 5000, false, 0, into(done)});
  // The first timer is on the wire at 1 s; the clock stays there.
  CHECK(h.function.held() == 1);
  h.wall.advance_ms(60'000);
  h.group();
  CHECK(h.clock.now_ms() == t0 + 1000);
  CHECK_FALSE(done->has_value());
  // A second advance is refused while this one runs.
  auto second = std::make_shared<std::optional<Result<ClockAdvance>>>();
  h.group(AdvanceClockEvent{t0 + 9000, false, 0, into(second)});
  REQUIRE(second->has_value());
  CHECK((*second)->has_value() == false);
  h.function.hold(false);
  h.function.release();
  for (int i = 0; i < 10 && !done->has_value(); ++i) h.settle();
  REQUIRE(done->has_value());
  REQUIRE(**done);
  CHECK(h.received(kSink) ==
        std::vector<std::pair<int64_t, int32_t>>{{t0 + 1000, 1}, {t0 + 2000, 2}});
  CHECK(h.clock.now_ms() == t0 + 5000);
}

TEST_CASE("until idle follows timers while the next is within the horizon",
          "[runtime][virtual-clock]") {
  // Timers at 1 h, 2 h, then one at 40 days.
  VirtualRig h([](const BatchRequest& r) {
    if (r.target == kScheduler) {
      return answer(schedule({{kHour, 1}, {2 * kHour, 2}, {40 * 24 * kHour, 3}}, kSink));
    }
    return answer(InvocationResult{});
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kScheduler, int_message(0)));
  h.settle();
  auto report = h.advance(0, true, 24 * kHour);
  REQUIRE(report);
  CHECK(report->timers_fired == 2);
  CHECK(report->to_ms == t0 + 2 * kHour);  // where the last timer fired
  CHECK(report->next_timer_ms == t0 + 40 * 24 * kHour);
}

TEST_CASE("the virtual clock refuses to go back, and a wall clock refuses to advance",
          "[runtime][virtual-clock]") {
  VirtualRig h([](const BatchRequest&) { return answer(InvocationResult{}); });
  h.start_virtual();
  auto back = h.advance(h.clock.now_ms() - 1);
  REQUIRE_FALSE(back);
  CHECK(back.error().code == ErrorCode::kInvalidArgument);
  CHECK(back.error().message.find("only moves forward") != std::string::npos);

  EngineRig wall([](const BatchRequest&) { return answer(InvocationResult{}); });
  wall.start();
  auto done = std::make_shared<std::optional<Result<ClockAdvance>>>();
  wall.group(AdvanceClockEvent{wall.clock.now_ms() + 1000, false, 0, into(done)});
  REQUIRE(done->has_value());
  REQUIRE_FALSE(**done);
  CHECK((*done)->error().code == ErrorCode::kFailedPrecondition);
}

TEST_CASE("a failing function is retried on the wall clock while virtual time stands still",
          "[runtime][virtual-clock]") {
  int failures_left = 2;
  VirtualRig h([&](const BatchRequest& r) {
    if (failures_left-- > 0) return failure("HTTP 500: boom");
    return answer(counter(r));
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kCounter, int_message(4)));
  h.settle();
  CHECK(h.engine->status().failing == 1);
  REQUIRE(h.engine->next_due_ms());
  CHECK(*h.engine->next_due_ms() == h.wall.now_ms() + 2);  // on the wall clock
  for (int i = 0; i < 10 && h.engine->status().pending > 0; ++i) {
    h.wall.advance_ms(20);
    h.settle();
  }
  CHECK(h.count_of(kCounter) == 4);
  CHECK(h.clock.now_ms() == t0);
}

TEST_CASE("the virtual time is committed at start and with every move; a wall clock clears it",
          "[runtime][virtual-clock]") {
  VirtualRig h([](const BatchRequest& r) {
    if (r.target == kScheduler) return answer(schedule({{kHour, 1}}, kSink));
    return answer(InvocationResult{});
  });
  h.start_virtual();
  const int64_t t0 = h.clock.now_ms();
  h.group();  // the load's writes commit with the first group
  // Read through a second connection: only committed writes are seen.
  auto reader = h.open_store();
  CHECK(reader->virtual_now().value() == t0);

  REQUIRE(h.send(kScheduler, int_message(0)));
  h.settle();
  auto report = h.advance(t0 + 2 * kHour);
  REQUIRE(report);
  CHECK(report->timers_fired == 1);
  CHECK(reader->virtual_now().value() == t0 + 2 * kHour);

  // A wall-clock engine on the same database: no virtual time any more.
  h.engine.reset();
  h.start();
  h.group();
  CHECK_FALSE(reader->virtual_now().value().has_value());
}
