#include "emulator/dev/reopenable_reader.h"

#include <fmt/format.h>

namespace statefun::emulator {

Result<std::unique_ptr<ReopenableReader>> ReopenableReader::open(const std::string& path) {
  auto reader = StoreReader::open(path);
  if (!reader) return std::unexpected(reader.error());
  return std::unique_ptr<ReopenableReader>(new ReopenableReader(path, std::move(*reader)));
}

Result<void> ReopenableReader::while_closed(const std::function<Result<void>()>& fn) {
  WriterLock lock(m_mutex);
  m_reader.reset();
  auto result = fn();
  auto reopened = StoreReader::open(m_path);
  if (reopened) m_reader = std::move(*reopened);
  if (!result) return result;
  if (!reopened) return std::unexpected(reopened.error());
  return {};
}

template <typename T>
Result<T> ReopenableReader::with_reader(const std::function<Result<T>(StoreReader&)>& read) {
  ReaderLock lock(m_mutex);
  if (!m_reader) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("{}: the state database could not be opened again", m_path));
  }
  return read(*m_reader);
}

Result<std::vector<AddressSummary>> ReopenableReader::addresses(
    const std::optional<FunctionType>& type) {
  return with_reader<std::vector<AddressSummary>>(
      [&](StoreReader& r) { return r.addresses(type); });
}

Result<std::vector<StoredState>> ReopenableReader::states(const Address& address, int64_t now_ms) {
  return with_reader<std::vector<StoredState>>(
      [&](StoreReader& r) { return r.states(address, now_ms); });
}

Result<std::vector<TimerRecord>> ReopenableReader::timers(const std::optional<Address>& target) {
  return with_reader<std::vector<TimerRecord>>([&](StoreReader& r) { return r.timers(target); });
}

Result<std::optional<TimerRecord>> ReopenableReader::timer(int64_t id) {
  return with_reader<std::optional<TimerRecord>>([&](StoreReader& r) { return r.timer(id); });
}

Result<std::vector<TopicSummary>> ReopenableReader::topics() {
  return with_reader<std::vector<TopicSummary>>([](StoreReader& r) { return r.topics(); });
}

Result<std::vector<TopicRecordRow>> ReopenableReader::topic_records(const TopicRecordQuery& query) {
  return with_reader<std::vector<TopicRecordRow>>(
      [&](StoreReader& r) { return r.topic_records(query); });
}

Result<std::vector<TopicLog>> ReopenableReader::topic_logs() {
  return with_reader<std::vector<TopicLog>>([](StoreReader& r) { return r.topic_logs(); });
}

Result<std::vector<EgressEntry>> ReopenableReader::egress(const EgressQuery& query) {
  return with_reader<std::vector<EgressEntry>>([&](StoreReader& r) { return r.egress(query); });
}

Result<std::vector<TraceRecord>> ReopenableReader::trace(const TraceQuery& query) {
  return with_reader<std::vector<TraceRecord>>([&](StoreReader& r) { return r.trace(query); });
}

Result<std::vector<HistoryEntry>> ReopenableReader::history(const Address& address,
                                                            const std::string& name) {
  return with_reader<std::vector<HistoryEntry>>(
      [&](StoreReader& r) { return r.history(address, name); });
}

Result<int64_t> ReopenableReader::last_step() {
  return with_reader<int64_t>([](StoreReader& r) { return r.last_step(); });
}

Result<std::vector<HistoryRow>> ReopenableReader::entity_history(const Address& address) {
  return with_reader<std::vector<HistoryRow>>(
      [&](StoreReader& r) { return r.entity_history(address); });
}

Result<int64_t> ReopenableReader::history_floor(const Address& address) {
  return with_reader<int64_t>([&](StoreReader& r) { return r.history_floor(address); });
}

Result<std::vector<InboxMessage>> ReopenableReader::received(const Address& address,
                                                             int64_t after_step) {
  return with_reader<std::vector<InboxMessage>>(
      [&](StoreReader& r) { return r.received(address, after_step); });
}

Result<std::vector<InboxMessage>> ReopenableReader::pending(const PendingQuery& query) {
  return with_reader<std::vector<InboxMessage>>([&](StoreReader& r) { return r.pending(query); });
}

Result<std::optional<InboxMessage>> ReopenableReader::pending_message(int64_t seq) {
  return with_reader<std::optional<InboxMessage>>(
      [&](StoreReader& r) { return r.pending_message(seq); });
}

Result<std::vector<DeadLetter>> ReopenableReader::dead_letters(
    const std::optional<Address>& address) {
  return with_reader<std::vector<DeadLetter>>(
      [&](StoreReader& r) { return r.dead_letters(address); });
}

Result<std::optional<DeadLetter>> ReopenableReader::dead_letter(int64_t id) {
  return with_reader<std::optional<DeadLetter>>([&](StoreReader& r) { return r.dead_letter(id); });
}

Result<std::optional<int64_t>> ReopenableReader::virtual_now() {
  return with_reader<std::optional<int64_t>>([](StoreReader& r) { return r.virtual_now(); });
}

Result<int64_t> ReopenableReader::pruned_through_step() {
  return with_reader<int64_t>([](StoreReader& r) { return r.pruned_through_step(); });
}

Result<std::optional<StoredMessage>> ReopenableReader::message(int64_t id) {
  return with_reader<std::optional<StoredMessage>>([&](StoreReader& r) { return r.message(id); });
}

Result<FlowSummary> ReopenableReader::flow(const FlowQuery& query) {
  return with_reader<FlowSummary>([&](StoreReader& r) { return r.flow(query); });
}

Result<StepLinks> ReopenableReader::step_links(int64_t step) {
  return with_reader<StepLinks>([&](StoreReader& r) { return r.step_links(step); });
}

Result<std::optional<int64_t>> ReopenableReader::last_admin_message() {
  return with_reader<std::optional<int64_t>>([](StoreReader& r) { return r.last_admin_message(); });
}

}  // namespace statefun::emulator
