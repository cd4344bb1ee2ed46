// Failed attempts on pending messages, the retry policy, dead letters and
// the admin's inbox operations, driven step by step (engine_rig.h).
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "runtime/engine/engine.h"
#include "tests/runtime/engine_rig.h"

using namespace statefun;
using namespace statefun::test;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};
const Address kAnn{{"test", "counter"}, "Ann"};

TypedValue int_message(int32_t n) { return {"io.statefun.types/int", true, types::encode_int(n)}; }

CallOutcome count(const BatchRequest& r) { return answer(counter(r)); }

// Fails every batch that contains the int 13 ("poison"), counts the rest.
CallOutcome poisoned(const BatchRequest& r) {
  for (const auto& invocation : r.invocations) {
    if (types::decode_int(invocation.argument.value) == 13) return failure("HTTP 500: boom");
  }
  return answer(counter(r));
}

std::vector<InboxMessage> pending(EngineRig& h) {
  auto reader = h.open_store();
  auto rows = reader->load_pending();
  REQUIRE(rows);
  return *rows;
}

Result<int64_t> inbox_op(EngineRig& h, InboxOp op, std::optional<int64_t> seq,
                         std::optional<Address> address = std::nullopt) {
  auto done = std::make_shared<std::optional<Result<int64_t>>>();
  h.group(InboxOpEvent{op, seq, std::move(address), into(done)});
  REQUIRE(done->has_value());
  return **done;
}

std::pair<Result<DeadLetter>, int64_t> dead_letter_op(EngineRig& h, DeadLetterOp op, int64_t id) {
  auto done = std::make_shared<std::optional<std::pair<Result<DeadLetter>, int64_t>>>();
  h.group(DeadLetterOpEvent{op, id, [done](Result<DeadLetter> letter, int64_t seq) {
                              *done = std::pair{std::move(letter), seq};
                            }});
  REQUIRE(done->has_value());
  return std::move(**done);
}

// Lets the retry backoff pass `times` times, committing each attempt.
void fail_times(EngineRig& h, int times) {
  for (int i = 0; i < times; ++i) {
    h.clock.advance_ms(20);
    h.settle();
  }
}

}  // namespace

TEST_CASE("a failing message keeps its attempts, failure times and last reason, durably",
          "[runtime][inbox]") {
  EngineRig h(poisoned);
  h.start();
  const int64_t t0 = h.clock.now_ms();
  REQUIRE(h.send(kBob, int_message(13)));
  h.settle();
  h.clock.advance_ms(500);
  h.group();  // the 2 ms backoff has long passed: the second attempt
  h.settle();
  auto rows = pending(h);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].failures);
  CHECK(rows[0].failures->attempts == 2);
  CHECK(rows[0].failures->first_failed_at_ms == t0);
  CHECK(rows[0].failures->last_failed_at_ms == t0 + 500);
  CHECK(rows[0].failures->last.reason == "HTTP 500: boom");
  CHECK(rows[0].failures->last.http_status == 500);

  // After a restart the count goes on where it was.
  h.engine.reset();
  h.store = h.open_store();
  h.start();
  h.settle();
  rows = pending(h);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].failures->attempts == 3);
}

TEST_CASE("without a retry policy a failing message is retried forever", "[runtime][inbox]") {
  EngineRig h(poisoned);
  h.start();
  REQUIRE(h.send(kBob, int_message(13)));
  fail_times(h, 50);
  CHECK(pending(h).size() == 1);
  auto reader = h.open_store();
  CHECK_FALSE(*reader->take_dead_letter(1));
}

TEST_CASE("after max-attempts the message moves to the dead letters in a step of its own",
          "[runtime][inbox]") {
  EngineRig h(poisoned);
  auto options = h.options();
  options.retry.max_attempts = 3;
  h.start(std::move(options));
  REQUIRE(h.send(kBob, int_message(13)));
  fail_times(h, 5);
  CHECK(h.recorder.failures.size() == 3);
  CHECK(pending(h).empty());
  CHECK(h.engine->status().failing == 0);
  CHECK(h.engine->status().pending == 0);
  REQUIRE(h.recorder.steps.size() == 1);
  const TraceRecord& step = h.recorder.steps[0];
  CHECK(step.first_type == "statefun/dead-letter");
  CHECK(step.invocations == 0);
  CHECK(step.note ==
        "dead-lettered 1 message: gave up after 3 failed attempts (retry max-attempts 3); last "
        "failure: HTTP 500: boom");

  // Durable, with its failures, and the address works again.
  auto reader = h.open_store();
  auto letter = reader->take_dead_letter(1);
  REQUIRE(letter);
  REQUIRE(*letter);
  CHECK((*letter)->message.target == kBob);
  CHECK((*letter)->message.failures->attempts == 3);
  CHECK((*letter)->step == step.step);
  CHECK((*letter)->cause == "gave up after 3 failed attempts (retry max-attempts 3)");
  REQUIRE(h.send(kBob, int_message(2)));
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 2);
}

TEST_CASE("max-age counts from the first failed attempt", "[runtime][inbox]") {
  EngineRig h(poisoned);
  auto options = h.options();
  options.retry.max_age_ms = 100;
  h.start(std::move(options));
  REQUIRE(h.send(kBob, int_message(13)));
  h.settle();        // the first failure, at t0
  fail_times(h, 4);  // 80 ms of failures
  CHECK(pending(h).size() == 1);
  fail_times(h, 1);  // 100 ms
  CHECK(pending(h).empty());
  REQUIRE_FALSE(h.recorder.steps.empty());
  CHECK(h.recorder.steps.back().note.find("retry max-age 100 ms") != std::string::npos);
}

TEST_CASE("inbox drop moves a failing message to the dead letters and frees its address",
          "[runtime][inbox]") {
  EngineRig h(poisoned);
  h.start();
  REQUIRE(h.send(kBob, int_message(13)));
  h.settle();
  const int64_t seq = pending(h).at(0).seq;
  auto dropped = inbox_op(h, InboxOp::kDrop, seq);
  REQUIRE(dropped);
  CHECK(*dropped == 1);
  CHECK(pending(h).empty());
  REQUIRE(h.recorder.steps.size() == 1);
  CHECK(h.recorder.steps[0].note ==
        fmt::format("inbox drop: 1 message (#{}) moved to the dead letters", seq));
  REQUIRE(h.send(kBob, int_message(5)));
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 5);

  // Unknown ids and addresses with nothing pending are "not found".
  auto missing = inbox_op(h, InboxOp::kDrop, 999);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  missing = inbox_op(h, InboxOp::kDrop, std::nullopt, kAnn);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("inbox drop by address takes the failing batch and the backlog behind it",
          "[runtime][inbox]") {
  EngineRig h(poisoned);
  h.start();
  REQUIRE(h.send(kBob, int_message(13)));
  h.settle();
  REQUIRE(h.send(kBob, int_message(1)));  // waits behind the failing batch
  REQUIRE(h.send(kAnn, int_message(7)));
  auto dropped = inbox_op(h, InboxOp::kDrop, std::nullopt, kBob);
  REQUIRE(dropped);
  CHECK(*dropped == 2);
  REQUIRE(h.run_until_idle());
  CHECK(pending(h).empty());
  CHECK(h.count_of(kAnn) == 7);
  CHECK_FALSE(h.count_of(kBob));
  CHECK(h.engine->status().failing == 0);
}

TEST_CASE("a drop while the request is on the wire waits for its answer", "[runtime][inbox]") {
  EngineRig h(poisoned);
  h.start();
  h.function.hold(true);
  REQUIRE(h.send(kBob, int_message(13)));
  const int64_t seq = pending(h).at(0).seq;
  auto done = std::make_shared<std::optional<Result<int64_t>>>();
  h.group(InboxOpEvent{InboxOp::kDrop, seq, std::nullopt, into(done)});
  CHECK_FALSE(done->has_value());
  h.function.hold(false);
  h.function.release();
  h.settle();
  REQUIRE(done->has_value());
  REQUIRE(**done);
  CHECK(***done == 1);
  CHECK(pending(h).empty());
}

TEST_CASE("inbox retry sends the failing batch now and restarts its backoff", "[runtime][inbox]") {
  EngineRig h(poisoned);
  h.start();
  REQUIRE(h.send(kBob, int_message(13)));
  fail_times(h, 4);  // backoff is now at the 20 ms cap
  const auto sent = h.function.requests().size();
  h.function.set_handler(count);
  auto retried = inbox_op(h, InboxOp::kRetry, std::nullopt, kBob);
  REQUIRE(retried);
  CHECK(*retried == 1);
  h.settle();
  // No time passed: the retry went out at once (two requests: the counter
  // first asks for its state, which the failing attempts never registered).
  CHECK(h.function.requests().size() == sent + 2);
  CHECK(h.count_of(kBob) == 13);
  REQUIRE(h.recorder.steps.size() == 2);
  CHECK(h.recorder.steps[0].first_type == "statefun/retry");
  CHECK(h.recorder.steps[0].note == "inbox retry: 1 message sent again now (backoff reset)");

  // Nothing waits for a retry now.
  REQUIRE(h.send(kAnn, int_message(1)));
  h.settle();
  auto refused = inbox_op(h, InboxOp::kRetry, std::nullopt, kBob);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kNotFound);
}

TEST_CASE("a retried batch that fails again backs off from 2 ms again", "[runtime][inbox]") {
  EngineRig h(poisoned);
  h.start();
  REQUIRE(h.send(kBob, int_message(13)));
  fail_times(h, 4);
  REQUIRE(inbox_op(h, InboxOp::kRetry, std::nullopt, kBob));
  h.settle();
  CHECK(h.engine->next_due_ms() == h.clock.now_ms() + 2);
}

TEST_CASE("a dead letter replays into the inbox as a new message, or is dropped for good",
          "[runtime][inbox]") {
  EngineRig h(poisoned);
  auto options = h.options();
  options.retry.max_attempts = 1;
  h.start(std::move(options));
  REQUIRE(h.send(kBob, int_message(13)));
  REQUIRE(h.send(kAnn, int_message(13)));
  h.settle();
  CHECK(pending(h).empty());
  h.function.set_handler(count);  // the fix is deployed

  auto [replayed, new_seq] = dead_letter_op(h, DeadLetterOp::kReplay, 1);
  REQUIRE(replayed);
  CHECK(replayed->message.target == kBob);
  CHECK(new_seq == 3);
  REQUIRE(h.run_until_idle());
  CHECK(h.count_of(kBob) == 13);

  auto [dropped, none] = dead_letter_op(h, DeadLetterOp::kDrop, 2);
  REQUIRE(dropped);
  CHECK(dropped->message.target == kAnn);
  CHECK_FALSE(h.count_of(kAnn));
  auto [again, zero] = dead_letter_op(h, DeadLetterOp::kDrop, 2);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kNotFound);

  std::vector<std::string> notes;
  for (const auto& step : h.recorder.steps) notes.push_back(step.note);
  CHECK(notes ==
        std::vector<std::string>{"dead-lettered 1 message: gave up after 1 failed attempt (retry "
                                 "max-attempts 1); last failure: HTTP 500: boom",
                                 "dead-lettered 1 message: gave up after 1 failed attempt (retry "
                                 "max-attempts 1); last failure: HTTP 500: boom",
                                 "dead-letters replay: #1 back in the inbox as #3",
                                 "",  // the replayed message's own step
                                 "dead-letters drop: #2 (io.statefun.types/int) deleted"});
}

TEST_CASE("a dead-lettered message is not re-delivered by a replay of its address",
          "[runtime][inbox]") {
  EngineRig h(poisoned);
  auto options = h.options();
  options.retry.max_attempts = 1;
  h.start(std::move(options));
  REQUIRE(h.send(kBob, int_message(13)));
  h.settle();
  auto reader = h.open_store();
  auto received = reader->read_received(kBob, 0);
  REQUIRE(received);
  CHECK(received->empty());
}

TEST_CASE("admin edits carry a note saying what they did", "[runtime][inbox]") {
  EngineRig h(count);
  h.start();
  REQUIRE(h.send(kBob, int_message(1)));
  REQUIRE(h.run_until_idle());
  REQUIRE(h.edit(
      kBob, [](AddressEdit& e) { return e.write("count", int_message(41)); },
      "statefun/state-set"));
  REQUIRE(h.edit(
      kBob, [](AddressEdit& e) { return e.remove("count"); }, "statefun/state-rm"));
  REQUIRE(h.recorder.steps.size() == 3);
  CHECK(h.recorder.steps[1].note == "state set: count");
  CHECK(h.recorder.steps[2].note == "state rm: count");
}
