// Loading durable state at start, and swapping the whole database for a
// snapshot while the engine runs.
#include <fmt/format.h>

#include "runtime/dispatcher_impl.h"

namespace statefun {

Result<void> Dispatcher::Impl::load_durable_state() {
  auto& store = *m_options.store;
  auto last = store.last_step();
  if (!last) return std::unexpected(last.error());
  m_last_step = *last;

  // Timers first: one that fell due while we were down fires right away.
  auto timers = store.load_timers();
  if (!timers) return std::unexpected(timers.error());
  for (auto& timer : *timers) add_timer(std::move(timer));

  auto pending = store.load_pending();
  if (!pending) return std::unexpected(pending.error());
  for (auto& message : *pending) enqueue(std::move(message));
  publish_counters();
  return {};
}

void Dispatcher::Impl::handle_restore(RestoreEvent& event) {
  if (m_restore) {
    event.done(make_error(ErrorCode::kFailedPrecondition, "a restore is already in progress"));
    return;
  }
  // From now on nothing new goes on the wire (gate_closed is true for all).
  m_restore = std::move(event);
}

void Dispatcher::Impl::finish_restore_when_quiet() {
  if (m_on_wire > 0) return;  // responses still arrive; they apply to the old database
  RestoreEvent restore = std::move(*m_restore);
  m_restore.reset();

  // Keep what was never committed (ingress held by backpressure); drop the
  // rest: the snapshot defines messages, timers and state from here on.
  std::vector<ParkedAccept> parked;
  for (auto& [address, box] : m_mailboxes) {
    for (auto& p : box.parked) parked.push_back(std::move(p));
    for (auto& edit : box.edits) {
      edit.done(
          make_error(ErrorCode::kUnavailable, "a snapshot was restored before this edit ran"));
    }
  }
  m_mailboxes.clear();
  m_retry_queue.clear();
  m_timer_queue.clear();
  m_timers.clear();
  m_timer_tokens.clear();
  m_queued_per_type.clear();
  m_queued_total = 0;
  m_in_flight = 0;
  m_failing = 0;
  m_timer_count = 0;
  m_reported_unroutable.clear();

  auto swapped = restore.swap(m_options.store);
  if (!swapped) {
    fatal(swapped.error());
    restore.done(std::unexpected(swapped.error()));
    return;
  }
  m_options.store = *swapped;
  if (auto r = load_durable_state(); !r) {
    fatal(r.error());
    restore.done(std::unexpected(r.error()));
    return;
  }
  for (auto& p : parked) {
    AcceptEvent event{std::move(p.message), std::move(p.done)};
    handle_accept(event);
  }
  commit_group();
  restore.done({});
}

}  // namespace statefun
