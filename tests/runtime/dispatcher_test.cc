#include "runtime/engine/dispatcher.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>

#include "tests/runtime/fake_function.h"

using namespace statefun;
using namespace statefun::test;
namespace fs = std::filesystem;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};

TypedValue int_message(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

// Records what the dispatcher reports.
struct Recorder : DispatcherObserver {
  std::mutex mutex;
  std::vector<std::string> failures;
  int steps = 0;
  void on_step(const TraceRecord&) override {
    std::lock_guard lock(mutex);
    ++steps;
  }
  void on_call_failed(const Address& a, const std::string& reason, int) override {
    std::lock_guard lock(mutex);
    failures.push_back(a.str() + ": " + reason);
  }
};

// One dispatcher over a temporary database, a fake function and a clock.
struct Harness {
  fs::path dir;
  std::unique_ptr<Store> store;
  FakeFunction function;
  ManualClock manual_clock;
  SystemClock system_clock;
  Recorder recorder;
  std::vector<RoutedEgress> egress_seen;
  int max_batch = 1000;
  std::unique_ptr<Dispatcher> dispatcher;

  explicit Harness(FakeFunction::Handler handler, bool manual_time = false, fs::path reuse_dir = {})
      : function(std::move(handler)) {
    static int counter = 0;
    dir = reuse_dir.empty() ? fs::temp_directory_path() /
                                  ("statefun-dispatcher-test-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(counter++))
                            : reuse_dir;
    fs::create_directories(dir);
    start(manual_time);
  }

  void start(bool manual_time) {
    auto opened = Store::open((dir / "statefun.db").string(), {false});
    REQUIRE(opened);
    store = std::move(*opened);
    DispatcherOptions options;
    options.store = store.get();
    options.client = &function;
    options.clock = manual_time ? static_cast<const Clock*>(&manual_clock) : &system_clock;
    options.resolve = [this](const FunctionType& type) -> std::optional<FunctionRoute> {
      if (type.ns != "test") return std::nullopt;
      FunctionRoute route;
      route.url = "http://fake/" + type.name;
      route.max_batch = max_batch;
      return route;
    };
    options.route_egress = [](const EgressMessage& m) -> Result<RoutedEgress> {
      if (m.egress_id() != "test/egress") return make_error(ErrorCode::kNotFound, "unknown egress");
      return RoutedEgress{"out", m.argument.value};
    };
    options.observer = &recorder;
    options.max_retry_backoff = std::chrono::milliseconds(20);
    dispatcher = std::make_unique<Dispatcher>(options);
    REQUIRE(dispatcher->start());
  }

  void restart(bool manual_time = false) {
    dispatcher.reset();
    store.reset();
    start(manual_time);
  }

  ~Harness() {
    dispatcher.reset();
    store.reset();
    fs::remove_all(dir);
  }

  Result<void> send(const Address& to, TypedValue value) {
    std::promise<Result<void>> done;
    auto future = done.get_future();
    dispatcher->accept(InboxMessage{0, to, std::nullopt, std::move(value)},
                       [&done](Result<void> r) { done.set_value(r); });
    return future.get();
  }

  std::optional<std::string> pop(const std::string& topic) {
    std::promise<Result<std::optional<EgressRecord>>> done;
    auto future = done.get_future();
    dispatcher->pop_egress(topic, [&done](auto r) { done.set_value(std::move(r)); });
    auto record = future.get();
    REQUIRE(record);
    if (!*record) return std::nullopt;
    return (*record)->payload;
  }

  std::optional<int32_t> count_of(const Address& a) {
    auto rows = store_reader()->read_states(a);
    for (const auto& row : *rows) {
      if (row.name == "count") return types::decode_int(row.value);
    }
    return std::nullopt;
  }

  // A second connection sees only committed data, like the CLI would.
  std::unique_ptr<Store> store_reader() {
    auto opened = Store::open((dir / "statefun.db").string(), {false});
    REQUIRE(opened);
    return std::move(*opened);
  }
};

}  // namespace

TEST_CASE("first contact does the state handshake and re-sends the same batch with state",
          "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r)); });
  REQUIRE(h.send(kBob, int_message(5)));
  REQUIRE(wait_idle(*h.dispatcher));
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
  REQUIRE(wait_idle(*h.dispatcher));
  requests = h.function.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[2].states.at(0).value->value == types::encode_int(5));
  CHECK(h.count_of(kBob) == 7);
}

TEST_CASE("messages that arrive while a request is in flight go out together as one batch",
          "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r)); });
  REQUIRE(h.send(kBob, int_message(1)));  // handshake done, state registered
  REQUIRE(wait_idle(*h.dispatcher));
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(1)));
  for (int i = 0; i < 10; ++i) REQUIRE(h.send(kBob, int_message(i + 100)));
  CHECK(h.function.held() == 1);  // one request in flight per address
  h.function.hold(false);
  h.function.release();
  REQUIRE(wait_idle(*h.dispatcher));
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 4);
  REQUIRE(requests.back().invocations.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(types::decode_int(requests.back().invocations[i].argument.value) == i + 100);
  }
}

TEST_CASE("maxNumBatchRequests bounds a batch and holds ingress back until there is room",
          "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r)); });
  h.max_batch = 3;
  h.dispatcher->reroute();  // pick up the new bound
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(1)));                              // in flight
  for (int i = 0; i < 3; ++i) REQUIRE(h.send(kBob, int_message(1)));  // backlog full
  // The next one is parked: not acknowledged while the backlog is full.
  std::promise<Result<void>> parked;
  auto parked_future = parked.get_future();
  h.dispatcher->accept(InboxMessage{0, kBob, std::nullopt, int_message(1)},
                       [&parked](Result<void> r) { parked.set_value(r); });
  CHECK(parked_future.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
  h.function.hold(false);
  h.function.release();
  REQUIRE(parked_future.get());
  REQUIRE(wait_idle(*h.dispatcher));
  for (const auto& request : h.function.requests()) CHECK(request.invocations.size() <= 3);
  CHECK(h.count_of(kBob) == 6);
}

TEST_CASE("a failing function keeps its messages and they apply exactly once when it recovers",
          "[runtime]") {
  std::atomic<int> failures_left{3};
  Harness h([&](const BatchRequest& r) {
    if (failures_left-- > 0) return failure("HTTP 500: boom");
    return answer(counter(r));
  });
  REQUIRE(h.send(kBob, int_message(4)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.count_of(kBob) == 4);
  std::lock_guard lock(h.recorder.mutex);
  REQUIRE(h.recorder.failures.size() == 3);
  CHECK(h.recorder.failures[0] == "test/counter/Bob: HTTP 500: boom");
}

TEST_CASE("an invalid response applies nothing and is retried", "[runtime]") {
  std::atomic<int> bad_left{2};
  Harness h([&](const BatchRequest& r) {
    auto response = counter(r);
    if (auto* result = std::get_if<InvocationResult>(&response); result && bad_left-- > 0) {
      // A message that would be applied, plus a write to an undeclared state.
      result->egress.push_back({"test", "egress", {"x/y", true, "leaked"}});
      result->mutations.push_back({MutationKind::kModify, "nope", int_message(1)});
    }
    return answer(response);
  });
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.count_of(kBob) == 1);
  CHECK_FALSE(h.pop("out"));  // the egress of the rejected responses never appeared
  std::lock_guard lock(h.recorder.mutex);
  REQUIRE(h.recorder.failures.size() == 2);
  CHECK(h.recorder.failures[0].find("unregistered state 'nope'") != std::string::npos);
}

TEST_CASE("garbage bytes from a function are a failed attempt, not a crash", "[runtime]") {
  std::atomic<int> bad_left{1};
  Harness h([&](const BatchRequest& r) {
    if (bad_left-- > 0) return CallOutcome{true, "\xff\xff\xff garbage", {}};
    return answer(counter(r));
  });
  REQUIRE(h.send(kBob, int_message(3)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.count_of(kBob) == 3);
  std::lock_guard lock(h.recorder.mutex);
  REQUIRE(h.recorder.failures.size() == 1);
  CHECK(h.recorder.failures[0].find("garbage response") != std::string::npos);
}

TEST_CASE("outgoing messages carry the sender as caller; ingress messages have none", "[runtime]") {
  const Address relay{{"test", "relay"}, "r1"};
  Harness h([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == relay)
      result.messages.push_back({Address{{"test", "sink"}, "s1"}, int_message(9)});
    return answer(result);
  });
  REQUIRE(h.send(relay, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
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
  Harness h(
      [&](const BatchRequest& r) {
        InvocationResult result;
        if (r.target == scheduler) {
          result.delayed.push_back({false, "", 1000, sink, int_message(1)});
          result.delayed.push_back({false, "tok", 1000, sink, int_message(2)});
          result.delayed.push_back({true, "tok", 0, {}, {}});
        }
        return answer(result);
      },
      /*manual_time=*/true);
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.dispatcher->status().timers == 1);
  h.manual_clock.advance_ms(999);
  h.dispatcher->tick();
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.function.requests().size() == 1);
  h.manual_clock.advance_ms(1);
  h.dispatcher->tick();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(wait_idle(*h.dispatcher));
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].target == sink);
  CHECK(requests[1].invocations.size() == 1);
  CHECK(types::decode_int(requests[1].invocations[0].argument.value) == 1);
  CHECK(*requests[1].invocations[0].caller == scheduler);
  CHECK(h.dispatcher->status().timers == 0);
}

TEST_CASE(
    "a duplicate pending cancellation token fails the response; cancelling an unknown one "
    "does nothing",
    "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  const Address other_type_same_id{{"test", "other"}, "u1"};
  Harness h(
      [&](const BatchRequest& r) {
        InvocationResult result;
        result.delayed.push_back({true, "never-used", 0, {}, {}});
        result.delayed.push_back({false, "tok", 60000, r.target, int_message(1)});
        return answer(result);
      },
      /*manual_time=*/true);
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.dispatcher->status().timers == 1);
  // Tokens are scoped by id alone: another type with the same id collides.
  REQUIRE(h.send(other_type_same_id, int_message(0)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::lock_guard lock(h.recorder.mutex);
  REQUIRE_FALSE(h.recorder.failures.empty());
  CHECK(h.recorder.failures[0].find("cancellation token 'tok' is already pending") !=
        std::string::npos);
}

TEST_CASE("state written with expire-after-write is absent once its time has passed", "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r, ExpireMode::kAfterWrite, 1000)); },
            /*manual_time=*/true);
  REQUIRE(h.send(kBob, int_message(5)));
  REQUIRE(wait_idle(*h.dispatcher));
  h.manual_clock.advance_ms(999);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.count_of(kBob) == 6);  // still there: 5 + 1, and the write restarted the clock
  h.manual_clock.advance_ms(1000);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  auto requests = h.function.requests();
  CHECK_FALSE(requests.back().states.at(0).value.has_value());
  CHECK(h.count_of(kBob) == 1);
}

TEST_CASE("expire-after-invoke is refreshed by every request for the address", "[runtime]") {
  Harness h(
      [](const BatchRequest& r) {
        auto response = counter(r, ExpireMode::kAfterInvoke, 1000);
        // Write only on the first message; later requests just read.
        if (auto* result = std::get_if<InvocationResult>(&response)) {
          for (const auto& s : r.states) {
            if (s.value) result->mutations.clear();
          }
        }
        return answer(response);
      },
      /*manual_time=*/true);
  REQUIRE(h.send(kBob, int_message(5)));
  REQUIRE(wait_idle(*h.dispatcher));
  for (int i = 0; i < 3; ++i) {
    h.manual_clock.advance_ms(800);
    REQUIRE(h.send(kBob, int_message(1)));
    REQUIRE(wait_idle(*h.dispatcher));
    CHECK(h.function.requests().back().states.at(0).value.has_value());
  }
  h.manual_clock.advance_ms(1000);
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK_FALSE(h.function.requests().back().states.at(0).value.has_value());
}

TEST_CASE("after a restart pending messages are re-sent and the handshake happens again",
          "[runtime]") {
  fs::path dir;
  {
    Harness h([](const BatchRequest& r) { return answer(counter(r)); });
    dir = h.dir;
    REQUIRE(h.send(kBob, int_message(1)));
    REQUIRE(wait_idle(*h.dispatcher));
    h.function.hold(true);  // the next request never answers: a crash mid-flight
    REQUIRE(h.send(kBob, int_message(10)));
    REQUIRE(h.send(kBob, int_message(100)));
    h.dispatcher.reset();
    h.store.reset();
    fs::path keep = h.dir;
    h.dir = fs::temp_directory_path() / "statefun-dispatcher-test-moved";
    fs::remove_all(h.dir);
    fs::rename(keep, h.dir);
    dir = h.dir;
    h.dir = fs::temp_directory_path() / "statefun-dispatcher-test-none";  // keep files on exit
  }
  Harness again([](const BatchRequest& r) { return answer(counter(r)); }, false, dir);
  REQUIRE(wait_idle(*again.dispatcher));
  CHECK(again.count_of(kBob) == 111);
  CHECK(again.function.requests().front().states.empty());  // registry is in memory only
}

TEST_CASE("egress records are readable once committed, in order, and only once", "[runtime]") {
  Harness h([](const BatchRequest& r) {
    InvocationResult result;
    for (const auto& invocation : r.invocations) {
      result.egress.push_back({"test", "egress", {"x/y", true, invocation.argument.value}});
    }
    return answer(result);
  });
  REQUIRE(h.send(kBob, {"x/y", true, "first"}));
  REQUIRE(h.send(kBob, {"x/y", true, "second"}));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.pop("out") == "first");
  CHECK(h.pop("out") == "second");
  CHECK_FALSE(h.pop("out"));
}

TEST_CASE("messages for a function type nobody serves are kept and counted as unroutable",
          "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r)); });
  REQUIRE(h.send({{"elsewhere", "fn"}, "x"}, int_message(1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto status = h.dispatcher->status();
  CHECK(status.unroutable == 1);
  CHECK(status.pending == 0);
  CHECK(h.function.requests().empty());
}

namespace {

Result<void> edit(Harness& h, const Address& a, AddressEditFn fn) {
  std::promise<Result<void>> done;
  auto future = done.get_future();
  h.dispatcher->edit_address(a, "statefun/admin", std::move(fn),
                             [&done](Result<void> r) { done.set_value(r); });
  return future.get();
}

}  // namespace

TEST_CASE("an edit waits for the in-flight request and applies between two steps", "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r)); });
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(10)));  // on the wire: count will become 11
  auto edited = std::async(std::launch::async, [&] {
    return edit(h, kBob, [](AddressEdit& e) { return e.write("count", int_message(100)); });
  });
  CHECK(edited.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  h.function.hold(false);
  h.function.release();
  REQUIRE(edited.get());
  CHECK(h.count_of(kBob) == 100);  // the edit came after the step, not before
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.count_of(kBob) == 101);
}

TEST_CASE("an edit that fails leaves nothing behind", "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r)); });
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(wait_idle(*h.dispatcher));
  auto result = edit(h, kBob, [](AddressEdit& e) -> Result<void> {
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
  Harness h(
      [&](const BatchRequest& r) {
        InvocationResult result;
        if (r.target == scheduler) {
          result.delayed.push_back({false, "", 3600000, sink, int_message(1)});
          result.delayed.push_back({false, "", 3600000, sink, int_message(2)});
        }
        return answer(result);
      },
      /*manual_time=*/true);
  REQUIRE(h.send(scheduler, int_message(0)));
  REQUIRE(wait_idle(*h.dispatcher));
  auto timers = h.store_reader()->load_timers();
  REQUIRE(timers->size() == 2);
  auto op = [&](bool fire, int64_t id) {
    std::promise<Result<bool>> done;
    auto future = done.get_future();
    auto cb = [&done](Result<bool> r) { done.set_value(r); };
    fire ? h.dispatcher->fire_timer(id, cb) : h.dispatcher->cancel_timer(id, cb);
    return future.get();
  };
  CHECK(op(false, (*timers)[0].id) == true);
  CHECK(op(false, (*timers)[0].id) == false);  // already gone
  CHECK(op(true, (*timers)[1].id) == true);
  REQUIRE(wait_idle(*h.dispatcher));
  auto requests = h.function.requests();
  REQUIRE(requests.size() == 2);
  CHECK(types::decode_int(requests[1].invocations[0].argument.value) == 2);
  CHECK(h.dispatcher->status().timers == 0);
}

TEST_CASE("a closed gate holds messages back without failures until it opens", "[runtime]") {
  Harness h([](const BatchRequest& r) { return answer(counter(r)); });
  h.dispatcher->set_gate("proc", false);
  h.dispatcher->reconfigure(
      [](const FunctionType& type) -> std::optional<FunctionRoute> {
        FunctionRoute route;
        route.url = "http://fake/" + type.name;
        route.gate = "proc";
        return route;
      },
      [](const EgressMessage&) -> Result<RoutedEgress> { return RoutedEgress{}; });
  REQUIRE(h.send(kBob, int_message(2)));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  CHECK(h.function.requests().empty());
  CHECK(h.dispatcher->status().pending == 1);
  CHECK(h.dispatcher->status().queued_by_type.at("test/counter") == 1);
  h.dispatcher->set_gate("proc", true);
  REQUIRE(wait_idle(*h.dispatcher));
  CHECK(h.count_of(kBob) == 2);
  std::lock_guard lock(h.recorder.mutex);
  CHECK(h.recorder.failures.empty());
}
