#include "runtime/store/memory_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "runtime/core/thread_annotations.h"

namespace statefun {
namespace {

constexpr const char* kPlaygroundEgress = "io.statefun.playground/egress";

struct InboxRow {
  InboxMessage message;
  std::optional<int64_t> consumed_step;
  bool dead = false;  // moved to the dead letters
};

struct EgressRow {
  EgressRecord record;
  bool consumed = false;
};

std::unexpected<Error> failure(std::string_view what, std::string_view why) {
  return make_error(ErrorCode::kIo, fmt::format("in-memory store: {}: {}", what, why));
}

// The next key of a table, as SQLite assigns a rowid: one past the largest
// present (so a deleted largest key is used again), 1 for an empty table.
template <typename Map>
int64_t next_key(const Map& table) {
  return table.empty() ? 1 : table.rbegin()->first + 1;
}

// Deletes up to `batch` rows (negative: no limit) with key <= `through`
// that `prunable` accepts, oldest first; returns how many went.
template <typename Map, typename Pred>
int64_t prune_table(Map& table, int64_t through, int64_t batch, Pred prunable) {
  int64_t deleted = 0;
  for (auto it = table.begin(); it != table.end() && it->first <= through;) {
    if (batch >= 0 && deleted >= batch) break;
    if (!prunable(it->second)) {
      ++it;
      continue;
    }
    it = table.erase(it);
    ++deleted;
  }
  return deleted;
}

}  // namespace

// The tables of the SQLite schema, keyed as its primary keys order them.
struct MemoryStore::Tables {
  std::map<int64_t, InboxRow> inbox;                                       // by seq
  std::map<Address, std::map<std::string, StoredState>> state;             // by address, name
  using Versions = std::map<std::pair<int64_t, std::string>, HistoryRow>;  // (version, name)
  std::map<Address, Versions> history;
  std::map<Address, int64_t> history_floor;
  std::map<int64_t, TimerRecord> timers;            // by id
  std::map<int64_t, EgressRow> egress;              // by seq
  std::map<int64_t, TraceRecord> trace;             // by step
  std::map<int64_t, DeadLetter> dead_letters;       // by id (the inbox seq)
  std::map<int64_t, RetentionMark> marks;           // by id
  std::map<int64_t, TopicRecordRow> topic_records;  // by seq
  using OffsetKey = std::tuple<std::string, std::string, std::string, int32_t>;
  std::map<OffsetKey, ExternalOffset> external_offsets;  // by kind, name, topic, partition
  int64_t pruned_through_step = 0;
  std::optional<int64_t> virtual_now;  // the meta table's virtual_now_ms
  // The meta table's high-water marks: the highest step and timer id ever used.
  int64_t step_high_water = 0;
  int64_t timer_high_water = 0;
};

struct MemoryDatabase {
  Mutex mutex;
  MemoryStore::Tables committed STATEFUN_GUARDED_BY(mutex);
  // The connection holding the write transaction, if any.
  const MemoryStore* writer STATEFUN_GUARDED_BY(mutex) = nullptr;
};

std::shared_ptr<MemoryDatabase> MemoryStore::new_database() {
  return std::make_shared<MemoryDatabase>();
}

MemoryStore::MemoryStore(std::shared_ptr<MemoryDatabase> database, RetentionPolicy retention)
    : m_database(std::move(database)), m_retention(retention) {}

MemoryStore::MemoryStore() : MemoryStore(new_database()) {}

MemoryStore::~MemoryStore() {
  if (m_working) end_transaction();  // rolled back, as a crash loses it
}

template <typename F>
auto MemoryStore::read(F&& f) {
  if (m_working) return f(static_cast<const Tables&>(*m_working));
  MutexLock lock(m_database->mutex);
  return f(static_cast<const Tables&>(m_database->committed));
}

template <typename F>
Result<void> MemoryStore::write(F&& f) {
  if (m_working) return f(*m_working);
  MutexLock lock(m_database->mutex);
  if (m_database->writer) return failure("writing", "database is locked");
  return f(m_database->committed);
}

void MemoryStore::end_transaction() {
  m_working.reset();
  m_savepoints.clear();
  m_explicit = false;
  MutexLock lock(m_database->mutex);
  if (m_database->writer == this) m_database->writer = nullptr;
}

Result<void> MemoryStore::begin() {
  if (m_explicit) return {};
  if (m_working) return failure("BEGIN", "cannot start a transaction within a transaction");
  MutexLock lock(m_database->mutex);
  if (m_database->writer) return failure("BEGIN", "database is locked");
  m_database->writer = this;
  m_working = std::make_unique<Tables>(m_database->committed);
  m_explicit = true;
  return {};
}

Result<void> MemoryStore::commit() {
  if (!m_explicit) return {};
  {
    MutexLock lock(m_database->mutex);
    m_database->committed = std::move(*m_working);
  }
  end_transaction();
  return {};
}

Result<void> MemoryStore::rollback() {
  if (m_working) end_transaction();
  return {};
}

Result<void> MemoryStore::savepoint() {
  if (!m_working) {
    // As in SQLite, a savepoint outside a transaction opens one, which the
    // release of that savepoint commits.
    MutexLock lock(m_database->mutex);
    if (m_database->writer) return failure("SAVEPOINT", "database is locked");
    m_database->writer = this;
    m_working = std::make_unique<Tables>(m_database->committed);
  }
  m_savepoints.push_back(*m_working);
  return {};
}

Result<void> MemoryStore::release_savepoint() {
  if (m_savepoints.empty()) return failure("RELEASE", "no such savepoint: edit");
  m_savepoints.pop_back();
  if (m_savepoints.empty() && !m_explicit) {
    {
      MutexLock lock(m_database->mutex);
      m_database->committed = std::move(*m_working);
    }
    end_transaction();
  }
  return {};
}

Result<void> MemoryStore::rollback_savepoint() {
  if (m_savepoints.empty()) return failure("ROLLBACK TO", "no such savepoint: edit");
  *m_working = m_savepoints.back();
  return release_savepoint();
}

// --- Inbox ---------------------------------------------------------------

Result<void> MemoryStore::append_inbox(InboxMessage& message) {
  return write([&](Tables& t) -> Result<void> {
    message.seq = next_key(t.inbox);
    t.inbox.emplace(message.seq, InboxRow{message, std::nullopt});
    return {};
  });
}

Result<void> MemoryStore::mark_consumed(int64_t seq, int64_t step) {
  return write([&](Tables& t) -> Result<void> {
    if (auto it = t.inbox.find(seq); it != t.inbox.end()) it->second.consumed_step = step;
    return {};
  });
}

Result<std::vector<InboxMessage>> MemoryStore::load_pending() {
  return read([](const Tables& t) -> Result<std::vector<InboxMessage>> {
    std::vector<InboxMessage> out;
    for (const auto& [seq, row] : t.inbox) {
      if (!row.consumed_step) out.push_back(row.message);
    }
    return out;
  });
}

Result<std::vector<InboxMessage>> MemoryStore::read_received(const Address& address,
                                                             int64_t after_step) {
  return read([&](const Tables& t) -> Result<std::vector<InboxMessage>> {
    std::vector<InboxMessage> out;
    for (const auto& [seq, row] : t.inbox) {
      if (row.message.target == address && row.consumed_step && *row.consumed_step > after_step &&
          !row.dead) {
        out.push_back(row.message);
      }
    }
    return out;
  });
}

Result<void> MemoryStore::record_failure(int64_t seq, const FailureRecord& failures) {
  return write([&](Tables& t) -> Result<void> {
    if (auto it = t.inbox.find(seq); it != t.inbox.end()) {
      it->second.message.failures = std::make_shared<FailureRecord>(failures);
    }
    return {};
  });
}

Result<void> MemoryStore::dead_letter(const DeadLetter& letter) {
  return write([&](Tables& t) -> Result<void> {
    if (!t.dead_letters.emplace(letter.message.seq, letter).second) {
      return failure("adding a dead letter", "UNIQUE constraint failed");
    }
    if (auto it = t.inbox.find(letter.message.seq); it != t.inbox.end()) {
      it->second.consumed_step = letter.step;
      it->second.dead = true;
    }
    return {};
  });
}

Result<std::optional<DeadLetter>> MemoryStore::take_dead_letter(int64_t id) {
  std::optional<DeadLetter> taken;
  auto r = write([&](Tables& t) -> Result<void> {
    auto it = t.dead_letters.find(id);
    if (it == t.dead_letters.end()) return {};
    taken = std::move(it->second);
    t.dead_letters.erase(it);
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return taken;
}

// --- State and history -----------------------------------------------------

namespace {

// Versions count the steps that changed an entity: every state a step
// changes shares the step's version.
int64_t version_for(const MemoryStore::Tables& t, const Address& address, int64_t step) {
  auto it = t.history.find(address);
  if (it == t.history.end() || it->second.empty()) return 1;
  const HistoryRow& last = it->second.rbegin()->second;
  return last.step == step ? last.version : last.version + 1;
}

// Drops versions that left the window of `keep`, except each state's last
// value before it (the window's baseline); records the floor if any went.
void fold_history(MemoryStore::Tables& t, const Address& address, int64_t version, int64_t keep) {
  if (keep <= 0 || version <= keep) return;
  const int64_t floor = version - keep;
  auto& rows = t.history[address];
  // The newest version at or below the floor, per state name.
  std::map<std::string, int64_t> baseline;
  for (const auto& [key, row] : rows) {
    if (key.first <= floor) baseline[key.second] = key.first;
  }
  bool folded = false;
  for (auto it = rows.begin(); it != rows.end() && it->first.first <= floor;) {
    if (it->first.first < baseline[it->first.second]) {
      it = rows.erase(it);
      folded = true;
    } else {
      ++it;
    }
  }
  if (!folded) return;
  auto [it, fresh] = t.history_floor.emplace(address, floor);
  if (!fresh) it->second = std::max(it->second, floor);
}

Result<void> append_history(MemoryStore::Tables& t, const Address& address, const std::string& name,
                            int64_t version, const TypedValue* value, const StateCause& cause,
                            int64_t keep) {
  HistoryRow row;
  row.version = version;
  row.name = name;
  if (value) row.value = TypedValue{value->type_name, true, value->value};
  row.step = cause.step;
  row.at_ms = cause.at_ms;
  row.cause_type = cause.message_type;
  if (cause.caller) row.cause_caller = cause.caller->str();
  if (!t.history[address].emplace(std::pair{version, name}, std::move(row)).second) {
    return failure("appending state history", "UNIQUE constraint failed");
  }
  fold_history(t, address, version, keep);
  return {};
}

}  // namespace

Result<std::vector<StoredState>> MemoryStore::read_states(const Address& address) {
  return read([&](const Tables& t) -> Result<std::vector<StoredState>> {
    std::vector<StoredState> out;
    if (auto it = t.state.find(address); it != t.state.end()) {
      for (const auto& [name, state] : it->second) out.push_back(state);
    }
    return out;
  });
}

Result<void> MemoryStore::write_state(const Address& address, const std::string& name,
                                      const TypedValue& value, std::optional<int64_t> expires_at_ms,
                                      const StateCause& cause) {
  return write([&](Tables& t) -> Result<void> {
    const int64_t version = version_for(t, address, cause.step);
    t.state[address][name] =
        StoredState{name, value.type_name, value.value, expires_at_ms, version};
    return append_history(t, address, name, version, &value, cause, m_retention.history_versions);
  });
}

Result<void> MemoryStore::delete_state(const Address& address, const std::string& name,
                                       const StateCause& cause) {
  return write([&](Tables& t) -> Result<void> {
    auto it = t.state.find(address);
    if (it == t.state.end() || it->second.erase(name) == 0) return {};  // not a version
    const int64_t version = version_for(t, address, cause.step);
    return append_history(t, address, name, version, nullptr, cause, m_retention.history_versions);
  });
}

Result<void> MemoryStore::set_expiry(const Address& address, const std::string& name,
                                     int64_t expires_at_ms) {
  return write([&](Tables& t) -> Result<void> {
    auto it = t.state.find(address);
    if (it == t.state.end()) return {};
    if (auto state = it->second.find(name); state != it->second.end()) {
      state->second.expires_at_ms = expires_at_ms;
    }
    return {};
  });
}

Result<std::vector<HistoryRow>> MemoryStore::read_history(const Address& address) {
  return read([&](const Tables& t) -> Result<std::vector<HistoryRow>> {
    std::vector<HistoryRow> out;
    if (auto it = t.history.find(address); it != t.history.end()) {
      for (const auto& [key, row] : it->second) out.push_back(row);
    }
    return out;
  });
}

Result<int64_t> MemoryStore::history_floor(const Address& address) {
  return read([&](const Tables& t) -> Result<int64_t> {
    auto it = t.history_floor.find(address);
    return it == t.history_floor.end() ? 0 : it->second;
  });
}

Result<void> MemoryStore::drop_expired(const Address& address, const std::string& name) {
  return write([&](Tables& t) -> Result<void> {
    if (auto it = t.state.find(address); it != t.state.end()) it->second.erase(name);
    return {};
  });
}

// --- Timers, egress, trace -------------------------------------------------

Result<void> MemoryStore::add_timer(TimerRecord& timer) {
  return write([&](Tables& t) -> Result<void> {
    timer.id = std::max(next_key(t.timers), t.timer_high_water + 1);
    t.timer_high_water = timer.id;
    t.timers.emplace(timer.id, timer);
    return {};
  });
}

Result<void> MemoryStore::remove_timer(int64_t id) {
  return write([&](Tables& t) -> Result<void> {
    t.timers.erase(id);
    return {};
  });
}

Result<std::vector<TimerRecord>> MemoryStore::load_timers() {
  return read([](const Tables& t) -> Result<std::vector<TimerRecord>> {
    std::vector<TimerRecord> out;
    for (const auto& [id, timer] : t.timers) out.push_back(timer);
    std::stable_sort(out.begin(), out.end(), [](const TimerRecord& a, const TimerRecord& b) {
      return a.due_ms < b.due_ms;  // ids are already in order within a due time
    });
    return out;
  });
}

Result<void> MemoryStore::append_egress(EgressRecord& record) {
  return write([&](Tables& t) -> Result<void> {
    record.seq = next_key(t.egress);
    EgressRow row{record, false};
    row.record.argument.has_value = true;  // the table keeps typename and bytes only
    t.egress.emplace(record.seq, std::move(row));
    return {};
  });
}

Result<std::optional<EgressRecord>> MemoryStore::peek_egress(const std::string& topic,
                                                             int64_t after_seq, int64_t max_seq) {
  return read([&](const Tables& t) -> Result<std::optional<EgressRecord>> {
    for (auto it = t.egress.upper_bound(after_seq); it != t.egress.end() && it->first <= max_seq;
         ++it) {
      if (!it->second.consumed && it->second.record.topic == topic) return it->second.record;
    }
    return std::optional<EgressRecord>();
  });
}

Result<void> MemoryStore::consume_egress(int64_t seq) {
  return write([&](Tables& t) -> Result<void> {
    if (auto it = t.egress.find(seq); it != t.egress.end()) it->second.consumed = true;
    return {};
  });
}

Result<void> MemoryStore::append_topic_record(TopicRecordRow& row) {
  return write([&](Tables& t) -> Result<void> {
    row.seq = next_key(t.topic_records);
    row.offset = 0;
    for (const auto& [seq, existing] : t.topic_records) {
      if (existing.topic == row.topic) row.offset = existing.offset + 1;
    }
    t.topic_records.emplace(row.seq, row);
    return {};
  });
}

Result<void> MemoryStore::append_trace(const TraceRecord& record) {
  return write([&](Tables& t) -> Result<void> {
    if (!t.trace.emplace(record.step, record).second) {
      return failure("appending to the trace", "UNIQUE constraint failed");
    }
    t.step_high_water = std::max(t.step_high_water, record.step);
    return {};
  });
}

// --- Retention and counters ------------------------------------------------

Result<int64_t> MemoryStore::prune(int64_t through_step, int64_t through_seq,
                                   int64_t through_egress_seq, int64_t batch) {
  int64_t deleted = 0;
  auto r = write([&](Tables& t) -> Result<void> {
    if (through_step > 0) {
      deleted = std::max(deleted, prune_table(t.trace, through_step, batch,
                                              [](const TraceRecord&) { return true; }));
    }
    if (through_seq > 0) {
      deleted = std::max(deleted, prune_table(t.inbox, through_seq, batch, [](const InboxRow& row) {
                           return row.consumed_step.has_value();
                         }));
    }
    if (through_egress_seq > 0) {
      // Not what a Kafka egress has yet to produce (from its mark on), as
      // the SQLite store.
      auto unproduced = [&t](const EgressRow& row) {
        for (const auto& [key, mark] : t.external_offsets) {
          if (mark.kind == "kafka-egress" && mark.name == row.record.egress_id &&
              row.record.seq >= mark.next_offset) {
            return true;
          }
        }
        return false;
      };
      deleted = std::max(
          deleted,
          prune_table(t.egress, through_egress_seq, batch, [&unproduced](const EgressRow& row) {
            return (row.consumed || row.record.topic.empty() ||
                    row.record.egress_id != kPlaygroundEgress) &&
                   !unproduced(row);
          }));
    }
    if (through_step > 0) t.pruned_through_step = std::max(t.pruned_through_step, through_step);
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return deleted;
}

Result<int64_t> MemoryStore::pruned_through_step() {
  return read([](const Tables& t) -> Result<int64_t> { return t.pruned_through_step; });
}

Result<std::pair<int64_t, int64_t>> MemoryStore::last_sequences() {
  return read([](const Tables& t) -> Result<std::pair<int64_t, int64_t>> {
    return std::pair{next_key(t.inbox) - 1, next_key(t.egress) - 1};
  });
}

Result<std::optional<int64_t>> MemoryStore::virtual_now() {
  return read([](const Tables& t) -> Result<std::optional<int64_t>> { return t.virtual_now; });
}

Result<void> MemoryStore::set_virtual_now(std::optional<int64_t> ms) {
  return write([&](Tables& t) -> Result<void> {
    t.virtual_now = ms;
    return {};
  });
}

Result<int64_t> MemoryStore::measure_rows(const RetentionMark& from, const RetentionMark& to) {
  // The same measure as the SQLite store's (lengths plus a fixed amount).
  return read([&](const Tables& t) -> Result<int64_t> {
    auto address = [](const Address& a) {
      return static_cast<int64_t>(a.type.ns.size() + a.type.name.size() + a.id.size());
    };
    int64_t bytes = 0;
    for (auto it = t.trace.upper_bound(from.step); it != t.trace.end() && it->first <= to.step;
         ++it) {
      const TraceRecord& r = it->second;
      int64_t changed = r.changed_states.empty() ? 0 : -1;
      for (const auto& name : r.changed_states) changed += static_cast<int64_t>(name.size()) + 1;
      bytes += address(r.address) + static_cast<int64_t>(r.first_type.size()) + changed + 48;
    }
    for (auto it = t.inbox.upper_bound(from.inbox_seq);
         it != t.inbox.end() && it->first <= to.inbox_seq; ++it) {
      const InboxMessage& m = it->second.message;
      bytes += address(m.target) + (m.caller ? address(*m.caller) : 0) +
               static_cast<int64_t>(m.argument.type_name.size() + m.argument.value.size()) + 32;
    }
    for (auto it = t.egress.upper_bound(from.egress_seq);
         it != t.egress.end() && it->first <= to.egress_seq; ++it) {
      const EgressRecord& r = it->second.record;
      bytes += static_cast<int64_t>(r.egress_id.size() + r.topic.size() + r.payload.size() +
                                    r.argument.type_name.size() + r.argument.value.size()) +
               40;
    }
    return bytes;
  });
}

Result<void> MemoryStore::add_retention_mark(RetentionMark& mark) {
  return write([&](Tables& t) -> Result<void> {
    mark.id = next_key(t.marks);
    t.marks[mark.id] = mark;
    return {};
  });
}

Result<std::vector<RetentionMark>> MemoryStore::load_retention_marks() {
  return read([](const Tables& t) -> Result<std::vector<RetentionMark>> {
    std::vector<RetentionMark> marks;
    for (const auto& [id, mark] : t.marks) marks.push_back(mark);
    return marks;
  });
}

Result<void> MemoryStore::drop_retention_marks_before(int64_t id) {
  return write([&](Tables& t) -> Result<void> {
    t.marks.erase(t.marks.begin(), t.marks.lower_bound(id));
    return {};
  });
}

Result<void> MemoryStore::write_external_offset(const ExternalOffset& offset) {
  return write([&](Tables& t) -> Result<void> {
    t.external_offsets[{offset.kind, offset.name, offset.topic, offset.partition}] = offset;
    return {};
  });
}

Result<std::vector<ExternalOffset>> MemoryStore::load_external_offsets() {
  return read([](const Tables& t) -> Result<std::vector<ExternalOffset>> {
    std::vector<ExternalOffset> out;
    for (const auto& [key, offset] : t.external_offsets) out.push_back(offset);
    return out;
  });
}

Result<int64_t> MemoryStore::last_step() {
  return read([](const Tables& t) -> Result<int64_t> {
    return std::max(next_key(t.trace) - 1, t.step_high_water);
  });
}

}  // namespace statefun
