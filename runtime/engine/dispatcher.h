// The engine on a thread of its own: per-address mailboxes, one request in
// flight per address, batching, the missing-state handshake, effects applied
// as atomic steps in group commits, timers, expiry, retries. See
// docs/protocol.md and runtime/README.md for how durability works. The work
// itself is the single-threaded Engine (engine.h); this class is the thread
// and the public API around it.
//
// Threading: the dispatcher runs one engine thread that owns the Engine (so
// the store and all in-memory state), and drives the event loop
// (DispatcherOptions::loop) that network I/O lives on. Public methods are
// thread-safe: they post events to that thread, which hands them to the
// Engine in groups. Completion callbacks run on the engine thread and must
// not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/client/function_client.h"
#include "runtime/core/clock.h"
#include "runtime/core/result.h"
#include "runtime/engine/engine_types.h"
#include "runtime/net/event_loop.h"
#include "runtime/protocol/model.h"
#include "runtime/store/store.h"

namespace statefun {

struct DispatcherOptions {
  Store* store = nullptr;            // required, owned by the caller
  FunctionClient* client = nullptr;  // required, owned by the caller
  const Clock* clock = nullptr;      // required: the time steps see
  // Virtual time and the housekeeping clock: see EngineOptions. Optional.
  ManualClock* virtual_clock = nullptr;
  const Clock* wall_clock = nullptr;
  RouteResolver resolve;                   // required
  EgressRouter route_egress;               // required
  DispatcherObserver* observer = nullptr;  // optional
  // The engine thread drives this loop between groups, so servers and the
  // function client registered on it run on the engine thread and reach it
  // without a thread switch. Optional (owned by the caller); without one the
  // dispatcher drives a private loop.
  net::EventLoop* loop = nullptr;
  // Largest number of events handled in one group commit.
  int max_events_per_commit = 4096;
  // Backoff between failed attempts: 2 ms doubling up to this cap.
  std::chrono::milliseconds max_retry_backoff{std::chrono::seconds(2)};
  // Consecutive handshakes for one batch before it counts as a failure (a
  // function that keeps asking for states it was given).
  int max_handshakes = 8;
  // When a failing message gives up and moves to the dead letters (default:
  // never, as on Flink).
  RetryPolicy retry;
  // Trace, consumed messages and read egress older than this are pruned in
  // the background (0 = never); see RetentionPolicy::max_age_ms.
  int64_t retention_age_ms = 0;
  // ... and, oldest first, once they exceed this many bytes (0 = never);
  // see RetentionPolicy::max_bytes.
  int64_t retention_bytes = 0;
  // Gates closed from the start (see FunctionRoute::gate), so messages
  // recovered at start wait for set_gate(gate, true) instead of failing
  // against a function process that is still starting.
  std::vector<std::string> closed_gates;
  // What a function's process printed during a failed call (call_failure.h).
  CallOutputFn call_output;
  // A message is due behind a closed gate (EngineOptions::on_gate_waiting).
  GateWaitingFn on_gate_waiting;
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Loads pending messages and timers and starts the engine thread.
  Result<void> start();
  // Stops dispatching, commits what is done and joins the engine thread.
  // Requests still in flight stay in the inbox and are re-sent next start.
  void stop();

  // Durably accepts a message: `done` runs once it is committed (ok) or
  // could not be (error). Blocks no thread; backpressure delays `done`.
  void accept(InboxMessage message, std::function<void(Result<void>)> done);
  // The same, and `done` gets the message's id (its inbox seq, the root of
  // its causal tree: runtime/engine/causal_tree.h).
  void accept_with_id(InboxMessage message, std::function<void(Result<int64_t>)> done);
  // Appends a record to an emulated topic together with the messages its
  // ingresses routed it to, in one commit (ProduceEvent); `done` runs once
  // it is durable, with the record's offset and the messages' ids.
  void produce(TopicRecordRow record, std::vector<InboxMessage> messages,
               std::function<void(Result<std::pair<TopicRecordRow, std::vector<int64_t>>>)> done);
  // Appends messages from an external source (a Kafka ingress in connect
  // mode) and writes the source offsets they advance in the same commit
  // (IngestEvent); `done` runs once both are durable, or neither is.
  // Backpressure does not hold them back: the caller waits for `done`.
  void ingest(std::vector<InboxMessage> messages, std::vector<ExternalOffset> offsets,
              std::function<void(Result<void>)> done);
  // Leases the oldest committed record of a playground topic that no other
  // lease holds (EgressLease); nothing is consumed yet. The caller must
  // settle_egress the lease once it knows whether the record reached its
  // client: a kill before that leaves the record to be served again.
  void pop_egress(std::string topic, std::function<void(Result<std::optional<EgressLease>>)> done);
  // Consumes a leased record (`delivered`) in the next group commit, or
  // releases it to be served to the next pop. Unknown tickets (a restore
  // dropped them) are ignored.
  void settle_egress(int64_t ticket, bool delivered);
  // The record pop_egress would serve now, left in place (an HTTP HEAD).
  void peek_egress(std::string topic,
                   std::function<void(Result<std::optional<EgressRecord>>)> done);
  // Re-resolves routes (after a configuration change).
  void reroute();
  // Re-checks due timers and retries now.
  void tick();
  // Moves the virtual clock (see AdvanceClockEvent): to `target_ms`, or
  // with `until_idle` while a timer is due within `horizon_ms`. `done` runs
  // once every step on the way is committed; kFailedPrecondition when the
  // clock is not virtual or another advance is under way.
  void advance_clock(int64_t target_ms, bool until_idle, int64_t horizon_ms,
                     std::function<void(Result<ClockAdvance>)> done);
  // Replaces how function types and egresses are resolved (module.yaml was
  // reloaded) and re-examines every queued message.
  void reconfigure(RouteResolver resolve, EgressRouter route_egress);
  // Opens or closes a gate (see FunctionRoute::gate). Closed gates hold
  // messages back without counting them as failures.
  void set_gate(std::string gate, bool open);
  // Closes a gate only if it is idle: nothing routed through it queued or
  // on the wire, and no call through it for `idle_for`. `closed` hears
  // whether it did (on the engine's thread). For a process that stops when
  // idle: once the gate is closed, no request can reach it any more.
  void close_gate_if_idle(std::string gate, std::chrono::milliseconds idle_for,
                          std::function<void(bool closed)> closed);

  // Runs `edit` for one address between two of its steps: after its
  // in-flight request completes and before the next is sent. The edit is
  // one step of its own (`label` is its message type in the trace and in
  // history); if it fails, nothing it wrote remains. `done` runs after the
  // commit.
  void edit_address(Address address, std::string label, AddressEditFn edit,
                    std::function<void(Result<void>)> done);
  // Replaces the whole database (a snapshot restore): pauses dispatch, waits
  // until no request is on the wire, commits, then calls `swap` on the engine
  // thread with the current store. `swap` installs the new database and
  // returns the store to use from now on (the caller owns both). Pending
  // messages and timers are reloaded from it and dispatch resumes. Ingress
  // held back by backpressure stays held; everything else in memory is
  // dropped, as the snapshot defines the application's state.
  using StoreSwap = statefun::StoreSwap;
  void restore(StoreSwap swap, std::function<void(Result<void>)> done);
  // Cancels a pending timer by id; `done(false)` when there is no such timer.
  void cancel_timer(int64_t id, std::function<void(Result<bool>)> done);
  // Delivers a pending timer's message now; `done(false)` when there is none.
  void fire_timer(int64_t id, std::function<void(Result<bool>)> done);

  // `statefun inbox drop|retry`: one pending message by seq, or every
  // pending message of an address. Drop moves them to the dead letters, in a
  // step of its own; retry sends the failing batch now and starts its
  // backoff again (kFailedPrecondition when it is not waiting for a retry).
  // Both wait until no request of the address is on the wire. `done` gets
  // how many messages it concerned (kNotFound when none).
  void inbox_op(InboxOp op, std::optional<int64_t> seq, std::optional<Address> address,
                std::function<void(Result<int64_t>)> done);
  // `statefun dead-letters replay|drop ID`: back into the inbox as a new
  // message (its seq is `new_seq`), or deleted; a step of its own either way.
  void dead_letter_op(DeadLetterOp op, int64_t id,
                      std::function<void(Result<DeadLetter>, int64_t new_seq)> done);

  DispatcherStatus status() const;

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace statefun
