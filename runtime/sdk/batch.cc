#include "runtime/sdk/batch.h"

#include <stdexcept>

namespace statefun::sdk::detail {

Batch::Batch(const std::vector<StateSpec>& declared, std::vector<StateEntry>& received) {
  m_cells.reserve(declared.size());
  for (const StateSpec& spec : declared) {
    Cell cell{&spec, std::nullopt};
    for (StateEntry& entry : received) {
      // `has_value: false` reads as absent, as in the JS and Python SDKs.
      if (entry.name == spec.name && entry.value && entry.value->has_value) {
        cell.value = std::move(entry.value);
        break;
      }
    }
    m_cells.push_back(std::move(cell));
  }
}

Batch::Cell& Batch::cell(const std::string& name) {
  for (Cell& cell : m_cells) {
    if (cell.spec->name == name) return cell;
  }
  throw std::invalid_argument("state '" + name + "' is not declared; add its ValueSpec to bind()");
}

InvocationResult Batch::finish() && {
  for (Cell& cell : m_cells) {
    if (!cell.touched) continue;
    if (cell.value) {
      m_effects.mutations.push_back(
          {MutationKind::kModify, cell.spec->name, std::move(*cell.value)});
    } else {
      m_effects.mutations.push_back({MutationKind::kDelete, cell.spec->name, {}});
    }
  }
  return std::move(m_effects);
}

}  // namespace statefun::sdk::detail
