// Retention by age and by size (Engine::prune_old_records and the store's
// retention marks), on the in-memory store with a manual clock.
#include <catch2/catch.hpp>
#include <limits>

#include "runtime/engine/engine.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};

TypedValue int_message(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

CallOutcome count(const BatchRequest& r) { return answer(counter(r)); }

// Every byte retention counts that the committed database still holds.
int64_t bytes_kept(EngineRig& h) {
  constexpr int64_t kAll = std::numeric_limits<int64_t>::max();
  auto reader = h.open_store();
  auto bytes = reader->measure_rows({}, {0, 0, kAll, kAll, kAll, 0});
  REQUIRE(bytes);
  return *bytes;
}

int64_t pruned_through(EngineRig& h) {
  auto reader = h.open_store();
  auto step = reader->pruned_through_step();
  REQUIRE(step);
  return *step;
}

// A second of traffic: `n` messages to Bob, then the engine's once-a-second
// retention pass.
void one_second(EngineRig& h, int n) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(h.send(kBob, int_message(1)));
    REQUIRE(h.run_until_idle());  // one step each
  }
  h.clock.advance_ms(1000);
  h.group();
}

}  // namespace

TEST_CASE("the size cap prunes trace and consumed messages oldest first and holds across restarts",
          "[runtime]") {
  constexpr int64_t kCap = 20000;
  EngineRig h(count);
  auto options = h.options();
  options.retention_age_ms = 0;
  options.retention_bytes = kCap;
  h.start(options);
  int64_t written = 0;
  for (int second = 0; second < 40; ++second) {
    one_second(h, 10);
    written = std::max(written, bytes_kept(h));
    CHECK(h.engine->status().retained_bytes <= kCap);
  }
  // Far more was written than the cap: the oldest went, the newest stayed.
  const int64_t kept = bytes_kept(h);
  CHECK(kept <= kCap);
  CHECK(kept > kCap / 2);
  CHECK(h.engine->status().retained_bytes == kept);
  const int64_t last = h.engine->status().steps;
  CHECK(last == 400);
  const int64_t pruned = pruned_through(h);
  CHECK(pruned > 100);
  CHECK(pruned < last);
  CHECK(h.count_of(kBob) == 400);  // state is never pruned

  // A restart finds the marks in the database: the same figure, and the
  // cap still holds as traffic goes on.
  auto restarted = h.options();
  restarted.retention_bytes = kCap;
  h.start(restarted);
  CHECK(h.engine->status().retained_bytes == kept);
  for (int second = 0; second < 10; ++second) one_second(h, 10);
  CHECK(bytes_kept(h) <= kCap);
  CHECK(pruned_through(h) > pruned);
}

TEST_CASE("the age limit prunes what is older, by the marks' times", "[runtime]") {
  EngineRig h(count);
  auto options = h.options();
  options.retention_age_ms = 10000;
  options.retention_bytes = 0;
  h.start(options);
  std::vector<int64_t> step_at_second;  // the last step of each second
  for (int second = 0; second < 30; ++second) {
    one_second(h, 3);
    step_at_second.push_back(h.engine->status().steps);
  }
  // Now is 30 s after the start: the steps of the first ~20 seconds are
  // older than 10 s, those of the last ten are not.
  const int64_t pruned = pruned_through(h);
  CHECK(pruned >= step_at_second[17]);
  CHECK(pruned <= step_at_second[20]);
  CHECK(bytes_kept(h) > 0);
}

TEST_CASE("a large backlog is pruned in batches, the engine due again at once meanwhile",
          "[runtime]") {
  EngineRig h(count);
  auto options = h.options();
  options.retention_age_ms = 0;
  options.retention_bytes = 1000;
  options.retention_batch = 50;
  h.start(options);
  one_second(h, 120);  // a mark after step 120; it is the newest, so it stays
  CHECK(pruned_through(h) == 0);
  one_second(h, 1);  // a mark after step 121: the floor moves to step 120; one batch
  CHECK(pruned_through(h) == 120);
  CHECK(bytes_kept(h) > 1000);
  CHECK(h.engine->next_due_ms() == h.clock.now_ms());  // rows left: due at once
  int passes = 1;
  while (h.engine->next_due_ms() == h.clock.now_ms() && passes < 10) {
    h.group();
    ++passes;
  }
  CHECK(passes == 3);  // 120 rows per table in batches of 50
  CHECK(h.engine->next_due_ms() == h.clock.now_ms() + 1000);
  const int64_t kept = bytes_kept(h);  // step 121 alone
  CHECK(kept > 0);
  CHECK(kept < 1000);
  CHECK(h.engine->status().retained_bytes == kept);
}
