// Internal to the SDK: the state and the collected effects of one request
// (an invocation batch for one address). Every invocation of the batch sees
// the same Batch, which is how later messages see earlier writes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/protocol/model.h"

namespace statefun::sdk::detail {

class Batch {
 public:
  // `declared` are the function's specs; `received` the request's states.
  // REQUIRES: every declared spec is present in `received` (the handshake ran).
  Batch(const std::vector<StateSpec>& declared, std::vector<StateEntry>& received);

  // The cell of a declared state; throws std::invalid_argument otherwise.
  struct Cell {
    const StateSpec* spec;
    std::optional<TypedValue> value;  // what the function currently sees
    bool touched = false;             // written or removed in this batch
  };
  Cell& cell(const std::string& name);

  InvocationResult& effects() { return m_effects; }

  // The effects plus one mutation per touched state, in declaration order.
  InvocationResult finish() &&;

 private:
  std::vector<Cell> m_cells;  // declaration order; few enough for a linear search
  InvocationResult m_effects;
};

}  // namespace statefun::sdk::detail
