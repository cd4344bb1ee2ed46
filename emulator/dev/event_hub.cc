#include "emulator/dev/event_hub.h"

#include <algorithm>

#include "emulator/admin/admin_json.h"

namespace statefun::emulator {

EventHub::EventHub(DispatcherObserver* forward) : m_forward(forward) {}

std::optional<HubEvent> EventHub::Subscription::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  HubEvent event;
  {
    MutexLock lock(m_mutex);
    while (!m_closed && !m_lagged && m_queue.empty() && m_ready.wait_until(m_mutex, deadline)) {
    }
    if (m_lagged) {
      m_lagged = false;
      return HubEvent{"lagged", R"({"error":"this subscriber fell behind; events were dropped"})"};
    }
    if (m_queue.empty()) return std::nullopt;
    event = std::move(m_queue.front());
    m_queue.pop_front();
  }
  if (event.data.empty() && event.trace) event.data = to_text(trace_json(*event.trace));
  return event;
}

bool EventHub::Subscription::closed() const {
  MutexLock lock(m_mutex);
  return m_closed && m_queue.empty();
}

std::shared_ptr<EventHub::Subscription> EventHub::subscribe(bool replay_steps) {
  auto subscription = std::make_shared<Subscription>();
  MutexLock lock(m_mutex);
  MutexLock inner(subscription->m_mutex);  // not shared yet; the analysis asks all the same
  if (replay_steps) subscription->m_queue = m_recent_steps;
  subscription->m_closed = m_closed;
  m_subscribers.insert(subscription);
  return subscription;
}

void EventHub::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  MutexLock lock(m_mutex);
  m_subscribers.erase(subscription);
}

uint64_t EventHub::commits() const {
  MutexLock lock(m_mutex);
  return m_commits;
}

void EventHub::wait_for_commit(uint64_t seen, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(m_mutex);
  while (!m_closed && m_commits <= seen && m_committed.wait_until(m_mutex, deadline)) {
  }
}

void EventHub::on_committed(int64_t last_step) {
  if (m_forward) m_forward->on_committed(last_step);
  {
    MutexLock lock(m_mutex);
    ++m_commits;
  }
  // No waiter, no system call: glibc only wakes when someone sleeps.
  m_committed.notify_all();
}

void EventHub::close() {
  MutexLock lock(m_mutex);
  m_closed = true;
  m_committed.notify_all();
  for (const auto& s : m_subscribers) {
    MutexLock inner(s->m_mutex);
    s->m_closed = true;
    s->m_ready.notify_all();
  }
}

std::optional<std::vector<StateSpec>> EventHub::registered(const FunctionType& type) const {
  MutexLock lock(m_mutex);
  auto it = m_registered.find(type);
  if (it == m_registered.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::vector<StateSpec>> EventHub::all_registered() const {
  MutexLock lock(m_mutex);
  std::map<std::string, std::vector<StateSpec>> out;
  for (const auto& [type, specs] : m_registered) out.emplace(type.str(), specs);
  return out;
}

void EventHub::publish(HubEvent event) {
  MutexLock lock(m_mutex);
  if (event.kind == "step") {
    m_recent_steps.push_back(event);
    if (m_recent_steps.size() > kRecentSteps) m_recent_steps.pop_front();
  }
  for (const auto& s : m_subscribers) {
    MutexLock inner(s->m_mutex);
    if (s->m_queue.size() >= kMaxQueue) {
      s->m_lagged = true;
    } else {
      s->m_queue.push_back(event);
    }
    s->m_ready.notify_one();
  }
}

void EventHub::on_step(const TraceRecord& step) {
  if (m_forward) m_forward->on_step(step);
  m_metrics.record_step(step);
  {
    // A step of the address means its requests succeed again (also when the
    // failing message was dropped and no recovery was reported).
    MutexLock lock(m_mutex);
    if (!m_failures.empty()) m_failures.erase(step.address);
  }
  publish({"step", {}, step.step, step.address, std::make_shared<const TraceRecord>(step)});
}

std::shared_ptr<const CallFailure> EventHub::failure(const Address& address) const {
  MutexLock lock(m_mutex);
  auto it = m_failures.find(address);
  return it == m_failures.end() ? nullptr : it->second;
}

void EventHub::on_call_failed(const Address& address, const CallFailure& failure) {
  if (m_forward) m_forward->on_call_failed(address, failure);
  m_metrics.record_failure(address);
  {
    MutexLock lock(m_mutex);
    m_failures[address] = std::make_shared<const CallFailure>(failure);
  }
  Json data = {{"address", address.str()}};
  data.update(call_failure_json(failure));
  publish({"call_failed", to_text(data), 0, address});
}

void EventHub::on_recovered(const Address& address, int failed_attempts) {
  if (m_forward) m_forward->on_recovered(address, failed_attempts);
  {
    MutexLock lock(m_mutex);
    m_failures.erase(address);
  }
  Json data = {{"address", address.str()}, {"failed_attempts", failed_attempts}};
  publish({"recovered", to_text(data), 0, address});
}

void EventHub::on_states_registered(const FunctionType& type, const std::vector<StateSpec>& specs) {
  if (m_forward) m_forward->on_states_registered(type, specs);
  {
    MutexLock lock(m_mutex);
    auto& known = m_registered[type];
    for (const auto& spec : specs) {
      auto it = std::find_if(known.begin(), known.end(),
                             [&](const StateSpec& s) { return s.name == spec.name; });
      if (it == known.end()) {
        known.push_back(spec);
      } else {
        *it = spec;
      }
    }
  }
  Json list = Json::array();
  for (const auto& spec : specs) list.push_back(spec_json(spec));
  Json data = {{"function_type", type.str()}, {"states", std::move(list)}};
  publish({"states_registered", to_text(data), 0, std::nullopt});
}

void EventHub::on_unroutable(const FunctionType& type) {
  if (m_forward) m_forward->on_unroutable(type);
  Json data = {{"function_type", type.str()}};
  publish({"unroutable", to_text(data), 0, std::nullopt});
}

void EventHub::on_fatal(const Error& error) {
  if (m_forward) m_forward->on_fatal(error);
  publish({"fatal", to_text(error_json(error)), 0, std::nullopt});
}

void EventHub::on_suspended(const Error& error) {
  if (m_forward) m_forward->on_suspended(error);
  publish({"suspended", to_text(error_json(error)), 0, std::nullopt});
}

void EventHub::on_resumed() {
  if (m_forward) m_forward->on_resumed();
  publish({"resumed", "{}", 0, std::nullopt});
}

}  // namespace statefun::emulator
