// Loading durable state at start, retention pruning, and swapping the whole
// database for a snapshot while the engine runs.
#include <fmt/format.h>

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
  m_watermarks.clear();

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

void Engine::prune_old_records() {
  const int64_t age = m_options.retention_age_ms;
  if (age <= 0) return;
  const int64_t now = m_options.clock->now_ms();
  if (m_watermarks.empty() || now - m_watermarks.back().at_ms >= 1000) {
    m_watermarks.push_back({now, m_last_step, m_last_inbox_seq, m_last_egress_seq});
  }
  // The newest watermark that is old enough bounds what may go.
  std::optional<Watermark> cutoff;
  while (!m_watermarks.empty() && m_watermarks.front().at_ms <= now - age) {
    cutoff = m_watermarks.front();
    m_watermarks.pop_front();
  }
  if (!cutoff || !ensure_transaction()) return;
  // Bounded batches keep the engine responsive; leftovers go next second.
  if (auto r = m_options.store->prune(cutoff->step, cutoff->inbox_seq, cutoff->egress_seq, 5000);
      !r) {
    fatal(r.error());
  }
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
  // The snapshot defines messages, timers and state from here on.
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
    AcceptEvent event{std::move(p.message), std::move(p.done)};
    handle_accept(event);
  }
  return {};
}

}  // namespace statefun
