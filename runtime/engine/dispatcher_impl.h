// Internals of the Dispatcher, shared by dispatcher.cc (event loop, public
// API), dispatcher_send.cc (mailboxes, requests, retries, timers) and
// dispatcher_step.cc (validating and applying a function's response).
// Everything below runs on the engine thread unless marked otherwise.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <queue>
#include <set>
#include <thread>
#include <unordered_map>
#include <variant>

#include "runtime/engine/dispatcher.h"
#include "runtime/engine/events.h"
#include "runtime/engine/mailboxes.h"
#include "runtime/engine/retry_queue.h"
#include "runtime/engine/timer_queue.h"

namespace statefun {

// Registered state specs of one function type, in registration order.
struct TypeRegistry {
  std::vector<StateSpec> specs;
  const StateSpec* find(const std::string& name) const {
    for (const auto& s : specs) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
};

class Dispatcher::Impl {
 public:
  explicit Impl(DispatcherOptions options)
      : m_options(std::move(options)),
        m_own_loop(m_options.loop ? nullptr : std::make_unique<net::EventLoop>()),
        m_loop(m_options.loop ? m_options.loop : m_own_loop.get()) {}

  Result<void> start();
  void stop();
  void post(Event event);  // any thread; refused once stopping
  DispatcherStatus status() const;

 private:
  // dispatcher.cc: the loop.
  void run();
  void handle(Event& event);
  void handle_accept(AcceptEvent& event);
  void handle_pop(PopEgressEvent& event);
  void handle_reroute();
  void handle_gate(GateEvent& event);
  void handle_edit(EditEvent& event);
  void handle_timer_op(TimerOpEvent& event);
  void run_edit(const Address& address, EditEvent& event);
  void run_pending_edits(const Address& address, Mailbox& box);

  // dispatcher_restore.cc: retention and swapping the database.
  void prune_old_records();
  void handle_restore(RestoreEvent& event);
  void finish_restore_when_quiet();
  Result<void> load_durable_state();  // timers and pending messages from the store
  void send_all_ready();              // first requests after a (re)load, on the engine thread
  bool commit_group();
  void publish_counters();
  int64_t next_wakeup_ms() const;

  // dispatcher_send.cc: mailboxes, requests, retries, timers.
  Result<void> enqueue_new(InboxMessage message);  // append to inbox + mailbox
  void enqueue(InboxMessage message);              // mailbox only (already stored)
  void maybe_send(const Address& address, Mailbox& box);
  void send_in_flight(const Address& address, Mailbox& box);
  Result<std::vector<StateEntry>> load_state_for_request(const Address& address);
  void admit_parked(const Address& address, Mailbox& box);
  void fail_attempt(const Address& address, Mailbox& box, const std::string& reason);
  void fire_due_timers();
  void fire_due_retries();
  bool remove_timer_by_token(const std::string& scope_id, const std::string& token);
  std::optional<TimerRecord> take_timer(int64_t id);   // removes from memory and store
  bool gate_closed(const FunctionRoute& route) const;  // also true while restoring
  bool is_backpressured(const Address& address, const Mailbox& box) const;
  const std::optional<FunctionRoute>& route_for(const FunctionType& type);

  // dispatcher_step.cc: responses.
  void handle_call_done(CallDoneEvent& event);
  void handle_incomplete(const Address& address, Mailbox& box, IncompleteContext& context);
  std::optional<std::string> validate(const Address& address, const InvocationResult& result,
                                      std::vector<RoutedEgress>& routed) const;
  Result<void> apply_step(const Address& address, Mailbox& box, InvocationResult& result,
                          const std::vector<RoutedEgress>& routed);

  bool ensure_transaction();
  void fatal(const Error& error);

  DispatcherOptions m_options;

  // Shared with other threads.
  mutable std::mutex m_mutex;
  std::unique_ptr<net::EventLoop> m_own_loop;  // when the options bring none
  net::EventLoop* m_loop = nullptr;            // what the engine thread waits on
  std::vector<Event> m_events;                 // guarded by m_mutex
  bool m_stop_requested = false;               // guarded by m_mutex
  std::thread m_thread;
  std::atomic<int64_t> m_pending{0}, m_in_flight{0}, m_unroutable{0}, m_timer_count{0}, m_steps{0},
      m_failing{0};                                   // published at each commit
  std::map<std::string, int64_t> m_published_queues;  // guarded by m_mutex

  // Engine thread only.
  Mailboxes m_mailboxes;
  std::map<FunctionType, TypeRegistry> m_registries;
  std::map<FunctionType, std::optional<FunctionRoute>> m_routes;  // resolved lazily
  std::set<FunctionType> m_reported_unroutable;
  std::set<std::string> m_closed_gates;
  std::optional<RestoreEvent> m_restore;  // a restore waiting for the wire to be quiet
  // Retention: once a second, where the step and sequence counters stood.
  struct Watermark {
    int64_t at_ms, step, inbox_seq, egress_seq;
  };
  std::deque<Watermark> m_watermarks;
  int64_t m_last_inbox_seq = 0, m_last_egress_seq = 0;
  TimerQueue m_timers;
  RetryQueue m_retries;
  int64_t m_last_step = 0;
  // Egress records appended in the open group are not visible to readers:
  // pops only see seqs below the group's first one.
  std::optional<int64_t> m_group_first_egress;
  // Run once the group commits (nullptr) or could not be committed (the error).
  std::vector<std::function<void(const Error*)>> m_after_commit;
  bool m_fatal = false;
  // While loading, messages only fill mailboxes: the first requests go out
  // from the engine thread, so start() (and "ready") does not wait for them.
  bool m_loading = false;
};

}  // namespace statefun
