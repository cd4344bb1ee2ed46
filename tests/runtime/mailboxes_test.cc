#include "runtime/engine/mailboxes.h"

#include <catch2/catch.hpp>

using namespace statefun;

namespace {

const Address kBob{{"test", "counter"}, "Bob"};
const Address kAlice{{"test", "counter"}, "Alice"};
const Address kSink{{"test", "sink"}, "s"};

InboxMessage message(const Address& to, int64_t seq) {
  return InboxMessage{seq, to, std::nullopt, {"t/x", true, std::to_string(seq)}};
}

}  // namespace

TEST_CASE("messages queue per address and are counted per function type", "[runtime]") {
  Mailboxes boxes;
  boxes.push(message(kBob, 1));
  boxes.push(message(kAlice, 2));
  Mailbox& bob = boxes.push(message(kBob, 3));
  boxes.push(message(kSink, 4));
  CHECK(boxes.size() == 3);
  CHECK(bob.backlog.size() == 2);
  CHECK(bob.backlog[1].seq == 3);
  CHECK(boxes.queued_total() == 4);
  CHECK(boxes.queued(kBob.type) == 3);
  CHECK(boxes.queued(kSink.type) == 1);
  CHECK(boxes.queued({"test", "none"}) == 0);
  CHECK(boxes.queued_by_type().size() == 2);
  CHECK(boxes.find(kBob) == &bob);
  CHECK_FALSE(boxes.find({{"test", "none"}, "x"}));
}

TEST_CASE("a batch moves the oldest messages in flight and stays counted until consumed",
          "[runtime]") {
  Mailboxes boxes;
  for (int64_t seq = 1; seq <= 5; ++seq) boxes.push(message(kBob, seq));
  Mailbox& box = *boxes.find(kBob);
  box.handshakes = 3;
  boxes.start_batch(box, 3);
  CHECK(box.busy);
  CHECK(box.handshakes == 0);
  REQUIRE(box.in_flight.size() == 3);
  CHECK(box.in_flight.front().seq == 1);
  REQUIRE(box.backlog.size() == 2);
  CHECK(box.backlog.front().seq == 4);
  CHECK(boxes.busy() == 1);
  CHECK(boxes.queued_total() == 5);  // in flight still counts as queued

  boxes.consume_batch(kBob, box);
  CHECK(box.in_flight.empty());
  CHECK(boxes.queued_total() == 2);
  CHECK(boxes.queued(kBob.type) == 2);
  CHECK(boxes.end_batch(box) == 0);
  CHECK_FALSE(box.busy);
  CHECK(boxes.busy() == 0);

  boxes.start_batch(box, 10);  // a limit above the backlog takes all of it
  boxes.consume_batch(kBob, box);
  boxes.end_batch(box);
  CHECK(boxes.queued_total() == 0);
  CHECK(boxes.queued_by_type().empty());  // no zero entries left behind
}

TEST_CASE("failures are counted once per address and forgotten when its batch succeeds",
          "[runtime]") {
  Mailboxes boxes;
  Mailbox& bob = boxes.push(message(kBob, 1));
  Mailbox& alice = boxes.push(message(kAlice, 2));
  boxes.start_batch(bob, 10);
  boxes.start_batch(alice, 10);
  CHECK(boxes.record_failure(bob) == 1);
  CHECK(boxes.record_failure(bob) == 2);
  CHECK(boxes.record_failure(alice) == 1);
  CHECK(boxes.failing() == 2);
  boxes.consume_batch(kBob, bob);
  CHECK(boxes.end_batch(bob) == 2);
  CHECK(bob.failed_attempts == 0);
  CHECK(boxes.failing() == 1);
}

TEST_CASE("requests on the wire are counted by transitions, not by calls", "[runtime]") {
  Mailboxes boxes;
  Mailbox& bob = boxes.push(message(kBob, 1));
  boxes.set_on_wire(bob, true);
  boxes.set_on_wire(bob, true);
  CHECK(boxes.on_wire() == 1);
  boxes.set_on_wire(bob, false);
  boxes.set_on_wire(bob, false);
  CHECK(boxes.on_wire() == 0);
  CHECK_FALSE(bob.on_wire);
}

TEST_CASE("a mailbox is released only when nothing waits in it", "[runtime]") {
  Mailboxes boxes;
  Mailbox& bob = boxes.push(message(kBob, 1));
  boxes.release_if_idle(kBob);
  REQUIRE(boxes.find(kBob));  // backlog
  boxes.start_batch(bob, 10);
  boxes.release_if_idle(kBob);
  REQUIRE(boxes.find(kBob));  // busy
  boxes.consume_batch(kBob, bob);
  boxes.end_batch(bob);
  bob.edits.push_back(EditEvent{kBob, "statefun/admin", {}, {}});
  boxes.release_if_idle(kBob);
  REQUIRE(boxes.find(kBob));  // an edit waits
  bob.edits.clear();
  boxes.release_if_idle(kBob);
  CHECK_FALSE(boxes.find(kBob));
  boxes.release_if_idle(kBob);  // releasing twice is harmless
  CHECK(boxes.size() == 0);
}

TEST_CASE("clear forgets every mailbox and counter", "[runtime]") {
  Mailboxes boxes;
  Mailbox& bob = boxes.push(message(kBob, 1));
  boxes.start_batch(bob, 10);
  boxes.set_on_wire(bob, true);
  boxes.record_failure(bob);
  boxes.clear();
  CHECK(boxes.size() == 0);
  CHECK(boxes.queued_total() == 0);
  CHECK(boxes.queued_by_type().empty());
  CHECK(boxes.busy() == 0);
  CHECK(boxes.on_wire() == 0);
  CHECK(boxes.failing() == 0);
}
