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

namespace statefun {

struct AddressHash {
  std::size_t operator()(const Address& a) const noexcept {
    std::hash<std::string> h;
    return h(a.id) ^ (h(a.type.name) * 31) ^ (h(a.type.ns) * 131);
  }
};

// An ingress message held back by backpressure until its mailbox drains.
struct ParkedAccept {
  InboxMessage message;
  std::function<void(Result<void>)> done;
};

struct EditEvent {
  Address address;
  std::string label;
  AddressEditFn edit;
  std::function<void(Result<void>)> done;
};

struct Mailbox {
  // Vectors, not deques: a libstdc++ deque allocates ~600 bytes when it is
  // constructed, and there is one mailbox per address with pending work.
  std::vector<InboxMessage> backlog;    // arrived, not yet sent
  std::vector<InboxMessage> in_flight;  // the batch on the wire (or awaiting retry)
  std::vector<ParkedAccept> parked;     // ingress waiting for backlog room (rare)
  std::vector<EditEvent> edits;         // admin edits waiting for the wire to be free (rare)
  bool busy = false;                    // a batch is in flight or scheduled for retry
  bool on_wire = false;                 // the batch is an HTTP request right now
  bool waiting_gate = false;            // the batch waits for its gate to open
  int failed_attempts = 0;
  int handshakes = 0;
  std::chrono::steady_clock::time_point sent_at;
};

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

struct TimerKey {
  int64_t due_ms;
  int64_t id;
  auto operator<=>(const TimerKey&) const = default;
};

// Events posted to the engine thread.
struct AcceptEvent {
  InboxMessage message;
  std::function<void(Result<void>)> done;
};
struct CallDoneEvent {
  Address address;
  CallOutcome outcome;
};
struct PopEgressEvent {
  std::string topic;
  std::function<void(Result<std::optional<EgressRecord>>)> done;
};
struct RerouteEvent {};
struct TickEvent {};
struct ReconfigureEvent {
  RouteResolver resolve;
  EgressRouter route_egress;
};
struct GateEvent {
  std::string gate;
  bool open;
};
struct TimerOpEvent {
  int64_t id;
  bool fire;  // deliver now; otherwise cancel
  std::function<void(Result<bool>)> done;
};
struct RestoreEvent {
  Dispatcher::StoreSwap swap;
  std::function<void(Result<void>)> done;
};
using Event = std::variant<AcceptEvent, CallDoneEvent, PopEgressEvent, RerouteEvent, TickEvent,
                           ReconfigureEvent, GateEvent, EditEvent, TimerOpEvent, RestoreEvent>;

class Dispatcher::Impl {
 public:
  explicit Impl(DispatcherOptions options)
      : m_options(std::move(options)),
        m_own_loop(m_options.loop ? nullptr : std::make_unique<net::EventLoop>()),
        m_loop(m_options.loop ? m_options.loop : m_own_loop.get()) {}

  Result<void> start();
  void stop();
  void post(Event event);  // any thread; refused once stopping
  static void refuse(Event& event);
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
  void add_timer(TimerRecord timer);
  bool remove_timer_by_token(const std::string& scope_id, const std::string& token);
  std::optional<TimerRecord> take_timer(int64_t id);   // removes from memory and store
  bool gate_closed(const FunctionRoute& route) const;  // also true while restoring
  void release_if_idle(const Address& address);
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
      m_failing{0};
  std::map<std::string, int64_t> m_published_queues;  // guarded by m_mutex

  // Engine thread only.
  std::unordered_map<Address, Mailbox, AddressHash> m_mailboxes;
  std::map<FunctionType, TypeRegistry> m_registries;
  std::map<FunctionType, std::optional<FunctionRoute>> m_routes;  // resolved lazily
  std::map<FunctionType, int64_t> m_queued_per_type;              // messages queued or in flight
  int64_t m_queued_total = 0;
  std::set<FunctionType> m_reported_unroutable;
  std::set<std::string> m_closed_gates;
  std::optional<RestoreEvent> m_restore;  // a restore waiting for the wire to be quiet
  int64_t m_on_wire = 0;                  // requests on the wire right now
  // Retention: once a second, where the step and sequence counters stood.
  struct Watermark {
    int64_t at_ms, step, inbox_seq, egress_seq;
  };
  std::deque<Watermark> m_watermarks;
  int64_t m_last_inbox_seq = 0, m_last_egress_seq = 0;
  std::set<TimerKey> m_timer_queue;
  std::unordered_map<int64_t, TimerRecord> m_timers;
  std::map<std::pair<std::string, std::string>, int64_t> m_timer_tokens;  // (scope id, token)
  std::set<std::pair<int64_t, Address>> m_retry_queue;                    // (due ms, address)
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
