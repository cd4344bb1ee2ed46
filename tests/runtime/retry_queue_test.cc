#include "runtime/engine/retry_queue.h"

#include <catch2/catch.hpp>

using namespace statefun;

namespace {

Address address(std::string id) { return Address{{"test", "fn"}, std::move(id)}; }

}  // namespace

TEST_CASE("retries come due in (due time, address) order and only once", "[runtime]") {
  RetryQueue queue;
  queue.schedule(20, address("b"));
  queue.schedule(10, address("c"));
  queue.schedule(20, address("a"));
  CHECK(queue.size() == 3);
  CHECK(queue.next_due_ms() == 10);
  CHECK_FALSE(queue.pop_due(9));
  CHECK(queue.pop_due(10) == address("c"));
  CHECK_FALSE(queue.pop_due(19));
  CHECK(queue.pop_due(25) == address("a"));
  CHECK(queue.pop_due(25) == address("b"));
  CHECK_FALSE(queue.pop_due(1000));
  CHECK(queue.empty());
  CHECK_FALSE(queue.next_due_ms());
}

TEST_CASE("one address can wait for several retries; clear drops them all", "[runtime]") {
  RetryQueue queue;
  queue.schedule(10, address("a"));
  queue.schedule(30, address("a"));
  queue.schedule(10, address("a"));  // the same (due, address) twice is one entry
  CHECK(queue.size() == 2);
  queue.clear();
  CHECK(queue.empty());
  CHECK_FALSE(queue.pop_due(100));
}
