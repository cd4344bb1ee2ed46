// What the engine shares with whoever drives it: how to reach function
// types and egresses, what an observer hears, what an admin edit may do,
// and the status counters. Included by dispatcher.h (the public API) and
// engine.h (the single-threaded engine under it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/client/function_client.h"
#include "runtime/core/result.h"
#include "runtime/engine/call_failure.h"
#include "runtime/protocol/model.h"
#include "runtime/store/store.h"

namespace statefun {

// How long a failing message is retried before it moves to the dead
// letters. The default retries forever, as Flink StateFun does.
struct RetryPolicy {
  int max_attempts = 0;    // failed attempts; 0 = no limit
  int64_t max_age_ms = 0;  // since the first failed attempt; 0 = no limit
  bool unlimited() const { return max_attempts <= 0 && max_age_ms <= 0; }
};

// What an admin asks of pending messages (`statefun inbox drop|retry`).
enum class InboxOp {
  kDrop,   // move to the dead letters (undo: replay the dead letter)
  kRetry,  // send the failing batch now, backoff starts again
};
// What an admin asks of a dead letter (`statefun dead-letters replay|drop`).
enum class DeadLetterOp {
  kReplay,  // back into the inbox as a new message
  kDrop,    // deleted for good
};

// Where and how to call one function type.
struct FunctionRoute {
  std::string url;
  // Requests wait while this gate is closed (set_gate), e.g. until the
  // function process serving `url` is ready. Empty: always open.
  std::string gate;
  int max_batch = 1000;  // maxNumBatchRequests; <= 0: unbounded, no backpressure
  CallOptions call;      // connect timeout, per-attempt timeout, max response size
};

// An egress record that goes on into a topic an ingress reads (a pipeline
// through an emulated Kafka topic or Kinesis stream): the topic record and
// the messages the ingresses make of it. The step that sent the egress record
// appends both in its own commit, so the hop is exactly-once like the rest.
struct TopicFeedback {
  TopicRecordRow record;               // topic, key and value; the rest is filled on append
  std::vector<InboxMessage> messages;  // as the ingresses route the record
};

// A validated egress record: where it goes and what a reader sees.
struct RoutedEgress {
  std::string topic;                      // playground topic, Kafka topic or Kinesis stream
  std::string payload;                    // the bytes a reader of the topic gets
  std::optional<TopicFeedback> feedback;  // when an ingress reads that topic
};

// A message for `type` waits behind the closed gate `gate` (FunctionRoute).
using GateWaitingFn = std::function<void(const std::string& gate, const FunctionType& type)>;

// Decides how to reach a function type; nullopt when no endpoint serves it.
using RouteResolver = std::function<std::optional<FunctionRoute>(const FunctionType&)>;
// Validates an egress message against the declared egresses; an error fails
// the whole response (like a job failure on a real cluster).
using EgressRouter = std::function<Result<RoutedEgress>(const EgressMessage&)>;

// What the console (or a test) hears about. Called on the engine's thread.
class DispatcherObserver {
 public:
  virtual ~DispatcherObserver() = default;
  virtual void on_step(const TraceRecord&) {}
  // A request for `address` failed: why, with the process's output during
  // the call; `failure.attempt` counts consecutive failures.
  virtual void on_call_failed(const Address&, const CallFailure&) {}
  virtual void on_recovered(const Address&, int /*failed_attempts*/) {}
  virtual void on_states_registered(const FunctionType&, const std::vector<StateSpec>&) {}
  // Reported once per function type until it becomes routable.
  virtual void on_unroutable(const FunctionType&) {}
  // The store failed for good: dispatch stopped until statefun dev restarts.
  virtual void on_fatal(const Error&) {}
  // The disk is full: dispatch pauses and the engine retries once a second
  // (reported once, however many retries fail) ...
  virtual void on_suspended(const Error&) {}
  // ... until a commit succeeds again.
  virtual void on_resumed() {}
  // A group commit made steps up to `last_step` durable and readable.
  virtual void on_committed(int64_t /*last_step*/) {}
};

// What an edit of one address (state set/rm, rewind) may do. Valid only
// during the edit callback, on the engine's thread.
class AddressEdit {
 public:
  virtual ~AddressEdit() = default;
  virtual const Address& address() const = 0;
  virtual int64_t now_ms() const = 0;
  // The state specs the function registered (empty before first contact).
  virtual const std::vector<StateSpec>& registered() const = 0;
  // The stored, unexpired states of the address.
  virtual Result<std::vector<StoredState>> states() = 0;
  // Every committed version of the address, oldest first.
  virtual Result<std::vector<HistoryRow>> history() = 0;
  // The oldest version retention left rebuildable (Store::history_floor).
  virtual Result<int64_t> history_floor() = 0;
  // Replay cannot start before this step: older received messages were pruned.
  virtual Result<int64_t> pruned_through_step() = 0;
  // The messages the address consumed in steps after `step`, in order.
  virtual Result<std::vector<InboxMessage>> received_since(int64_t step) = 0;
  // Delivers copies of `messages` again (same callers and values) once the
  // edit succeeds, after anything already queued for the address.
  virtual void redeliver(std::vector<InboxMessage> messages) = 0;
  // Writes a value as a new version. A registered state keeps its typename
  // (a different one is kInvalidArgument) and its expiration rules.
  virtual Result<void> write(const std::string& name, const TypedValue& value) = 0;
  virtual Result<void> remove(const std::string& name) = 0;
};
using AddressEditFn = std::function<Result<void>(AddressEdit&)>;

// An address whose last attempt failed, and why (its latest failure).
struct FailingAddress {
  Address address;
  std::shared_ptr<const CallFailure> failure;
};

struct DispatcherStatus {
  int64_t pending = 0;     // routable messages queued or in flight
  int64_t in_flight = 0;   // requests on the wire or waiting for a retry
  int64_t unroutable = 0;  // messages for function types no endpoint serves
  int64_t timers = 0;      // pending delayed messages
  int64_t steps = 0;       // last committed step id
  int64_t failing = 0;     // addresses whose last attempt failed
  // The first kMaxFailingListed of them (by address), with their last failure.
  std::vector<FailingAddress> failing_addresses;
  static constexpr std::size_t kMaxFailingListed = 50;
  std::map<std::string, int64_t> queued_by_type;  // function type -> messages queued/in flight
  // Why the state database cannot be written, while it cannot; `retrying`
  // when it is a full disk the engine retries (else dispatch stopped for good).
  std::optional<Error> store_failure;
  bool retrying = false;
  // Bytes of trace, consumed messages and egress kept, as retention's size
  // cap counts them (measured once a second; 0 with retention off).
  int64_t retained_bytes = 0;
};

// A playground egress record served to one client and not consumed yet:
// other pops skip it until Dispatcher::settle_egress says whether it
// reached the client (consumed) or not (served again). `ticket` names the
// lease; 0 for a peek, which holds nothing.
struct EgressLease {
  EgressRecord record;
  int64_t ticket = 0;
};

// Installs a new database in place of `current` (a snapshot restore) and
// returns the store to use from now on; see Dispatcher::restore.
using StoreSwap = std::function<Result<Store*>(Store* current)>;

// What moving the virtual clock did (AdvanceClockEvent).
struct ClockAdvance {
  int64_t from_ms = 0;       // virtual time before
  int64_t to_ms = 0;         // virtual time after
  int64_t timers_fired = 0;  // delayed messages delivered on the way
  int64_t steps = 0;         // steps committed meanwhile (the timers' and all they caused)
  std::optional<int64_t> next_timer_ms;  // the earliest timer still pending, if any
};

}  // namespace statefun
