// The engine, single-threaded: mailboxes, requests, responses applied as
// steps, group commits, timers, retries, retention, admin edits, restores.
// No thread, no lock, no event loop: whoever drives it decides when each
// event is handled, when time-driven work runs and where a group ends. The
// Dispatcher (dispatcher.h) drives it from its thread; unit tests drive it
// step by step with a ManualClock and a fake FunctionClient.
//
// A group, as the Dispatcher runs it:
//   for each event taken:  engine.handle(event)
//   engine.fire_due()      // what the clock made due
//   engine.commit_group()  // durable; then the group's callbacks run
// Completion callbacks run inside commit_group (after the commit), or inside
// handle when an event is refused at once; never on another thread.
//
// Function calls: the engine calls its FunctionClient and the client's
// answer goes to EngineOptions::post as a CallDoneEvent, which the driver
// must hand back to handle() later. A fake client can therefore answer at
// once, later, or never, as a test wants.
//
// Time: every time the engine needs comes from EngineOptions::clock.
// fire_due() does what is due at the clock's time; next_timer_due_ms() says
// when the next timer falls due, so a virtual clock can move from one due
// time to the next, calling fire_due() (and running the steps that follow)
// at each, and every step sees its own virtual time.
//
// Thread-compatible: call from one thread at a time (the Dispatcher's
// engine thread; start() may come from another before that thread starts).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/client/function_client.h"
#include "runtime/core/clock.h"
#include "runtime/engine/engine_types.h"
#include "runtime/engine/events.h"
#include "runtime/engine/mailboxes.h"
#include "runtime/engine/retry_queue.h"
#include "runtime/engine/timer_queue.h"
#include "runtime/store/store.h"

namespace statefun {

struct EngineOptions {
  Store* store = nullptr;            // required, owned by the caller
  FunctionClient* client = nullptr;  // required, owned by the caller
  // The time steps see: trace times, timers, state expiration. Required.
  const Clock* clock = nullptr;
  // Virtual time (`statefun dev --clock virtual`): when set, `clock` must be
  // this clock, which stands still unless an AdvanceClockEvent moves it, so
  // timers fall due only then. Optional.
  ManualClock* virtual_clock = nullptr;
  // Housekeeping that must go on while virtual time stands still runs on
  // this clock: retry backoff and the retry policy's max age, full-disk
  // retries, retention sampling, and what a failed call's process printed.
  // Optional: `clock` when missing.
  const Clock* wall_clock = nullptr;
  // An advance gives up after delivering this many timers (a timer that
  // keeps rescheduling itself with no delay would never let it finish).
  int64_t max_timers_per_advance = 100000;
  RouteResolver resolve;                   // required
  EgressRouter route_egress;               // required
  DispatcherObserver* observer = nullptr;  // optional
  // Where the client's answers go (a CallDoneEvent each), from whatever
  // thread the client answers on; the driver hands them back to handle().
  // Required.
  std::function<void(Event)> post;
  // Hears the counters whenever they are published: after load() and at
  // each group commit, before the group's callbacks run. Optional.
  std::function<void(const DispatcherStatus&)> publish;
  // Backoff between failed attempts: 2 ms doubling up to this cap.
  std::chrono::milliseconds max_retry_backoff{std::chrono::seconds(2)};
  // Consecutive handshakes for one batch before it counts as a failure.
  int max_handshakes = 8;
  // When a failing message gives up and moves to the dead letters.
  RetryPolicy retry;
  // Trace, consumed messages and read egress older than this are pruned
  // (0 = never); see RetentionPolicy::max_age_ms.
  int64_t retention_age_ms = 0;
  // ... and, oldest first, once the bytes written to them exceed this
  // (0 = never); see RetentionPolicy::max_bytes.
  int64_t retention_bytes = 0;
  // Rows deleted per table in one pass; passes repeat at once while rows
  // are left, with the loop's I/O between them.
  int64_t retention_batch = 5000;
  // Gates closed from the start (see FunctionRoute::gate).
  std::vector<std::string> closed_gates;
  // A message is due behind a closed gate (reported once per gate until it
  // opens again): a process started on demand can be started now. Called
  // on the engine's thread; must not block. Optional.
  GateWaitingFn on_gate_waiting;
  // What the process behind a route's gate printed during a failed call
  // (call_failure.h). Optional: without it failures carry no output.
  CallOutputFn call_output;
  // How often a full disk is retried. Each retry abandons the failed group,
  // reloads pending work from the store and resumes; nothing acknowledged was
  // in the abandoned group, so nothing acknowledged is lost.
  std::chrono::milliseconds full_disk_retry{std::chrono::seconds(1)};
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

class Engine {
 public:
  explicit Engine(EngineOptions options);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads pending messages and timers from the store into memory; sends
  // nothing yet, so a caller can report readiness before any request.
  Result<void> load();
  // Sends the first request of every mailbox that can send (after load()).
  void send_ready();

  // Handles one event. Its callback runs after the group commits, or at
  // once when the event is refused (after the store failed: with its error).
  void handle(Event event);
  // Does what the clock made due: delivers due timers (in due order, each
  // as a message), re-sends batches whose retry is due, and samples and
  // prunes for retention.
  void fire_due();
  // Commits the open group, publishes the counters and runs the callbacks
  // that waited for the commit; then finishes a restore if one waits and no
  // request is on the wire. False once the store has failed.
  bool commit_group();
  // The last commit before the driver stops: refuses ingress still held
  // back by backpressure. Whatever else waits stays in the inbox.
  void shutdown();

  // When the next timer, retry or retention sample is due, on the wall
  // clock (EngineOptions::wall_clock); nullopt when nothing is. With a
  // virtual clock timers do not count: only an advance makes them due.
  std::optional<int64_t> next_due_ms() const;
  // When the next timer is due; nullopt when none is pending.
  std::optional<int64_t> next_timer_due_ms() const { return m_timers.next_due_ms(); }
  // The counters as they stand right now (a driver on another thread gets
  // them through EngineOptions::publish).
  DispatcherStatus status() const;
  // The store refused a write or a commit: the engine stopped dispatching.
  bool failed() const { return m_fatal.has_value(); }
  // The disk is full: dispatch is paused and fire_due() retries once a
  // second (see EngineOptions::full_disk_retry).
  bool suspended() const { return m_full.has_value(); }

 private:
  // engine.cc: events, commits, counters.
  void handle_accept(AcceptEvent& event);
  void handle_produce(ProduceEvent& event);
  void handle_ingest(IngestEvent& event);
  void handle_reroute();
  void handle_gate(GateEvent& event);
  void handle_timer_op(TimerOpEvent& event);
  bool commit_open_group();  // commit_group without finishing a restore
  void publish_counters();
  bool ensure_transaction();
  // The store refused a write or a commit: a full disk suspends the engine,
  // anything else stops it for good.
  void fatal(const Error& error);
  // Runs and clears the callbacks of the group that could not be committed.
  void fail_group(const Error& error);
  bool stopped() const { return m_fatal.has_value() || m_full.has_value(); }
  int64_t wall_now() const {
    return (m_options.wall_clock ? m_options.wall_clock : m_options.clock)->now_ms();
  }
  // The error events get while stopped or suspended.
  Error refusal() const;
  // A full disk, once a second: abandon the failed group, reload from the
  // store and dispatch again.
  void try_resume();
  // Forgets what is in memory and loads it again from the store; ingress
  // held by backpressure is kept. A restore and a resume both do this.
  Result<void> reload(const Error& edits_dropped);

  // engine_send.cc: mailboxes, requests, retries, timers.
  Result<int64_t> enqueue_new(InboxMessage message);  // inbox + mailbox; the message id
  // Appends a topic record and the inbox messages it became, in the open
  // transaction; fills the record's time and message range. The message ids.
  Result<std::vector<int64_t>> append_topic_record(TopicRecordRow& record,
                                                   std::vector<InboxMessage> messages);
  void enqueue(InboxMessage message);  // mailbox only (already stored)
  void maybe_send(const Address& address, Mailbox& box);
  void send_in_flight(const Address& address, Mailbox& box);
  Result<std::vector<StateEntry>> load_state_for_request(const Address& address);
  void admit_parked(const Address& address, Mailbox& box);
  void fail_attempt(const Address& address, Mailbox& box, CallFailure failure);
  int64_t fire_due_timers();  // how many it delivered
  void fire_due_retries();
  bool remove_timer_by_token(const std::string& scope_id, const std::string& token);
  std::optional<TimerRecord> take_timer(int64_t id);   // removes from memory and store
  bool gate_closed(const FunctionRoute& route) const;  // also true while restoring
  // Nothing routed through `gate` queued or on the wire, none for `idle_for`.
  bool gate_idle(const std::string& gate, std::chrono::milliseconds idle_for);
  // A batch for `type` waits behind its route's closed gate: tell whoever
  // can open it (once per gate until it opens).
  void held_by_gate(const FunctionRoute& route, const FunctionType& type);
  bool is_backpressured(const Address& address, const Mailbox& box) const;
  const std::optional<FunctionRoute>& route_for(const FunctionType& type);

  // engine_clock.cc: moving the virtual clock.
  void handle_advance(AdvanceClockEvent& event);
  // Moves an advance on once no request is on the wire; finishes it when
  // nothing more is due in its window. Runs at the end of every fire_due().
  void continue_advance();
  void finish_advance(Result<void> outcome);
  // Sets the virtual clock and records the time in the open group.
  void move_virtual_clock(int64_t to_ms);
  // At load: the virtual clock's time on the database, or none under the
  // wall clock (Store::virtual_now).
  Result<void> record_clock_mode();

  // engine_step.cc: responses.
  void handle_call_done(CallDoneEvent& event);
  void handle_incomplete(const Address& address, Mailbox& box, IncompleteContext& context);
  std::optional<std::string> validate(const Address& address, const InvocationResult& result,
                                      std::vector<RoutedEgress>& routed) const;
  Result<void> apply_step(const Address& address, Mailbox& box, InvocationResult& result,
                          const std::vector<RoutedEgress>& routed);

  // engine_egress.cc: playground egress pops, leased until settled.
  void handle_pop(PopEgressEvent& event);
  void handle_settle(SettleEgressEvent& event);
  void settle_while_stopped(const SettleEgressEvent& event);
  // The oldest committed record of `topic` that no lease holds.
  Result<std::optional<EgressRecord>> peek_unleased(const std::string& topic);
  void consume_leased(int64_t ticket);
  // After a full disk: consumes again what was delivered while it was full.
  void consume_delivered_again();

  // engine_edit.cc: admin edits between two steps of an address.
  void handle_edit(EditEvent& event);
  void run_edit(const Address& address, EditEvent& event);
  void run_pending_edits(const Address& address, Mailbox& box);

  // engine_inbox.cc: failed attempts, the retry policy, dead letters and
  // the admin's inbox operations.
  // Records a failed attempt on every message of the batch in flight (in
  // memory and in the store); moves those whose retry policy ran out to the
  // dead letters. False when the batch is gone (nothing left to retry).
  bool record_attempt(const Address& address, Mailbox& box, const DeliveryFailure& failure);
  // Moves `messages` (already taken out of their mailbox) to the dead
  // letters in one step of its own.
  Result<void> bury(const Address& address, std::vector<InboxMessage> messages,
                    const std::string& cause, const std::string& note);
  // A step with no effects but its trace row (retry now, dead-letter drop).
  // Like admin edits, engine decisions have no invocations: the note says
  // what they did.
  Result<int64_t> note_step(const Address& address, const std::string& label,
                            const std::string& note);
  void handle_inbox_op(InboxOpEvent& event);
  void run_inbox_op(const Address& address, Mailbox& box, InboxOpEvent& event);
  void handle_dead_letter_op(DeadLetterOpEvent& event);

  // engine_restore.cc: loading, retention and swapping the database.
  bool retention_on() const {
    return m_options.retention_age_ms > 0 || m_options.retention_bytes > 0;
  }
  Result<void> load_marks();
  void prune_old_records();
  bool sample_retention(int64_t now);
  void advance_retention_floor(int64_t now);
  void handle_restore(RestoreEvent& event);
  void finish_restore_when_quiet();

  EngineOptions m_options;
  Mailboxes m_mailboxes;
  TimerQueue m_timers;
  RetryQueue m_retries;
  std::map<FunctionType, TypeRegistry> m_registries;
  std::map<FunctionType, std::optional<FunctionRoute>> m_routes;  // resolved lazily
  std::set<FunctionType> m_reported_unroutable;
  std::set<std::string> m_closed_gates;
  std::set<std::string> m_waiting_gates;  // closed, with a batch held (held_by_gate said so)
  // When a call through each gate was last sent or answered (or it opened).
  std::map<std::string, std::chrono::steady_clock::time_point> m_gate_used_at;
  // The last failure of every address whose last attempt failed.
  std::map<Address, std::shared_ptr<const CallFailure>> m_failures;
  std::optional<RestoreEvent> m_restore;  // a restore waiting for the wire to be quiet
  // The advance of the virtual clock under way (engine_clock.cc).
  struct Advance {
    AdvanceClockEvent event;
    ClockAdvance report;
    int64_t first_step = 0;  // m_last_step when it began
  };
  std::optional<Advance> m_advance;
  // Retention (engine_restore.cc). The persisted marks, oldest first: the
  // first is the floor, what everything was (or is being) pruned through.
  std::deque<RetentionMark> m_marks;
  // Where the counters stood at the last sample (once a second), with the
  // running byte total measured up to there; not persisted.
  RetentionMark m_sample;
  bool m_prune_backlog = false;  // pruning through the floor has rows left
  int64_t m_last_inbox_seq = 0, m_last_egress_seq = 0;
  int64_t m_last_step = 0;
  // Egress records appended in the open group are not visible to readers:
  // pops only see seqs below the group's first one.
  std::optional<int64_t> m_group_first_egress;
  // Playground egress records served and not consumed yet, by lease
  // ticket: pops and peeks skip them until they are settled (see
  // EgressLease). A restore drops them all (the snapshot defines egress).
  std::map<int64_t, int64_t> m_egress_leases;  // ticket -> seq
  int64_t m_next_lease = 1;
  // Delivered leases whose consumption a full disk rolled back or refused:
  // consumed again once the engine resumes.
  std::vector<int64_t> m_consume_again;
  // Run once the group commits (nullptr) or could not be committed (the error).
  std::vector<std::function<void(const Error*)>> m_after_commit;
  std::optional<Error> m_fatal;  // what the store said when it failed
  std::optional<Error> m_full;   // the disk is full: suspended, retrying
  int64_t m_retry_full_at_ms = 0;
  // A full disk was reported and no commit has written since: retries that
  // fail again stay quiet, the first commit that writes reports recovery.
  bool m_full_reported = false;
  // While loading, messages only fill mailboxes: the first requests go out
  // from send_ready(), so start-up (and "ready") does not wait for them.
  bool m_loading = false;
};

}  // namespace statefun
