#include "runtime/engine/retry_queue.h"

namespace statefun {

std::optional<Address> RetryQueue::pop_due(int64_t now_ms) {
  if (m_queue.empty() || m_queue.begin()->first > now_ms) return std::nullopt;
  auto node = m_queue.extract(m_queue.begin());
  return std::move(node.value().second);
}

std::optional<int64_t> RetryQueue::next_due_ms() const {
  if (m_queue.empty()) return std::nullopt;
  return m_queue.begin()->first;
}

}  // namespace statefun
