#include "runtime/engine/timer_queue.h"

namespace statefun {

void TimerQueue::add(TimerRecord timer) {
  (void)take(timer.id);  // the store never reuses a pending id; stay consistent if it did
  m_due.insert({timer.due_ms, timer.id});
  if (!timer.token.empty()) m_tokens[{timer.sender.id, timer.token}] = timer.id;
  const int64_t id = timer.id;
  m_by_id.emplace(id, std::move(timer));
}

std::optional<TimerRecord> TimerQueue::take(int64_t id) {
  auto node = m_by_id.extract(id);
  if (node.empty()) return std::nullopt;
  TimerRecord& timer = node.mapped();
  m_due.erase({timer.due_ms, id});
  if (!timer.token.empty()) {
    // Only the name this timer still holds: a later timer may have taken it.
    auto it = m_tokens.find({timer.sender.id, timer.token});
    if (it != m_tokens.end() && it->second == id) m_tokens.erase(it);
  }
  return std::move(timer);
}

std::optional<int64_t> TimerQueue::first_due(int64_t now_ms) const {
  if (m_due.empty() || m_due.begin()->due_ms > now_ms) return std::nullopt;
  return m_due.begin()->id;
}

std::optional<int64_t> TimerQueue::next_due_ms() const {
  if (m_due.empty()) return std::nullopt;
  return m_due.begin()->due_ms;
}

std::optional<int64_t> TimerQueue::find_token(const std::string& scope_id,
                                              const std::string& token) const {
  auto it = m_tokens.find({scope_id, token});
  if (it == m_tokens.end()) return std::nullopt;
  return it->second;
}

const TimerRecord* TimerQueue::find(int64_t id) const {
  auto it = m_by_id.find(id);
  return it == m_by_id.end() ? nullptr : &it->second;
}

void TimerQueue::clear() {
  m_due.clear();
  m_by_id.clear();
  m_tokens.clear();
}

}  // namespace statefun
