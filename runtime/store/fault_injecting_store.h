// A Store decorator that fails chosen operations, so tests can reach the
// code that handles a database refusing a write or a commit (in the spirit
// of leveldb's fault-injection environment).
//
// Counted operations: writes (every call that changes rows: append_inbox,
// mark_consumed, write_state, delete_state, set_expiry, drop_expired,
// add_timer, remove_timer, append_egress, consume_egress, append_trace,
// append_topic_record,
// prune, add_retention_mark, drop_retention_marks_before) and commits (commit() with a transaction
// open). Reads, begin() and savepoints, rollback() and set_virtual_now pass
// through uncounted.
//
// A failed write does not reach the wrapped store. A failed commit leaves
// the wrapped store's transaction open and uncommitted: nothing of the group
// is visible to other connections, and destroying the store loses it, as a
// crash would.
//
// Thread-compatible, like the Store it wraps.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "runtime/store/store.h"

namespace statefun {

class FaultInjectingStore final : public Store {
 public:
  explicit FaultInjectingStore(Store& inner) : m_inner(inner) {}

  // The `nth` write from now fails with `code` (1: the next one); with
  // `and_after`, so does every later one. Replaces an earlier write fault.
  void fail_write(int64_t nth, ErrorCode code, bool and_after = false);
  // The same for commits.
  void fail_commit(int64_t nth, ErrorCode code, bool and_after = false);
  // No more faults.
  void heal();

  int64_t writes() const { return m_writes.count; }    // attempted so far, failed ones included
  int64_t commits() const { return m_commits.count; }  // likewise
  int64_t faults() const { return m_faults; }          // injected so far

  Result<void> begin() override { return m_inner.begin(); }
  Result<void> commit() override;
  bool in_transaction() const override { return m_inner.in_transaction(); }
  Result<void> rollback() override { return m_inner.rollback(); }
  Result<void> savepoint() override { return m_inner.savepoint(); }
  Result<void> release_savepoint() override { return m_inner.release_savepoint(); }
  Result<void> rollback_savepoint() override { return m_inner.rollback_savepoint(); }

  Result<void> append_inbox(InboxMessage& message) override;
  Result<void> mark_consumed(int64_t seq, int64_t step) override;
  Result<std::vector<InboxMessage>> load_pending() override { return m_inner.load_pending(); }
  Result<void> record_failure(int64_t seq, const FailureRecord& failures) override;
  Result<void> dead_letter(const DeadLetter& letter) override;
  Result<std::optional<DeadLetter>> take_dead_letter(int64_t id) override;
  Result<std::vector<InboxMessage>> read_received(const Address& address,
                                                  int64_t after_step) override {
    return m_inner.read_received(address, after_step);
  }

  Result<std::vector<StoredState>> read_states(const Address& address) override {
    return m_inner.read_states(address);
  }
  Result<void> write_state(const Address& address, const std::string& name, const TypedValue& value,
                           std::optional<int64_t> expires_at_ms, const StateCause& cause) override;
  Result<void> delete_state(const Address& address, const std::string& name,
                            const StateCause& cause) override;
  Result<void> set_expiry(const Address& address, const std::string& name,
                          int64_t expires_at_ms) override;
  Result<std::vector<HistoryRow>> read_history(const Address& address) override {
    return m_inner.read_history(address);
  }
  Result<int64_t> history_floor(const Address& address) override {
    return m_inner.history_floor(address);
  }
  Result<void> drop_expired(const Address& address, const std::string& name) override;

  Result<void> add_timer(TimerRecord& timer) override;
  Result<void> remove_timer(int64_t id) override;
  Result<std::vector<TimerRecord>> load_timers() override { return m_inner.load_timers(); }

  Result<void> append_egress(EgressRecord& record) override;
  Result<std::optional<EgressRecord>> peek_egress(const std::string& topic, int64_t after_seq,
                                                  int64_t max_seq) override {
    return m_inner.peek_egress(topic, after_seq, max_seq);
  }
  Result<void> consume_egress(int64_t seq) override;

  Result<void> append_trace(const TraceRecord& record) override;
  Result<void> append_topic_record(TopicRecordRow& row) override;

  Result<int64_t> prune(int64_t through_step, int64_t through_seq, int64_t through_egress_seq,
                        int64_t batch) override;
  Result<int64_t> pruned_through_step() override { return m_inner.pruned_through_step(); }
  Result<std::pair<int64_t, int64_t>> last_sequences() override { return m_inner.last_sequences(); }
  Result<int64_t> last_step() override { return m_inner.last_step(); }
  Result<std::optional<int64_t>> virtual_now() override { return m_inner.virtual_now(); }
  Result<void> set_virtual_now(std::optional<int64_t> ms) override {
    return m_inner.set_virtual_now(ms);  // uncounted: the tests' write counts predate it
  }
  Result<int64_t> measure_rows(const RetentionMark& from, const RetentionMark& to) override {
    return m_inner.measure_rows(from, to);
  }
  Result<void> add_retention_mark(RetentionMark& mark) override;
  Result<std::vector<RetentionMark>> load_retention_marks() override {
    return m_inner.load_retention_marks();
  }
  Result<void> drop_retention_marks_before(int64_t id) override;
  Result<void> write_external_offset(const ExternalOffset& offset) override;
  Result<std::vector<ExternalOffset>> load_external_offsets() override {
    return m_inner.load_external_offsets();
  }

 private:
  // One kind of counted operation and the fault planned for it.
  struct Counter {
    int64_t count = 0;
    std::optional<int64_t> fail_at;  // the count that fails
    bool and_after = false;
    ErrorCode code = ErrorCode::kIo;
  };
  static void plan(Counter& counter, int64_t nth, ErrorCode code, bool and_after);
  // Counts one operation; the error to answer with when it is to fail.
  std::optional<Error> next(Counter& counter, std::string_view kind, std::string_view what);
  // Counts one write: fails it if planned, else passes it on.
  template <typename Op>
  auto write(std::string_view what, Op&& op) -> decltype(op()) {
    if (auto error = next(m_writes, "write", what)) return std::unexpected(*error);
    return op();
  }

  Store& m_inner;
  Counter m_writes, m_commits;
  int64_t m_faults = 0;
};

}  // namespace statefun
