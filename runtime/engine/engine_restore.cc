// Loading durable state at start, retention pruning, and swapping the whole
// database for a snapshot while the engine runs.
#include <fmt/format.h>

#include <algorithm>

#include "runtime/engine/engine.h"

namespace statefun {

Result<void> Engine::load() {
  auto& store = *m_options.store;
  auto last = store.last_step();
  if (!last) return std::unexpected(last.error());
  m_last_step = *last;
  auto sequences = store.last_sequences();
  if (!sequences) return std::unexpected(sequences.error());
  std::tie(m_last_inbox_seq, m_last_egress_seq) = *sequences;
  if (auto r = load_marks(); !r) return r;
  if (auto r = record_clock_mode(); !r) return r;

  // Timers first: one that fell due while we were down fires right away.
  auto timers = store.load_timers();
  if (!timers) return std::unexpected(timers.error());
  for (auto& timer : *timers) m_timers.add(std::move(timer));

  auto pending = store.load_pending();
  if (!pending) return std::unexpected(pending.error());
  m_loading = true;
  for (auto& message : *pending) enqueue(std::move(message));
  m_loading = false;
  publish_counters();
  return {};
}

void Engine::send_ready() {
  for (auto& [address, box] : m_mailboxes) maybe_send(address, box);
}

// Retention. Once a second the engine measures the rows written since the
// last sample (Store::measure_rows over the new step and sequence ranges)
// and keeps a running byte total. A mark (where the counters and the total
// stood) is persisted when enough bytes or time went by since the last one;
// the oldest mark is the floor. The floor moves to the newest mark older
// than the age limit, and further while what lies after it exceeds the size
// cap; everything through the floor is pruned in bounded batches.
Result<void> Engine::load_marks() {
  m_marks.clear();
  m_prune_backlog = false;
  m_sample = {};
  if (!retention_on()) return {};
  auto& store = *m_options.store;
  auto marks = store.load_retention_marks();
  if (!marks) return std::unexpected(marks.error());
  if (marks->empty()) {
    // A new database, or one written before marks existed: a zero floor,
    // so what it holds is measured once and counts towards the cap.
    RetentionMark zero;
    if (!ensure_transaction()) return {};
    if (auto r = store.add_retention_mark(zero); !r) return r;
    marks->push_back(zero);
  }
  m_marks.assign(marks->begin(), marks->end());
  const RetentionMark& last = m_marks.back();
  const RetentionMark now{0, wall_now(), m_last_step, m_last_inbox_seq, m_last_egress_seq, 0};
  auto added = store.measure_rows(last, now);
  if (!added) return std::unexpected(added.error());
  m_sample = now;
  m_sample.bytes = last.bytes + *added;
  // Finish pruning through the floor if a restart interrupted it (a no-op
  // when it was done).
  m_prune_backlog = m_marks.front().step > 0 || m_marks.front().inbox_seq > 0;
  return {};
}

void Engine::prune_old_records() {
  if (!retention_on() || m_marks.empty()) return;
  // Retention is housekeeping: real time, also under a virtual clock.
  const int64_t now = wall_now();
  if (now - m_sample.at_ms >= 1000) {
    if (!sample_retention(now)) return;
    advance_retention_floor(now);
  }
  if (!m_prune_backlog || !ensure_transaction()) return;
  // Bounded batches keep the engine responsive; next_due_ms() brings the
  // engine straight back while rows are left.
  const int64_t batch = m_options.retention_batch;
  const RetentionMark& floor = m_marks.front();
  auto deleted = m_options.store->prune(floor.step, floor.inbox_seq, floor.egress_seq, batch);
  if (!deleted) return fatal(deleted.error());
  m_prune_backlog = *deleted >= batch;
}

bool Engine::sample_retention(int64_t now) {
  auto& store = *m_options.store;
  RetentionMark current{0, now, m_last_step, m_last_inbox_seq, m_last_egress_seq, 0};
  auto added = store.measure_rows(m_sample, current);
  if (!added) {
    fatal(added.error());
    return false;
  }
  current.bytes = m_sample.bytes + *added;
  m_sample = current;
  const RetentionMark& last = m_marks.back();
  const bool moved = current.step != last.step || current.inbox_seq != last.inbox_seq ||
                     current.egress_seq != last.egress_seq;
  if (!moved) return true;
  // About a thousand marks span the size cap; when only age bounds the
  // records, a mark every hundredth of the age (1 s to 1 min) is enough.
  const int64_t cap = m_options.retention_bytes;
  const int64_t age = m_options.retention_age_ms;
  const bool enough_bytes =
      cap > 0 && current.bytes - last.bytes >= std::max<int64_t>(cap / 1024, 1);
  const int64_t every_ms = std::clamp<int64_t>(age > 0 ? age / 100 : 60000, 1000, 60000);
  if (!enough_bytes && now - last.at_ms < every_ms) return true;
  if (!ensure_transaction()) return false;
  if (auto r = store.add_retention_mark(current); !r) {
    fatal(r.error());
    return false;
  }
  m_marks.push_back(current);
  return true;
}

void Engine::advance_retention_floor(int64_t now) {
  std::size_t floor = 0;
  if (const int64_t age = m_options.retention_age_ms; age > 0) {
    for (std::size_t i = 1; i < m_marks.size() && m_marks[i].at_ms <= now - age; ++i) floor = i;
  }
  // The size cap never takes the newest mark: what came after the one
  // before it (about a thousandth of the cap) stays, so the newest steps
  // and sequence numbers always have a row.
  if (const int64_t cap = m_options.retention_bytes; cap > 0) {
    while (floor + 2 < m_marks.size() && m_sample.bytes - m_marks[floor].bytes > cap) ++floor;
  }
  if (floor == 0 || !ensure_transaction()) return;
  if (auto r = m_options.store->drop_retention_marks_before(m_marks[floor].id); !r) {
    return fatal(r.error());
  }
  m_marks.erase(m_marks.begin(), m_marks.begin() + static_cast<std::ptrdiff_t>(floor));
  m_prune_backlog = true;
}

void Engine::handle_restore(RestoreEvent& event) {
  if (m_restore) {
    event.done(make_error(ErrorCode::kFailedPrecondition, "a restore is already in progress"));
    return;
  }
  // From now on nothing new goes on the wire (gate_closed is true for all).
  m_restore = std::move(event);
}

void Engine::finish_restore_when_quiet() {
  if (m_mailboxes.on_wire() > 0) return;  // responses still arrive; they apply to the old database
  RestoreEvent restore = std::move(*m_restore);
  m_restore.reset();
  auto swapped = restore.swap(m_options.store);
  if (!swapped) {
    fatal(swapped.error());
    restore.done(std::unexpected(swapped.error()));
    return;
  }
  m_options.store = *swapped;
  // The snapshot defines messages, timers, state and egress from here on:
  // a lease names a record of the old database (its settle is ignored).
  m_egress_leases.clear();
  m_consume_again.clear();
  if (auto r = reload({ErrorCode::kUnavailable, "a snapshot was restored before this edit ran"});
      !r) {
    fatal(r.error());
    restore.done(std::unexpected(r.error()));
    return;
  }
  commit_open_group();
  restore.done({});
}

Result<void> Engine::reload(const Error& edits_dropped) {
  // Keep what was never committed (ingress held back by backpressure); drop
  // the rest, which the store defines.
  std::vector<ParkedAccept> parked;
  for (auto& [address, box] : m_mailboxes) {
    for (auto& p : box.parked) parked.push_back(std::move(p));
    for (auto& edit : box.edits) edit.done(std::unexpected(edits_dropped));
    for (auto& op : box.inbox_ops) op.done(std::unexpected(edits_dropped));
  }
  m_mailboxes.clear();
  m_failures.clear();
  m_retries.clear();
  m_timers.clear();
  m_reported_unroutable.clear();
  m_group_first_egress.reset();
  if (auto r = load(); !r) {
    for (auto& p : parked) p.done(std::unexpected(r.error()));
    return r;
  }
  send_ready();
  for (auto& p : parked) {
    AcceptEvent event{std::move(p.message), std::move(p.done), std::move(p.accepted)};
    handle_accept(event);
  }
  return {};
}

}  // namespace statefun
