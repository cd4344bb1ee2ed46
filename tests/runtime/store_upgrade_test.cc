// Databases written by older statefun builds open and are upgraded in place
// (runtime/store/store.cc, kUpgrades): existing data directories keep
// working.
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

// The schema statefun wrote as version 1, verbatim: a fixture, never to be
// changed (the store's own copy could drift; this one must not).
constexpr const char* kVersion1 = R"sql(
CREATE TABLE IF NOT EXISTS inbox (
  seq INTEGER PRIMARY KEY,
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
  caller_ns TEXT, caller_type TEXT, caller_id TEXT,
  typename TEXT NOT NULL, has_value INTEGER NOT NULL, value BLOB NOT NULL,
  source INTEGER NOT NULL, accepted_at INTEGER NOT NULL,
  consumed_step INTEGER
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox(seq) WHERE consumed_step IS NULL;
CREATE INDEX IF NOT EXISTS inbox_by_address ON inbox(ns, type, id, seq);
CREATE TABLE IF NOT EXISTS state (
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
  typename TEXT NOT NULL, value BLOB NOT NULL, expires_at INTEGER, version INTEGER NOT NULL,
  PRIMARY KEY (ns, type, id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
  version INTEGER NOT NULL, typename TEXT, value BLOB,
  step INTEGER NOT NULL, at INTEGER NOT NULL, cause_type TEXT, cause_caller TEXT,
  PRIMARY KEY (ns, type, id, version, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (
  id INTEGER PRIMARY KEY, due INTEGER NOT NULL,
  ns TEXT NOT NULL, type TEXT NOT NULL, target_id TEXT NOT NULL,
  sender_ns TEXT NOT NULL, sender_type TEXT NOT NULL, sender_id TEXT NOT NULL,
  typename TEXT NOT NULL, has_value INTEGER NOT NULL, value BLOB NOT NULL, token TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS egress (
  seq INTEGER PRIMARY KEY, egress_id TEXT NOT NULL, topic TEXT NOT NULL,
  payload BLOB NOT NULL, typename TEXT NOT NULL, value BLOB NOT NULL,
  step INTEGER NOT NULL, at INTEGER NOT NULL, consumed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS egress_unconsumed ON egress(topic, seq) WHERE consumed = 0;
CREATE TABLE IF NOT EXISTS history_floor (
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (ns, type, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trace (
  step INTEGER PRIMARY KEY, at INTEGER NOT NULL,
  ns TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
  invocations INTEGER NOT NULL, first_type TEXT NOT NULL, duration_us INTEGER NOT NULL,
  changed TEXT NOT NULL, messages INTEGER NOT NULL, delayed INTEGER NOT NULL, egress INTEGER NOT NULL
);
)sql";

// A version 1 database with one consumed and one pending message, a state
// value and a trace row, as a statefun 0.1 data directory holds them.
void write_version_1(const std::string& path) {
  exec(path, kVersion1);
  exec(path,
       "INSERT INTO inbox(seq,ns,type,id,typename,has_value,value,source,accepted_at,"
       "consumed_step) VALUES(1,'example','person','Bob','example/Greet',1,'{}',0,1000,1),"
       "(2,'example','person','Bob','example/Greet',1,'{\"n\":2}',0,2000,NULL);"
       "INSERT INTO state VALUES('example','person','Bob','visits','io.statefun.types/int',"
       "X'08',NULL,1);"
       "INSERT INTO trace VALUES(1,1500,'example','person','Bob',1,'example/Greet',800,"
       "'visits',0,0,0);"
       "PRAGMA user_version=1;");
}

const Address kBob{{"example", "person"}, "Bob"};

}  // namespace

TEST_CASE("a version 1 database is upgraded in place and keeps everything it held",
          "[runtime][store]") {
  ScratchDir dir;
  write_version_1(dir.db());

  // Offline readers cannot write: they see it as if it were upgraded, and
  // leave the file as it is.
  {
    auto early = StoreReader::open(dir.db());
    REQUIRE(early);
    auto waiting = (*early)->pending({});
    REQUIRE(waiting);
    REQUIRE(waiting->size() == 1);
    CHECK((*waiting)[0].seq == 2);
    CHECK_FALSE((*waiting)[0].failures);
    auto steps = (*early)->trace({});
    REQUIRE(steps);
    REQUIRE(steps->size() == 1);
    CHECK((*steps)[0].note.empty());
    CHECK((*steps)[0].changed_states == std::vector<std::string>{"visits"});
    auto letters = (*early)->dead_letters(std::nullopt);
    REQUIRE(letters);
    CHECK(letters->empty());
    auto received = (*early)->received(kBob, 0);
    REQUIRE(received);
    CHECK(received->size() == 1);
  }
  CHECK(user_version(dir.db()) == 1);

  auto store = Store::open(dir.db(), {});
  REQUIRE(store);
  CHECK(user_version(dir.db()) == kStoreSchemaVersion);
  auto pending = (*store)->load_pending();
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK((*pending)[0].seq == 2);
  CHECK((*pending)[0].argument.value == "{\"n\":2}");
  CHECK_FALSE((*pending)[0].failures);
  auto states = (*store)->read_states(kBob);
  REQUIRE(states);
  REQUIRE(states->size() == 1);
  CHECK((*store)->last_step() == 1);

  // The new columns and tables work on the upgraded file.
  REQUIRE((*store)->begin());
  FailureRecord failures{2, 3000, 3100, {"HTTP 500: boom", 500, "Error: boom"}};
  REQUIRE((*store)->record_failure(2, failures));
  InboxMessage message = (*pending)[0];
  message.failures = std::make_shared<FailureRecord>(failures);
  REQUIRE((*store)->dead_letter(DeadLetter{message, 2, 3200, "gave up"}));
  TraceRecord trace;
  trace.step = 2;
  trace.at_ms = 3200;
  trace.address = kBob;
  trace.first_type = "statefun/dead-letter";
  trace.note = "dead-lettered 1 message";
  REQUIRE((*store)->append_trace(trace));
  REQUIRE((*store)->commit());
  store->reset();

  // Opening it again is a no-op; readers see the upgraded contents.
  auto again = Store::open(dir.db(), {});
  REQUIRE(again);
  auto reader = StoreReader::open(dir.db());
  REQUIRE(reader);
  auto steps = (*reader)->trace({});
  REQUIRE(steps);
  REQUIRE(steps->size() == 2);
  CHECK((*steps)[0].note.empty());
  CHECK((*steps)[1].note == "dead-lettered 1 message");
  auto letters = (*reader)->dead_letters(std::nullopt);
  REQUIRE(letters);
  REQUIRE(letters->size() == 1);
  CHECK((*letters)[0].message.seq == 2);
  CHECK((*letters)[0].message.failures->last.body_excerpt == "Error: boom");
  CHECK((*letters)[0].cause == "gave up");
  auto still_pending = (*reader)->pending({});
  REQUIRE(still_pending);
  CHECK(still_pending->empty());
}

TEST_CASE("a new database is created at the current schema version", "[runtime][store]") {
  ScratchDir dir;
  REQUIRE(Store::open(dir.db(), {}));
  CHECK(user_version(dir.db()) == kStoreSchemaVersion);
}
