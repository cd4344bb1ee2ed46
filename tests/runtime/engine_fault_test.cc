// The engine when its store refuses a write or a commit (through the
// fault-injecting decorator): it stops dispatching, says so once, and never
// acknowledges what was not committed.
#include <catch2/catch.hpp>

#include "runtime/store/fault_injecting_store.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};

TypedValue text(std::string s) { return {"x/y", true, std::move(s)}; }

// A function with no state that echoes each message to the egress.
CallOutcome echo(const BatchRequest& r) {
  InvocationResult result;
  for (const auto& invocation : r.invocations) {
    result.egress.push_back({"test", "egress", invocation.argument});
  }
  return answer(result);
}

// A rig whose engine writes through a fault-injecting store; readers
// (open_store) see the database underneath.
struct FaultRig : EngineRig {
  std::unique_ptr<FaultInjectingStore> faults;
  FaultRig() : EngineRig(echo) {
    faults = std::make_unique<FaultInjectingStore>(*store);
    engine_store = faults.get();
    start();
  }
  std::vector<std::string> committed_inbox() {
    auto reader = open_store();
    std::vector<std::string> values;
    auto pending = reader->load_pending();  // kept alive: the loop reads into it
    REQUIRE(pending);
    for (const auto& m : *pending) values.push_back(m.argument.value);
    return values;
  }
};

}  // namespace

TEST_CASE("a refused commit stops the engine, is reported once and fails the group's callbacks",
          "[runtime]") {
  FaultRig h;
  h.function.hold(true);
  REQUIRE(h.send(kBob, text("a")));
  const auto committed_before = h.recorder.committed.size();
  h.faults->fail_commit(1, ErrorCode::kIo);
  auto b = h.accept(kBob, text("b"));
  REQUIRE(b->has_value());
  REQUIRE_FALSE(**b);
  CHECK((*b)->error().message == "injected fault: commit #2 (commit)");
  REQUIRE(h.recorder.fatal.size() == 1);
  CHECK(h.recorder.fatal[0].code == ErrorCode::kIo);
  CHECK(h.recorder.committed.size() == committed_before);  // no commit was announced
  CHECK(h.engine->failed());
  CHECK(h.committed_inbox() == std::vector<std::string>{"a"});  // b was never committed
  // The engine stays stopped: later groups neither commit nor dispatch.
  CHECK_FALSE(h.engine->commit_group());
  h.function.release();
  h.settle();
  CHECK(h.recorder.steps.empty());
  CHECK(h.recorder.fatal.size() == 1);
}

TEST_CASE("a write refused during a step fails the callbacks of everything uncommitted",
          "[runtime]") {
  FaultRig h;
  h.function.hold(true);
  REQUIRE(h.send(kBob, text("a")));
  REQUIRE(h.function.complete_next(echo(h.function.requests().back())));
  // One group: a new message is accepted (write 1), then the answer for
  // "a" is applied, whose first write (marking "a" consumed) is refused.
  h.faults->fail_write(2, ErrorCode::kCorruption);
  auto b = std::make_shared<std::optional<Result<void>>>();
  std::vector<Event> events;
  events.push_back(AcceptEvent{InboxMessage{0, kBob, std::nullopt, text("b")}, into(b)});
  for (auto& e : h.posted) events.push_back(std::move(e));
  h.posted.clear();
  h.group(std::move(events));
  REQUIRE(b->has_value());
  REQUIRE_FALSE(**b);  // accepted in memory, but never committed: not acknowledged
  CHECK((*b)->error().code == ErrorCode::kCorruption);
  REQUIRE(h.recorder.fatal.size() == 1);
  CHECK(h.recorder.fatal[0].message == "injected fault: write #3 (mark_consumed)");
  CHECK(h.recorder.steps.empty());  // the step was never announced
  CHECK(h.committed_inbox() == std::vector<std::string>{"a"});
  auto reader = h.open_store();
  CHECK_FALSE(*reader->peek_egress("out", 0, 1000));  // nor its egress
}

TEST_CASE("a write refused on accept answers that message with the error at once", "[runtime]") {
  FaultRig h;
  h.faults->fail_write(1, ErrorCode::kIo);
  auto a = std::make_shared<std::optional<Result<void>>>();
  h.engine->handle(AcceptEvent{InboxMessage{0, kBob, std::nullopt, text("a")}, into(a)});
  REQUIRE(a->has_value());  // before any commit
  REQUIRE_FALSE(**a);
  CHECK((*a)->error().message == "injected fault: write #1 (append_inbox)");
  REQUIRE(h.recorder.fatal.size() == 1);
  CHECK(h.committed_inbox().empty());
}

TEST_CASE("an edit that waited for a refused commit gets its error; a pop is not consumed",
          "[runtime]") {
  FaultRig h;
  REQUIRE(h.send(kBob, text("a")));
  REQUIRE(h.run_until_idle());   // "a" is in the egress, committed
  auto leased = h.lease("out");  // served; its consumption goes in the next group
  REQUIRE(leased);
  h.faults->fail_commit(1, ErrorCode::kIo);
  auto edited = std::make_shared<std::optional<Result<void>>>();
  std::vector<Event> events;
  events.push_back(EditEvent{kBob, "statefun/admin",
                             [](AddressEdit& e) { return e.write("n", text("1")); }, into(edited)});
  events.push_back(SettleEgressEvent{leased->ticket, true});
  h.group(std::move(events));
  REQUIRE(edited->has_value());
  CHECK_FALSE(**edited);
  // The record was not consumed: another reader can still have it.
  auto reader = h.open_store();
  auto record = reader->peek_egress("out", 0, 1000);
  REQUIRE(record);
  REQUIRE(record->has_value());
  CHECK((*record)->payload == "a");
  CHECK(reader->read_states(kBob)->empty());
}

TEST_CASE("requests that arrive after the store failed are answered with its error", "[runtime]") {
  FaultRig h;
  h.faults->fail_commit(1, ErrorCode::kIo);
  auto first = h.accept(kBob, text("a"));
  REQUIRE(first->has_value());
  REQUIRE(h.engine->failed());
  // Each of these used to be dropped unanswered, leaving its caller (an
  // ingress request, an admin call) waiting forever.
  auto accepted = h.accept(kBob, text("b"));
  auto popped = std::make_shared<std::optional<Result<std::optional<EgressLease>>>>();
  h.group(PopEgressEvent{"out", into(popped)});
  auto edited = h.edit_later(kBob, [](AddressEdit&) -> Result<void> { return {}; });
  auto timer = std::make_shared<std::optional<Result<bool>>>();
  h.group(TimerOpEvent{1, true, into(timer)});
  auto restored = std::make_shared<std::optional<Result<void>>>();
  h.group(RestoreEvent{[](Store* s) -> Result<Store*> { return s; }, into(restored)});
  for (const Error* error :
       {accepted->has_value() && !**accepted ? &(*accepted)->error() : nullptr,
        popped->has_value() && !**popped ? &(*popped)->error() : nullptr,
        edited->has_value() && !**edited ? &(*edited)->error() : nullptr,
        timer->has_value() && !**timer ? &(*timer)->error() : nullptr,
        restored->has_value() && !**restored ? &(*restored)->error() : nullptr}) {
    REQUIRE(error);
    CHECK(error->message == "injected fault: commit #1 (commit)");
  }
  CHECK(h.recorder.fatal.size() == 1);  // reported once, not once per request
}

// A full disk (issue 14): the engine pauses instead of stopping, answers at
// once while paused, retries on its own and loses nothing it acknowledged.
TEST_CASE("a full disk suspends the engine, which answers at once and resumes when there is room",
          "[runtime]") {
  FaultRig h;
  REQUIRE(h.send(kBob, text("a")));
  REQUIRE(h.run_until_idle());
  h.faults->fail_commit(1, ErrorCode::kResourceExhausted, /*and_after=*/true);
  auto b = h.accept(kBob, text("b"));
  REQUIRE(b->has_value());
  REQUIRE_FALSE(**b);  // never acknowledged
  CHECK((*b)->error().code == ErrorCode::kResourceExhausted);
  CHECK(h.engine->suspended());
  CHECK_FALSE(h.engine->failed());
  REQUIRE(h.recorder.suspended.size() == 1);
  CHECK(h.recorder.fatal.empty());
  auto status = h.engine->status();
  REQUIRE(status.store_failure);
  CHECK(status.retrying);
  // While suspended, requests are answered at once, saying why.
  auto c = h.accept(kBob, text("c"));
  REQUIRE(c->has_value());
  REQUIRE_FALSE(**c);
  CHECK((*c)->error().code == ErrorCode::kUnavailable);
  CHECK((*c)->error().message.starts_with("the disk is full; statefun dev retries every 1000 ms"));
  // A retry while the disk is still full: it resumes, the next commit fails
  // again, and that is not reported a second time.
  h.clock.advance_ms(1000);
  h.settle();  // the answer for "b", sent before the commit failed, is dropped
  CHECK_FALSE(h.engine->suspended());
  auto d = h.accept(kBob, text("d"));
  REQUIRE(d->has_value());
  CHECK_FALSE(**d);
  CHECK(h.engine->suspended());
  CHECK(h.recorder.suspended.size() == 1);
  CHECK(h.recorder.resumed == 0);
  // Room again: the next retry resumes, and the first commit says so.
  h.faults->heal();
  h.clock.advance_ms(1000);
  h.settle();
  REQUIRE(h.send(kBob, text("e")));
  CHECK(h.recorder.resumed == 1);
  CHECK_FALSE(h.engine->status().store_failure);
  REQUIRE(h.run_until_idle());
  CHECK(h.pop("out") == "a");
  CHECK(h.pop("out") == "e");
  CHECK_FALSE(h.pop("out"));
  CHECK(h.recorder.fatal.empty());
}

TEST_CASE("an acknowledged message whose step met a full disk is applied once after the resume",
          "[runtime]") {
  FaultRig h;
  h.function.hold(true);
  REQUIRE(h.send(kBob, text("x")));  // acknowledged: committed to the inbox
  REQUIRE(h.function.requests().size() == 1);
  // The answer's step cannot be committed: the disk is full.
  h.faults->fail_commit(1, ErrorCode::kResourceExhausted);
  REQUIRE(h.function.complete_next(echo(h.function.requests().back())));
  h.settle();
  REQUIRE(h.engine->suspended());
  CHECK(h.committed_inbox() == std::vector<std::string>{"x"});  // still pending, not lost
  // The next retry reloads it from the store and sends it again.
  h.clock.advance_ms(1000);
  h.group();
  CHECK_FALSE(h.engine->suspended());
  REQUIRE(h.function.requests().size() == 2);
  h.function.release();
  REQUIRE(h.run_until_idle());
  CHECK(h.recorder.resumed == 1);
  CHECK(h.pop("out") == "x");
  CHECK_FALSE(h.pop("out"));  // applied once
  CHECK(h.committed_inbox().empty());
}

TEST_CASE("egress delivered while the disk is full is consumed once it resumes", "[runtime]") {
  FaultRig h;
  REQUIRE(h.send(kBob, text("a")));
  REQUIRE(h.send(kBob, text("b")));
  REQUIRE(h.run_until_idle());
  auto a = h.lease("out");
  auto b = h.lease("out");
  REQUIRE((a && b));
  h.faults->fail_commit(1, ErrorCode::kResourceExhausted, /*and_after=*/true);
  h.group(SettleEgressEvent{a->ticket, true});  // its consumption cannot commit
  REQUIRE(h.engine->suspended());
  h.group(SettleEgressEvent{b->ticket, true});  // delivered while suspended
  auto refused = std::make_shared<std::optional<Result<std::optional<EgressLease>>>>();
  h.group(PopEgressEvent{"out", into(refused)});
  REQUIRE(refused->has_value());
  CHECK_FALSE(**refused);  // pops are refused meanwhile
  auto reader = h.open_store();
  auto left = reader->peek_egress("out", 0, 1000);
  REQUIRE(left);
  REQUIRE(left->has_value());
  CHECK((*left)->payload == "a");  // not consumed yet
  h.faults->heal();
  h.clock.advance_ms(1000);
  h.group();  // resumes and consumes both
  CHECK_FALSE(h.engine->suspended());
  left = reader->peek_egress("out", 0, 1000);
  REQUIRE(left);
  CHECK_FALSE(left->has_value());
  CHECK_FALSE(h.pop("out"));
}

TEST_CASE("an answer on the wire when the disk filled up is dropped, and the retry waits for it",
          "[runtime]") {
  FaultRig h;
  h.function.hold(true);
  REQUIRE(h.send(kBob, text("x")));
  REQUIRE(h.function.held() == 1);
  // Another message's accept fails on a full disk while "x" is on the wire.
  h.faults->fail_commit(1, ErrorCode::kResourceExhausted);
  auto y = h.accept(Address{{"test", "counter"}, "Alice"}, text("y"));
  REQUIRE(y->has_value());
  REQUIRE_FALSE(**y);
  REQUIRE(h.engine->suspended());
  // No resume while an answer of the abandoned group may still arrive.
  h.clock.advance_ms(1000);
  h.group();
  CHECK(h.engine->suspended());
  h.function.release();  // the late answer: dropped, its step not applied
  h.settle();
  CHECK(h.recorder.steps.empty());  // nor announced
  h.clock.advance_ms(1000);
  h.group();
  CHECK_FALSE(h.engine->suspended());
  h.function.release();
  REQUIRE(h.run_until_idle());
  CHECK(h.pop("out") == "x");
  CHECK_FALSE(h.pop("out"));
}

TEST_CASE("a failure other than a full disk stops the engine for good, with a reason in the status",
          "[runtime]") {
  FaultRig h;
  h.faults->fail_commit(1, ErrorCode::kCorruption);
  auto a = h.accept(kBob, text("a"));
  REQUIRE(a->has_value());
  REQUIRE(h.engine->failed());
  auto status = h.engine->status();
  REQUIRE(status.store_failure);
  CHECK(status.store_failure->code == ErrorCode::kCorruption);
  CHECK_FALSE(status.retrying);
  h.faults->heal();
  h.clock.advance_ms(5000);
  h.group();
  CHECK(h.engine->failed());  // no retry
  auto b = h.accept(kBob, text("b"));
  REQUIRE(b->has_value());
  REQUIRE_FALSE(**b);
  CHECK((*b)->error().code == ErrorCode::kUnavailable);  // refused at once: 503
}
