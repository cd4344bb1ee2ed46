#include "runtime/engine/time_travel.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/engine/replay_simulator.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;
using namespace statefun::time_travel;
namespace fs = std::filesystem;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};

TypedValue int_value(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

HistoryRow row(int64_t version, std::string name, std::optional<int32_t> value, int64_t at = 0) {
  HistoryRow r;
  r.version = version;
  r.name = std::move(name);
  if (value) r.value = int_value(*value);
  r.step = version * 10;
  r.at_ms = at;
  return r;
}

// A scratch directory for one SQLite database, removed afterwards.
struct ScratchDir {
  fs::path dir;
  ScratchDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("statefun-tt-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~ScratchDir() { fs::remove_all(dir); }
};

// An engine over a temporary SQLite database with the counter function.
struct Rig : ScratchDir, EngineRig {
  Rig()
      : EngineRig([](const BatchRequest& r) { return answer(counter(r)); },
                  [path = (dir / "statefun.db").string()] {
                    auto store = Store::open(path, {false});
                    REQUIRE(store);
                    return std::move(*store);
                  }) {
    start();
  }
  void send(int32_t n) {
    REQUIRE(EngineRig::send(kBob, int_value(n)));
    REQUIRE(run_until_idle());
  }
  Result<void> edit(AddressEditFn fn) {
    return EngineRig::edit(kBob, std::move(fn), "statefun/rewind");
  }
  int32_t count() { return count_of(kBob).value_or(-1); }
  std::string file_bytes() {
    std::ifstream in(dir / "statefun.db", std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::ifstream wal(dir / "statefun.db-wal", std::ios::binary);
    buffer << wal.rdbuf();
    return buffer.str();
  }
};

}  // namespace

TEST_CASE("the state at a version replays history up to it", "[runtime]") {
  std::vector<HistoryRow> history{row(1, "a", 1), row(1, "b", 10), row(2, "a", 2),
                                  row(3, "b", std::nullopt)};
  CHECK(state_at(history, 0).empty());
  CHECK(state_at(history, 1).at("a") == int_value(1));
  CHECK(state_at(history, 2).at("a") == int_value(2));
  CHECK(state_at(history, 2).at("b") == int_value(10));
  CHECK_FALSE(state_at(history, 3).contains("b"));
  CHECK(latest_version(history) == 3);
  CHECK(step_of_version(history, 2) == 20);
}

TEST_CASE("rewind targets resolve by version, time and steps, and name the valid range",
          "[runtime]") {
  std::vector<HistoryRow> history{row(1, "a", 1, 100), row(2, "a", 2, 200), row(3, "a", 3, 300)};
  CHECK(resolve(history, {RewindBy::kVersion, 2}) == 2);
  CHECK(resolve(history, {RewindBy::kTime, 250}) == 2);
  CHECK(resolve(history, {RewindBy::kTime, 50}) == 0);
  CHECK(resolve(history, {RewindBy::kSteps, 1}) == 2);
  auto missing = resolve(history, {RewindBy::kVersion, 9});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message == "no version 9: the entity has versions 0..3");
  CHECK_FALSE(resolve(history, {RewindBy::kSteps, 4}));
}

TEST_CASE("differences list removed, added and changed states by name", "[runtime]") {
  EntityState from{{"a", int_value(1)}, {"b", int_value(2)}};
  EntityState to{{"b", int_value(3)}, {"c", int_value(4)}};
  auto changes = diff(from, to);
  REQUIRE(changes.size() == 3);
  CHECK((changes[0].name == "a" && !changes[0].after));
  CHECK((changes[1].name == "b" && changes[1].after == int_value(3)));
  CHECK((changes[2].name == "c" && !changes[2].before));
}

TEST_CASE("a rewind writes old values back as a new version that can itself be undone",
          "[runtime]") {
  Rig rig;
  rig.send(1);
  rig.send(2);
  rig.send(3);  // versions 1, 2, 3: count 1, 3, 6
  auto outcome = std::make_shared<RewindOutcome>();
  REQUIRE(rig.edit(rewind_edit({RewindBy::kVersion, 1}, false, outcome)));
  CHECK(outcome->from_version == 3);
  CHECK(outcome->new_version == 4);
  REQUIRE(outcome->changes.size() == 1);
  CHECK(rig.count() == 1);
  // Undo: version 4 is now the newest; one step back is version 3's values.
  REQUIRE(rig.edit(rewind_edit({RewindBy::kSteps, 1}, false, outcome)));
  CHECK(rig.count() == 6);
  rig.send(10);
  CHECK(rig.count() == 16);
}

TEST_CASE("a dry-run rewind computes the difference and leaves the database byte-identical",
          "[runtime]") {
  Rig rig;
  rig.send(1);
  rig.send(2);
  const std::string before = rig.file_bytes();
  auto outcome = std::make_shared<RewindOutcome>();
  REQUIRE(rig.edit(rewind_edit({RewindBy::kVersion, 1}, true, outcome)));
  CHECK(outcome->changes.size() == 1);
  CHECK(rig.file_bytes() == before);
  CHECK(rig.count() == 3);
}

TEST_CASE("a replay rewinds and re-delivers the messages received since, in order", "[runtime]") {
  Rig rig;
  rig.send(1);
  rig.send(2);
  rig.send(3);
  auto outcome = std::make_shared<ReplayOutcome>();
  REQUIRE(rig.edit(replay_edit(1, outcome)));
  REQUIRE(rig.run_until_idle());
  REQUIRE(outcome->redelivered.size() == 2);
  CHECK(outcome->redelivered[0].argument == int_value(2));
  CHECK(outcome->redelivered[1].argument == int_value(3));
  CHECK(rig.count() == 6);  // 1, then 2 and 3 again: the same result as before
}

TEST_CASE("versions folded away by retention cannot be rewound to", "[runtime]") {
  std::vector<HistoryRow> history{row(1, "a", 1), row(5, "a", 5), row(6, "a", 6)};
  CHECK(resolve(history, {RewindBy::kVersion, 5}, 5) == 5);
  auto gone = resolve(history, {RewindBy::kVersion, 2}, 5);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message ==
        "version 2 is older than the history kept by retention "
        "(versions 5..6 remain)");
}

TEST_CASE("a replay dry run computes the outcome by calling the function, storing nothing",
          "[runtime]") {
  FakeFunction function([](const BatchRequest& r) {
    auto response = counter(r);
    if (auto* result = std::get_if<InvocationResult>(&response)) {
      result->egress.push_back({"test", "egress", r.invocations[0].argument});
    }
    return answer(response);
  });
  SimulationInput input;
  input.address = kBob;
  input.route.url = "http://fake/counter";
  input.start = {{"count", int_value(1)}};
  input.current = {{"count", int_value(100)}};
  input.invocations = {{std::nullopt, int_value(2)}, {kBob, int_value(3)}};
  input.route_egress = [](const EgressMessage& m) -> Result<RoutedEgress> {
    return RoutedEgress{"out", m.argument.value};
  };
  auto result = simulate_replay(function, input);
  REQUIRE(result);
  CHECK(result->final_state.at("count") == int_value(6));
  CHECK(result->requests == 3);  // one handshake, then one request per message
  REQUIRE(result->egress.size() == 2);
  REQUIRE(result->changes.size() == 1);
  CHECK(result->changes[0].before == int_value(100));
  CHECK(function.requests()[2].invocations[0].caller == kBob);
}

namespace {

// The counter, which on its first visit (no count yet) also schedules a
// reminder to itself with the cancellation token "remind".
CallOutcome first_visit_reminder(const BatchRequest& request) {
  auto response = counter(request);
  auto* result = std::get_if<InvocationResult>(&response);
  const bool first = std::any_of(request.states.begin(), request.states.end(),
                                 [](const StateEntry& s) { return s.name == "count" && !s.value; });
  if (result && first) {
    result->delayed.push_back({false, "remind", 60000, request.target, int_value(0)});
  }
  return answer(response);
}

// What the admin API reads from the committed database for a dry run from
// version 0 of kBob.
SimulationInput dry_run_input(EngineRig& rig) {
  SimulationInput input;
  input.address = kBob;
  input.route.url = "http://fake/counter";
  input.route_egress = rig.options().route_egress;
  input.current = {{"count", int_value(*rig.count_of(kBob))}};
  auto received = rig.store->read_received(kBob, 0);
  REQUIRE(received);
  for (auto& m : *received) input.invocations.push_back({m.caller, m.argument});
  auto timers = rig.store->load_timers();
  REQUIRE(timers);
  for (const auto& timer : *timers) {
    if (timer.sender.id == kBob.id && !timer.token.empty())
      input.pending_tokens.insert(timer.token);
  }
  return input;
}

}  // namespace

TEST_CASE("a replay dry run refuses a cancellation token the real replay finds pending",
          "[runtime]") {
  EngineRig rig(first_visit_reminder);
  rig.start();
  REQUIRE(rig.send(kBob, int_value(1)));
  REQUIRE(rig.send(kBob, int_value(1)));
  REQUIRE(rig.run_until_idle());
  REQUIRE(rig.engine->status().timers == 1);  // the first visit's reminder, still pending

  auto dry = simulate_replay(rig.function, dry_run_input(rig));
  REQUIRE_FALSE(dry);
  CHECK(dry.error().message ==
        "replaying message 1 of 2: a delayed message with cancellation token 'remind' is "
        "already pending for id 'Bob'");

  // The real replay gets stuck on exactly that: the first re-delivered
  // message is refused on every attempt.
  auto outcome = std::make_shared<ReplayOutcome>();
  REQUIRE(rig.edit(kBob, replay_edit(0, outcome), "statefun/replay"));
  for (int attempt = 0; attempt < 3; ++attempt) {
    rig.settle();
    rig.clock.advance_ms(20);
  }
  REQUIRE_FALSE(rig.recorder.failures.empty());
  CHECK(rig.recorder.failures.back() ==
        "test/counter/Bob: a delayed message with cancellation token 'remind' is already "
        "pending for id 'Bob'");
  CHECK(rig.engine->status().pending == 2);
}

TEST_CASE("a replay dry run follows the tokens the replayed responses schedule and cancel",
          "[runtime]") {
  EngineRig rig(first_visit_reminder);
  rig.start();
  REQUIRE(rig.send(kBob, int_value(1)));
  REQUIRE(rig.run_until_idle());
  auto input = dry_run_input(rig);
  input.pending_tokens.clear();  // as if the reminder had fired meanwhile
  auto passes = simulate_replay(rig.function, input);
  REQUIRE(passes);
  CHECK(passes->delayed.size() == 1);

  // A token the replay itself scheduled counts for the next message too.
  FakeFunction always_reminds([](const BatchRequest& r) {
    auto response = counter(r);
    if (auto* result = std::get_if<InvocationResult>(&response)) {
      result->delayed.push_back({false, "remind", 60000, r.target, int_value(0)});
    }
    return answer(response);
  });
  input.invocations.push_back(input.invocations.front());
  auto twice = simulate_replay(always_reminds, input);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message ==
        "replaying message 2 of 2: a delayed message with cancellation token 'remind' is "
        "already pending for id 'Bob'");
}
