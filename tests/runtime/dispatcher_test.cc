// The Dispatcher: the engine on a thread of its own behind a thread-safe
// API. What the engine does is tested step by step in engine_test.cc; these
// tests check the thread and the public API. They wait only on completion
// callbacks and observer notifications (futures), never on time.
#include "runtime/engine/dispatcher.h"

#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "runtime/store/memory_store.h"
#include "tests/runtime/fake_function.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kBob{{"test", "echo"}, "Bob"};

TypedValue text(std::string s) { return {"x/y", true, std::move(s)}; }

// A function with no state that echoes each message to the egress.
CallOutcome echo(const BatchRequest& r) {
  InvocationResult result;
  for (const auto& invocation : r.invocations) {
    result.egress.push_back({"test", "egress", invocation.argument});
  }
  return answer(result);
}

// Tells a waiting test when the engine thread has applied N steps.
class StepWatch : public DispatcherObserver {
 public:
  std::future<void> when(int steps) {
    std::lock_guard lock(m_mutex);
    m_want = steps;
    m_reached = {};
    auto future = m_reached.get_future();
    if (m_steps >= m_want) m_reached.set_value();
    return future;
  }
  void on_step(const TraceRecord& trace) override {
    std::lock_guard lock(m_mutex);
    m_thread = std::this_thread::get_id();
    m_targets.push_back(trace.address);
    if (++m_steps == m_want) m_reached.set_value();
  }
  std::thread::id thread() {
    std::lock_guard lock(m_mutex);
    return m_thread;
  }
  std::vector<Address> targets() {
    std::lock_guard lock(m_mutex);
    return m_targets;
  }

 private:
  std::mutex m_mutex;
  int m_steps = 0, m_want = 0;
  std::promise<void> m_reached;
  std::thread::id m_thread;
  std::vector<Address> m_targets;
};

// A dispatcher over an in-memory database.
struct Rig {
  std::shared_ptr<MemoryDatabase> database;
  MemoryStore store;
  FakeFunction function;
  ManualClock clock;
  StepWatch watch;
  int max_batch = 1000;
  net::EventLoop* loop = nullptr;
  std::unique_ptr<Dispatcher> dispatcher;

  explicit Rig(FakeFunction::Handler handler,
               std::shared_ptr<MemoryDatabase> db = MemoryStore::new_database())
      : database(db), store(db), function(std::move(handler)) {}

  void start() {
    DispatcherOptions o;
    o.store = &store;
    o.client = &function;
    o.clock = &clock;
    o.resolve = [this](const FunctionType& type) -> std::optional<FunctionRoute> {
      if (type.ns != "test") return std::nullopt;
      FunctionRoute route;
      route.url = "http://fake/" + type.name;
      route.max_batch = max_batch;
      return route;
    };
    o.route_egress = [](const EgressMessage& m) -> Result<RoutedEgress> {
      return RoutedEgress{"out", m.argument.value};
    };
    o.observer = &watch;
    o.loop = loop;
    dispatcher = std::make_unique<Dispatcher>(o);
    REQUIRE(dispatcher->start());
  }

  std::future<Result<void>> accept(const Address& to, TypedValue value) {
    auto done = std::make_shared<std::promise<Result<void>>>();
    auto future = done->get_future();
    dispatcher->accept(InboxMessage{0, to, std::nullopt, std::move(value)},
                       [done](Result<void> r) { done->set_value(std::move(r)); });
    return future;
  }

  std::optional<std::string> pop(const std::string& topic) {
    std::promise<Result<std::optional<EgressLease>>> done;
    dispatcher->pop_egress(topic, [&done](auto r) { done.set_value(std::move(r)); });
    auto lease = done.get_future().get();
    REQUIRE(lease);
    if (!*lease) return std::nullopt;
    // As if its response was written: consumed in a later group.
    dispatcher->settle_egress((*lease)->ticket, true);
    return (*lease)->record.payload;
  }
};

}  // namespace

TEST_CASE("the dispatcher applies steps on its thread and serves egress and status through its API",
          "[runtime]") {
  Rig rig(echo);
  rig.start();
  auto first = rig.watch.when(1);
  REQUIRE(rig.accept(kBob, text("first")).get());
  first.wait();
  auto second = rig.watch.when(2);
  REQUIRE(rig.accept(kBob, text("second")).get());
  second.wait();
  // A pop is handled in a group after the steps' groups, so after their commit.
  CHECK(rig.pop("out") == "first");
  CHECK(rig.pop("out") == "second");
  CHECK_FALSE(rig.pop("out"));
  // The pop's callback ran after its group published the counters.
  const auto status = rig.dispatcher->status();
  CHECK(status.pending == 0);
  CHECK(status.in_flight == 0);
  CHECK(status.steps == 2);
  CHECK(rig.watch.thread() != std::this_thread::get_id());
}

TEST_CASE("the engine thread drives the event loop it is given", "[runtime]") {
  net::EventLoop loop;
  Rig rig(echo);
  rig.loop = &loop;
  rig.start();
  auto stepped = rig.watch.when(1);
  REQUIRE(rig.accept(kBob, text("x")).get());
  stepped.wait();
  std::promise<std::thread::id> ran;
  loop.post([&ran] { ran.set_value(std::this_thread::get_id()); });
  CHECK(ran.get_future().get() == rig.watch.thread());
}

TEST_CASE("tick() makes the engine thread fire timers that the clock made due", "[runtime]") {
  const Address scheduler{{"test", "scheduler"}, "u1"};
  const Address sink{{"test", "sink"}, "s"};
  Rig rig([&](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == scheduler) result.delayed.push_back({false, "", 1000, sink, text("later")});
    return answer(result);
  });
  rig.start();
  auto scheduled = rig.watch.when(1);
  REQUIRE(rig.accept(scheduler, text("now")).get());
  scheduled.wait();
  auto fired = rig.watch.when(2);
  rig.clock.advance_ms(1000);
  rig.dispatcher->tick();
  fired.wait();
  CHECK(rig.watch.targets().back() == sink);
}

TEST_CASE("stop() refuses held-back and later requests; what was accepted is sent after a restart",
          "[runtime]") {
  Rig rig(echo);
  rig.max_batch = 1;
  rig.start();
  rig.function.hold(true);
  REQUIRE(rig.accept(kBob, text("a")).get());  // on the wire, never answered
  REQUIRE(rig.accept(kBob, text("b")).get());  // in the backlog, which is now full
  auto parked = rig.accept(kBob, text("c"));   // held back by backpressure
  rig.dispatcher->stop();
  auto refused = parked.get();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kUnavailable);
  auto late = rig.accept(kBob, text("d")).get();
  REQUIRE_FALSE(late);
  CHECK(late.error().code == ErrorCode::kUnavailable);
  rig.dispatcher->stop();  // a second stop is harmless

  // A new dispatcher on the same database sends what was accepted: a and b.
  Rig again(echo, rig.database);
  again.max_batch = 1;
  again.start();
  auto both = again.watch.when(2);
  both.wait();
  CHECK(again.pop("out") == "a");
  CHECK(again.pop("out") == "b");
  CHECK_FALSE(again.pop("out"));
}
