// The dispatcher's one observer in `statefun dev`, fanning every event out
// to the console, the metrics and the subscribers of the admin API's
// server-sent-events stream. It also remembers the state specs each
// function type registered (in memory, as on Flink: until the next start).
//
// Threading: the DispatcherObserver callbacks run on the engine thread and
// never block on a subscriber (a subscriber that falls behind by more than
// its queue limit loses events and is told so). Everything else is
// thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulator/admin/metrics.h"
#include "runtime/core/thread_annotations.h"
#include "runtime/engine/dispatcher.h"

namespace statefun::emulator {

// One event as the stream shows it: `kind` is the SSE event name ("step",
// "call_failed", "recovered", "states_registered", "unroutable", "fatal",
// "suspended", "resumed", "lagged"), `data` its JSON text.
struct HubEvent {
  std::string kind;
  std::string data;
  int64_t step = 0;  // the step id for "step" events
  std::optional<Address> address;
  // "step" events carry the record and get their `data` on the reader's
  // thread, when a subscriber takes them: rendering JSON for every step on
  // the engine thread cost more than the step's own bookkeeping.
  std::shared_ptr<const TraceRecord> trace;
};

class EventHub final : public DispatcherObserver {
 public:
  // `forward` (the console) hears everything first; may be null.
  explicit EventHub(DispatcherObserver* forward);

  class Subscription {
   public:
    // The next event, or nullopt after `timeout` or once the hub closed.
    std::optional<HubEvent> next(std::chrono::milliseconds timeout);
    bool closed() const;

   private:
    friend class EventHub;
    mutable Mutex m_mutex;
    CondVar m_ready;
    std::deque<HubEvent> m_queue STATEFUN_GUARDED_BY(m_mutex);
    bool m_closed STATEFUN_GUARDED_BY(m_mutex) = false;
    bool m_lagged STATEFUN_GUARDED_BY(m_mutex) = false;
  };

  // A new subscriber. With `replay_steps`, its queue starts with the recent
  // step events the hub still remembers (the last few thousand), so a
  // reader that catches up from the database misses nothing in between.
  std::shared_ptr<Subscription> subscribe(bool replay_steps);
  void unsubscribe(const std::shared_ptr<Subscription>& subscription);
  // Ends every subscription (shutdown).
  void close();

  // The specs `type` registered since start; nullopt when it has not yet.
  std::optional<std::vector<StateSpec>> registered(const FunctionType& type) const;
  std::map<std::string, std::vector<StateSpec>> all_registered() const;

  const Metrics& metrics() const { return m_metrics; }

  // Whether the requests of `address` are failing right now (its last
  // attempt failed and no later one succeeded); `send --wait` names it.
  // Its last failure (CallFailure::first_at_ms: when the streak began); null
  // when it is not failing. Unlike DispatcherStatus::failing_addresses,
  // never cut to the first few addresses.
  std::shared_ptr<const CallFailure> failure(const Address& address) const;

  // Group commits so far. A reader that found nothing new passes what this
  // said before its read to wait_for_commit(), which returns once a later
  // commit happened (so a read now may find more), after `timeout`, or when
  // the hub closes: long polling without a thread per waiter on the engine.
  uint64_t commits() const;
  void wait_for_commit(uint64_t seen, std::chrono::milliseconds timeout) const;

  void on_step(const TraceRecord& step) override;
  void on_call_failed(const Address& address, const CallFailure& failure) override;
  void on_recovered(const Address& address, int failed_attempts) override;
  void on_states_registered(const FunctionType& type, const std::vector<StateSpec>& specs) override;
  void on_unroutable(const FunctionType& type) override;
  void on_fatal(const Error& error) override;
  void on_suspended(const Error& error) override;
  void on_resumed() override;
  void on_committed(int64_t last_step) override;

 private:
  static constexpr std::size_t kRecentSteps = 4096;
  static constexpr std::size_t kMaxQueue = 10000;

  void publish(HubEvent event);

  DispatcherObserver* m_forward;
  Metrics m_metrics;
  mutable Mutex m_mutex;
  std::set<std::shared_ptr<Subscription>> m_subscribers STATEFUN_GUARDED_BY(m_mutex);
  std::deque<HubEvent> m_recent_steps STATEFUN_GUARDED_BY(m_mutex);
  std::map<FunctionType, std::vector<StateSpec>> m_registered STATEFUN_GUARDED_BY(m_mutex);
  std::map<Address, std::shared_ptr<const CallFailure>> m_failures STATEFUN_GUARDED_BY(m_mutex);
  bool m_closed STATEFUN_GUARDED_BY(m_mutex) = false;
  uint64_t m_commits STATEFUN_GUARDED_BY(m_mutex) = 0;
  mutable CondVar m_committed;
};

}  // namespace statefun::emulator
