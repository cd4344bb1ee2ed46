// A dry run of a replay: sends an entity's past messages, one request per
// message and in their original order, to the function as it is now,
// starting from a given state, and collects what the function would do —
// without touching the database or routing anything. The missing-state
// handshake is answered locally. Every response goes through the engine's
// own checks (response_check.h), with the cancellation tokens pending now
// and those the replayed responses schedule or cancel, so a dry run fails
// where the real replay would get stuck.
//
// Thread-compatible: call from any one thread; it blocks on the function.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "runtime/engine/dispatcher.h"
#include "runtime/engine/time_travel.h"

namespace statefun {

struct SimulationResult {
  time_travel::EntityState final_state;
  std::vector<time_travel::StateChange> changes;  // final state vs. the current one
  std::vector<OutgoingMessage> messages;
  std::vector<DelayedMessage> delayed;
  std::vector<EgressMessage> egress;
  int requests = 0;
};

struct SimulationInput {
  Address address;
  FunctionRoute route;
  time_travel::EntityState start;    // the state replay starts from (the rewound one)
  time_travel::EntityState current;  // what is stored now, to report the difference
  std::vector<Invocation> invocations;
  // Cancellation tokens of the delayed messages pending now for the
  // address's id (tokens are scoped by id alone).
  std::set<std::string> pending_tokens;
  EgressRouter route_egress;  // required: how the engine routes egress
};

// Errors: the function failed (transport, status, garbage) or its response
// would be refused by the engine (check_response, check_declared_state:
// undeclared state, wrong state typename, a cancellation token already
// pending, unroutable egress...): one line naming the message index and the
// reason, worded as the real replay's failed attempts are.
Result<SimulationResult> simulate_replay(FunctionClient& client, const SimulationInput& input);

}  // namespace statefun
