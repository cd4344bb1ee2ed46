// What the engine is asked to do: one struct per kind of event, and the
// variant Engine::handle takes. The Dispatcher posts them from any thread;
// a test hands them to the Engine directly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "runtime/client/function_client.h"
#include "runtime/core/result.h"
#include "runtime/engine/engine_types.h"
#include "runtime/store/store.h"

namespace statefun {

// A message to accept durably; `done` runs once it is committed or refused.
struct AcceptEvent {
  InboxMessage message;
  std::function<void(Result<void>)> done;
};
// A function call finished (the FunctionClient's answer for `address`).
struct CallDoneEvent {
  Address address;
  CallOutcome outcome;
};
struct PopEgressEvent {
  std::string topic;
  std::function<void(Result<std::optional<EgressRecord>>)> done;
  bool consume = true;  // false: a peek (HEAD) that leaves the record waiting
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
struct RestoreEvent {
  StoreSwap swap;
  std::function<void(Result<void>)> done;
};
using Event = std::variant<AcceptEvent, CallDoneEvent, PopEgressEvent, RerouteEvent, TickEvent,
                           ReconfigureEvent, GateEvent, EditEvent, TimerOpEvent, RestoreEvent,
                           InboxOpEvent, DeadLetterOpEvent>;

// Answers the event's completion callback, if it has one, with `error`.
void refuse(Event& event, const Error& error);

}  // namespace statefun
