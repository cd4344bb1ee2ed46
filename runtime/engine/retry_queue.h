// Addresses waiting to re-send a failed batch, in (due time, address) order.
// An address is in the queue at most once per failed attempt; the engine
// checks, when one comes due, whether its batch still waits for a retry.
// A plain value: no clock. Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "runtime/protocol/model.h"

namespace statefun {

class RetryQueue {
 public:
  void schedule(int64_t due_ms, const Address& address) { m_queue.insert({due_ms, address}); }

  // Removes and returns the earliest address due at or before `now_ms`.
  std::optional<Address> pop_due(int64_t now_ms);
  // When the earliest retry is due; nullopt when none waits.
  std::optional<int64_t> next_due_ms() const;

  std::size_t size() const { return m_queue.size(); }
  bool empty() const { return m_queue.empty(); }
  void clear() { m_queue.clear(); }

 private:
  std::set<std::pair<int64_t, Address>> m_queue;
};

}  // namespace statefun
