// The engine thread's loop and the thread-safe public API.
#include <fmt/format.h>

#include <limits>

#include "runtime/engine/dispatcher_impl.h"

namespace statefun {

Dispatcher::Dispatcher(DispatcherOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}
Dispatcher::~Dispatcher() { stop(); }
Result<void> Dispatcher::start() { return m_impl->start(); }
void Dispatcher::stop() { m_impl->stop(); }
DispatcherStatus Dispatcher::status() const { return m_impl->status(); }

void Dispatcher::accept(InboxMessage message, std::function<void(Result<void>)> done) {
  m_impl->post(AcceptEvent{std::move(message), std::move(done)});
}

void Dispatcher::pop_egress(std::string topic,
                            std::function<void(Result<std::optional<EgressRecord>>)> done) {
  m_impl->post(PopEgressEvent{std::move(topic), std::move(done)});
}

void Dispatcher::reroute() { m_impl->post(RerouteEvent{}); }
void Dispatcher::tick() { m_impl->post(TickEvent{}); }

void Dispatcher::reconfigure(RouteResolver resolve, EgressRouter route_egress) {
  m_impl->post(ReconfigureEvent{std::move(resolve), std::move(route_egress)});
}

void Dispatcher::set_gate(std::string gate, bool open) {
  m_impl->post(GateEvent{std::move(gate), open});
}

void Dispatcher::edit_address(Address address, std::string label, AddressEditFn edit,
                              std::function<void(Result<void>)> done) {
  m_impl->post(EditEvent{std::move(address), std::move(label), std::move(edit), std::move(done)});
}

void Dispatcher::restore(StoreSwap swap, std::function<void(Result<void>)> done) {
  m_impl->post(RestoreEvent{std::move(swap), std::move(done)});
}

void Dispatcher::cancel_timer(int64_t id, std::function<void(Result<bool>)> done) {
  m_impl->post(TimerOpEvent{id, false, std::move(done)});
}

void Dispatcher::fire_timer(int64_t id, std::function<void(Result<bool>)> done) {
  m_impl->post(TimerOpEvent{id, true, std::move(done)});
}

Result<void> Dispatcher::Impl::start() {
  m_closed_gates.insert(m_options.closed_gates.begin(), m_options.closed_gates.end());
  if (auto r = load_durable_state(); !r) return r;
  m_thread = std::thread([this] { run(); });
  return {};
}

void Dispatcher::Impl::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stop_requested && !m_thread.joinable()) return;
    m_stop_requested = true;
  }
  m_loop->wake();
  if (m_thread.joinable()) m_thread.join();
}

void Dispatcher::Impl::post(Event event) {
  {
    std::lock_guard lock(m_mutex);
    if (!m_stop_requested) {
      m_events.push_back(std::move(event));
      m_loop->wake();  // free on the engine thread, which is awake
      return;
    }
  }
  refuse(event, Error{ErrorCode::kUnavailable, "statefun dev is shutting down"});
}

DispatcherStatus Dispatcher::Impl::status() const {
  DispatcherStatus status{m_pending.load(),
                          m_in_flight.load(),
                          m_unroutable.load(),
                          m_timer_count.load(),
                          m_steps.load(),
                          m_failing.load(),
                          {}};
  std::lock_guard lock(m_mutex);
  status.queued_by_type = m_published_queues;
  return status;
}

int64_t Dispatcher::Impl::next_wakeup_ms() const {
  int64_t next = std::numeric_limits<int64_t>::max();
  // Retention samples its watermarks once a second.
  if (m_options.retention_age_ms > 0) next = m_options.clock->now_ms() + 1000;
  if (auto due = m_timers.next_due_ms()) next = *due;
  if (auto due = m_retries.next_due_ms()) next = std::min(next, *due);
  return next;
}

void Dispatcher::Impl::run() {
  send_all_ready();  // what recovery loaded
  std::vector<Event> events;
  for (;;) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stop_requested) break;
    }
    // Sleep until I/O, a posted event or the next timer, retry or retention
    // sample; wake() ends the wait early.
    std::optional<std::chrono::milliseconds> max_wait;
    if (const int64_t wake_at = next_wakeup_ms(); wake_at != std::numeric_limits<int64_t>::max()) {
      max_wait =
          std::chrono::milliseconds(std::max<int64_t>(0, wake_at - m_options.clock->now_ms()));
    }
    {
      std::lock_guard lock(m_mutex);
      if (!m_events.empty()) max_wait = std::chrono::milliseconds(0);
    }
    m_loop->wait(max_wait);
    // Servers and the function client run here; what they learn arrives as
    // posted events, handled in this same group.
    m_loop->dispatch();
    {
      std::lock_guard lock(m_mutex);
      if (m_stop_requested) break;
      // Take a bounded group so acknowledgements are never held back long.
      const std::size_t take =
          std::min<std::size_t>(m_events.size(), m_options.max_events_per_commit);
      events.assign(std::make_move_iterator(m_events.begin()),
                    std::make_move_iterator(m_events.begin() + take));
      m_events.erase(m_events.begin(), m_events.begin() + take);
    }
    for (auto& event : events) {
      if (!m_fatal) handle(event);
    }
    events.clear();
    if (!m_fatal) {
      fire_due_timers();
      fire_due_retries();
      prune_old_records();
    }
    commit_group();
    if (m_restore && !m_fatal) finish_restore_when_quiet();
  }
  commit_group();
  // Whatever still waits was never committed: refuse it rather than hang.
  {
    std::lock_guard lock(m_mutex);
    events = std::move(m_events);
    m_events.clear();
  }
  for (auto& event : events) {
    refuse(event, Error{ErrorCode::kUnavailable, "statefun dev is shutting down"});
  }
  for (auto& [address, box] : m_mailboxes) {
    for (auto& parked : box.parked) {
      parked.done(make_error(ErrorCode::kUnavailable, "statefun dev is shutting down"));
    }
    box.parked.clear();
  }
}

void Dispatcher::Impl::handle(Event& event) {
  std::visit(
      [this](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, AcceptEvent>) handle_accept(e);
        if constexpr (std::is_same_v<T, CallDoneEvent>) handle_call_done(e);
        if constexpr (std::is_same_v<T, PopEgressEvent>) handle_pop(e);
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
      },
      event);
}

void Dispatcher::Impl::handle_accept(AcceptEvent& event) {
  auto& box = m_mailboxes.open(event.message.target);
  if (is_backpressured(event.message.target, box)) {
    box.parked.push_back({std::move(event.message), std::move(event.done)});
    return;
  }
  if (auto r = enqueue_new(std::move(event.message)); !r) {
    event.done(std::unexpected(r.error()));
    return;
  }
  m_after_commit.push_back([done = std::move(event.done)](const Error* error) {
    error ? done(std::unexpected(*error)) : done({});
  });
}

void Dispatcher::Impl::handle_pop(PopEgressEvent& event) {
  const int64_t limit =
      m_group_first_egress ? *m_group_first_egress - 1 : std::numeric_limits<int64_t>::max();
  // Peek first: a poller asking an empty topic costs a read, not a commit.
  auto record = m_options.store->peek_egress(event.topic, limit);
  if (!record) {
    event.done(std::unexpected(record.error()));
    return;
  }
  if (!*record) {
    event.done(std::optional<EgressRecord>());
    return;
  }
  if (!ensure_transaction()) {
    event.done(make_error(ErrorCode::kIo, "the state database is unavailable"));
    return;
  }
  if (auto r = m_options.store->consume_egress((*record)->seq); !r) {
    fatal(r.error());
    event.done(std::unexpected(r.error()));
    return;
  }
  m_after_commit.push_back(
      [done = std::move(event.done), record = std::move(*record)](const Error* error) mutable {
        error ? done(std::unexpected(*error)) : done(std::move(record));
      });
}

void Dispatcher::Impl::handle_reroute() {
  m_routes.clear();
  m_reported_unroutable.clear();
  for (auto& [address, box] : m_mailboxes) maybe_send(address, box);
}

void Dispatcher::Impl::handle_gate(GateEvent& event) {
  if (event.open) {
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

bool Dispatcher::Impl::gate_closed(const FunctionRoute& route) const {
  return m_restore.has_value() || (!route.gate.empty() && m_closed_gates.contains(route.gate));
}

void Dispatcher::Impl::handle_timer_op(TimerOpEvent& event) {
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

bool Dispatcher::Impl::ensure_transaction() {
  if (m_fatal) return false;
  if (auto r = m_options.store->begin(); !r) {
    fatal(r.error());
    return false;
  }
  return true;
}

bool Dispatcher::Impl::commit_group() {
  if (m_fatal) return false;
  auto& store = *m_options.store;
  if (store.in_transaction()) {
    if (auto r = store.commit(); !r) {
      fatal(r.error());
      return false;
    }
    if (m_options.observer) m_options.observer->on_committed(m_last_step);
  }
  m_group_first_egress.reset();
  publish_counters();
  auto callbacks = std::move(m_after_commit);
  m_after_commit.clear();
  for (auto& callback : callbacks) callback(nullptr);
  return true;
}

void Dispatcher::Impl::publish_counters() {
  int64_t unroutable = 0;
  for (const auto& type : m_reported_unroutable) unroutable += m_mailboxes.queued(type);
  m_unroutable = unroutable;
  m_pending = m_mailboxes.queued_total() - unroutable;
  m_in_flight = m_mailboxes.busy();
  m_failing = m_mailboxes.failing();
  m_timer_count = static_cast<int64_t>(m_timers.size());
  m_steps = m_last_step;
  std::map<std::string, int64_t> queues;
  for (const auto& [type, queued] : m_mailboxes.queued_by_type())
    queues.emplace(type.str(), queued);
  std::lock_guard lock(m_mutex);
  m_published_queues = std::move(queues);
}

void Dispatcher::Impl::fatal(const Error& error) {
  // The database refused a write: what is in memory can no longer be made
  // durable, so stop dispatching and refuse everything waiting for a commit.
  m_fatal = true;
  if (m_options.observer) m_options.observer->on_fatal(error);
  auto callbacks = std::move(m_after_commit);
  m_after_commit.clear();
  for (auto& callback : callbacks) callback(&error);
}

}  // namespace statefun
