#include "runtime/engine/timer_queue.h"

#include <catch2/catch.hpp>

using namespace statefun;

namespace {

const Address kSink{{"test", "sink"}, "s"};

TimerRecord timer(int64_t id, int64_t due, std::string sender_id = "u1", std::string token = "") {
  return TimerRecord{id,
                     due,
                     kSink,
                     Address{{"test", "scheduler"}, std::move(sender_id)},
                     TypedValue{"t/x", true, std::to_string(id)},
                     std::move(token)};
}

}  // namespace

TEST_CASE("timers come due in due-time order, ties by id", "[runtime]") {
  TimerQueue queue;
  queue.add(timer(3, 200));
  queue.add(timer(2, 100));
  queue.add(timer(1, 200));
  CHECK(queue.size() == 3);
  CHECK(queue.next_due_ms() == 100);
  CHECK_FALSE(queue.first_due(99));
  CHECK(queue.first_due(100) == 2);
  std::vector<int64_t> fired;
  while (auto id = queue.first_due(1000)) fired.push_back(queue.take(*id)->id);
  CHECK(fired == std::vector<int64_t>{2, 1, 3});
  CHECK(queue.empty());
  CHECK_FALSE(queue.next_due_ms());
}

TEST_CASE("a taken timer leaves every index; taking it twice finds nothing", "[runtime]") {
  TimerQueue queue;
  queue.add(timer(1, 100, "u1", "tok"));
  queue.add(timer(2, 50));
  auto taken = queue.take(1);
  REQUIRE(taken);
  CHECK(taken->argument.value == "1");
  CHECK(taken->token == "tok");
  CHECK_FALSE(queue.take(1));
  CHECK_FALSE(queue.find(1));
  CHECK_FALSE(queue.has_token("u1", "tok"));
  CHECK(queue.first_due(1000) == 2);  // not 1: its due entry went too
  queue.take(2);
  CHECK_FALSE(queue.first_due(1000));
}

TEST_CASE("cancellation tokens are scoped by the sender's id alone", "[runtime]") {
  TimerQueue queue;
  queue.add(timer(1, 100, "u1", "tok"));
  queue.add(timer(2, 100, "u2", "tok"));
  queue.add(timer(3, 100, "u1", ""));  // no token: never found by one
  CHECK(queue.find_token("u1", "tok") == 1);
  CHECK(queue.find_token("u2", "tok") == 2);
  CHECK_FALSE(queue.find_token("u1", ""));
  CHECK_FALSE(queue.find_token("u3", "tok"));
  queue.take(*queue.find_token("u1", "tok"));
  CHECK_FALSE(queue.has_token("u1", "tok"));
  CHECK(queue.has_token("u2", "tok"));
}

TEST_CASE("a token taken over by a later timer keeps naming it when the earlier one goes",
          "[runtime]") {
  TimerQueue queue;
  queue.add(timer(1, 100, "u1", "tok"));
  queue.add(timer(2, 200, "u1", "tok"));
  CHECK(queue.find_token("u1", "tok") == 2);
  queue.take(1);
  CHECK(queue.find_token("u1", "tok") == 2);
}

TEST_CASE("clear forgets every timer and token", "[runtime]") {
  TimerQueue queue;
  queue.add(timer(1, 100, "u1", "tok"));
  queue.clear();
  CHECK(queue.empty());
  CHECK_FALSE(queue.has_token("u1", "tok"));
  CHECK_FALSE(queue.first_due(1000));
  queue.add(timer(1, 100, "u1", "tok"));  // the same id again is a fresh timer
  CHECK(queue.size() == 1);
}
