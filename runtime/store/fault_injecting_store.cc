#include "runtime/store/fault_injecting_store.h"

#include <fmt/format.h>

namespace statefun {

void FaultInjectingStore::plan(Counter& counter, int64_t nth, ErrorCode code, bool and_after) {
  counter.fail_at = counter.count + nth;
  counter.and_after = and_after;
  counter.code = code;
}

void FaultInjectingStore::fail_write(int64_t nth, ErrorCode code, bool and_after) {
  plan(m_writes, nth, code, and_after);
}

void FaultInjectingStore::fail_commit(int64_t nth, ErrorCode code, bool and_after) {
  plan(m_commits, nth, code, and_after);
}

void FaultInjectingStore::heal() {
  m_writes.fail_at.reset();
  m_commits.fail_at.reset();
}

std::optional<Error> FaultInjectingStore::next(Counter& counter, std::string_view kind,
                                               std::string_view what) {
  const int64_t n = ++counter.count;
  if (!counter.fail_at) return std::nullopt;
  const bool fails = counter.and_after ? n >= *counter.fail_at : n == *counter.fail_at;
  if (!fails) return std::nullopt;
  ++m_faults;
  return Error{counter.code, fmt::format("injected fault: {} #{} ({})", kind, n, what)};
}

Result<void> FaultInjectingStore::commit() {
  if (!m_inner.in_transaction()) return m_inner.commit();  // a no-op is not a commit
  if (auto error = next(m_commits, "commit", "commit")) return std::unexpected(*error);
  return m_inner.commit();
}

Result<void> FaultInjectingStore::append_inbox(InboxMessage& message) {
  return write("append_inbox", [&] { return m_inner.append_inbox(message); });
}

Result<void> FaultInjectingStore::mark_consumed(int64_t seq, int64_t step) {
  return write("mark_consumed", [&] { return m_inner.mark_consumed(seq, step); });
}

Result<void> FaultInjectingStore::record_failure(int64_t seq, const FailureRecord& failures) {
  return write("record_failure", [&] { return m_inner.record_failure(seq, failures); });
}

Result<void> FaultInjectingStore::dead_letter(const DeadLetter& letter) {
  return write("dead_letter", [&] { return m_inner.dead_letter(letter); });
}

Result<std::optional<DeadLetter>> FaultInjectingStore::take_dead_letter(int64_t id) {
  std::optional<DeadLetter> taken;
  auto r = write("take_dead_letter", [&]() -> Result<void> {
    auto got = m_inner.take_dead_letter(id);
    if (!got) return std::unexpected(got.error());
    taken = std::move(*got);
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return taken;
}

Result<void> FaultInjectingStore::write_state(const Address& address, const std::string& name,
                                              const TypedValue& value,
                                              std::optional<int64_t> expires_at_ms,
                                              const StateCause& cause) {
  return write("write_state",
               [&] { return m_inner.write_state(address, name, value, expires_at_ms, cause); });
}

Result<void> FaultInjectingStore::delete_state(const Address& address, const std::string& name,
                                               const StateCause& cause) {
  return write("delete_state", [&] { return m_inner.delete_state(address, name, cause); });
}

Result<void> FaultInjectingStore::set_expiry(const Address& address, const std::string& name,
                                             int64_t expires_at_ms) {
  return write("set_expiry", [&] { return m_inner.set_expiry(address, name, expires_at_ms); });
}

Result<void> FaultInjectingStore::drop_expired(const Address& address, const std::string& name) {
  return write("drop_expired", [&] { return m_inner.drop_expired(address, name); });
}

Result<void> FaultInjectingStore::add_timer(TimerRecord& timer) {
  return write("add_timer", [&] { return m_inner.add_timer(timer); });
}

Result<void> FaultInjectingStore::remove_timer(int64_t id) {
  return write("remove_timer", [&] { return m_inner.remove_timer(id); });
}

Result<void> FaultInjectingStore::append_egress(EgressRecord& record) {
  return write("append_egress", [&] { return m_inner.append_egress(record); });
}

Result<void> FaultInjectingStore::consume_egress(int64_t seq) {
  return write("consume_egress", [&] { return m_inner.consume_egress(seq); });
}

Result<void> FaultInjectingStore::append_topic_record(TopicRecordRow& row) {
  return write("append_topic_record", [&] { return m_inner.append_topic_record(row); });
}

Result<void> FaultInjectingStore::append_trace(const TraceRecord& record) {
  return write("append_trace", [&] { return m_inner.append_trace(record); });
}

Result<int64_t> FaultInjectingStore::prune(int64_t through_step, int64_t through_seq,
                                           int64_t through_egress_seq, int64_t batch) {
  return write("prune",
               [&] { return m_inner.prune(through_step, through_seq, through_egress_seq, batch); });
}

Result<void> FaultInjectingStore::add_retention_mark(RetentionMark& mark) {
  return write("add_retention_mark", [&] { return m_inner.add_retention_mark(mark); });
}

Result<void> FaultInjectingStore::write_external_offset(const ExternalOffset& offset) {
  return write("write_external_offset", [&] { return m_inner.write_external_offset(offset); });
}

Result<void> FaultInjectingStore::drop_retention_marks_before(int64_t id) {
  return write("drop_retention_marks_before",
               [&] { return m_inner.drop_retention_marks_before(id); });
}

}  // namespace statefun
