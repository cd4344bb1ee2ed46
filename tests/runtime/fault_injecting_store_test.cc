#include "runtime/store/fault_injecting_store.h"

#include <catch2/catch.hpp>

#include "runtime/store/memory_store.h"

using namespace statefun;

namespace {

const Address kBob{{"example", "person"}, "Bob"};

InboxMessage message(std::string value) {
  return InboxMessage{0, kBob, std::nullopt, {"t/a", true, std::move(value)}};
}

std::size_t pending(Store& store) { return store.load_pending()->size(); }

}  // namespace

TEST_CASE("the n-th write fails with the chosen code and never reaches the store", "[runtime]") {
  MemoryStore inner;
  FaultInjectingStore store(inner);
  store.fail_write(2, ErrorCode::kCorruption);
  auto a = message("a"), b = message("b"), c = message("c");
  REQUIRE(store.append_inbox(a));
  auto failed = store.append_inbox(b);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ErrorCode::kCorruption);
  CHECK(failed.error().message == "injected fault: write #2 (append_inbox)");
  CHECK(b.seq == 0);
  REQUIRE(store.append_inbox(c));  // only the second one fails
  CHECK(pending(inner) == 2);
  CHECK(store.writes() == 3);
  CHECK(store.faults() == 1);
}

TEST_CASE("counting starts when the fault is planned; and_after fails every later write too",
          "[runtime]") {
  MemoryStore inner;
  FaultInjectingStore store(inner);
  auto m = message("m");
  REQUIRE(store.append_inbox(m));
  store.fail_write(2, ErrorCode::kIo, /*and_after=*/true);
  REQUIRE(store.mark_consumed(m.seq, 1));  // the first from now
  CHECK_FALSE(store.write_state(kBob, "a", {"t/v", true, "x"}, std::nullopt, {1, 1, "t/a", {}}));
  TimerRecord timer{0, 10, kBob, kBob, {"t/x", true, ""}, ""};
  CHECK_FALSE(store.add_timer(timer));
  CHECK_FALSE(store.prune(1, 1, 1, 10));
  store.heal();
  REQUIRE(store.add_timer(timer));
  CHECK(store.faults() == 3);
  CHECK(inner.read_states(kBob)->empty());
}

TEST_CASE("reads, begin and savepoints are neither counted nor failed", "[runtime]") {
  MemoryStore inner;
  FaultInjectingStore store(inner);
  store.fail_write(1, ErrorCode::kIo, /*and_after=*/true);
  store.fail_commit(1, ErrorCode::kIo, /*and_after=*/true);
  REQUIRE(store.begin());
  REQUIRE(store.savepoint());
  REQUIRE(store.rollback_savepoint());
  REQUIRE(store.load_pending());
  REQUIRE(store.read_states(kBob));
  REQUIRE(store.peek_egress("out", 0, 100));
  REQUIRE(store.last_step());
  CHECK(store.writes() == 0);
  CHECK(store.faults() == 0);
}

TEST_CASE("a failed commit leaves the group uncommitted, and lost with the store", "[runtime]") {
  auto database = MemoryStore::new_database();
  {
    MemoryStore inner(database);
    FaultInjectingStore store(inner);
    store.fail_commit(2, ErrorCode::kIo);
    REQUIRE(store.commit());  // nothing open: not a commit, not counted
    REQUIRE(store.begin());
    auto first = message("first");
    REQUIRE(store.append_inbox(first));
    REQUIRE(store.commit());
    REQUIRE(store.begin());
    auto second = message("second");
    REQUIRE(store.append_inbox(second));
    auto failed = store.commit();
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message == "injected fault: commit #2 (commit)");
    CHECK(store.in_transaction());
    CHECK(store.commits() == 2);
    MemoryStore reader(database);
    CHECK(pending(reader) == 1);  // the second group is not visible
  }
  MemoryStore reopened(database);
  CHECK(pending(reopened) == 1);  // ... and went with the store, as in a crash
}
