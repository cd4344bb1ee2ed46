// A schema 2 database (before causality): the store upgrades it in place
// when it opens it, and read-only readers (the offline CLI) read it as it is,
// with no causal links. store_upgrade_test.cc covers schema 1.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "runtime/store/store.h"
#include "runtime/store/store_reader.h"
#include "tests/runtime/upgrade_fixtures.h"

using namespace statefun;
using namespace statefun::test;
namespace fs = std::filesystem;

namespace {

const Address kBob{{"example", "person"}, "Bob"};
const Address kAnn{{"example", "person"}, "Ann"};

// Writes a database as schema version 2 had it: a current one with what
// versions 3, 4 and 5 added taken away again (no causality columns, no
// retention marks, no topics).
void write_version_2(const std::string& path) {
  {
    auto store = Store::open(path, {false});
    REQUIRE(store);
    auto& s = **store;
    REQUIRE(s.begin());
    InboxMessage consumed{0, kBob, std::nullopt, {"t/a", true, "1"}, MessageSource::kIngress, 5};
    InboxMessage pending{0, kAnn, kBob, {"t/a", true, "2"}, MessageSource::kFunction, 6};
    REQUIRE(s.append_inbox(consumed));
    REQUIRE(s.append_inbox(pending));
    REQUIRE(s.mark_consumed(consumed.seq, 1));
    TraceRecord trace;
    trace.step = 1;
    trace.address = kBob;
    trace.invocations = 1;
    trace.first_type = "t/a";
    REQUIRE(s.append_trace(trace));
    TimerRecord timer{0, 100, kAnn, kBob, {"t/a", true, "3"}, ""};
    REQUIRE(s.add_timer(timer));
    REQUIRE(s.commit());
  }
  exec(path,
       "DROP INDEX inbox_by_cause; DROP INDEX inbox_by_step; DROP INDEX egress_by_step;"
       "ALTER TABLE inbox DROP COLUMN cause_step; ALTER TABLE timers DROP COLUMN cause_step;"
       "ALTER TABLE dead_letters DROP COLUMN cause_step; DROP TABLE retention_marks;"
       "DROP INDEX topic_records_by_offset; DROP TABLE topic_records;"
       "DROP TABLE external_offsets; PRAGMA user_version=2;");
}

}  // namespace

TEST_CASE("a schema 2 database is upgraded in place, keeping every row", "[runtime][causality]") {
  ScratchDir dir;
  write_version_2(dir.db());
  REQUIRE(user_version(dir.db()) == 2);

  // Read-only, before any upgrade: the new columns read as absent.
  {
    auto reader = StoreReader::open(dir.db());
    REQUIRE(reader);
    auto message = (*reader)->message(1);
    REQUIRE(message);
    REQUIRE(*message);
    CHECK((*message)->message.target == kBob);
    CHECK((*message)->consumed_step == 1);
    CHECK((*message)->message.cause_step == 0);
    auto links = (*reader)->step_links(1);
    REQUIRE(links);
    REQUIRE(links->trace);
    CHECK(links->consumed.size() == 1);
    CHECK(links->produced.empty());
    auto timers = (*reader)->timers(std::nullopt);
    REQUIRE(timers);
    REQUIRE(timers->size() == 1);
    CHECK(timers->front().cause_step == 0);
  }

  auto store = Store::open(dir.db(), {false});
  INFO((store ? "" : store.error().message));
  REQUIRE(store);
  CHECK(user_version(dir.db()) == kStoreSchemaVersion);
  auto pending = (*store)->load_pending();
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK(pending->front().target == kAnn);
  CHECK(pending->front().cause_step == 0);
  auto timers = (*store)->load_timers();
  REQUIRE(timers);
  CHECK(timers->size() == 1);
  CHECK((*store)->last_step() == 1);

  // The upgraded database records causality from now on.
  REQUIRE((*store)->begin());
  InboxMessage sent{0, kAnn, kBob, {"t/a", true, "4"}, MessageSource::kFunction, 7};
  sent.cause_step = 1;
  REQUIRE((*store)->append_inbox(sent));
  REQUIRE((*store)->commit());
  auto reader = StoreReader::open(dir.db());
  REQUIRE(reader);
  auto links = (*reader)->step_links(1);
  REQUIRE(links);
  REQUIRE(links->produced.size() == 1);
  CHECK(links->produced.front().message.seq == sent.seq);
  CHECK_FALSE(links->produced.front().consumed_step);
}

TEST_CASE("a new database starts at the current schema version", "[runtime][causality]") {
  ScratchDir dir;
  { REQUIRE(Store::open(dir.db(), {false})); }
  CHECK(user_version(dir.db()) == kStoreSchemaVersion);
  // Opening it again changes nothing.
  { REQUIRE(Store::open(dir.db(), {false})); }
  CHECK(user_version(dir.db()) == kStoreSchemaVersion);
}
