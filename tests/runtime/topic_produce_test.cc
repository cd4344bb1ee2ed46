// Produced topic records (ProduceEvent): the record and the messages its
// ingresses routed it to are appended in one group, acknowledged only after
// the commit, and a commit that fails keeps neither. Against SQLite, so the
// topic table is read back as the offline CLI and the admin API read it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "runtime/store/fault_injecting_store.h"
#include "runtime/store/store_reader.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;
namespace fs = std::filesystem;

namespace {

const Address kGreeterBob{{"test", "greeter"}, "bob"};
const Address kCounterBob{{"test", "counter"}, "bob"};

using Produced = Result<std::pair<TopicRecordRow, std::vector<int64_t>>>;

CallOutcome ok(const BatchRequest&) { return answer(InvocationResult{}); }

struct ScratchDb {
  fs::path dir;
  ScratchDb() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("statefun-topics-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~ScratchDb() { fs::remove_all(dir); }
  std::string path() const { return (dir / "statefun.db").string(); }
  EngineRig::StoreOpener opener() const {
    return [p = path()]() -> std::unique_ptr<Store> {
      auto store = Store::open(p, {false});
      REQUIRE(store);
      return std::move(*store);
    };
  }
};

InboxMessage message_to(const Address& to, std::string value) {
  InboxMessage m;
  m.target = to;
  m.argument = {"test/Name", true, std::move(value)};
  return m;
}

TopicRecordRow record(std::string topic, std::optional<std::string> key, std::string value) {
  TopicRecordRow row;
  row.topic = std::move(topic);
  row.key = std::move(key);
  row.value = std::move(value);
  return row;
}

Answer<Produced> produce(EngineRig& h, TopicRecordRow row, std::vector<InboxMessage> messages) {
  auto done = std::make_shared<std::optional<Produced>>();
  h.group(ProduceEvent{std::move(row), std::move(messages), into(done)});
  return done;
}

// The committed pending messages, as a read-only reader sees them.
std::size_t committed_pending(const std::string& db) {
  auto reader = StoreReader::open(db);
  REQUIRE(reader);
  auto pending = (*reader)->pending({});
  REQUIRE(pending);
  return pending->size();
}

std::vector<TopicRecordRow> topic(const std::string& db, const std::string& name) {
  auto reader = StoreReader::open(db);
  REQUIRE(reader);
  auto rows = (*reader)->topic_records({name, 0, 1000});
  REQUIRE(rows);
  return *rows;
}

// The greeter writes one egress record "hello"; everyone else answers nothing.
CallOutcome greeter_writes_egress(const BatchRequest& request) {
  InvocationResult result;
  if (request.target == kGreeterBob) {
    result.egress.push_back({"test", "egress", {"test/Record", true, "hello"}});
  }
  return answer(std::move(result));
}

// Every egress record goes to topic "greetings", which an ingress reads on
// to the counter (what emulator/topics/topic_feedback.h makes of a pipeline).
Result<RoutedEgress> feed_greetings_to_counter(const EgressMessage& m) {
  RoutedEgress routed{"greetings", m.argument.value};
  routed.feedback = TopicFeedback{record("greetings", "bob", m.argument.value),
                                  {message_to(kCounterBob, m.argument.value)}};
  return routed;
}

}  // namespace

TEST_CASE("a produced record and its messages commit together, then are acknowledged",
          "[runtime][topics]") {
  ScratchDb db;
  EngineRig h(ok, db.opener());
  h.start();
  h.clock.advance_ms(5000);
  auto first = produce(h, record("names", "bob", "v1"),
                       {message_to(kGreeterBob, "v1"), message_to(kCounterBob, "v1")});
  REQUIRE(first->has_value());
  REQUIRE(**first);
  const auto& [row, ids] = ***first;
  CHECK(row.offset == 0);
  REQUIRE(ids.size() == 2);
  CHECK(ids[1] == ids[0] + 1);
  // Offsets count per topic; a record may route to no message at all.
  auto other = produce(h, record("audit", std::nullopt, "a"), {});
  REQUIRE(**other);
  CHECK((***other).first.offset == 0);
  CHECK((***other).second.empty());
  auto second = produce(h, record("names", "ann", "v2"), {message_to(kGreeterBob, "v2")});
  REQUIRE(**second);
  CHECK((***second).first.offset == 1);

  const auto names = topic(db.path(), "names");
  REQUIRE(names.size() == 2);
  CHECK(names[0].key == "bob");
  CHECK(names[0].value == "v1");
  CHECK(names[0].messages == 2);
  CHECK(names[0].first_message == ids[0]);
  CHECK(names[0].at_ms == h.clock.now_ms());
  CHECK(names[1].offset == 1);
  const auto audit = topic(db.path(), "audit");
  REQUIRE(audit.size() == 1);
  CHECK_FALSE(audit[0].key.has_value());
  CHECK(audit[0].messages == 0);
  CHECK(audit[0].first_message == 0);

  auto reader = StoreReader::open(db.path());
  REQUIRE(reader);
  auto logs = (*reader)->topic_logs();
  REQUIRE(logs);
  REQUIRE(logs->size() == 2);
  CHECK((*logs)[0].topic == "audit");
  CHECK((*logs)[1].topic == "names");
  CHECK((*logs)[1].records == 2);
  CHECK((*logs)[1].next_offset == 2);

  // Both messages reach their functions.
  REQUIRE(h.run_until_idle());
  std::set<Address> called;
  for (const auto& request : h.function.requests()) called.insert(request.target);
  CHECK(called == std::set<Address>{kGreeterBob, kCounterBob});
}

TEST_CASE("a produce whose commit fails is not acknowledged and leaves nothing behind",
          "[runtime][topics]") {
  ScratchDb db;
  EngineRig h(ok, db.opener());
  auto faults = std::make_unique<FaultInjectingStore>(*h.store);
  h.engine_store = faults.get();
  h.start();
  h.function.hold(true);
  faults->fail_commit(1, ErrorCode::kIo);
  auto failed = produce(h, record("names", "bob", "v1"), {message_to(kGreeterBob, "v1")});
  REQUIRE(failed->has_value());
  REQUIRE_FALSE(**failed);
  CHECK(topic(db.path(), "names").empty());
  CHECK(committed_pending(db.path()) == 0);
}

TEST_CASE("a produce whose record cannot be written keeps none of its messages",
          "[runtime][topics]") {
  ScratchDb db;
  EngineRig h(ok, db.opener());
  auto faults = std::make_unique<FaultInjectingStore>(*h.store);
  h.engine_store = faults.get();
  h.start();
  h.function.hold(true);
  // The two messages are written first, then the record: its write fails.
  faults->fail_write(3, ErrorCode::kIo);
  auto failed = produce(h, record("names", "bob", "v1"),
                        {message_to(kGreeterBob, "v1"), message_to(kCounterBob, "v1")});
  REQUIRE(failed->has_value());
  REQUIRE_FALSE(**failed);
  CHECK((*failed)->error().message.find("append_topic_record") != std::string::npos);
  CHECK(topic(db.path(), "names").empty());
  CHECK(committed_pending(db.path()) == 0);
}

TEST_CASE("the memory store counts topic offsets per topic like SQLite", "[runtime][topics]") {
  EngineRig h(ok);
  h.start();
  auto a0 = produce(h, record("a", "k", "1"), {});
  auto b0 = produce(h, record("b", "k", "1"), {});
  auto a1 = produce(h, record("a", "k", "2"), {});
  REQUIRE(**a0);
  REQUIRE(**b0);
  REQUIRE(**a1);
  CHECK((***a0).first.offset == 0);
  CHECK((***b0).first.offset == 0);
  CHECK((***a1).first.offset == 1);
  CHECK((***a1).first.seq > (***b0).first.seq);
}

TEST_CASE("an egress record fed back into a topic commits with the step that sent it",
          "[runtime][topics]") {
  ScratchDb db;
  EngineRig h(greeter_writes_egress, db.opener());
  auto options = h.options();
  options.route_egress = feed_greetings_to_counter;
  h.start(std::move(options));
  REQUIRE(h.send(kGreeterBob, {"test/Name", true, "bob"}));
  REQUIRE(h.run_until_idle());

  const auto greetings = topic(db.path(), "greetings");
  REQUIRE(greetings.size() == 1);
  CHECK(greetings[0].offset == 0);
  CHECK(greetings[0].key == "bob");
  CHECK(greetings[0].value == "hello");
  CHECK(greetings[0].messages == 1);
  std::vector<Address> called;
  for (const auto& request : h.function.requests()) called.push_back(request.target);
  CHECK(called == std::vector<Address>{kGreeterBob, kCounterBob});

  // The counter's message names the greeter's step as its cause: the causal
  // tree goes on through the topic.
  auto reader = StoreReader::open(db.path());
  REQUIRE(reader);
  auto fed = (*reader)->message(greetings[0].first_message);
  REQUIRE(fed);
  REQUIRE(fed->has_value());
  CHECK((*fed)->message.target == kCounterBob);
  auto links = (*reader)->step_links((*fed)->message.cause_step);
  REQUIRE(links);
  REQUIRE(links->trace.has_value());
  CHECK(links->trace->address == kGreeterBob);
  CHECK(links->egress.size() == 1);
}

TEST_CASE("a step whose commit fails keeps neither its egress nor what it fed into a topic",
          "[runtime][topics]") {
  ScratchDb db;
  EngineRig h(greeter_writes_egress, db.opener());
  auto faults = std::make_unique<FaultInjectingStore>(*h.store);
  h.engine_store = faults.get();
  auto options = h.options();
  options.route_egress = feed_greetings_to_counter;
  h.start(std::move(options));
  REQUIRE(h.send(kGreeterBob, {"test/Name", true, "bob"}));
  faults->fail_commit(1, ErrorCode::kIo);
  h.settle();
  CHECK(topic(db.path(), "greetings").empty());
  // The greeter's message is still the one pending: nothing of the step stayed.
  CHECK(committed_pending(db.path()) == 1);
}
