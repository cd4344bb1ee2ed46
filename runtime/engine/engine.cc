// Handling events, group commits and the counters.
#include "runtime/engine/engine.h"

#include <fmt/format.h>

#include <limits>

namespace statefun {

Engine::Engine(EngineOptions options) : m_options(std::move(options)) {
  m_closed_gates.insert(m_options.closed_gates.begin(), m_options.closed_gates.end());
}

void Engine::handle(Event event) {
  if (stopped()) {
    if (auto* settle = std::get_if<SettleEgressEvent>(&event)) {
      settle_while_stopped(*settle);
      return;
    }
    if (auto* call = std::get_if<CallDoneEvent>(&event)) {
      // The answer to a request sent before the store failed: its step
      // cannot be made durable. A resume sends the batch again.
      Mailbox* box = m_mailboxes.find(call->address);
      if (box && box->on_wire) m_mailboxes.set_on_wire(*box, false);
      return;
    }
    // Nothing can be made durable now: answer at once rather than leave the
    // caller (an ingress request, an admin call) waiting.
    refuse(event, refusal());
    return;
  }
  std::visit(
      [this](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, AcceptEvent>) handle_accept(e);
        if constexpr (std::is_same_v<T, IngestEvent>) handle_ingest(e);
        if constexpr (std::is_same_v<T, CallDoneEvent>) handle_call_done(e);
        if constexpr (std::is_same_v<T, PopEgressEvent>) handle_pop(e);
        if constexpr (std::is_same_v<T, SettleEgressEvent>) handle_settle(e);
        if constexpr (std::is_same_v<T, RerouteEvent>) handle_reroute();
        if constexpr (std::is_same_v<T, ReconfigureEvent>) {
          m_options.resolve = std::move(e.resolve);
          m_options.route_egress = std::move(e.route_egress);
          handle_reroute();
        }
        if constexpr (std::is_same_v<T, GateEvent>) handle_gate(e);
        if constexpr (std::is_same_v<T, EditEvent>) handle_edit(e);
        if constexpr (std::is_same_v<T, TimerOpEvent>) handle_timer_op(e);
        if constexpr (std::is_same_v<T, RestoreEvent>) handle_restore(e);
        if constexpr (std::is_same_v<T, InboxOpEvent>) handle_inbox_op(e);
        if constexpr (std::is_same_v<T, DeadLetterOpEvent>) handle_dead_letter_op(e);
        if constexpr (std::is_same_v<T, AdvanceClockEvent>) handle_advance(e);
        if constexpr (std::is_same_v<T, ProduceEvent>) handle_produce(e);
        // TickEvent: nothing beyond the fire_due() that ends every group.
      },
      event);
}

void Engine::handle_accept(AcceptEvent& event) {
  auto& box = m_mailboxes.open(event.message.target);
  if (is_backpressured(event.message.target, box)) {
    box.parked.push_back(
        {std::move(event.message), std::move(event.done), std::move(event.accepted)});
    return;
  }
  auto id = enqueue_new(std::move(event.message));
  if (!id) {
    event.done(std::unexpected(id.error()));
    return;
  }
  if (event.accepted) event.accepted(*id);
  m_after_commit.push_back([done = std::move(event.done)](const Error* error) {
    error ? done(std::unexpected(*error)) : done({});
  });
}

void Engine::handle_produce(ProduceEvent& event) {
  // Not parked under backpressure like an accept: the record and its
  // messages must share a commit, so they all join the backlogs now.
  if (!ensure_transaction()) {
    event.done(std::unexpected(refusal()));
    return;
  }
  TopicRecordRow record = std::move(event.record);
  auto ids = append_topic_record(record, std::move(event.messages));
  if (!ids) {
    event.done(std::unexpected(ids.error()));
    return;
  }
  m_after_commit.push_back([done = std::move(event.done), record = std::move(record),
                            ids = std::move(*ids)](const Error* error) mutable {
    if (error) return done(std::unexpected(*error));
    done(std::pair{std::move(record), std::move(ids)});
  });
}

Result<std::vector<int64_t>> Engine::append_topic_record(TopicRecordRow& record,
                                                         std::vector<InboxMessage> messages) {
  record.at_ms = m_options.clock->now_ms();
  record.messages = static_cast<int64_t>(messages.size());
  std::vector<int64_t> ids;
  ids.reserve(messages.size());
  for (auto& message : messages) {
    message.accepted_at_ms = record.at_ms;
    auto id = enqueue_new(std::move(message));
    if (!id) return std::unexpected(id.error());
    ids.push_back(*id);
  }
  record.first_message = ids.empty() ? 0 : ids.front();
  if (auto r = m_options.store->append_topic_record(record); !r) {
    // The messages are not durable without their record: nothing of the
    // group may commit.
    fatal(r.error());
    return std::unexpected(r.error());
  }
  return ids;
}

void Engine::handle_ingest(IngestEvent& event) {
  if (!ensure_transaction()) {
    event.done(std::unexpected(refusal()));
    return;
  }
  for (auto& offset : event.offsets) {
    if (offset.updated_at_ms == 0) offset.updated_at_ms = m_options.clock->now_ms();
    if (auto r = m_options.store->write_external_offset(offset); !r) {
      fatal(r.error());
      event.done(std::unexpected(r.error()));
      return;
    }
  }
  for (auto& message : event.messages) {
    if (auto id = enqueue_new(std::move(message)); !id) {
      event.done(std::unexpected(id.error()));
      return;
    }
  }
  m_after_commit.push_back([done = std::move(event.done)](const Error* error) {
    error ? done(std::unexpected(*error)) : done({});
  });
}

void Engine::handle_reroute() {
  m_routes.clear();
  m_reported_unroutable.clear();
  for (auto& [address, box] : m_mailboxes) maybe_send(address, box);
}

void Engine::handle_gate(GateEvent& event) {
  if (event.if_idle_for) {
    const bool idle = gate_idle(event.gate, *event.if_idle_for);
    if (idle) m_closed_gates.insert(event.gate);
    if (event.closed) event.closed(idle);
    return;
  }
  if (event.open) {
    m_gate_used_at[event.gate] = std::chrono::steady_clock::now();
    m_waiting_gates.erase(event.gate);
    if (m_closed_gates.erase(event.gate) == 0) return;
  } else {
    m_closed_gates.insert(event.gate);
    return;
  }
  for (auto& [address, box] : m_mailboxes) {
    if (box.busy && box.waiting_gate) {
      send_in_flight(address, box);
    } else {
      maybe_send(address, box);
    }
  }
}

bool Engine::gate_closed(const FunctionRoute& route) const {
  return m_restore.has_value() || (!route.gate.empty() && m_closed_gates.contains(route.gate));
}

bool Engine::gate_idle(const std::string& gate, std::chrono::milliseconds idle_for) {
  if (m_closed_gates.contains(gate)) return true;  // closed already: nothing gets through
  if (auto used = m_gate_used_at.find(gate);
      used != m_gate_used_at.end() && std::chrono::steady_clock::now() - used->second < idle_for) {
    return false;
  }
  for (const auto& [address, box] : m_mailboxes) {
    if (!box.busy && box.backlog.empty()) continue;
    const auto& route = route_for(address.type);
    if (route && route->gate == gate) return false;
  }
  return true;
}

void Engine::held_by_gate(const FunctionRoute& route, const FunctionType& type) {
  // Not while a restore holds every gate shut: nothing needs starting then.
  if (m_restore || route.gate.empty() || !m_options.on_gate_waiting) return;
  if (m_waiting_gates.insert(route.gate).second) m_options.on_gate_waiting(route.gate, type);
}

void Engine::handle_timer_op(TimerOpEvent& event) {
  if (!ensure_transaction()) {
    event.done(make_error(ErrorCode::kIo, "the state database is unavailable"));
    return;
  }
  auto timer = take_timer(event.id);
  if (timer && event.fire) {
    InboxMessage message;
    message.target = std::move(timer->target);
    message.caller = std::move(timer->sender);
    message.argument = std::move(timer->argument);
    message.source = MessageSource::kTimer;
    message.cause_step = timer->cause_step;  // fired early, still caused by its step
    if (auto r = enqueue_new(std::move(message)); !r) {
      event.done(std::unexpected(r.error()));
      return;
    }
  }
  const bool found = timer.has_value();
  m_after_commit.push_back([done = std::move(event.done), found](const Error* error) {
    error ? done(std::unexpected(*error)) : done(found);
  });
}

bool Engine::ensure_transaction() {
  if (stopped()) return false;
  if (auto r = m_options.store->begin(); !r) {
    fatal(r.error());
    return false;
  }
  return true;
}

bool Engine::commit_group() {
  if (!commit_open_group()) return false;
  if (m_restore) finish_restore_when_quiet();
  return !stopped();
}

bool Engine::commit_open_group() {
  if (stopped()) return false;
  auto& store = *m_options.store;
  if (store.in_transaction()) {
    if (auto r = store.commit(); !r) {
      fatal(r.error());
      return false;
    }
    if (m_options.observer) m_options.observer->on_committed(m_last_step);
    if (m_full_reported) {
      // The first write since the disk filled up: there is room again.
      m_full_reported = false;
      if (m_options.observer) m_options.observer->on_resumed();
    }
  }
  m_group_first_egress.reset();
  publish_counters();
  auto callbacks = std::move(m_after_commit);
  m_after_commit.clear();
  for (auto& callback : callbacks) callback(nullptr);
  return true;
}

void Engine::shutdown() {
  commit_open_group();
  if (m_advance) {
    // The steps so far are committed; the rest of the window is not run.
    auto done = std::move(m_advance->event.done);
    m_advance.reset();
    done(make_error(ErrorCode::kUnavailable, "statefun dev is shutting down"));
  }
  for (auto& [address, box] : m_mailboxes) {
    for (auto& parked : box.parked) {
      parked.done(make_error(ErrorCode::kUnavailable, "statefun dev is shutting down"));
    }
    box.parked.clear();
  }
}

void Engine::fire_due() {
  if (m_fatal) return;
  if (m_full) {
    if (wall_now() < m_retry_full_at_ms) return;
    try_resume();
    if (stopped()) return;
  }
  fire_due_timers();
  fire_due_retries();
  continue_advance();
  prune_old_records();
}

std::optional<int64_t> Engine::next_due_ms() const {
  if (m_fatal) return std::nullopt;
  if (m_full) return m_retry_full_at_ms;
  std::optional<int64_t> next;
  auto earliest = [&next](int64_t due) { next = next ? std::min(*next, due) : due; };
  // Retention samples once a second, and prunes a backlog batch by batch
  // with the loop's I/O in between.
  if (retention_on()) earliest(wall_now() + (m_prune_backlog ? 0 : 1000));
  if (auto due = m_timers.next_due_ms()) {
    // A virtual clock stands still: its timers fall due only when it moves
    // (or are due already: a timer scheduled with no delay).
    if (!m_options.virtual_clock) {
      earliest(*due);
    } else if (*due <= m_options.clock->now_ms()) {
      earliest(wall_now());
    }
  }
  if (auto due = m_retries.next_due_ms()) earliest(*due);
  return next;
}

DispatcherStatus Engine::status() const {
  DispatcherStatus status;
  for (const auto& type : m_reported_unroutable) status.unroutable += m_mailboxes.queued(type);
  status.pending = m_mailboxes.queued_total() - status.unroutable;
  status.in_flight = m_mailboxes.busy();
  status.timers = static_cast<int64_t>(m_timers.size());
  status.steps = m_last_step;
  status.failing = m_mailboxes.failing();
  for (const auto& [address, failure] : m_failures) {
    if (status.failing_addresses.size() >= DispatcherStatus::kMaxFailingListed) break;
    status.failing_addresses.push_back({address, failure});
  }
  for (const auto& [type, queued] : m_mailboxes.queued_by_type()) {
    status.queued_by_type.emplace(type.str(), queued);
  }
  status.store_failure = m_fatal ? m_fatal : m_full;
  status.retrying = m_full.has_value();
  if (!m_marks.empty()) status.retained_bytes = m_sample.bytes - m_marks.front().bytes;
  return status;
}

void Engine::publish_counters() {
  if (m_options.publish) m_options.publish(status());
}

void Engine::fatal(const Error& error) {
  if (error.code == ErrorCode::kResourceExhausted) {
    // A full disk: what is in memory can no longer be made durable, but the
    // database itself is intact. Pause, and retry once there may be room.
    m_full = error;
    m_retry_full_at_ms = wall_now() + m_options.full_disk_retry.count();
    if (!m_full_reported && m_options.observer) m_options.observer->on_suspended(error);
    m_full_reported = true;
  } else {
    // The database refused a write for good (corrupt, gone, taken by
    // another process): stop dispatching until statefun dev restarts.
    m_full.reset();
    m_fatal = error;
    if (m_options.observer) m_options.observer->on_fatal(error);
  }
  fail_group(error);
  if (m_advance) {
    // Where the clock stands is not durable anyway: the caller may advance
    // again once the engine resumes.
    auto done = std::move(m_advance->event.done);
    m_advance.reset();
    done(std::unexpected(error));
  }
  if (m_restore) {
    m_restore->done(std::unexpected(error));
    m_restore.reset();
  }
  publish_counters();
}

void Engine::fail_group(const Error& error) {
  // Refuse everything that waited for the commit: none of it is durable.
  m_group_first_egress.reset();
  auto callbacks = std::move(m_after_commit);
  m_after_commit.clear();
  for (auto& callback : callbacks) callback(&error);
}

Error Engine::refusal() const {
  if (m_fatal) return {ErrorCode::kUnavailable, m_fatal->message};
  return {ErrorCode::kUnavailable,
          fmt::format("the disk is full; statefun dev retries every {} ms and resumes once there "
                      "is room (nothing acknowledged is lost): {}",
                      m_options.full_disk_retry.count(), m_full->message)};
}

void Engine::try_resume() {
  m_retry_full_at_ms = wall_now() + m_options.full_disk_retry.count();
  // Answers still on their way belong to the abandoned group: wait for them
  // (they are dropped on arrival) so none is taken for a new request's.
  if (m_mailboxes.on_wire() > 0) return;
  const Error dropped = *m_full;
  m_full.reset();
  if (auto r = m_options.store->rollback(); !r) return fatal(r.error());
  // Memory ran ahead of the store (steps applied, messages consumed, timers
  // fired in the abandoned group): start again from what is durable.
  if (auto r = reload(dropped); !r) return fatal(r.error());
  consume_delivered_again();
  publish_counters();
}

}  // namespace statefun
