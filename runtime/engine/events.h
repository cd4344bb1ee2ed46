// What the engine is asked to do: one struct per kind of event, and the
// variant Engine::handle takes. The Dispatcher posts them from any thread;
// a test hands them to the Engine directly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/client/function_client.h"
#include "runtime/core/result.h"
#include "runtime/engine/engine_types.h"
#include "runtime/store/store.h"

namespace statefun {

// A message to accept durably; `done` runs once it is committed or refused.
struct AcceptEvent {
  InboxMessage message;
  std::function<void(Result<void>)> done;
  // Optional: hears the message's id (its inbox seq) when it is appended,
  // before `done` (which then says whether it became durable).
  std::function<void(int64_t)> accepted = nullptr;
};
// A function call finished (the FunctionClient's answer for `address`).
struct CallDoneEvent {
  Address address;
  CallOutcome outcome;
};
// Leases the oldest committed, unleased record of a playground topic (see
// EgressLease); `done` runs at once, nothing is written.
struct PopEgressEvent {
  std::string topic;
  std::function<void(Result<std::optional<EgressLease>>)> done;
  bool consume = true;  // false: a peek (HEAD) that leases nothing
};
// The client got the leased record (consume it) or did not (release it).
struct SettleEgressEvent {
  int64_t ticket;
  bool delivered;
};
struct RerouteEvent {};
// The clock may have moved: nothing to do beyond what every group does.
struct TickEvent {};
struct ReconfigureEvent {
  RouteResolver resolve;
  EgressRouter route_egress;
};
struct GateEvent {
  std::string gate;
  bool open;
  // With a value (and open false): close the gate only if nothing routed
  // through it is queued or on the wire and no call used it for this long
  // (a process stopping when idle); `closed` hears whether it did.
  std::optional<std::chrono::milliseconds> if_idle_for;
  std::function<void(bool closed)> closed;
};
struct EditEvent {
  Address address;
  std::string label;
  AddressEditFn edit;
  std::function<void(Result<void>)> done;
};
struct TimerOpEvent {
  int64_t id;
  bool fire;  // deliver now; otherwise cancel
  std::function<void(Result<bool>)> done;
};
// `statefun inbox drop|retry`: one pending message (`seq`) or every pending
// message of `address`. `done` gets how many messages it concerned, or
// kNotFound when there were none.
struct InboxOpEvent {
  InboxOp op;
  std::optional<int64_t> seq;
  std::optional<Address> address;
  std::function<void(Result<int64_t>)> done;
};
// `statefun dead-letters replay|drop ID`; `done` gets the letter as it was
// (kNotFound when there is none). A replay's new inbox seq is `new_seq`.
struct DeadLetterOpEvent {
  DeadLetterOp op;
  int64_t id;
  std::function<void(Result<DeadLetter>, int64_t new_seq)> done;
};
// Moves the virtual clock (EngineOptions::virtual_clock) forward one due
// timer at a time: at each due time, what is due is delivered and the engine
// runs until no request is on the wire, then the clock moves to the next due
// timer, including timers scheduled on the way. Either up to `target_ms`
// (where the clock then ends), or, with `until_idle`, for as long as the
// next timer is due within `horizon_ms` of the current virtual time (the
// clock ends at the last timer delivered). `done` runs after the commit
// that follows the last step.
struct AdvanceClockEvent {
  int64_t target_ms = 0;
  bool until_idle = false;
  int64_t horizon_ms = 0;
  std::function<void(Result<ClockAdvance>)> done;
};
// A record produced to an emulated topic, with the inbox messages its
// ingresses routed it to (emulator/topics/topic_routing.h): the record and
// every message are appended in one group, so a commit keeps all or none.
// `done` runs after the commit with the record as stored (its offset) and
// the ids (inbox seqs) of its messages, or the error that refused it.
struct ProduceEvent {
  TopicRecordRow record;
  std::vector<InboxMessage> messages;
  std::function<void(Result<std::pair<TopicRecordRow, std::vector<int64_t>>>)> done;
};
// Messages from a source outside statefun (a Kafka ingress in connect mode)
// with the source positions they advance: the messages are appended to the
// inbox and the offsets written in the same group commit, so after a crash
// both or neither are there. Never held back by backpressure: the source
// waits for `done` before it reads on. With no messages it records the
// offsets alone (how far a Kafka egress has produced).
struct IngestEvent {
  std::vector<InboxMessage> messages;
  std::vector<ExternalOffset> offsets;
  std::function<void(Result<void>)> done;
};
struct RestoreEvent {
  StoreSwap swap;
  std::function<void(Result<void>)> done;
};
using Event =
    std::variant<AcceptEvent, CallDoneEvent, PopEgressEvent, SettleEgressEvent, RerouteEvent,
                 TickEvent, ReconfigureEvent, GateEvent, EditEvent, TimerOpEvent, RestoreEvent,
                 InboxOpEvent, DeadLetterOpEvent, AdvanceClockEvent, ProduceEvent, IngestEvent>;

// Answers the event's completion callback, if it has one, with `error`.
void refuse(Event& event, const Error& error);

}  // namespace statefun
