// The engine's behaviour, driven step by step on the test's thread
// (engine_rig.h): what it sends, when, and what it stores.
#include "runtime/engine/engine.h"

#include <catch2/catch.hpp>

#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};

TypedValue int_message(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

CallOutcome count(const BatchRequest& r) { return answer(counter(r)); }

}  // namespace

TEST_CASE("first contact does the state handshake and re-sends the same batch with state",
          "[runtime]") {
  EngineRig h(count);
  h.start();
  REQUIRE(h.send(kBob, int_message(5)));
  REQUIRE(h.run_until_idle());
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].states.empty());
  REQUIRE(requests[1].states.size() == 1);
  CHECK(requests[1].states[0].name == "count");
  CHECK_FALSE(requests[1].states[0].value.has_value());
  CHECK(requests[1].invocations.size() == 1);
  CHECK(h.count_of(kBob) == 5);

  // The next message carries the stored value and needs no handshake; so
  // does another id of the same type.
  REQUIRE(h.send(kBob, int_message(2)));
  REQUIRE(h.send({{"test", "counter"}, "Alice"}, int_message(1)));
  REQUIRE(h.run_until_idle());
  requests = h.function.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[2].states.at(0).value->value == types::encode_int(5));
  CHECK(h.count_of(kBob) == 7);
}

TEST_CASE("messages that arrive while a request is in flight go out together as one batch",
          "[runtime]") {
  EngineRig h(count);
  h.start();
  REQUIRE(h.send(kBob, int_message(1)));  // handshake done, state registered
  REQUIRE(h.run_until_idle());
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(1)));
  for (int i = 0; i < 10; ++i) REQUIRE(h.send(kBob, int_message(i + 100)));
  CHECK(h.function.held() == 1);  // one request in flight per address
  h.function.hold(false);
  h.function.release();
  REQUIRE(h.run_until_idle());
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 4);
  REQUIRE(requests.back().invocations.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(types::decode_int(requests.back().invocations[i].argument.value) == i + 100);
  }
}

TEST_CASE("maxNumBatchRequests bounds a batch and holds ingress back until there is room",
          "[runtime]") {
  EngineRig h(count);
  h.start();
  h.max_batch = 3;
  h.group(RerouteEvent{});  // pick up the new bound
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(1)));                              // in flight
  for (int i = 0; i < 3; ++i) REQUIRE(h.send(kBob, int_message(1)));  // backlog full
  // The next one is parked: not acknowledged while the backlog is full.
  auto parked = h.accept(kBob, int_message(1));
  h.settle();
  CHECK_FALSE(parked->has_value());
  h.function.hold(false);
  h.function.release();
  h.settle();
  REQUIRE(parked->has_value());
  REQUIRE(**parked);
  REQUIRE(h.run_until_idle());
  for (const auto& request : h.function.requests()) CHECK(request.invocations.size() <= 3);
  CHECK(h.count_of(kBob) == 6);
}

TEST_CASE("a failing function keeps its messages and they apply exactly once when it recovers",
          "[runtime]") {
  int failures_left = 3;
  EngineRig h([&](const BatchRequest& r) {
    if (failures_left-- > 0) return failure("HTTP 500: boom");
    return answer(counter(r));
  });
  h.start();
  REQUIRE(h.send(kBob, int_message(4)));
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 4);
  REQUIRE(h.recorder.failures.size() == 3);
  CHECK(h.recorder.failures[0] == "test/counter/Bob: HTTP 500: boom");
  CHECK(h.recorder.recovered == std::vector<int>{3});
}

TEST_CASE("a failed batch is re-sent only when its backoff has passed, doubling each time",
          "[runtime]") {
  EngineRig h(count);
  h.start();
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.function.complete_next(failure("HTTP 503: starting")));
  h.settle();
  CHECK(h.engine->status().failing == 1);
  CHECK(h.engine->next_due_ms() == h.clock.now_ms() + 2);
  h.clock.advance_ms(1);
  h.group();
  CHECK(h.function.held() == 0);  // not yet
  h.clock.advance_ms(1);
  h.group();
  REQUIRE(h.function.held() == 1);  // 2 ms after the failure
  REQUIRE(h.function.complete_next(failure("HTTP 503: starting")));
  h.settle();
  CHECK(h.engine->next_due_ms() == h.clock.now_ms() + 4);
  h.function.hold(false);
  h.function.release();
  REQUIRE(h.run_until_idle());
  CHECK(h.recorder.failures.size() == 2);
  CHECK(h.engine->status().failing == 0);
}

TEST_CASE("an invalid response applies nothing and is retried", "[runtime]") {
  int bad_left = 2;
  EngineRig h([&](const BatchRequest& r) {
    auto response = counter(r);
    if (auto* result = std::get_if<InvocationResult>(&response); result && bad_left-- > 0) {
      // A message that would be applied, plus a write to an undeclared state.
      result->egress.push_back({"test", "egress", {"x/y", true, "leaked"}});
      result->mutations.push_back({MutationKind::kModify, "nope", int_message(1)});
    }
    return answer(response);
  });
  h.start();
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 1);
  CHECK_FALSE(h.pop("out"));  // the egress of the rejected responses never appeared
  REQUIRE(h.recorder.failures.size() == 2);
  CHECK(h.recorder.failures[0].find("unregistered state 'nope'") != std::string::npos);
}

TEST_CASE("garbage bytes from a function are a failed attempt, not a crash", "[runtime]") {
  int bad_left = 1;
  EngineRig h([&](const BatchRequest& r) {
    if (bad_left-- > 0) return CallOutcome{true, "\xff\xff\xff garbage", {}};
    return answer(counter(r));
  });
  h.start();
  REQUIRE(h.send(kBob, int_message(3)));
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 3);
  REQUIRE(h.recorder.failures.size() == 1);
  CHECK(h.recorder.failures[0].find("garbage response") != std::string::npos);
}

TEST_CASE("outgoing messages carry the sender as caller; ingress messages have none", "[runtime]") {
  const Address relay{{"test", "relay"}, "r1"};
  EngineRig h([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == relay)
      result.messages.push_back({Address{{"test", "sink"}, "s1"}, int_message(9)});
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(relay, int_message(1)));
  REQUIRE(h.run_until_idle());
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 2);
  CHECK_FALSE(requests[0].invocations[0].caller.has_value());
  REQUIRE(requests[1].invocations[0].caller.has_value());
  CHECK(*requests[1].invocations[0].caller == relay);
}

TEST_CASE("delayed messages fire at their time with the scheduler as caller; cancelled ones never",
          "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  const Address sink{{"test", "sink"}, "s"};
  EngineRig h([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == scheduler) {
      result.delayed.push_back({false, "", 1000, sink, int_message(1)});
      result.delayed.push_back({false, "tok", 1000, sink, int_message(2)});
      result.delayed.push_back({true, "tok", 0, {}, {}});
    }
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  CHECK(h.engine->status().timers == 1);
  CHECK(h.engine->next_timer_due_ms() == h.clock.now_ms() + 1000);
  h.clock.advance_ms(999);
  h.group(TickEvent{});  // the group's fire_due finds nothing due yet
  REQUIRE(h.run_until_idle());
  CHECK(h.function.requests().size() == 1);
  h.clock.advance_ms(1);
  h.group(TickEvent{});
  REQUIRE(h.run_until_idle());
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].target == sink);
  CHECK(requests[1].invocations.size() == 1);
  CHECK(types::decode_int(requests[1].invocations[0].argument.value) == 1);
  CHECK(*requests[1].invocations[0].caller == scheduler);
  CHECK(h.engine->status().timers == 0);
  CHECK_FALSE(h.engine->next_timer_due_ms());
}

TEST_CASE("a timer id is never used twice, also after the newest timer fired or was cancelled",
          "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  const Address sink{{"test", "sink"}, "s"};
  EngineRig h([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == scheduler) result.delayed.push_back({false, "t", 1000, sink, int_message(1)});
    return answer(result);
  });
  h.start();
  auto pending_id = [&h] {
    auto timers = h.open_store()->load_timers();
    REQUIRE(timers);
    REQUIRE(timers->size() == 1);
    return timers->front().id;
  };
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  const int64_t first = pending_id();
  h.clock.advance_ms(1000);
  h.group(TickEvent{});  // it fires
  REQUIRE(h.run_until_idle());
  REQUIRE(h.engine->status().timers == 0);
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  const int64_t second = pending_id();
  CHECK(second > first);
  REQUIRE(h.timer_op(false, second));  // cancelled from the admin API
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  CHECK(pending_id() > second);
}

TEST_CASE(
    "a duplicate pending cancellation token fails the response; cancelling an unknown one "
    "does nothing",
    "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  const Address other_type_same_id{{"test", "other"}, "u1"};
  EngineRig h([&](const BatchRequest& r) {
    InvocationResult result;
    result.delayed.push_back({true, "never-used", 0, {}, {}});
    result.delayed.push_back({false, "tok", 60000, r.target, int_message(1)});
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  CHECK(h.engine->status().timers == 1);
  // Tokens are scoped by id alone: another type with the same id collides.
  REQUIRE(h.send(other_type_same_id, int_message(0)));
  h.settle();
  REQUIRE_FALSE(h.recorder.failures.empty());
  CHECK(h.recorder.failures[0].find("cancellation token 'tok' is already pending") !=
        std::string::npos);
}

TEST_CASE("state written with expire-after-write is absent once its time has passed", "[runtime]") {
  EngineRig h(
      [](const BatchRequest& r) { return answer(counter(r, ExpireMode::kAfterWrite, 1000)); });
  h.start();
  REQUIRE(h.send(kBob, int_message(5)));
  REQUIRE(h.run_until_idle());
  h.clock.advance_ms(999);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 6);  // still there: 5 + 1, and the write restarted the clock
  h.clock.advance_ms(1000);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  auto requests = h.function.requests();
  CHECK_FALSE(requests.back().states.at(0).value.has_value());
  CHECK(h.count_of(kBob) == 1);
}

TEST_CASE("expire-after-invoke is refreshed by every request for the address", "[runtime]") {
  EngineRig h([](const BatchRequest& r) {
    auto response = counter(r, ExpireMode::kAfterInvoke, 1000);
    // Write only on the first message; later requests just read.
    if (auto* result = std::get_if<InvocationResult>(&response)) {
      for (const auto& s : r.states) {
        if (s.value) result->mutations.clear();
      }
    }
    return answer(response);
  });
  h.start();
  REQUIRE(h.send(kBob, int_message(5)));
  REQUIRE(h.run_until_idle());
  for (int i = 0; i < 3; ++i) {
    h.clock.advance_ms(800);
    REQUIRE(h.send(kBob, int_message(1)));
    REQUIRE(h.run_until_idle());
    CHECK(h.function.requests().back().states.at(0).value.has_value());
  }
  h.clock.advance_ms(1000);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  CHECK_FALSE(h.function.requests().back().states.at(0).value.has_value());
}

TEST_CASE("after a restart pending messages are re-sent and the handshake happens again",
          "[runtime]") {
  EngineRig::StoreOpener database;
  {
    EngineRig h(count);
    h.start();
    database = h.open_store;
    REQUIRE(h.send(kBob, int_message(1)));
    REQUIRE(h.run_until_idle());
    h.function.hold(true);  // the next request never answers: a crash mid-flight
    REQUIRE(h.send(kBob, int_message(10)));
    REQUIRE(h.send(kBob, int_message(100)));
  }
  EngineRig again(count, database);
  again.start();
  REQUIRE(again.run_until_idle());
  CHECK(again.count_of(kBob) == 111);
  CHECK(again.function.requests().front().states.empty());  // registry is in memory only
}

TEST_CASE("egress records are readable once committed, in order, and only once", "[runtime]") {
  EngineRig h([](const BatchRequest& r) {
    InvocationResult result;
    for (const auto& invocation : r.invocations) {
      result.egress.push_back({"test", "egress", {"x/y", true, invocation.argument.value}});
    }
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(kBob, {"x/y", true, "first"}));
  REQUIRE(h.send(kBob, {"x/y", true, "second"}));
  REQUIRE(h.run_until_idle());
  CHECK(h.pop("out") == "first");
  CHECK(h.pop("out") == "second");
  CHECK_FALSE(h.pop("out"));
}

// Not a failed attempt: the official Python SDK (3.3.0) answers a batch that
// sent nothing and wrote no state with a zero-byte body (docs/sdk-behaviour.md).
TEST_CASE("an empty 200 body is a step with no effects: applied once, not retried", "[runtime]") {
  EngineRig h([](const BatchRequest&) { return CallOutcome{true, "", {}}; });
  h.start();
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  CHECK(h.recorder.failures.empty());
  CHECK(h.recorder.steps.size() == 1);
  CHECK(h.function.requests().size() == 1);
  CHECK(h.engine->status().pending == 0);
}

TEST_CASE("a peek serves the record a pop would and leaves it waiting", "[runtime]") {
  EngineRig h([](const BatchRequest& r) {
    InvocationResult result;
    result.egress.push_back({"test", "egress", r.invocations[0].argument});
    return answer(result);
  });
  h.start();
  CHECK_FALSE(h.peek("out"));
  REQUIRE(h.send(kBob, {"x/y", true, "kept"}));
  REQUIRE(h.run_until_idle());
  CHECK(h.peek("out") == "kept");
  CHECK(h.peek("out") == "kept");
  CHECK(h.pop("out") == "kept");
  CHECK_FALSE(h.peek("out"));
  CHECK_FALSE(h.pop("out"));
}

// Issue 14.6: a pop leases its record; the playground settles the lease
// once the response was written (consumed) or could not be (served again).
TEST_CASE("a popped record is leased until settled: skipped meanwhile, served again if undelivered",
          "[runtime]") {
  EngineRig h([](const BatchRequest& r) {
    InvocationResult result;
    result.egress.push_back({"test", "egress", r.invocations[0].argument});
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(kBob, {"x/y", true, "a"}));
  REQUIRE(h.send(kBob, {"x/y", true, "b"}));
  REQUIRE(h.run_until_idle());
  auto first = h.lease("out");
  REQUIRE(first);
  CHECK(first->record.payload == "a");
  CHECK(h.peek("out") == "b");  // a HEAD skips the leased record too
  auto second = h.lease("out");
  REQUIRE(second);
  CHECK(second->record.payload == "b");
  CHECK_FALSE(h.lease("out"));
  auto unconsumed = [&h] {
    auto record = h.open_store()->peek_egress("out", 0, 1000);
    REQUIRE(record);
    return *record ? (*record)->payload : std::string("none");
  };
  CHECK(unconsumed() == "a");                        // leasing wrote nothing
  h.group(SettleEgressEvent{first->ticket, false});  // its response never went out
  auto again = h.lease("out");
  REQUIRE(again);
  CHECK(again->record.payload == "a");
  CHECK(again->ticket != first->ticket);
  h.group(SettleEgressEvent{again->ticket, true});
  CHECK(unconsumed() == "b");
  h.group(SettleEgressEvent{second->ticket, true});
  h.group(SettleEgressEvent{second->ticket, true});  // settled twice: nothing more
  h.group(SettleEgressEvent{first->ticket, true});   // a stale ticket: ignored
  CHECK(unconsumed() == "none");
  CHECK_FALSE(h.lease("out"));
}

TEST_CASE("a record leased when the engine died is served again by the next one", "[runtime]") {
  EngineRig h([](const BatchRequest& r) {
    InvocationResult result;
    result.egress.push_back({"test", "egress", r.invocations[0].argument});
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(kBob, {"x/y", true, "in doubt"}));
  REQUIRE(h.run_until_idle());
  REQUIRE(h.lease("out"));
  h.start();  // a kill before the response was written: a new engine, same database
  CHECK(h.pop("out") == "in doubt");
  h.start();
  CHECK_FALSE(h.pop("out"));  // delivered and settled: consumed for good
}

TEST_CASE("egress of a step in the open group is not served before that group commits",
          "[runtime]") {
  EngineRig h([](const BatchRequest& r) {
    InvocationResult result;
    result.egress.push_back({"test", "egress", r.invocations[0].argument});
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(kBob, {"x/y", true, "late"}));
  // The step and the pop in one group: the record is not committed yet.
  auto popped = std::make_shared<std::optional<Result<std::optional<EgressLease>>>>();
  std::vector<Event> events;
  for (auto& e : h.posted) events.push_back(std::move(e));
  h.posted.clear();
  events.push_back(PopEgressEvent{"out", into(popped)});
  h.group(std::move(events));
  REQUIRE(popped->has_value());
  CHECK_FALSE(***popped);
  CHECK(h.pop("out") == "late");
}

TEST_CASE("messages for a function type nobody serves are kept and counted as unroutable",
          "[runtime]") {
  EngineRig h(count);
  h.start();
  REQUIRE(h.send({{"elsewhere", "fn"}, "x"}, int_message(1)));
  h.settle();
  auto status = h.engine->status();
  CHECK(status.unroutable == 1);
  CHECK(status.pending == 0);
  CHECK(h.function.requests().empty());
  REQUIRE(h.recorder.unroutable.size() == 1);
  CHECK(h.recorder.unroutable[0].str() == "elsewhere/fn");
}

TEST_CASE("an edit waits for the in-flight request and applies between two steps", "[runtime]") {
  EngineRig h(count);
  h.start();
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(10)));  // on the wire: count will become 11
  auto edited =
      h.edit_later(kBob, [](AddressEdit& e) { return e.write("count", int_message(100)); });
  h.settle();
  CHECK_FALSE(edited->has_value());
  h.function.hold(false);
  h.function.release();
  h.settle();
  REQUIRE(edited->has_value());
  REQUIRE(**edited);
  CHECK(h.count_of(kBob) == 100);  // the edit came after the step, not before
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 101);
}

TEST_CASE("an edit that fails leaves nothing behind", "[runtime]") {
  EngineRig h(count);
  h.start();
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  auto result = h.edit(kBob, [](AddressEdit& e) -> Result<void> {
    if (auto r = e.remove("count"); !r) return r;
    return e.write("count", {"io.statefun.types/string", true, "x"});  // wrong type
  });
  REQUIRE_FALSE(result);
  CHECK(result.error().message.find("registered as io.statefun.types/int") != std::string::npos);
  CHECK(h.count_of(kBob) == 1);
}

TEST_CASE("timers can be cancelled or fired now by id", "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  const Address sink{{"test", "sink"}, "s"};
  EngineRig h([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == scheduler) {
      result.delayed.push_back({false, "", 3600000, sink, int_message(1)});
      result.delayed.push_back({false, "", 3600000, sink, int_message(2)});
    }
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  auto timers = h.open_store()->load_timers();
  REQUIRE(timers->size() == 2);
  CHECK(h.timer_op(false, (*timers)[0].id) == true);
  CHECK(h.timer_op(false, (*timers)[0].id) == false);  // already gone
  CHECK(h.timer_op(true, (*timers)[1].id) == true);
  REQUIRE(h.run_until_idle());
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 2);
  CHECK(types::decode_int(requests[1].invocations[0].argument.value) == 2);
  CHECK(h.engine->status().timers == 0);
}

TEST_CASE("a closed gate holds messages back without failures until it opens", "[runtime]") {
  EngineRig h(count);
  h.start();
  h.group(GateEvent{"proc", false});
  h.group(ReconfigureEvent{
      [](const FunctionType& type) -> std::optional<FunctionRoute> {
        FunctionRoute route;
        route.url = "http://fake/" + type.name;
        route.gate = "proc";
        return route;
      },
      [](const EgressMessage&) -> Result<RoutedEgress> { return RoutedEgress{}; }});
  REQUIRE(h.send(kBob, int_message(2)));
  h.settle();
  CHECK(h.function.requests().empty());
  CHECK(h.engine->status().pending == 1);
  CHECK(h.engine->status().queued_by_type.at("test/counter") == 1);
  h.group(GateEvent{"proc", true});
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 2);
  CHECK(h.recorder.failures.empty());
}

TEST_CASE("counters are published at each commit, before the group's callbacks run", "[runtime]") {
  EngineRig h(count);
  std::vector<DispatcherStatus> published;
  auto options = h.options();
  options.publish = [&](const DispatcherStatus& s) { published.push_back(s); };
  h.start(options);
  REQUIRE(published.size() == 1);  // after loading
  std::optional<int64_t> pending_seen_by_callback;
  h.group(AcceptEvent{InboxMessage{0, kBob, std::nullopt, int_message(1)},
                      [&](Result<void>) { pending_seen_by_callback = published.back().pending; }});
  CHECK(pending_seen_by_callback == 1);
  REQUIRE(h.run_until_idle());
  CHECK(published.back().pending == 0);
  CHECK(published.back().steps == 1);
  CHECK(h.recorder.committed.back() == 1);
}

TEST_CASE("with retention on, the engine wakes each second even when the next timer is later",
          "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  EngineRig h([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == scheduler) result.delayed.push_back({false, "", 3600000, r.target, {}});
    return answer(result);
  });
  auto options = h.options();
  options.retention_age_ms = 60000;
  h.start(options);
  CHECK(h.engine->next_due_ms() == h.clock.now_ms() + 1000);
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  REQUIRE(h.engine->next_timer_due_ms() == h.clock.now_ms() + 3600000);
  CHECK(h.engine->next_due_ms() == h.clock.now_ms() + 1000);  // not the timer's hour
}

TEST_CASE("a virtual clock can fire every due timer in due order, each step at its own time",
          "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  const Address sink{{"test", "sink"}, "s"};
  EngineRig h([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == scheduler) {
      for (int32_t delay : {300, 100, 200, 5000}) {
        result.delayed.push_back({false, "", delay, sink, int_message(delay)});
      }
    }
    return answer(result);
  });
  h.start();
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(h.run_until_idle());
  const int64_t start = h.clock.now_ms();
  // What `statefun clock advance 1s` needs: move to each due time in turn,
  // fire what is due there and run the steps it causes, then to the target.
  const int64_t target = start + 1000;
  while (auto due = h.engine->next_timer_due_ms()) {
    if (*due > target) break;
    h.clock.advance_ms(*due - h.clock.now_ms());
    h.group();
    h.settle();
  }
  h.clock.advance_ms(target - h.clock.now_ms());
  h.group();
  std::vector<std::pair<int64_t, int32_t>> fired;  // (step time - start, message)
  for (const auto& step : h.recorder.steps) {
    if (step.address == sink) fired.emplace_back(step.at_ms - start, 0);
  }
  auto requests = h.function.requests();
  std::size_t i = 0;
  for (const auto& request : requests) {
    if (request.target != sink) continue;
    fired.at(i++).second = *types::decode_int(request.invocations.at(0).argument.value);
  }
  CHECK(fired == std::vector<std::pair<int64_t, int32_t>>{{100, 100}, {200, 200}, {300, 300}});
  CHECK(h.engine->status().timers == 1);  // the one due after the target waits
}
