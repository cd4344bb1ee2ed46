#include "runtime/store/store_reader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "runtime/store/store.h"

using namespace statefun;
namespace fs = std::filesystem;

namespace {

const Address kBob{{"example", "person"}, "Bob"};
const Address kAnn{{"example", "person"}, "Ann"};
const Address kGreeter{{"example", "greeter"}, "Bob"};

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("statefun-reader-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string db() const { return database_path(path.string()); }
};

std::unique_ptr<Store> open_store(const std::string& path) {
  auto store = Store::open(path, {});
  REQUIRE(store);
  return std::move(*store);
}

std::unique_ptr<StoreReader> open_reader(const std::string& path) {
  auto reader = StoreReader::open(path);
  REQUIRE(reader);
  return std::move(*reader);
}

void append_egress(Store& store, const std::string& topic, const std::string& payload,
                   int64_t step) {
  EgressRecord r{0,          "io.statefun.playground/egress", topic,
                 payload,    {"t/r", true, payload},          step,
                 1000 + step};
  REQUIRE(store.append_egress(r));
}

void append_trace(Store& store, int64_t step, const Address& address, int64_t at) {
  TraceRecord t{step, at, address, 1, "example/GreetRequest", 500, {"visits"}, 1, 0, 0};
  REQUIRE(store.append_trace(t));
}

}  // namespace

TEST_CASE("a missing database is reported as not found, not created", "[runtime]") {
  TempDir dir;
  auto reader = StoreReader::open(dir.db());
  REQUIRE_FALSE(reader);
  CHECK(reader.error().code == ErrorCode::kNotFound);
  CHECK_FALSE(fs::exists(dir.db()));
}

TEST_CASE("the reader sees committed data only, beside a writer with an open group", "[runtime]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->begin());
  REQUIRE(store->write_state(kBob, "visits", {"io.statefun.types/int", true, "\x0d\x01\0\0\0"},
                             std::nullopt, {1, 10, "example/GreetRequest", std::nullopt}));
  REQUIRE(store->commit());
  REQUIRE(store->begin());
  REQUIRE(store->write_state(kAnn, "visits", {"io.statefun.types/int", true, ""}, std::nullopt,
                             {2, 11, "example/GreetRequest", std::nullopt}));

  auto reader = open_reader(dir.db());
  auto states = reader->states(kBob, 0);
  REQUIRE(states);
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].name == "visits");
  CHECK((*states)[0].version == 1);
  auto ann = reader->states(kAnn, 0);
  REQUIRE(ann);
  CHECK(ann->empty());  // not committed yet

  REQUIRE(store->commit());
  ann = reader->states(kAnn, 0);
  REQUIRE(ann);
  REQUIRE(ann->size() == 1);
  CHECK((*ann)[0].value.empty());  // a present zero value
}

TEST_CASE("expired state is not shown; addresses count states, messages and pending", "[runtime]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->begin());
  REQUIRE(store->write_state(kBob, "fresh", {"t/a", true, "1"}, 5000, {1, 1, "m", std::nullopt}));
  REQUIRE(store->write_state(kBob, "stale", {"t/a", true, "2"}, 100, {1, 1, "m", std::nullopt}));
  InboxMessage consumed{0, kBob, std::nullopt, {"t/a", true, "x"}, MessageSource::kIngress, 1};
  InboxMessage pending{0, kGreeter, kBob, {"t/a", true, "y"}, MessageSource::kFunction, 2};
  REQUIRE(store->append_inbox(consumed));
  REQUIRE(store->append_inbox(pending));
  REQUIRE(store->mark_consumed(consumed.seq, 1));
  REQUIRE(store->commit());

  auto reader = open_reader(dir.db());
  auto states = reader->states(kBob, 1000);
  REQUIRE(states);
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].name == "fresh");

  auto all = reader->addresses(std::nullopt);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].address == kGreeter);
  CHECK((*all)[0].pending == 1);
  CHECK((*all)[1].address == kBob);
  CHECK((*all)[1].messages == 1);
  CHECK((*all)[1].pending == 0);

  auto people = reader->addresses(FunctionType{"example", "person"});
  REQUIRE(people);
  REQUIRE(people->size() == 1);
  CHECK(people->front().address == kBob);
}

TEST_CASE("a reader counts expiry in the virtual time a virtual-clock run left", "[runtime]") {
  TempDir dir;
  auto store = open_store(dir.db());
  const int64_t year_2030 = 1'893'456'000'000;
  REQUIRE(store->begin());
  // Expires a day into 2030: in the future on the wall clock until then.
  REQUIRE(store->write_state(kBob, "trial", {"t/a", true, "1"}, year_2030 + 86'400'000,
                             {1, 1, "m", std::nullopt}));
  REQUIRE(store->commit());
  auto reader = open_reader(dir.db());
  CHECK_FALSE(reader->virtual_now().value().has_value());
  CHECK(reader->addresses(std::nullopt).value().size() == 1);
  CHECK(application_now_ms(*reader) < year_2030);  // the wall clock (until 2030)

  REQUIRE(store->begin());
  REQUIRE(store->set_virtual_now(year_2030 + 2 * 86'400'000));
  REQUIRE(store->commit());
  CHECK(reader->virtual_now().value() == year_2030 + 2 * 86'400'000);
  CHECK(application_now_ms(*reader) == year_2030 + 2 * 86'400'000);
  CHECK(reader->addresses(std::nullopt).value().empty());  // expired in virtual time
}

TEST_CASE("egress is read from an offset without consuming, popped records included", "[runtime]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->begin());
  append_egress(*store, "greetings", "a", 1);  // offset (seq) 1
  append_egress(*store, "other", "x", 1);      // 2
  append_egress(*store, "greetings", "b", 2);  // 3
  append_egress(*store, "greetings", "c", 3);  // 4
  REQUIRE(store->commit());
  REQUIRE(store->begin());
  auto oldest = store->peek_egress("greetings", 0, 1000);
  REQUIRE(oldest);
  REQUIRE(*oldest);
  REQUIRE(store->consume_egress((*oldest)->seq));  // what a playground GET does
  REQUIRE(store->commit());

  auto reader = open_reader(dir.db());
  auto from2 = reader->egress({"greetings", 2, 0, 10});
  REQUIRE(from2);
  REQUIRE(from2->size() == 2);
  CHECK((*from2)[0].record.payload == "b");
  CHECK((*from2)[0].offset == 3);
  CHECK((*from2)[1].offset == 4);

  auto all = reader->egress({"greetings", 0, 0, 10});
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].popped);
  CHECK_FALSE((*all)[1].popped);

  auto limited = reader->egress({"greetings", 0, 0, 1});
  REQUIRE(limited);
  CHECK(limited->size() == 1);

  auto after = reader->egress({std::nullopt, 0, 1, 10});  // steps after 1, every topic
  REQUIRE(after);
  REQUIRE(after->size() == 2);
  CHECK((*after)[0].record.payload == "b");

  auto again = reader->egress({"greetings", 0, 0, 10});
  REQUIRE(again);
  CHECK(again->size() == 3);  // reading consumed nothing

  auto topics = reader->topics();
  REQUIRE(topics);
  REQUIRE(topics->size() == 2);
  CHECK((*topics)[0].topic == "greetings");
  CHECK((*topics)[0].records == 3);
  CHECK((*topics)[0].unpopped == 2);
}

TEST_CASE("the trace filters by step, time and address, and can give the newest rows",
          "[runtime]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->begin());
  append_trace(*store, 1, kBob, 100);
  append_trace(*store, 2, kGreeter, 200);
  append_trace(*store, 3, kBob, 300);
  append_trace(*store, 4, kAnn, 400);
  REQUIRE(store->commit());

  auto reader = open_reader(dir.db());
  auto after = reader->trace({2, 0, std::nullopt, 100, false});
  REQUIRE(after);
  REQUIRE(after->size() == 2);
  CHECK((*after)[0].step == 3);
  CHECK((*after)[0].changed_states == std::vector<std::string>{"visits"});

  auto bob = reader->trace({0, 0, kBob, 100, false});
  REQUIRE(bob);
  REQUIRE(bob->size() == 2);
  CHECK((*bob)[1].step == 3);

  auto since = reader->trace({0, 250, std::nullopt, 100, false});
  REQUIRE(since);
  CHECK(since->size() == 2);

  auto newest = reader->trace({0, 0, std::nullopt, 2, true});
  REQUIRE(newest);
  REQUIRE(newest->size() == 2);
  CHECK((*newest)[0].step == 3);  // oldest first
  CHECK((*newest)[1].step == 4);

  auto last = reader->last_step();
  REQUIRE(last);
  CHECK(*last == 4);
}

TEST_CASE("timers are listed soonest first, by target, and found by id", "[runtime]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->begin());
  TimerRecord later{0, 2000, kBob, kAnn, {"t/a", true, "x"}, "tok"};
  TimerRecord sooner{0, 1000, kAnn, kBob, {"t/a", true, "y"}, ""};
  REQUIRE(store->add_timer(later));
  REQUIRE(store->add_timer(sooner));
  REQUIRE(store->commit());

  auto reader = open_reader(dir.db());
  auto all = reader->timers(std::nullopt);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == sooner.id);
  auto bob = reader->timers(kBob);
  REQUIRE(bob);
  REQUIRE(bob->size() == 1);
  CHECK(bob->front().token == "tok");
  CHECK(bob->front().sender == kAnn);
  auto one = reader->timer(later.id);
  REQUIRE(one);
  REQUIRE(*one);
  CHECK((*one)->due_ms == 2000);
  auto none = reader->timer(9999);
  REQUIRE(none);
  CHECK_FALSE(*none);
}

TEST_CASE("history lists versions with deletions", "[runtime]") {
  TempDir dir;
  auto store = open_store(dir.db());
  REQUIRE(store->begin());
  REQUIRE(store->write_state(kBob, "v", {"t/a", true, "1"}, std::nullopt, {1, 10, "m", kAnn}));
  REQUIRE(store->delete_state(kBob, "v", {2, 20, "statefun/state-rm", std::nullopt}));
  REQUIRE(store->commit());
  auto reader = open_reader(dir.db());
  auto history = reader->history(kBob, "v");
  REQUIRE(history);
  REQUIRE(history->size() == 2);
  CHECK((*history)[0].value->value == "1");
  CHECK((*history)[0].cause_caller == "example/person/Ann");
  CHECK_FALSE((*history)[1].value);
}
