// A Store that keeps everything in memory, with the SQLite store's
// semantics: group transactions, savepoints, sequence numbers, state
// versions and history folding, pruning. For tests, which get a fast store
// without files and can look at it from a second connection.
//
// A MemoryDatabase is what a file is to the SQLite store: the committed
// contents. Every MemoryStore opened on one database is a connection to it;
// readers see only what was committed, and a store destroyed with its
// transaction open loses that transaction (as a crash does). One connection
// writes at a time: begin() (or a write outside a transaction) while another
// connection holds a transaction fails with kIo ("database is locked"), as
// the SQLite store does once its busy timeout ends.
//
// Thread safety: one MemoryStore is used by one thread at a time; different
// connections to one database may be used from different threads.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "runtime/store/store.h"

namespace statefun {

struct MemoryDatabase;  // defined in memory_store.cc

class MemoryStore final : public Store {
 public:
  // An empty database that connections can share.
  static std::shared_ptr<MemoryDatabase> new_database();

  // A connection to `database`; `retention` is as in StoreOptions (only
  // history_versions applies here: pruning by age is the engine's call).
  explicit MemoryStore(std::shared_ptr<MemoryDatabase> database, RetentionPolicy retention = {});
  // A connection to a new, empty database.
  MemoryStore();
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  const std::shared_ptr<MemoryDatabase>& database() const { return m_database; }

  Result<void> begin() override;
  Result<void> commit() override;
  bool in_transaction() const override { return m_explicit; }
  Result<void> rollback() override;
  Result<void> savepoint() override;
  Result<void> release_savepoint() override;
  Result<void> rollback_savepoint() override;

  Result<void> append_inbox(InboxMessage& message) override;
  Result<void> mark_consumed(int64_t seq, int64_t step) override;
  Result<std::vector<InboxMessage>> load_pending() override;
  Result<std::vector<InboxMessage>> read_received(const Address& address,
                                                  int64_t after_step) override;
  Result<void> record_failure(int64_t seq, const FailureRecord& failures) override;
  Result<void> dead_letter(const DeadLetter& letter) override;
  Result<std::optional<DeadLetter>> take_dead_letter(int64_t id) override;

  Result<std::vector<StoredState>> read_states(const Address& address) override;
  Result<void> write_state(const Address& address, const std::string& name, const TypedValue& value,
                           std::optional<int64_t> expires_at_ms, const StateCause& cause) override;
  Result<void> delete_state(const Address& address, const std::string& name,
                            const StateCause& cause) override;
  Result<void> set_expiry(const Address& address, const std::string& name,
                          int64_t expires_at_ms) override;
  Result<std::vector<HistoryRow>> read_history(const Address& address) override;
  Result<int64_t> history_floor(const Address& address) override;
  Result<void> drop_expired(const Address& address, const std::string& name) override;

  Result<void> add_timer(TimerRecord& timer) override;
  Result<void> remove_timer(int64_t id) override;
  Result<std::vector<TimerRecord>> load_timers() override;

  Result<void> append_egress(EgressRecord& record) override;
  Result<std::optional<EgressRecord>> peek_egress(const std::string& topic, int64_t after_seq,
                                                  int64_t max_seq) override;
  Result<void> consume_egress(int64_t seq) override;

  Result<void> append_trace(const TraceRecord& record) override;
  Result<void> append_topic_record(TopicRecordRow& row) override;

  Result<int64_t> prune(int64_t through_step, int64_t through_seq, int64_t through_egress_seq,
                        int64_t batch) override;
  Result<int64_t> pruned_through_step() override;
  Result<std::pair<int64_t, int64_t>> last_sequences() override;
  Result<int64_t> last_step() override;
  Result<std::optional<int64_t>> virtual_now() override;
  Result<void> set_virtual_now(std::optional<int64_t> ms) override;
  Result<int64_t> measure_rows(const RetentionMark& from, const RetentionMark& to) override;
  Result<void> add_retention_mark(RetentionMark& mark) override;
  Result<std::vector<RetentionMark>> load_retention_marks() override;
  Result<void> drop_retention_marks_before(int64_t id) override;
  Result<void> write_external_offset(const ExternalOffset& offset) override;
  Result<std::vector<ExternalOffset>> load_external_offsets() override;

  struct Tables;  // the contents of a database (memory_store.cc)

 private:
  // Runs `read` on what this connection sees: its open transaction, or the
  // committed contents.
  template <typename F>
  auto read(F&& f);
  // Runs `write` on the open transaction, or (outside one) on the committed
  // contents as one statement that commits at once.
  template <typename F>
  Result<void> write(F&& f);
  void end_transaction();

  std::shared_ptr<MemoryDatabase> m_database;
  RetentionPolicy m_retention;
  // The open transaction: a private copy of the tables, published on commit.
  std::unique_ptr<Tables> m_working;
  bool m_explicit = false;           // begin() opened it (not an outer savepoint)
  std::vector<Tables> m_savepoints;  // the tables as each open savepoint found them
};

}  // namespace statefun
