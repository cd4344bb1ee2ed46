// Mailboxes, building and sending requests, retries and timers.
#include <fmt/format.h>

#include <algorithm>

#include "runtime/engine/engine.h"
#include "runtime/protocol/codec.h"

namespace statefun {

const std::optional<FunctionRoute>& Engine::route_for(const FunctionType& type) {
  auto it = m_routes.find(type);
  if (it == m_routes.end()) it = m_routes.emplace(type, m_options.resolve(type)).first;
  return it->second;
}

bool Engine::is_backpressured(const Address& address, const Mailbox& box) const {
  auto it = m_routes.find(address.type);
  const int max_batch = (it != m_routes.end() && it->second) ? it->second->max_batch : 1000;
  return max_batch > 0 && static_cast<int>(box.backlog.size()) >= max_batch;
}

Result<int64_t> Engine::enqueue_new(InboxMessage message) {
  if (!ensure_transaction()) return make_error(ErrorCode::kIo, "the state database is unavailable");
  if (message.accepted_at_ms == 0) message.accepted_at_ms = m_options.clock->now_ms();
  if (auto r = m_options.store->append_inbox(message); !r) {
    fatal(r.error());
    return std::unexpected(r.error());
  }
  m_last_inbox_seq = message.seq;
  enqueue(std::move(message));
  return m_last_inbox_seq;
}

void Engine::enqueue(InboxMessage message) {
  const Address target = message.target;
  maybe_send(target, m_mailboxes.push(std::move(message)));
}

void Engine::maybe_send(const Address& address, Mailbox& box) {
  if (m_loading || box.busy || box.backlog.empty()) return;
  const auto& route = route_for(address.type);
  if (!route) {
    if (m_reported_unroutable.insert(address.type).second && m_options.observer) {
      m_options.observer->on_unroutable(address.type);
    }
    return;
  }
  if (gate_closed(*route)) {  // kept pending until the gate opens
    held_by_gate(*route, address.type);
    return;
  }
  const std::size_t limit =
      route->max_batch > 0 ? static_cast<std::size_t>(route->max_batch) : box.backlog.size();
  m_mailboxes.start_batch(box, limit);
  send_in_flight(address, box);
  admit_parked(address, box);
}

Result<std::vector<StateEntry>> Engine::load_state_for_request(const Address& address) {
  std::vector<StateEntry> entries;
  auto registry = m_registries.find(address.type);
  if (registry == m_registries.end() || registry->second.specs.empty()) return entries;
  auto stored = m_options.store->read_states(address);
  if (!stored) return std::unexpected(stored.error());
  const int64_t now = m_options.clock->now_ms();
  for (const auto& spec : registry->second.specs) {
    StateEntry entry{spec.name, std::nullopt};
    for (const auto& row : *stored) {
      if (row.name != spec.name) continue;
      if (row.expires_at_ms && now >= *row.expires_at_ms) {
        if (!ensure_transaction()) break;
        (void)m_options.store->drop_expired(address, spec.name);
        break;
      }
      entry.value = TypedValue{spec.type_name, true, row.value};
      // AFTER_INVOKE: attaching the value to a request counts as a read.
      if (spec.expire_mode == ExpireMode::kAfterInvoke && ensure_transaction()) {
        (void)m_options.store->set_expiry(address, spec.name, now + spec.expire_after_ms);
      }
      break;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

void Engine::send_in_flight(const Address& address, Mailbox& box) {
  const auto& route = route_for(address.type);
  if (!route) {
    // The endpoint disappeared (configuration reload) while we retried.
    fail_attempt(address, box,
                 CallFailure::of(CallFailure::Kind::kNoEndpoint,
                                 fmt::format("no endpoint serves {}", address.type.str())));
    return;
  }
  if (gate_closed(*route)) {
    box.waiting_gate = true;
    held_by_gate(*route, address.type);
    return;
  }
  box.waiting_gate = false;
  if (!route->gate.empty()) m_gate_used_at[route->gate] = std::chrono::steady_clock::now();
  auto states = load_state_for_request(address);
  if (!states) {
    fatal(states.error());
    return;
  }
  BatchRequest request{address, std::move(*states), {}};
  request.invocations.reserve(box.in_flight.size());
  for (const auto& message : box.in_flight) {
    request.invocations.push_back({message.caller, message.argument});
  }
  m_mailboxes.set_on_wire(box, true);
  box.sent_at = std::chrono::steady_clock::now();
  box.sent_at_ms = wall_now();  // process output is stamped on the wall clock
  m_options.client->call(route->url, codec::encode_request(request), route->call,
                         [this, address](CallOutcome outcome) {
                           m_options.post(CallDoneEvent{address, std::move(outcome)});
                         });
}

void Engine::admit_parked(const Address& address, Mailbox& box) {
  while (!box.parked.empty() && !is_backpressured(address, box)) {
    ParkedAccept parked = std::move(box.parked.front());
    box.parked.erase(box.parked.begin());
    AcceptEvent event{std::move(parked.message), std::move(parked.done),
                      std::move(parked.accepted)};
    handle_accept(event);
  }
}

void Engine::fail_attempt(const Address& address, Mailbox& box, CallFailure failure) {
  m_mailboxes.set_on_wire(box, false);
  const int attempt = m_mailboxes.record_failure(box);
  // Failures and their retries happen in real time, also while a virtual
  // clock stands still.
  const int64_t now = wall_now();
  if (attempt == 1) box.first_failed_at_ms = now;
  failure.attempt = attempt;
  failure.at_ms = now;
  failure.first_at_ms = box.first_failed_at_ms;
  failure.messages = static_cast<int64_t>(box.in_flight.size() + box.backlog.size());
  const auto& route = route_for(address.type);
  if (route && !route->gate.empty()) {
    failure.process = route->gate;
    if (m_options.call_output) {
      // The process's own words are often the only reason there is (the JS
      // SDK answers a throwing function with an empty 500).
      auto lines = m_options.call_output(route->gate, box.sent_at_ms);
      if (lines.size() > CallFailure::kMaxOutputLines) {
        lines.erase(lines.begin(), lines.end() - CallFailure::kMaxOutputLines);
      }
      failure.output = std::move(lines);
    }
  }
  auto shared = std::make_shared<const CallFailure>(std::move(failure));
  m_failures[address] = shared;
  if (m_options.observer) m_options.observer->on_call_failed(address, *shared);
  if (!record_attempt(address, box,
                      DeliveryFailure{shared->reason, shared->http_status, shared->body})) {
    // Every message of the batch went to the dead letters: the next batch.
    // (The mailbox is released by whoever handles it next: a caller up the
    // stack may still hold it.)
    m_failures.erase(address);
    run_pending_edits(address, box);
    maybe_send(address, box);
    return;
  }
  // 2 ms doubling, capped: a function that is down is polled, not hammered.
  // An admin's "retry now" starts the doubling again.
  const int shift = std::clamp(attempt - 1 - box.backoff_from, 0, 20);
  const int64_t backoff =
      std::min<int64_t>(int64_t{2} << shift, m_options.max_retry_backoff.count());
  box.retry_due_ms = wall_now() + backoff;
  m_retries.schedule(box.retry_due_ms, address);
  // Between attempts nothing is on the wire: a good moment for admin edits
  // (a user fixing the state that makes the function fail).
  run_pending_edits(address, box);
}

void Engine::fire_due_retries() {
  const int64_t now = wall_now();
  while (auto address = m_retries.pop_due(now)) {
    Mailbox* box = m_mailboxes.find(*address);
    // An entry whose batch was retried by hand, dropped or replaced since is
    // stale: only the mailbox's own due time counts.
    if (!box || !box->busy || box->on_wire || box->retry_due_ms < 0 || box->retry_due_ms > now) {
      continue;
    }
    box->retry_due_ms = -1;
    send_in_flight(*address, *box);
  }
}

bool Engine::remove_timer_by_token(const std::string& scope_id, const std::string& token) {
  auto id = m_timers.find_token(scope_id, token);
  return id && take_timer(*id).has_value();
}

std::optional<TimerRecord> Engine::take_timer(int64_t id) {
  auto timer = m_timers.take(id);
  if (!timer) return std::nullopt;
  if (!ensure_transaction()) return std::nullopt;
  if (auto r = m_options.store->remove_timer(id); !r) {
    fatal(r.error());
    return std::nullopt;
  }
  return timer;
}

int64_t Engine::fire_due_timers() {
  const int64_t now = m_options.clock->now_ms();
  int64_t fired = 0;
  while (!stopped()) {
    auto id = m_timers.first_due(now);
    if (!id) break;
    auto timer = take_timer(*id);
    if (!timer) break;
    ++fired;
    InboxMessage message;
    message.target = std::move(timer->target);
    message.caller = std::move(timer->sender);
    message.argument = std::move(timer->argument);
    message.source = MessageSource::kTimer;
    message.cause_step = timer->cause_step;  // the step that scheduled it
    (void)enqueue_new(std::move(message));
  }
  return fired;
}

}  // namespace statefun
