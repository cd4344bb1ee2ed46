// The engine's pending delayed messages, in memory: which fires next (due
// time, then id, the order the store loads them in), each timer by id, and
// which timer a (sender id, cancellation token) pair names.
//
// A plain value: no store, no clock. The engine keeps it and the `timers`
// table in step; this class only keeps its three indexes consistent.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "runtime/store/store.h"

namespace statefun {

class TimerQueue {
 public:
  // Adds a timer that already has its id. A token names it within the scope
  // of its sender's id (tokens are scoped by id alone, as on a real cluster);
  // a second timer with a pending (scope, token) takes the name over.
  void add(TimerRecord timer);

  // Removes a timer by id and hands it back; nullopt when there is none.
  std::optional<TimerRecord> take(int64_t id);

  // The id of the earliest timer due at or before `now_ms`, if any.
  std::optional<int64_t> first_due(int64_t now_ms) const;
  // When the earliest timer is due; nullopt when there is none.
  std::optional<int64_t> next_due_ms() const;

  // The pending timer that (sender id, token) names, if any.
  std::optional<int64_t> find_token(const std::string& scope_id, const std::string& token) const;
  bool has_token(const std::string& scope_id, const std::string& token) const {
    return find_token(scope_id, token).has_value();
  }

  const TimerRecord* find(int64_t id) const;
  std::size_t size() const { return m_by_id.size(); }
  bool empty() const { return m_by_id.empty(); }
  void clear();

 private:
  struct Key {
    int64_t due_ms;
    int64_t id;
    auto operator<=>(const Key&) const = default;
  };
  std::set<Key> m_due;
  std::unordered_map<int64_t, TimerRecord> m_by_id;
  std::map<std::pair<std::string, std::string>, int64_t> m_tokens;  // (scope id, token) -> id
};

}  // namespace statefun
