// The parts of the Store contract that the in-memory store must share with
// the SQLite store, run against both, and what only the in-memory store
// promises. The contract tests that predate the in-memory store are in
// store_test.cc (also run against both).
#include "runtime/store/memory_store.h"

#include <catch2/catch.hpp>
#include <random>

#include "tests/runtime/store_fixtures.h"

using namespace statefun;
using statefun::test::MemoryStoreFixture;
using statefun::test::SqliteStoreFixture;

namespace {

const Address kBob{{"example", "person"}, "Bob"};

InboxMessage message(std::string value) {
  return InboxMessage{0, kBob, std::nullopt, {"t/a", true, std::move(value)}};
}

StateCause cause(int64_t step) { return StateCause{step, step, "t/a", std::nullopt}; }

std::vector<std::string> pending_values(Store& store) {
  std::vector<std::string> out;
  auto pending = store.load_pending();  // kept alive: the loop reads into it
  REQUIRE(pending);
  for (const auto& m : *pending) out.push_back(m.argument.value);
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("another connection sees only committed data", "[runtime]", SqliteStoreFixture,
                   MemoryStoreFixture) {
  TestType db;
  auto writer = db.open();
  auto reader = db.open();
  REQUIRE(writer->begin());
  CHECK(writer->in_transaction());
  auto m = message("1");
  REQUIRE(writer->append_inbox(m));
  CHECK(pending_values(*writer) == std::vector<std::string>{"1"});  // its own writes
  CHECK(pending_values(*reader).empty());
  REQUIRE(writer->commit());
  CHECK_FALSE(writer->in_transaction());
  CHECK(pending_values(*reader) == std::vector<std::string>{"1"});
  REQUIRE(writer->commit());  // nothing open: a no-op
}

TEMPLATE_TEST_CASE("a write outside a transaction commits at once", "[runtime]", SqliteStoreFixture,
                   MemoryStoreFixture) {
  TestType db;
  auto writer = db.open();
  auto reader = db.open();
  REQUIRE(writer->write_state(kBob, "a", {"t/v", true, "x"}, std::nullopt, cause(1)));
  CHECK_FALSE(writer->in_transaction());
  REQUIRE(reader->read_states(kBob)->size() == 1);
}

TEMPLATE_TEST_CASE("rolling back a savepoint undoes only what came after it", "[runtime]",
                   SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->begin());
  auto kept = message("kept");
  REQUIRE(store->append_inbox(kept));
  REQUIRE(store->savepoint());
  auto undone = message("undone");
  REQUIRE(store->append_inbox(undone));
  REQUIRE(store->write_state(kBob, "a", {"t/v", true, "x"}, std::nullopt, cause(1)));
  REQUIRE(store->rollback_savepoint());
  CHECK(pending_values(*store) == std::vector<std::string>{"kept"});
  CHECK(store->read_states(kBob)->empty());
  CHECK(store->read_history(kBob)->empty());
  // A released savepoint keeps its writes in the transaction.
  REQUIRE(store->savepoint());
  auto released = message("released");
  REQUIRE(store->append_inbox(released));
  REQUIRE(store->release_savepoint());
  CHECK(released.seq == undone.seq);  // the rolled-back sequence number is used again
  REQUIRE(store->commit());
  CHECK(pending_values(*db.open()) == std::vector<std::string>{"kept", "released"});
}

TEMPLATE_TEST_CASE("a savepoint outside a transaction commits when it is released", "[runtime]",
                   SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  auto reader = db.open();
  REQUIRE(store->savepoint());
  auto m = message("1");
  REQUIRE(store->append_inbox(m));
  CHECK(pending_values(*reader).empty());
  REQUIRE(store->release_savepoint());
  CHECK(pending_values(*reader) == std::vector<std::string>{"1"});
  CHECK_FALSE(store->release_savepoint());  // none is open any more
  CHECK_FALSE(store->rollback_savepoint());
}

TEMPLATE_TEST_CASE(
    "sequence numbers continue from the largest present one, timer ids from the largest ever",
    "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  CHECK(store->last_sequences() == std::pair<int64_t, int64_t>{0, 0});
  CHECK(store->last_step() == 0);
  TimerRecord a{0, 10, kBob, kBob, {"t/x", true, ""}, ""};
  TimerRecord b = a;
  REQUIRE(store->add_timer(a));
  REQUIRE(store->add_timer(b));
  CHECK(a.id == 1);
  CHECK(b.id == 2);
  REQUIRE(store->remove_timer(b.id));
  TimerRecord c = a;
  REQUIRE(store->add_timer(c));
  CHECK(c.id == 3);  // ids are never reused, not even the largest once it is free
  REQUIRE(store->remove_timer(a.id));
  TimerRecord d = a;
  REQUIRE(store->add_timer(d));
  CHECK(d.id == 4);  // a gap below the largest is never filled

  auto m = message("1");
  REQUIRE(store->append_inbox(m));
  EgressRecord e{0, "io.statefun.playground/egress", "out", "x", {"x/y", true, "{}"}, 1, 1};
  REQUIRE(store->append_egress(e));
  REQUIRE(store->append_egress(e));
  REQUIRE(store->append_trace(TraceRecord{7, 1, kBob, 1, "t/a", 0, {}, 0, 0, 0}));
  CHECK(store->last_sequences() == std::pair<int64_t, int64_t>{1, 2});
  CHECK(store->last_step() == 7);
}

TEMPLATE_TEST_CASE("loaded timers come in due order, ties by id", "[runtime]", SqliteStoreFixture,
                   MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  for (int64_t due : {30, 10, 30, 20}) {
    TimerRecord t{0, due, kBob, kBob, {"t/x", true, ""}, ""};
    REQUIRE(store->add_timer(t));
  }
  std::vector<std::pair<int64_t, int64_t>> order;
  auto timers = store->load_timers();
  REQUIRE(timers);
  for (const auto& t : *timers) order.emplace_back(t.due_ms, t.id);
  CHECK(order == std::vector<std::pair<int64_t, int64_t>>{{10, 2}, {20, 4}, {30, 1}, {30, 3}});
}

TEMPLATE_TEST_CASE("received messages are the ones consumed after a step, in order", "[runtime]",
                   SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  InboxMessage other{0, {{"example", "person"}, "Alice"}, std::nullopt, {"t/a", true, "o"}};
  auto first = message("1"), second = message("2"), third = message("3");
  for (auto* m : {&first, &other, &second, &third}) REQUIRE(store->append_inbox(*m));
  REQUIRE(store->mark_consumed(first.seq, 1));
  REQUIRE(store->mark_consumed(other.seq, 2));
  REQUIRE(store->mark_consumed(second.seq, 3));
  std::vector<std::string> received;
  auto messages = store->read_received(kBob, 1);
  REQUIRE(messages);
  for (const auto& m : *messages) received.push_back(m.argument.value);
  CHECK(received == std::vector<std::string>{"2"});  // not 1 (step 1), not 3 (pending)
}

TEMPLATE_TEST_CASE("expiry moves without a version; an expired value drops without history",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->write_state(kBob, "a", {"t/v", true, "x"}, int64_t{100}, cause(1)));
  REQUIRE(store->set_expiry(kBob, "a", 500));
  REQUIRE(store->set_expiry(kBob, "absent", 500));
  auto states = store->read_states(kBob);
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].expires_at_ms == 500);
  CHECK((*states)[0].version == 1);
  REQUIRE(store->drop_expired(kBob, "a"));
  CHECK(store->read_states(kBob)->empty());
  CHECK(store->read_history(kBob)->size() == 1);
}

TEMPLATE_TEST_CASE("history rows name the step, time, message type and caller", "[runtime]",
                   SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  const Address alice{{"example", "person"}, "Alice"};
  REQUIRE(store->write_state(kBob, "a", {"t/v", true, "x"}, std::nullopt,
                             StateCause{4, 40, "t/greet", alice}));
  REQUIRE(store->delete_state(kBob, "a", StateCause{5, 50, "statefun/admin", std::nullopt}));
  auto history = store->read_history(kBob);
  REQUIRE(history->size() == 2);
  const HistoryRow& written = (*history)[0];
  CHECK(written.version == 1);
  CHECK(written.value == TypedValue{"t/v", true, "x"});
  CHECK(written.step == 4);
  CHECK(written.at_ms == 40);
  CHECK(written.cause_type == "t/greet");
  CHECK(written.cause_caller == "example/person/Alice");
  const HistoryRow& deleted = (*history)[1];
  CHECK(deleted.version == 2);
  CHECK_FALSE(deleted.value);
  CHECK_FALSE(deleted.cause_caller);
}

TEMPLATE_TEST_CASE("writing one state twice in one step, or tracing a step twice, is refused",
                   "[runtime]", SqliteStoreFixture, MemoryStoreFixture) {
  TestType db;
  auto store = db.open();
  REQUIRE(store->begin());
  REQUIRE(store->write_state(kBob, "a", {"t/v", true, "1"}, std::nullopt, cause(1)));
  auto again = store->write_state(kBob, "a", {"t/v", true, "2"}, std::nullopt, cause(1));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kIo);
  const TraceRecord trace{1, 1, kBob, 1, "t/a", 0, {}, 0, 0, 0};
  REQUIRE(store->append_trace(trace));
  CHECK_FALSE(store->append_trace(trace));  // one trace row per step
}

TEST_CASE("in memory, a second connection cannot write while one holds the transaction",
          "[runtime]") {
  MemoryStoreFixture db;
  auto first = db.open();
  auto second = db.open();
  REQUIRE(first->begin());
  auto locked = second->begin();
  REQUIRE_FALSE(locked);
  CHECK(locked.error().message.find("database is locked") != std::string::npos);
  auto m = message("1");
  CHECK_FALSE(second->append_inbox(m));
  CHECK_FALSE(second->savepoint());
  REQUIRE(first->commit());
  REQUIRE(second->begin());
  first.reset();  // a connection that goes away without a transaction changes nothing
  REQUIRE(second->append_inbox(m));
  second.reset();  // ... and one with a transaction open loses it, and frees the database
  auto third = db.open();
  CHECK(third->load_pending()->empty());
  REQUIRE(third->begin());
}

namespace {

// Everything a store answers about its contents, as text, so two stores can
// be compared in one CHECK.
std::string contents(Store& store, const std::vector<Address>& addresses) {
  std::string out;
  auto add = [&out](const auto&... parts) { ((out += parts, out += ' '), ...); };
  auto n = [](int64_t v) { return std::to_string(v); };
  auto opt = [&n](const std::optional<int64_t>& v) { return v ? n(*v) : std::string("-"); };
  auto pending = store.load_pending();
  REQUIRE(pending);
  for (const auto& m : *pending) add("inbox", n(m.seq), m.target.str(), m.argument.value);
  for (const auto& a : addresses) {
    auto states = store.read_states(a);
    REQUIRE(states);
    for (const auto& s : *states) add("state", s.name, s.value, opt(s.expires_at_ms), n(s.version));
    auto history = store.read_history(a);
    REQUIRE(history);
    for (const auto& h : *history) {
      add("history", n(h.version), h.name, h.value ? h.value->value : "-", n(h.step));
    }
    add("floor", n(*store.history_floor(a)));
    auto received = store.read_received(a, 2);
    REQUIRE(received);
    for (const auto& m : *received) add("received", n(m.seq));
  }
  auto timers = store.load_timers();
  REQUIRE(timers);
  for (const auto& t : *timers) add("timer", n(t.id), n(t.due_ms), t.token);
  for (const char* topic : {"a", "b"}) {
    auto egress = store.peek_egress(topic, 0, 1000);
    REQUIRE(egress);
    add("egress", topic, *egress ? n((*egress)->seq) + (*egress)->payload : "-");
  }
  auto sequences = store.last_sequences();
  add("last", n(sequences->first), n(sequences->second), n(*store.last_step()),
      n(*store.pruned_through_step()));
  return out;
}

}  // namespace

TEST_CASE("the in-memory store answers as the SQLite store does for a long mixed workload",
          "[runtime]") {
  SqliteStoreFixture sqlite_db;
  MemoryStoreFixture memory_db;
  sqlite_db.options.retention.history_versions = 3;
  sqlite_db.options.synchronous_full = false;  // autocommitted writes need not wait for the disk
  memory_db.options.retention.history_versions = 3;
  std::vector<std::unique_ptr<Store>> stores;
  stores.push_back(sqlite_db.open());
  stores.push_back(memory_db.open());
  const std::vector<Address> addresses{kBob, {{"example", "person"}, "Alice"}, {{"x", "y"}, "z"}};

  std::mt19937 random(12);  // fixed: the same workload every run
  auto pick = [&random](int64_t n) {
    return std::uniform_int_distribution<int64_t>(0, n - 1)(random);
  };
  int64_t step = 1;
  for (int i = 0; i < 3000; ++i) {
    const int64_t op = pick(16);
    const Address& address = addresses[pick(addresses.size())];
    const std::string name = pick(2) ? "a" : "b";
    const std::string value = std::to_string(pick(100));
    if (pick(3) == 0) ++step;
    const StateCause cause{step, step * 10, "t/a", std::nullopt};
    const int64_t key = 1 + pick(40);
    const std::string topic = pick(2) ? "a" : "b";
    // Runs one operation on a store; what it answered, as text.
    auto run = [&](Store& s) -> std::string {
      auto ok = [](const Result<void>& r) { return std::string(r ? "ok" : "error"); };
      switch (op) {
        case 0:
          return ok(s.begin());
        case 1:
          return ok(s.commit());
        case 2:
          return ok(s.savepoint());
        case 3:
          return ok(s.release_savepoint());
        case 4:
          return ok(s.rollback_savepoint());
        case 5: {
          InboxMessage m{0, address, std::nullopt, {"t/a", true, value}};
          return ok(s.append_inbox(m)) + std::to_string(m.seq);
        }
        case 6:
          return ok(s.mark_consumed(key, step));
        case 7:
        case 8:
          return ok(s.write_state(address, name, {"t/v", true, value}, key, cause));
        case 9:
          return ok(s.delete_state(address, name, cause));
        case 10:
          return ok(s.set_expiry(address, name, key));
        case 11:
          return ok(s.drop_expired(address, name));
        case 12: {
          TimerRecord t{0, key, address, address, {"t/x", true, value}, pick(2) ? "" : value};
          return ok(s.add_timer(t)) + std::to_string(t.id) + ok(s.remove_timer(key));
        }
        case 13: {
          EgressRecord e{0,
                         pick(4) ? "io.statefun.playground/egress" : "k/kafka",
                         topic,
                         value,
                         {"x/y", true, value},
                         step,
                         1};
          return ok(s.append_egress(e)) + std::to_string(e.seq) + ok(s.consume_egress(key));
        }
        case 14:
          return ok(s.append_trace(TraceRecord{step, 1, address, 1, "t/a", 0, {}, 0, 0, 0}));
        default: {
          auto r = s.prune(step - 5, key, key, 1 + pick(3));
          return r ? std::to_string(*r) : "error";
        }
      }
    };
    // The same random draws for both stores: run them from one saved state.
    const auto saved = random;
    const std::string sqlite_answer = run(*stores[0]);
    random = saved;
    const std::string memory_answer = run(*stores[1]);
    INFO("operation " << i << " (kind " << op << ")");
    REQUIRE(memory_answer == sqlite_answer);
    REQUIRE(stores[1]->in_transaction() == stores[0]->in_transaction());
    if (i % 50 == 0) REQUIRE(contents(*stores[1], addresses) == contents(*stores[0], addresses));
  }
  REQUIRE(contents(*stores[1], addresses) == contents(*stores[0], addresses));
  (void)stores[0]->commit();
  (void)stores[1]->commit();
  CHECK(contents(*memory_db.open(), addresses) == contents(*sqlite_db.open(), addresses));
}
