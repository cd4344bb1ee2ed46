// IngestEvent: messages from an external source (a Kafka ingress in connect
// mode) and the source offsets they advance commit together or not at all.
#include <catch2/catch.hpp>

#include "runtime/engine/engine.h"
#include "runtime/store/fault_injecting_store.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kBob{{"test", "echo"}, "Bob"};
const Address kAnn{{"test", "echo"}, "Ann"};

TypedValue text(std::string s) { return {"io.statefun.types/string", true, std::move(s)}; }

// Never called: the rig holds every request.
CallOutcome nothing(const BatchRequest&) { return answer(InvocationResult{}); }

ExternalOffset offset(int32_t partition, int64_t next) {
  return {.kind = "kafka-ingress",
          .name = "ex/in",
          .topic = "names",
          .partition = partition,
          .next_offset = next};
}

IngestEvent ingest(std::vector<std::string> values, std::vector<ExternalOffset> offsets,
                   Answer<Result<void>> done) {
  IngestEvent e;
  for (auto& v : values) {
    e.messages.push_back(InboxMessage{0, v == "ann" ? kAnn : kBob, std::nullopt, text(v)});
  }
  e.offsets = std::move(offsets);
  e.done = into(done);
  return e;
}

struct IngestRig : EngineRig {
  std::unique_ptr<FaultInjectingStore> faults;
  IngestRig() : EngineRig(nothing) {
    faults = std::make_unique<FaultInjectingStore>(*store);
    engine_store = faults.get();
    function.hold(true);  // messages stay pending: the inbox shows them
    start();
  }
  std::vector<std::string> committed_inbox() {
    auto reader = open_store();
    std::vector<std::string> values;
    auto pending = reader->load_pending();
    REQUIRE(pending);
    for (const auto& m : *pending) values.push_back(m.argument.value);
    return values;
  }
  std::vector<ExternalOffset> committed_offsets() {
    auto reader = open_store();
    auto offsets = reader->load_external_offsets();
    REQUIRE(offsets);
    for (auto& o : *offsets) o.updated_at_ms = 0;
    return *offsets;
  }
};

}  // namespace

TEST_CASE("ingest: the messages and their offsets commit in one group", "[runtime][kafka]") {
  IngestRig h;
  auto done = std::make_shared<std::optional<Result<void>>>();
  h.group(ingest({"bob", "ann"}, {offset(0, 2)}, done));
  REQUIRE(done->has_value());
  REQUIRE(**done);
  CHECK(h.committed_inbox() == std::vector<std::string>{"bob", "ann"});
  CHECK(h.committed_offsets() == std::vector<ExternalOffset>{offset(0, 2)});
  // Offsets alone (nothing routed from those records) move on too.
  auto later = std::make_shared<std::optional<Result<void>>>();
  h.group(ingest({}, {offset(0, 5), offset(1, 1)}, later));
  REQUIRE(later->has_value());
  REQUIRE(**later);
  CHECK(h.committed_offsets() == std::vector<ExternalOffset>{offset(0, 5), offset(1, 1)});
  CHECK(h.committed_inbox().size() == 2);
}

TEST_CASE("ingest: a refused commit keeps neither the messages nor the offsets",
          "[runtime][kafka]") {
  IngestRig h;
  auto first = std::make_shared<std::optional<Result<void>>>();
  h.group(ingest({"bob"}, {offset(0, 1)}, first));
  REQUIRE(**first);
  h.faults->fail_commit(1, ErrorCode::kIo);
  auto second = std::make_shared<std::optional<Result<void>>>();
  h.group(ingest({"ann", "bob"}, {offset(0, 3)}, second));
  REQUIRE(second->has_value());
  REQUIRE_FALSE(**second);
  CHECK(h.committed_inbox() == std::vector<std::string>{"bob"});
  CHECK(h.committed_offsets() == std::vector<ExternalOffset>{offset(0, 1)});
}

TEST_CASE("ingest: a refused offset write appends none of the messages", "[runtime][kafka]") {
  IngestRig h;
  h.faults->fail_write(1, ErrorCode::kIo);
  auto done = std::make_shared<std::optional<Result<void>>>();
  h.group(ingest({"bob"}, {offset(0, 1)}, done));
  REQUIRE(done->has_value());
  REQUIRE_FALSE(**done);
  CHECK(h.committed_inbox().empty());
  CHECK(h.committed_offsets().empty());
}

TEST_CASE("ingest: backpressure does not hold ingested messages back", "[runtime][kafka]") {
  IngestRig h;
  auto done = std::make_shared<std::optional<Result<void>>>();
  std::vector<std::string> many(1500, "bob");  // more than maxNumBatchRequests (1000)
  h.group(ingest(many, {offset(0, 1500)}, done));
  REQUIRE(done->has_value());
  REQUIRE(**done);
  CHECK(h.committed_inbox().size() == 1500);
}
