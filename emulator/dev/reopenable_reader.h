// A StoreReader whose connection can be closed while the database file is
// replaced (a snapshot restore) and opened again afterwards. The admin API
// reads through one of these, so its reads follow the restored database
// instead of the replaced file.
//
// Thread-safe: reads run concurrently; while_closed() waits for them to
// finish and holds new ones back until the connection is open again.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "runtime/core/thread_annotations.h"
#include "runtime/store/store_reader.h"

namespace statefun::emulator {

class ReopenableReader final : public StoreReader {
 public:
  // Opens `path` read-only (errors as StoreReader::open).
  static Result<std::unique_ptr<ReopenableReader>> open(const std::string& path);

  // Closes the connection, runs `fn`, then opens the database again. Reads
  // wait meanwhile. If the reopen fails, reads answer kUnavailable until a
  // later while_closed() succeeds; the error is returned (after `fn`'s own).
  Result<void> while_closed(const std::function<Result<void>()>& fn);

  Result<std::vector<AddressSummary>> addresses(const std::optional<FunctionType>& type) override;
  Result<std::vector<StoredState>> states(const Address& address, int64_t now_ms) override;
  Result<std::vector<TimerRecord>> timers(const std::optional<Address>& target) override;
  Result<std::optional<TimerRecord>> timer(int64_t id) override;
  Result<std::vector<TopicSummary>> topics() override;
  Result<std::vector<EgressEntry>> egress(const EgressQuery& query) override;
  Result<std::vector<TopicRecordRow>> topic_records(const TopicRecordQuery& query) override;
  Result<std::vector<TopicLog>> topic_logs() override;
  Result<std::vector<TraceRecord>> trace(const TraceQuery& query) override;
  Result<std::vector<HistoryEntry>> history(const Address& address,
                                            const std::string& name) override;
  Result<int64_t> last_step() override;
  Result<std::vector<HistoryRow>> entity_history(const Address& address) override;
  Result<int64_t> history_floor(const Address& address) override;
  Result<std::vector<InboxMessage>> received(const Address& address, int64_t after_step) override;
  Result<int64_t> pruned_through_step() override;
  Result<std::optional<int64_t>> virtual_now() override;
  Result<std::vector<InboxMessage>> pending(const PendingQuery& query) override;
  Result<std::optional<InboxMessage>> pending_message(int64_t seq) override;
  Result<std::vector<DeadLetter>> dead_letters(const std::optional<Address>& address) override;
  Result<std::optional<DeadLetter>> dead_letter(int64_t id) override;
  Result<std::optional<StoredMessage>> message(int64_t id) override;
  Result<StepLinks> step_links(int64_t step) override;
  Result<FlowSummary> flow(const FlowQuery& query) override;
  Result<std::optional<int64_t>> last_admin_message() override;

 private:
  ReopenableReader(std::string path, std::unique_ptr<StoreReader> reader)
      : m_path(std::move(path)), m_reader(std::move(reader)) {}

  // Runs `read` on the open connection, or answers kUnavailable.
  template <typename T>
  Result<T> with_reader(const std::function<Result<T>(StoreReader&)>& read);

  std::string m_path;
  SharedMutex m_mutex;
  std::unique_ptr<StoreReader> m_reader STATEFUN_GUARDED_BY(m_mutex);  // null while closed
};

}  // namespace statefun::emulator
