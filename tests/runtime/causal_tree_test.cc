// The causal tree (runtime/engine/causal_tree.h) of messages the real
// engine processed over a SQLite database, read back the way the admin API
// and the offline CLI read it: through a read-only StoreReader.
#include "runtime/engine/causal_tree.h"

#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;
namespace fs = std::filesystem;

namespace {

const Address kA{{"test", "a"}, "1"};
const Address kB{{"test", "b"}, "1"};
const Address kC{{"test", "c"}, "1"};
const Address kLater{{"test", "later"}, "1"};

TypedValue text(std::string s) { return {"test/text", true, std::move(s)}; }

struct ScratchDir {
  fs::path dir;
  ScratchDir() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("statefun-causal-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~ScratchDir() { fs::remove_all(dir); }
  std::string db() const { return (dir / "statefun.db").string(); }
};

// An engine over a SQLite file: a → b → c → egress, and a also schedules a
// delayed message to `later` (due in an hour); `boom` makes c fail.
struct Rig : ScratchDir, EngineRig {
  bool c_fails = false;
  Rig()
      : EngineRig([this](const BatchRequest& r) { return handle(r); },
                  [path = db()] {
                    auto store = Store::open(path, {false});
                    REQUIRE(store);
                    return std::move(*store);
                  }) {
    start();
  }
  CallOutcome handle(const BatchRequest& r) {
    InvocationResult result;
    if (r.target == kA) {
      result.messages.push_back({kB, text("to b")});
      result.delayed.push_back({false, "", 3600000, kLater, text("later")});
    } else if (r.target == kB) {
      result.messages.push_back({kC, text("to c")});
    } else if (r.target == kC) {
      if (c_fails) return failure("HTTP 500");
      result.egress.push_back({"test", "egress", text("done")});
    }
    return answer(result);
  }
  // The id of the message most recently accepted (the root to build from).
  int64_t newest_message() {
    auto pending = open_store()->last_sequences();
    REQUIRE(pending);
    return pending->first;
  }
  CausalTree tree(int64_t id, int64_t limit = 100) {
    auto reader = StoreReader::open(db());
    REQUIRE(reader);
    auto tree = build_causal_tree(**reader, id, limit);
    REQUIRE(tree);
    return std::move(*tree);
  }
};

}  // namespace

TEST_CASE(
    "causal tree: one message's steps across three functions, egress and timers at the leaves",
    "[runtime][causality]") {
  Rig h;
  REQUIRE(h.send(kA, text("go")));
  const int64_t root = h.newest_message();
  REQUIRE(h.run_until_idle());

  const CausalTree tree = h.tree(root);
  CHECK(tree.settled());
  CHECK_FALSE(tree.truncated);
  CHECK(tree.nodes == 3);
  CHECK(tree.steps == 3);
  CHECK(tree.timers == 1);
  const CausalNode& a = tree.root;
  CHECK(a.message.message.target == kA);
  CHECK(a.message.message.cause_step == 0);  // from outside
  REQUIRE(a.step);
  CHECK(a.step->address == kA);
  REQUIRE(a.timers.size() == 1);
  CHECK(a.timers[0].target == kLater);
  CHECK(a.timers[0].cause_step == a.step->step);
  REQUIRE(a.children.size() == 1);
  const CausalNode& b = a.children[0];
  CHECK(b.message.message.target == kB);
  CHECK(b.message.message.cause_step == a.step->step);
  REQUIRE(b.step);
  REQUIRE(b.children.size() == 1);
  const CausalNode& c = b.children[0];
  REQUIRE(c.step);
  CHECK(c.step->address == kC);
  CHECK(c.children.empty());
  REQUIRE(c.egress.size() == 1);
  CHECK(c.egress[0].argument.value == "done");

  // The delayed message fires: it joins the tree under the step that
  // scheduled it, as a message with its own step.
  h.clock.advance_ms(3600000);
  h.group(TickEvent{});
  REQUIRE(h.run_until_idle());
  const CausalTree later = h.tree(root);
  CHECK(later.timers == 0);
  CHECK(later.nodes == 4);
  REQUIRE(later.root.children.size() == 2);
  CHECK(later.root.children[1].message.message.target == kLater);
  CHECK(later.root.children[1].message.message.source == MessageSource::kTimer);
  CHECK(later.root.children[1].step.has_value());

  // A subtree is a tree of its own.
  const CausalTree of_b = h.tree(b.message.message.seq);
  CHECK(of_b.nodes == 2);
  CHECK(of_b.root.message.message.target == kB);

  // From any message or step of the tree, the way up leads to its root.
  auto reader = StoreReader::open(h.db());
  REQUIRE(reader);
  for (const int64_t id : {root, b.message.message.seq, c.message.message.seq,
                           later.root.children[1].message.message.seq}) {
    auto found = causal_root(**reader, id);
    REQUIRE(found);
    CHECK(*found == root);
  }
  auto first = first_message_of_step(**reader, c.step->step);
  REQUIRE(first);
  CHECK(*first == c.message.message.seq);
  CHECK(causal_root(**reader, root + 1000).error().code == ErrorCode::kNotFound);
  CHECK(first_message_of_step(**reader, 1000).error().code == ErrorCode::kNotFound);
}

TEST_CASE("causal tree: a message no step consumed yet is pending, and the tree unsettled",
          "[runtime][causality]") {
  Rig h;
  h.c_fails = true;
  REQUIRE(h.send(kA, text("go")));
  const int64_t root = h.newest_message();
  for (int i = 0; i < 5; ++i) {
    h.settle();
    h.clock.advance_ms(20);
  }
  CausalTree tree = h.tree(root);
  CHECK_FALSE(tree.settled());
  REQUIRE(tree.pending.size() == 1);
  CHECK(tree.pending[0].message.target == kC);
  CHECK_FALSE(tree.pending[0].consumed_step);
  const CausalNode& c = tree.root.children.at(0).children.at(0);
  CHECK_FALSE(c.step);

  // Another message's tree is not held up by it.
  REQUIRE(h.send(kLater, text("unrelated")));
  h.settle();
  CHECK(h.tree(h.newest_message()).settled());

  h.c_fails = false;
  REQUIRE(h.run_until_idle());
  tree = h.tree(root);
  CHECK(tree.settled());
  CHECK(tree.root.children.at(0).children.at(0).egress.size() == 1);
}

TEST_CASE("causal tree: the node limit keeps the first levels and says it cut",
          "[runtime][causality]") {
  Rig h;
  h.function.set_handler([](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == kA) {
      for (int i = 0; i < 5; ++i) result.messages.push_back({kB, text(std::to_string(i))});
    }
    return answer(result);
  });
  REQUIRE(h.send(kA, text("fan out")));
  const int64_t root = h.newest_message();
  REQUIRE(h.run_until_idle());
  CHECK(h.tree(root).nodes == 6);
  const CausalTree cut = h.tree(root, 3);
  CHECK(cut.truncated);
  CHECK(cut.nodes == 3);
  REQUIRE(cut.root.children.size() == 2);
  CHECK(cut.root.children[0].message.message.seq < cut.root.children[1].message.message.seq);
  CHECK(h.tree(root, 3).root.children[1].message.message.seq ==
        cut.root.children[1].message.message.seq);  // deterministic
}

TEST_CASE("causal tree: a step that consumed two messages of the tree is expanded once",
          "[runtime][causality]") {
  Rig h;
  h.function.set_handler([](const BatchRequest& r) {
    InvocationResult result;
    if (r.target == kA) {
      result.messages.push_back({kB, text("x1")});
      result.messages.push_back({kB, text("x2")});
    }
    if (r.target == kB && r.invocations.size() == 2) {
      result.egress.push_back({"test", "egress", text("both")});
    }
    return answer(result);
  });
  h.function.hold(true);
  REQUIRE(h.send(kA, text("root")));
  const int64_t root = h.newest_message();
  REQUIRE(h.send(kB, text("busy")));  // b is busy with this while a answers
  REQUIRE(h.function.complete_next(answer([] {
    InvocationResult result;
    result.messages.push_back({kB, text("x1")});
    result.messages.push_back({kB, text("x2")});
    return FunctionResponse(result);
  }())));
  h.settle();
  h.function.release();  // b's "busy"
  h.settle();
  h.function.hold(false);
  h.function.release();  // b's batch of x1 and x2
  REQUIRE(h.run_until_idle());

  const CausalTree tree = h.tree(root);
  CHECK(tree.settled());
  CHECK(tree.steps == 2);
  REQUIRE(tree.root.children.size() == 2);
  const CausalNode& x1 = tree.root.children[0];
  const CausalNode& x2 = tree.root.children[1];
  REQUIRE(x1.step);
  CHECK(x1.step->invocations == 2);
  CHECK_FALSE(x1.repeated_step);
  CHECK(x1.egress.size() == 1);
  CHECK(x2.repeated_step);
  CHECK(x2.egress.empty());
  CHECK(x2.message.consumed_step == x1.step->step);
}

TEST_CASE("causal tree: an unknown message id is not found", "[runtime][causality]") {
  Rig h;
  REQUIRE(h.send(kA, text("go")));
  auto reader = StoreReader::open(h.db());
  REQUIRE(reader);
  auto tree = build_causal_tree(**reader, 999, 10);
  REQUIRE_FALSE(tree);
  CHECK(tree.error().code == ErrorCode::kNotFound);
  CHECK(tree.error().message.find("no message 999") != std::string::npos);
}

TEST_CASE("message flow: who sent to whom among the newest messages, with egress",
          "[runtime][causality]") {
  Rig h;
  // One at a time: a batch of several is one step, which sends once.
  for (int i = 0; i < 3; ++i) {
    REQUIRE(h.send(kA, text("go")));
    REQUIRE(h.run_until_idle());
  }
  h.clock.advance_ms(3600000);
  h.group(TickEvent{});
  REQUIRE(h.run_until_idle());

  auto reader = StoreReader::open(h.db());
  REQUIRE(reader);
  auto flow = (*reader)->flow(FlowQuery{});
  REQUIRE(flow);
  // 3 to a, 3 a→b, 3 b→c, 3 delayed a→later; 3 egress records from c.
  CHECK(flow->messages == 12);
  CHECK(flow->egress_records == 3);
  // As text, so a failure prints what differs.
  std::vector<std::string> edges;
  const char* kinds[] = {"message", "delayed", "egress"};
  for (const auto& e : flow->edges) {
    edges.push_back(
        fmt::format("{} {} -> {}: {}", kinds[static_cast<int>(e.kind)], e.from, e.to, e.count));
    CHECK(e.recent.size() == 3);
    CHECK(std::is_sorted(e.recent.rbegin(), e.recent.rend()));  // newest first
  }
  CHECK(edges ==
        std::vector<std::string>{"message ingress -> test/a: 3", "message test/a -> test/b: 3",
                                 "message test/b -> test/c: 3", "delayed test/a -> test/later: 3",
                                 "egress test/c -> out: 3"});

  // The window counts only the newest messages and records.
  auto newest = (*reader)->flow(FlowQuery{.window = 3, .recent = 1});
  REQUIRE(newest);
  CHECK(newest->messages == 3);
  CHECK(newest->egress_records == 3);
  for (const auto& e : newest->edges) CHECK(e.recent.size() == 1);
}
