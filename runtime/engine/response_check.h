// The checks a function's answer must pass before any of it applies. One
// module for the engine (engine_step.cc) and the replay dry run
// (replay_simulator.cc): a dry run must refuse exactly what the real replay
// would get stuck retrying, so both ask the same questions here.
//
// Pure functions: what is pending or registered comes in through the
// lookups, so the engine answers from memory and the dry run from the
// committed database plus what the simulated responses did. Thread-compatible.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/engine/engine_types.h"
#include "runtime/protocol/model.h"

namespace statefun {

struct ResponseContext {
  // The spec registered for a state of the responding function type;
  // nullptr when none is registered under that name. Required.
  std::function<const StateSpec*(const std::string& name)> find_state;
  // Whether a delayed message with this cancellation token is pending for
  // the responder's id before this response (tokens are scoped by id alone,
  // as on a real cluster). Required.
  std::function<bool(const std::string& token)> token_pending;
  // How egress records are routed; an error fails the response. Required.
  const EgressRouter* route_egress = nullptr;
};

// The first problem of a response, as one line; nullopt when all of it can
// apply. On success `routed` holds the routed egress, in order.
std::optional<std::string> check_response(const Address& address, const InvocationResult& result,
                                          const ResponseContext& context,
                                          std::vector<RoutedEgress>& routed);

// A state the function declares in the missing-state handshake, against the
// one registered under its name (nullptr: none yet). nullopt when it may be
// registered (or, if registered alike, used).
std::optional<std::string> check_declared_state(const StateSpec* registered,
                                                const StateSpec& declared);

}  // namespace statefun
