// A schema 5 database (before Kafka connect mode): the store upgrades it in
// place to schema 6 (external_offsets), keeping every row, and read-only
// readers still read it as it is. store_upgrade_topics_test.cc covers
// schema 4, store_upgrade_causality_test.cc schema 2, store_upgrade_test.cc
// schema 1.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "runtime/store/memory_store.h"
#include "runtime/store/store.h"
#include "runtime/store/store_reader.h"
#include "tests/runtime/upgrade_fixtures.h"

using namespace statefun;
using namespace statefun::test;
namespace fs = std::filesystem;

namespace {

const Address kBob{{"example", "person"}, "Bob"};

// A database as schema 5 had it: a current one without external_offsets.
void write_version_5(const std::string& path) {
  {
    auto store = Store::open(path, {false});
    REQUIRE(store);
    auto& s = **store;
    REQUIRE(s.begin());
    InboxMessage pending{0, kBob, std::nullopt, {"t/a", true, "1"}, MessageSource::kIngress, 5};
    REQUIRE(s.append_inbox(pending));
    REQUIRE(s.commit());
  }
  exec(path, "DROP TABLE external_offsets; PRAGMA user_version=5;");
}

}  // namespace

TEST_CASE("a schema 5 database gains external offsets, keeping every row", "[runtime][kafka]") {
  ScratchDir dir;
  write_version_5(dir.db());
  REQUIRE(user_version(dir.db()) == 5);
  {
    auto reader = StoreReader::open(dir.db());
    REQUIRE(reader);
    auto pending = (*reader)->pending({});
    REQUIRE(pending);
    CHECK(pending->size() == 1);
  }

  auto store = Store::open(dir.db(), {false});
  REQUIRE(store);
  CHECK(user_version(dir.db()) == kStoreSchemaVersion);
  auto pending = (*store)->load_pending();
  REQUIRE(pending);
  CHECK(pending->size() == 1);
  auto none = (*store)->load_external_offsets();
  REQUIRE(none);
  CHECK(none->empty());
}

// Both stores keep one row per (kind, name, topic, partition), the last
// written, and drop what a rolled-back transaction wrote.
template <typename OpenStore>
void check_external_offsets(OpenStore open) {
  auto store = open();
  Store& s = *store;
  REQUIRE(s.begin());
  REQUIRE(s.write_external_offset({"kafka-ingress", "ex/in", "names", 1, 10, 100}));
  REQUIRE(s.write_external_offset({"kafka-ingress", "ex/in", "names", 0, 7, 100}));
  REQUIRE(s.write_external_offset({"kafka-egress", "ex/out", "", 0, 3, 100}));
  REQUIRE(s.commit());
  REQUIRE(s.begin());
  REQUIRE(s.write_external_offset({"kafka-ingress", "ex/in", "names", 1, 12, 200}));
  REQUIRE(s.commit());
  REQUIRE(s.begin());
  REQUIRE(s.write_external_offset({"kafka-ingress", "ex/in", "names", 0, 99, 300}));
  REQUIRE(s.rollback());
  auto all = s.load_external_offsets();
  REQUIRE(all);
  CHECK(*all == std::vector<ExternalOffset>{{"kafka-egress", "ex/out", "", 0, 3, 100},
                                            {"kafka-ingress", "ex/in", "names", 0, 7, 100},
                                            {"kafka-ingress", "ex/in", "names", 1, 12, 200}});
}

TEST_CASE("external offsets: the last committed one per partition", "[runtime][kafka]") {
  SECTION("sqlite") {
    ScratchDir dir;
    check_external_offsets([&] {
      auto store = Store::open(dir.db(), {false});
      REQUIRE(store);
      return std::move(*store);
    });
  }
  SECTION("memory") {
    check_external_offsets([] { return std::make_unique<MemoryStore>(); });
  }
}
