// Drives an Engine the way the Dispatcher's thread does, but on the test's
// thread and one step at a time: no thread, no waiting, no wall clock. Time is
// a ManualClock; functions are a FakeFunction whose answers wait in
// `posted` until the rig hands them to the engine.
#pragma once

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/engine/engine.h"
#include "runtime/store/memory_store.h"
#include "tests/runtime/fake_function.h"

namespace statefun::test {

// Records what the engine reports.
struct Recorder : DispatcherObserver {
  std::vector<std::string> failures;  // "address: reason"
  std::vector<CallFailure> failure_details;
  std::vector<TraceRecord> steps;
  std::vector<int> recovered;  // failed attempts before each recovery
  std::vector<Error> fatal;
  std::vector<int64_t> committed;  // last step of each commit
  std::vector<FunctionType> unroutable;
  void on_step(const TraceRecord& trace) override { steps.push_back(trace); }
  void on_call_failed(const Address& a, const CallFailure& failure) override {
    failures.push_back(a.str() + ": " + failure.reason);
    failure_details.push_back(failure);
  }
  void on_recovered(const Address&, int failed_attempts) override {
    recovered.push_back(failed_attempts);
  }
  void on_unroutable(const FunctionType& type) override { unroutable.push_back(type); }
  void on_fatal(const Error& error) override { fatal.push_back(error); }
  std::vector<Error> suspended;  // the disk filled up
  int resumed = 0;               // ... and had room again
  void on_suspended(const Error& error) override { suspended.push_back(error); }
  void on_resumed() override { ++resumed; }
  void on_committed(int64_t last_step) override { committed.push_back(last_step); }
};

// The answer a callback gives, once it gives one.
template <typename T>
using Answer = std::shared_ptr<std::optional<T>>;

template <typename T>
std::function<void(T)> into(const Answer<T>& answer) {
  return [answer](T value) { *answer = std::move(value); };
}

class EngineRig {
 public:
  using StoreOpener = std::function<std::unique_ptr<Store>()>;

  ManualClock clock;
  FakeFunction function;
  Recorder recorder;
  int max_batch = 1000;           // what routes say; reroute() to apply a change
  std::deque<Event> posted;       // the function's answers, not yet handled
  StoreOpener open_store;         // a new connection to the rig's database
  std::unique_ptr<Store> store;   // the engine's connection
  Store* engine_store = nullptr;  // what the engine writes through (default: store)
  std::unique_ptr<Engine> engine;

  // An engine over a new in-memory database.
  explicit EngineRig(FakeFunction::Handler handler)
      : EngineRig(std::move(handler), memory_opener(MemoryStore::new_database())) {}
  // An engine over the database `opener` connects to.
  EngineRig(FakeFunction::Handler handler, StoreOpener opener)
      : function(std::move(handler)), open_store(std::move(opener)) {
    store = open_store();
  }

  static StoreOpener memory_opener(std::shared_ptr<MemoryDatabase> database) {
    return [database] { return std::make_unique<MemoryStore>(database); };
  }

  // What tests run the engine with; change it before start().
  EngineOptions options() {
    EngineOptions o;
    o.store = engine_store ? engine_store : store.get();
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
      if (m.egress_id() != "test/egress") return make_error(ErrorCode::kNotFound, "unknown egress");
      return RoutedEgress{"out", m.argument.value};
    };
    o.observer = &recorder;
    o.post = [this](Event event) { posted.push_back(std::move(event)); };
    o.max_retry_backoff = std::chrono::milliseconds(20);
    return o;
  }

  // Loads what the store holds and sends the first requests, as
  // Dispatcher::start and the first moment of its thread do.
  void start() { start(options()); }
  void start(EngineOptions o) {
    engine = std::make_unique<Engine>(std::move(o));
    REQUIRE(engine->load());
    engine->send_ready();
  }

  // One group: the events, what fell due, the commit.
  void group(std::vector<Event> events = {}) {
    for (auto& event : events) engine->handle(std::move(event));
    engine->fire_due();
    engine->commit_group();
  }
  void group(Event event) {
    std::vector<Event> events;
    events.push_back(std::move(event));
    group(std::move(events));
  }

  // Groups until no answer of the function waits: every answer given so far
  // is applied, and so is every answer those steps led to.
  void settle() {
    do {
      std::vector<Event> events(std::make_move_iterator(posted.begin()),
                                std::make_move_iterator(posted.end()));
      posted.clear();
      group(std::move(events));
    } while (!posted.empty());
  }

  // Settles, moving the clock on by the retry backoff while batches wait
  // for a retry, until nothing is pending or in flight. False when that
  // does not happen (a request is held, a gate is closed).
  bool run_until_idle() {
    for (int round = 0; round < 1000; ++round) {
      settle();
      const auto status = engine->status();
      if (status.pending == 0 && status.in_flight == 0) return true;
      if (!engine->next_due_ms()) return false;
      clock.advance_ms(20);
    }
    return false;
  }

  // Accepts a message in a group of its own; its answer once committed.
  Answer<Result<void>> accept(const Address& to, TypedValue value) {
    auto done = std::make_shared<std::optional<Result<void>>>();
    group(AcceptEvent{InboxMessage{0, to, std::nullopt, std::move(value)}, into(done)});
    return done;
  }
  Result<void> send(const Address& to, TypedValue value) {
    auto done = accept(to, std::move(value));
    REQUIRE(done->has_value());
    return **done;
  }

  // A pop as the playground serves one: lease the record, then settle it as
  // delivered (its response was written), each in a group of its own.
  std::optional<std::string> pop(const std::string& topic) {
    auto leased = lease(topic);
    if (!leased) return std::nullopt;
    group(SettleEgressEvent{leased->ticket, true});
    return leased->record.payload;
  }
  // What pop() would serve, left in place.
  std::optional<std::string> peek(const std::string& topic) {
    auto peeked = take(topic, false);
    if (!peeked) return std::nullopt;
    return peeked->record.payload;
  }
  // The first half of a pop: the record leased to the caller, not consumed.
  std::optional<EgressLease> lease(const std::string& topic) { return take(topic, true); }
  std::optional<EgressLease> take(const std::string& topic, bool consume) {
    auto done = std::make_shared<std::optional<Result<std::optional<EgressLease>>>>();
    group(PopEgressEvent{topic, into(done), consume});
    REQUIRE(done->has_value());
    REQUIRE(**done);
    return ***done;
  }

  Answer<Result<void>> edit_later(const Address& a, AddressEditFn fn,
                                  std::string label = "statefun/admin") {
    auto done = std::make_shared<std::optional<Result<void>>>();
    group(EditEvent{a, std::move(label), std::move(fn), into(done)});
    return done;
  }
  Result<void> edit(const Address& a, AddressEditFn fn, std::string label = "statefun/admin") {
    auto done = edit_later(a, std::move(fn), std::move(label));
    REQUIRE(done->has_value());
    return **done;
  }

  Result<bool> timer_op(bool fire, int64_t id) {
    auto done = std::make_shared<std::optional<Result<bool>>>();
    group(TimerOpEvent{id, fire, into(done)});
    REQUIRE(done->has_value());
    return **done;
  }

  // What another connection reads: committed data only, as the CLI sees it.
  std::optional<int32_t> count_of(const Address& a) {
    auto reader = open_store();
    auto rows = reader->read_states(a);
    REQUIRE(rows);
    for (const auto& row : *rows) {
      if (row.name == "count") return types::decode_int(row.value);
    }
    return std::nullopt;
  }
};

}  // namespace statefun::test
