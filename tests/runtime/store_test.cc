#include "runtime/store/store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/runtime/store_fixtures.h"

using namespace statefun;
using statefun::test::MemoryStoreFixture;
using statefun::test::SqliteStoreFixture;
namespace fs = std::filesystem;

namespace {

const Address kBob{{"example", "person"}, "Bob"};

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("statefun-store-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string db() const { return (path / "statefun.db").string(); }
};

std::unique_ptr<Store> open_store(const std::string& path) {
  auto store = Store::open(path, {});
  REQUIRE(store);
  return std::move(*store);
}

}  // namespace

TEMPLATE_TEST_CASE("committed inbox messages survive reopening; consumed ones are not pending",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  {
    auto store = db.open();
    REQUIRE(store->begin());
    InboxMessage first{0, kBob, std::nullopt, {"t/a", true, "1"}, MessageSource::kIngress, 5};
    InboxMessage second{0, kBob, kBob, {"t/a", true, ""}, MessageSource::kFunction, 6};
    REQUIRE(store->append_inbox(first));
    REQUIRE(store->append_inbox(second));
    CHECK(second.seq > first.seq);
    REQUIRE(store->mark_consumed(first.seq, 1));
    REQUIRE(store->commit());
  }
  auto store = db.open();
  auto pending = store->load_pending();
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK((*pending)[0].caller == kBob);
  CHECK((*pending)[0].argument.has_value);
  CHECK((*pending)[0].argument.value.empty());
  CHECK((*pending)[0].source == MessageSource::kFunction);
}

TEMPLATE_TEST_CASE("an uncommitted group is lost as a whole", "[runtime]", SqliteStoreFixture,
                   MemoryStoreFixture) {
  TestType db;
  {
    auto store = db.open();
    REQUIRE(store->begin());
    InboxMessage m{0, kBob, std::nullopt, {"t/a", true, "1"}, MessageSource::kIngress, 5};
    REQUIRE(store->append_inbox(m));
    // No commit: the destructor rolls back, as a crash would.
  }
  auto store = db.open();
  CHECK(store->load_pending()->empty());
}

TEMPLATE_TEST_CASE("rollback abandons the open group and the store takes a new one", "[runtime]",
                   SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->rollback());  // none open: nothing to do
  REQUIRE(store->begin());
  InboxMessage lost{0, kBob, std::nullopt, {"t/a", true, "lost"}, MessageSource::kIngress, 5};
  REQUIRE(store->append_inbox(lost));
  REQUIRE(store->rollback());
  CHECK_FALSE(store->in_transaction());
  REQUIRE(store->begin());
  InboxMessage kept{0, kBob, std::nullopt, {"t/a", true, "kept"}, MessageSource::kIngress, 6};
  REQUIRE(store->append_inbox(kept));
  REQUIRE(store->commit());
  auto pending = db.open()->load_pending();
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK((*pending)[0].argument.value == "kept");
}

TEMPLATE_TEST_CASE("each step that changes an entity is one version; a zero-byte value is present",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->begin());
  auto cause = [](int64_t step) { return StateCause{step, 100 * step, "t/a", std::nullopt}; };
  const TypedValue zero{"io.statefun.types/int", true, ""};
  REQUIRE(store->write_state(kBob, "visits", zero, std::nullopt, cause(1)));
  // A second state changed by the same step shares its version.
  REQUIRE(store->write_state(kBob, "name", zero, std::nullopt, cause(1)));
  REQUIRE(store->write_state(kBob, "visits", {"io.statefun.types/int", true, "\x0d\x01\0\0\0"},
                             int64_t{500}, cause(2)));
  auto states = store->read_states(kBob);
  REQUIRE(states);
  REQUIRE(states->size() == 2);
  for (const auto& state : *states) {
    if (state.name == "visits") {
      CHECK(state.version == 2);
      CHECK(state.expires_at_ms == 500);
    } else {
      CHECK(state.version == 1);
      CHECK(state.value.empty());
    }
  }
  REQUIRE(store->delete_state(kBob, "visits", cause(3)));
  CHECK(store->read_states(kBob)->size() == 1);
  // Deleting what is absent adds no version.
  REQUIRE(store->delete_state(kBob, "visits", cause(4)));
  REQUIRE(store->write_state(kBob, "visits", zero, std::nullopt, cause(5)));
  auto after = store->read_states(kBob);  // kept alive: the loop reads into it
  REQUIRE(after);
  for (const auto& state : *after) {
    if (state.name == "visits") CHECK(state.version == 4);
  }
  REQUIRE(store->commit());
}

TEMPLATE_TEST_CASE("timers persist with their tokens and senders", "[runtime]", SqliteStoreFixture,
                   MemoryStoreFixture) {
  TestType db;
  {
    auto store = db.open();
    REQUIRE(store->begin());
    TimerRecord t{0, 1234, kBob, Address{{"a", "b"}, "c"}, {"t/x", true, "v"}, "tok"};
    REQUIRE(store->add_timer(t));
    TimerRecord u{0, 99, kBob, kBob, {"t/x", true, ""}, ""};
    REQUIRE(store->add_timer(u));
    REQUIRE(store->remove_timer(u.id));
    REQUIRE(store->commit());
  }
  auto store = db.open();
  auto timers = store->load_timers();
  REQUIRE(timers);
  REQUIRE(timers->size() == 1);
  CHECK((*timers)[0].token == "tok");
  CHECK((*timers)[0].sender == Address{{"a", "b"}, "c"});
  CHECK((*timers)[0].due_ms == 1234);
}

TEMPLATE_TEST_CASE("timer ids are never reused, also after the newest timer went and on reopening",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  int64_t first = 0, second = 0;
  {
    auto store = db.open();
    REQUIRE(store->begin());
    TimerRecord t{0, 10, kBob, kBob, {"t/x", true, ""}, "tok"};
    REQUIRE(store->add_timer(t));
    first = t.id;
    REQUIRE(store->remove_timer(t.id));  // it fired: no timer row is left
    TimerRecord u{0, 20, kBob, kBob, {"t/x", true, ""}, "tok"};
    REQUIRE(store->add_timer(u));
    second = u.id;
    CHECK(second > first);
    REQUIRE(store->remove_timer(u.id));
    REQUIRE(store->commit());
  }
  auto store = db.open();
  REQUIRE(store->load_timers()->empty());
  REQUIRE(store->begin());
  TimerRecord v{0, 30, kBob, kBob, {"t/x", true, ""}, ""};
  REQUIRE(store->add_timer(v));
  CHECK(v.id > second);
  REQUIRE(store->commit());
}

TEMPLATE_TEST_CASE("the last step stays the highest ever committed after the trace is pruned",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  {
    auto store = db.open();
    REQUIRE(store->begin());
    for (int64_t step = 1; step <= 3; ++step) {
      TraceRecord t;
      t.step = step;
      t.address = kBob;
      t.first_type = "t/x";
      REQUIRE(store->append_trace(t));
    }
    REQUIRE(store->prune(3, 0, 0, 100));  // retention took every trace row
    REQUIRE(store->commit());
  }
  auto store = db.open();
  CHECK(store->last_step() == 3);
}

TEMPLATE_TEST_CASE("retention never prunes what a Kafka egress has yet to produce", "[runtime]",
                   SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->begin());
  auto append = [&store](const std::string& egress_id, int64_t step) {
    EgressRecord r{0, egress_id, "", "v", {"t/r", true, "v"}, step, 1000 + step};
    REQUIRE(store->append_egress(r));
    return r.seq;
  };
  const int64_t produced = append("example/greets", 1);
  const int64_t unproduced = append("example/greets", 2);
  const int64_t emulated = append("example/other", 3);  // no mark: emulated, prunable
  // The egress produced the first one: its mark points at the second.
  REQUIRE(
      store->write_external_offset({"kafka-egress", "example/greets", "", 0, unproduced, 5000}));
  REQUIRE(store->prune(0, 0, emulated, 100));
  REQUIRE(store->commit());

  // What is left: the records of no playground topic, oldest first.
  std::vector<int64_t> kept;
  for (int64_t after = 0;;) {
    auto next = store->peek_egress("", after, emulated).value();
    if (!next) break;
    kept.push_back(next->seq);
    after = next->seq;
  }
  CHECK(kept == std::vector<int64_t>{unproduced});
  CHECK(produced < unproduced);
}

TEMPLATE_TEST_CASE("the virtual time is kept across reopening until cleared", "[runtime]",
                   SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  {
    auto store = db.open();
    CHECK_FALSE(store->virtual_now().value().has_value());
    REQUIRE(store->begin());
    REQUIRE(store->set_virtual_now(1'000));
    REQUIRE(store->set_virtual_now(86'400'000));  // moves replace it
    REQUIRE(store->commit());
  }
  {
    auto store = db.open();
    CHECK(store->virtual_now().value() == 86'400'000);
    REQUIRE(store->begin());
    REQUIRE(store->set_virtual_now(std::nullopt));
    REQUIRE(store->commit());
  }
  CHECK_FALSE(db.open()->virtual_now().value().has_value());
}

TEMPLATE_TEST_CASE("egress reads are oldest first, respect the visibility limit and never repeat",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->begin());
  EgressRecord a{0, "io.statefun.playground/egress", "greetings", "one", {"x/y", true, "{}"}, 1, 1};
  EgressRecord b{0, "io.statefun.playground/egress", "greetings", "two", {"x/y", true, "{}"}, 2, 2};
  REQUIRE(store->append_egress(a));
  REQUIRE(store->append_egress(b));
  auto pop = [&](const std::string& topic, int64_t limit) -> std::optional<std::string> {
    auto record = store->peek_egress(topic, 0, limit);
    REQUIRE(record);
    if (!*record) return std::nullopt;
    REQUIRE(store->consume_egress((*record)->seq));
    return (*record)->payload;
  };
  CHECK(pop("greetings", a.seq) == "one");  // b is not visible yet
  CHECK_FALSE(pop("greetings", a.seq));
  CHECK(pop("greetings", b.seq) == "two");
  CHECK_FALSE(pop("greetings", b.seq));
  CHECK_FALSE(pop("other", b.seq));
}

TEST_CASE("a file that is not a database is reported as corrupt, naming it", "[runtime]") {
  TempDir dir;
  std::ofstream(dir.db()) << "this is definitely not an SQLite database, just some text......"
                             "................................................................";
  auto store = Store::open(dir.db(), {});
  REQUIRE_FALSE(store);
  CHECK(store.error().code == ErrorCode::kCorruption);
  CHECK(store.error().message.find(dir.db()) != std::string::npos);
}

// Issue 14.8: both used to be adopted silently as the state database.
TEST_CASE("an empty file or another program's SQLite database is refused, naming it", "[runtime]") {
  TempDir dir;
  SECTION("a zero-byte file") {
    std::ofstream(dir.db()).flush();
    auto store = Store::open(dir.db(), {});
    REQUIRE_FALSE(store);
    CHECK(store.error().code == ErrorCode::kCorruption);
    CHECK(store.error().message == dir.db() +
                                       ": an empty file (0 bytes), not a statefun database; "
                                       "delete it to start with a new one");
    CHECK(fs::file_size(dir.db()) == 0);  // left as it was
  }
  SECTION("a SQLite database with other tables, or none") {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE notes(t TEXT); CREATE TABLE people(n TEXT)", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto store = Store::open(dir.db(), {});
    REQUIRE_FALSE(store);
    CHECK(store.error().code == ErrorCode::kCorruption);
    CHECK(store.error().message ==
          dir.db() +
              ": a SQLite database, but not a statefun one (tables: notes, people); "
              "move it away or use another --data directory");
  }
  SECTION("a new database is created whole, with nothing left beside it") {
    { REQUIRE(Store::open(dir.db(), {})); }
    CHECK(fs::file_size(dir.db()) > 0);
    CHECK_FALSE(fs::exists(dir.db() + ".new"));
    CHECK(Store::open(dir.db(), {}));  // and it is ours when opened again
  }
}

TEST_CASE("a database from a newer statefun is refused", "[runtime]") {
  TempDir dir;
  { open_store(dir.db()); }
  // Bump the schema version behind the store's back, as a newer build would.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::open(dir.db(), {});
  REQUIRE_FALSE(store);
  CHECK(store.error().code == ErrorCode::kFailedPrecondition);
  CHECK(store.error().message.find("newer statefun") != std::string::npos);
}

TEMPLATE_TEST_CASE("history beyond the kept versions is folded so every kept version stays exact",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  db.options.retention.history_versions = 3;
  auto store = db.open();
  REQUIRE(store->begin());
  auto value = [](int n) { return TypedValue{"t/v", true, std::to_string(n)}; };
  // "a" changes only at version 1; "b" changes at versions 2..8.
  REQUIRE(store->write_state(kBob, "a", value(1), std::nullopt, {1, 1, "t", std::nullopt}));
  for (int step = 2; step <= 8; ++step) {
    REQUIRE(
        store->write_state(kBob, "b", value(step), std::nullopt, {step, step, "t", std::nullopt}));
  }
  REQUIRE(store->commit());
  auto history = store->read_history(kBob);
  REQUIRE(history);
  CHECK(store->history_floor(kBob) == 5);
  // Kept: a@1 (the baseline of "a"), b@5 (baseline of "b"), b@6..8.
  std::vector<std::pair<int64_t, std::string>> kept;
  for (const auto& row : *history) kept.emplace_back(row.version, row.name);
  CHECK(kept == std::vector<std::pair<int64_t, std::string>>{
                    {1, "a"}, {5, "b"}, {6, "b"}, {7, "b"}, {8, "b"}});
}

TEMPLATE_TEST_CASE(
    "pruning removes old trace, consumed messages and read egress, never pending ones", "[runtime]",
    SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->begin());
  InboxMessage consumed{0, kBob, std::nullopt, {"t/a", true, "1"}, MessageSource::kIngress, 1};
  InboxMessage pending{0, kBob, std::nullopt, {"t/a", true, "2"}, MessageSource::kIngress, 1};
  REQUIRE(store->append_inbox(consumed));
  REQUIRE(store->append_inbox(pending));
  REQUIRE(store->mark_consumed(consumed.seq, 1));
  REQUIRE(store->append_trace(TraceRecord{1, 1, kBob, 1, "t/a", 0, {}, 0, 0, 0}));
  EgressRecord unread{0, "io.statefun.playground/egress", "out", "x", {"x/y", true, "{}"}, 1, 1};
  REQUIRE(store->append_egress(unread));
  REQUIRE(store->commit());
  REQUIRE(store->begin());
  CHECK(store->prune(1, pending.seq, unread.seq, 100) == 1);
  REQUIRE(store->commit());
  auto left = store->load_pending();
  REQUIRE(left->size() == 1);
  CHECK(store->last_step() == 1);  // the trace row went, its step id stays used
  CHECK(store->pruned_through_step() == 1);
  auto unread_left = store->peek_egress("out", 0, unread.seq);  // unread egress survives
  REQUIRE(unread_left);
  CHECK(unread_left->has_value());
}
