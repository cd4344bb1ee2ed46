// A schema 4 database (before emulated topics): read-only readers (the
// offline CLI) see no topics, and the store upgrades it in place to a topic
// table that counts offsets per topic. store_upgrade_test.cc covers schema 1,
// store_upgrade_causality_test.cc schema 2.
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

// Writes a database as schema version 4 had it: a current one with what
// version 5 added taken away again.
void write_version_4(const std::string& path) {
  {
    auto store = Store::open(path, {false});
    REQUIRE(store);
    auto& s = **store;
    REQUIRE(s.begin());
    InboxMessage pending{0, kBob, std::nullopt, {"t/a", true, "1"}, MessageSource::kIngress, 5};
    REQUIRE(s.append_inbox(pending));
    REQUIRE(s.commit());
  }
  exec(path,
       "DROP INDEX topic_records_by_offset; DROP TABLE topic_records;"
       "DROP TABLE external_offsets; PRAGMA user_version=4;");
}

TopicRecordRow row(std::string topic, std::string key, std::string value) {
  TopicRecordRow r;
  r.topic = std::move(topic);
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

}  // namespace

TEST_CASE("a schema 4 database reads with no topics and is upgraded to keep them",
          "[runtime][topics]") {
  ScratchDir dir;
  write_version_4(dir.db());
  REQUIRE(user_version(dir.db()) == 4);

  // Read-only, before any upgrade: no topics, and reading one is no error.
  {
    auto reader = StoreReader::open(dir.db());
    REQUIRE(reader);
    auto logs = (*reader)->topic_logs();
    REQUIRE(logs);
    CHECK(logs->empty());
    auto records = (*reader)->topic_records({"names", 0, 10});
    REQUIRE(records);
    CHECK(records->empty());
  }

  auto store = Store::open(dir.db(), {false});
  REQUIRE(store);
  CHECK(user_version(dir.db()) == kStoreSchemaVersion);
  auto pending = (*store)->load_pending();
  REQUIRE(pending);
  CHECK(pending->size() == 1);

  REQUIRE((*store)->begin());
  auto a = row("names", "bob", "1");
  auto b = row("clicks", "u1", "x");
  auto c = row("names", "ann", "2");
  REQUIRE((*store)->append_topic_record(a));
  REQUIRE((*store)->append_topic_record(b));
  REQUIRE((*store)->append_topic_record(c));
  REQUIRE((*store)->commit());
  CHECK(a.offset == 0);
  CHECK(b.offset == 0);
  CHECK(c.offset == 1);
  CHECK(c.seq > b.seq);

  auto reader = StoreReader::open(dir.db());
  REQUIRE(reader);
  auto names = (*reader)->topic_records({"names", 1, 10});
  REQUIRE(names);
  REQUIRE(names->size() == 1);
  CHECK(names->front().key == "ann");
  CHECK(names->front().value == "2");
  auto logs = (*reader)->topic_logs();
  REQUIRE(logs);
  REQUIRE(logs->size() == 2);
  CHECK((*logs)[1].topic == "names");
  CHECK((*logs)[1].next_offset == 2);
}

TEST_CASE("older read-only databases show no topics", "[runtime][topics]") {
  // Schema 3: its compatibility views add the topic table as well.
  ScratchDir dir;
  write_version_4(dir.db());
  exec(dir.db(), "PRAGMA user_version=3;");
  auto reader = StoreReader::open(dir.db());
  REQUIRE(reader);
  auto logs = (*reader)->topic_logs();
  REQUIRE(logs);
  CHECK(logs->empty());
}
